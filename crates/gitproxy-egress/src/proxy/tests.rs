//! Tests of proxy settings: precedence, casing, URL validation, redaction and explanations.

use std::collections::HashMap;

use url::Url;

use super::{redact_userinfo, ProxyConfig, ProxyUrl, Reason};
use crate::Error;

fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn url(text: &str) -> Url {
    Url::parse(text).expect("test URL parses")
}

#[test]
fn scheme_selects_the_proxy_variable() {
    let config = ProxyConfig::from_env_map(&env(&[
        ("HTTPS_PROXY", "http://secure.proxy:3128"),
        ("HTTP_PROXY", "plain.proxy:8080"),
    ]))
    .unwrap();
    let https = config.explain(&url("https://app.backline.ai/v1"));
    assert_eq!(https.proxy().unwrap().host(), "secure.proxy");
    assert_eq!(https.proxy().unwrap().origin(), "HTTPS_PROXY");
    let http = config.explain(&url("http://app.backline.ai/v1"));
    let proxy = http.proxy().unwrap();
    assert_eq!((proxy.host(), proxy.port()), ("plain.proxy", 8080));
    assert_eq!(proxy.origin(), "HTTP_PROXY");
}

#[test]
fn all_proxy_is_the_fallback_for_both_schemes() {
    let config = ProxyConfig::from_env_map(&env(&[
        ("ALL_PROXY", "http://all.proxy:3128"),
        ("https_proxy", "http://secure.proxy:3128"),
    ]))
    .unwrap();
    assert_eq!(config.https_proxy().unwrap().host(), "secure.proxy");
    let http = config.http_proxy().unwrap();
    assert_eq!((http.host(), http.origin()), ("all.proxy", "ALL_PROXY"));
}

#[test]
fn lowercase_wins_when_both_casings_differ_and_a_warning_says_so() {
    let config = ProxyConfig::from_env_map(&env(&[
        ("https_proxy", "http://lower.proxy:3128"),
        ("HTTPS_PROXY", "http://user:hunter2@upper.proxy:3128"),
        ("no_proxy", ".lower"),
        ("NO_PROXY", ".upper"),
    ]))
    .unwrap();
    assert_eq!(config.https_proxy().unwrap().host(), "lower.proxy");
    assert_eq!(config.https_proxy().unwrap().origin(), "https_proxy");
    assert!(config.no_proxy().matches("x.lower", 443));
    assert!(!config.no_proxy().matches("x.upper", 443));
    let warnings = config.warnings().join("\n");
    assert!(
        warnings.contains("https_proxy and HTTPS_PROXY are both set and differ"),
        "{warnings}"
    );
    assert!(warnings.contains("no_proxy and NO_PROXY are both set and differ"));
    assert!(warnings.contains("http://user:***@upper.proxy:3128"));
    assert!(!warnings.contains("hunter2"));
}

#[test]
fn equal_casings_do_not_warn_and_empty_values_count_as_unset() {
    let config = ProxyConfig::from_env_map(&env(&[
        ("https_proxy", "http://p:3128"),
        ("HTTPS_PROXY", "http://p:3128"),
        ("no_proxy", ""),
        ("NO_PROXY", ".corp"),
    ]))
    .unwrap();
    assert!(config.warnings().is_empty(), "{:?}", config.warnings());
    assert!(config.no_proxy().matches("git.corp", 443));
}

#[test]
fn explicit_settings_win_over_the_environment() {
    let environment = env(&[
        ("HTTPS_PROXY", "http://env.proxy:3128"),
        ("HTTP_PROXY", "http://env.proxy:3128"),
        ("NO_PROXY", ".env"),
    ]);
    let config = ProxyConfig::builder()
        .proxy("http://helm.proxy:3128")
        .no_proxy(".corp")
        .env(&environment)
        .build()
        .unwrap();
    assert_eq!(config.https_proxy().unwrap().origin(), "proxy.url");
    assert_eq!(config.https_proxy().unwrap().host(), "helm.proxy");
    assert_eq!(config.http_proxy().unwrap().host(), "helm.proxy");
    assert!(config.no_proxy().matches("git.corp", 443));
    assert!(!config.no_proxy().matches("x.env", 443));

    // Settings not given explicitly still come from the environment.
    let config = ProxyConfig::builder()
        .no_proxy(".corp")
        .env(&environment)
        .build()
        .unwrap();
    assert_eq!(config.https_proxy().unwrap().origin(), "HTTPS_PROXY");

    // An explicit empty proxy switches the environment's off.
    let config = ProxyConfig::builder()
        .https_proxy("")
        .env(&environment)
        .build()
        .unwrap();
    assert!(config.https_proxy().is_none());
    assert!(config.explain(&url("https://app.backline.ai")).is_direct());
}

#[test]
fn proxy_url_forms() {
    let proxy = ProxyUrl::parse("proxy.corp:3128", "HTTPS_PROXY").unwrap();
    assert_eq!((proxy.host(), proxy.port()), ("proxy.corp", 3128));
    let proxy = ProxyUrl::parse("http://proxy.corp", "x").unwrap();
    assert_eq!(proxy.port(), 80);
    let proxy = ProxyUrl::parse("http://[::1]:3128/", "x").unwrap();
    assert_eq!(proxy.host(), "::1");
    assert_eq!(proxy.to_string(), "http://[::1]:3128");
    let proxy = ProxyUrl::parse(" http://10.0.0.1:8080 ", "x").unwrap();
    assert_eq!(proxy.host(), "10.0.0.1");
}

#[test]
fn invalid_proxy_urls_are_rejected_naming_the_value_without_the_password() {
    let cases = [
        ("socks5://proxy:1080", "SOCKS proxies are not supported"),
        ("https://proxy:443", "https:// proxies"),
        ("http://proxy:99999", "invalid port number"),
        ("http://user:s3cret@proxy:notaport", "invalid port number"),
        ("http://proxy:3128/path", "no path, query or fragment"),
        ("ftp://proxy", "unsupported scheme `ftp`"),
        (
            "http://:s3cret@proxy:3128",
            "a password without a user name",
        ),
    ];
    for (value, reason) in cases {
        let err = ProxyUrl::parse(value, "HTTPS_PROXY").unwrap_err();
        let message = err.to_string();
        assert!(
            matches!(err, Error::InvalidProxyUrl { .. }),
            "{value}: {message}"
        );
        assert!(
            message.starts_with("invalid proxy URL in HTTPS_PROXY: `"),
            "{message}"
        );
        assert!(message.contains(reason), "{value}: {message}");
        assert!(!message.contains("s3cret"), "{message}");
    }
    let err = ProxyUrl::parse("http://user:s3cret@proxy:notaport", "proxy.url").unwrap_err();
    assert!(err.to_string().contains("`http://user:***@proxy:notaport`"));

    let err = ProxyConfig::from_env_map(&env(&[("ALL_PROXY", "socks5h://p:1080")])).unwrap_err();
    assert!(
        err.to_string().contains("in ALL_PROXY: `socks5h://p:1080`"),
        "{err}"
    );
}

#[test]
fn credentials_are_redacted_everywhere_but_the_header() {
    let proxy = ProxyUrl::parse("http://svc%40corp:p%3Ass@proxy.corp:3128", "proxy.url").unwrap();
    assert!(proxy.has_credentials());
    let shown = [
        proxy.to_string(),
        format!("{proxy:?}"),
        serde_json::to_string(&proxy).unwrap(),
    ];
    for text in &shown {
        assert!(text.contains("svc%40corp:***@proxy.corp:3128"), "{text}");
        assert!(!text.contains("p%3Ass") && !text.contains("p:ss"), "{text}");
    }
    let header = proxy.authorization().unwrap();
    assert!(header.is_sensitive());
    // base64("svc@corp:p:ss")
    assert_eq!(header.to_str().unwrap(), "Basic c3ZjQGNvcnA6cDpzcw==");
    assert!(!format!("{header:?}").contains("c3Zj"));

    let builder = ProxyConfig::builder().proxy("http://u:topsecret@p:1");
    assert!(!format!("{builder:?}").contains("topsecret"));
    let config = builder.build().unwrap();
    assert!(!format!("{config:?}").contains("topsecret"));
    let decision = config.explain(&url("https://app.backline.ai"));
    assert!(!decision.to_string().contains("topsecret"));
    assert!(!serde_json::to_string(&decision)
        .unwrap()
        .contains("topsecret"));

    assert!(ProxyUrl::parse("http://proxy:3128", "x")
        .unwrap()
        .authorization()
        .is_none());
}

#[test]
fn redaction_of_unparsable_values() {
    assert_eq!(redact_userinfo("http://u:pw@h:1/x"), "http://u:***@h:1/x");
    assert_eq!(redact_userinfo("u:pw@h:1"), "u:***@h:1");
    assert_eq!(redact_userinfo("http://u:p@w@h"), "http://u:***@h");
    assert_eq!(redact_userinfo("http://u@h"), "http://u@h");
    assert_eq!(redact_userinfo("http://h:1"), "http://h:1");
}

#[test]
fn explain_says_which_rule_decided() {
    let config = ProxyConfig::builder()
        .proxy("http://user:pw@proxy.corp:3128")
        .no_proxy("bitbucket.corp:7990,.svc")
        .build()
        .unwrap();

    let decision = config.explain(&url("https://bitbucket.corp:7990/rest/api/1.0/projects"));
    assert!(decision.is_direct());
    assert_eq!(
        decision.reason(),
        &Reason::NoProxyEntry {
            entry: "bitbucket.corp:7990".into(),
            origin: "proxy.noProxy".into()
        }
    );
    assert_eq!(
        decision.to_string(),
        "direct to bitbucket.corp:7990: matches entry `bitbucket.corp:7990` of proxy.noProxy"
    );

    let decision = config.explain(&url("https://bitbucket.corp/"));
    assert!(!decision.is_direct());
    assert_eq!(
        decision.to_string(),
        "via proxy http://user:***@proxy.corp:3128 (from proxy.url) to bitbucket.corp:443: no noProxy entry matches bitbucket.corp"
    );

    let decision = config.explain(&url("https://localhost:8443/"));
    assert_eq!(decision.reason(), &Reason::Loopback);
    assert_eq!(
        decision.to_string(),
        "direct to localhost:8443: loopback targets never use the proxy"
    );
    let decision = config.explain(&url("http://[::1]:8080/"));
    assert_eq!(decision.reason(), &Reason::Loopback);

    let direct = ProxyConfig::direct().explain(&url("https://app.backline.ai"));
    assert_eq!(
        direct.to_string(),
        "direct to app.backline.ai:443: no proxy configured for https targets"
    );

    let json = serde_json::to_value(config.explain(&url("https://git.ns.svc/"))).unwrap();
    assert_eq!(json["route"], "direct");
    assert_eq!(json["reason"]["rule"], "no_proxy_entry");
    assert_eq!(json["reason"]["entry"], ".svc");
    let json = serde_json::to_value(config.explain(&url("https://app.backline.ai/"))).unwrap();
    assert_eq!(json["route"], "proxy");
    assert_eq!(json["proxy"], "http://user:***@proxy.corp:3128");
    assert_eq!(json["reason"]["rule"], "proxied");
    assert_eq!(json["port"], 443);
}

#[test]
fn loopback_bypass_can_be_switched_off() {
    let config = ProxyConfig::builder()
        .proxy("http://127.0.0.1:3128")
        .bypass_loopback(false)
        .build()
        .unwrap();
    assert!(!config.bypasses_loopback());
    assert!(!config.explain(&url("https://localhost:8443/")).is_direct());
    let config = ProxyConfig::builder()
        .proxy("http://127.0.0.1:3128")
        .no_proxy("localhost")
        .bypass_loopback(false)
        .build()
        .unwrap();
    assert!(config.explain(&url("https://localhost:8443/")).is_direct());
    assert!(!config.explain(&url("https://127.0.0.1:8443/")).is_direct());
}

#[test]
fn explain_uri_matches_explain() {
    let config = ProxyConfig::builder()
        .https_proxy("http://p:1")
        .no_proxy(".corp")
        .build()
        .unwrap();
    let uri: http::Uri = "https://git.corp/x".parse().unwrap();
    assert!(config.explain_uri(&uri).is_direct());
    let uri: http::Uri = "https://app.backline.ai/x".parse().unwrap();
    assert_eq!(config.explain_uri(&uri).port(), 443);
    assert!(!config.explain_uri(&uri).is_direct());
    let uri: http::Uri = "http://app.backline.ai/x".parse().unwrap();
    assert!(
        config.explain_uri(&uri).is_direct(),
        "no http proxy configured"
    );
}

#[test]
fn ignored_no_proxy_entries_become_warnings() {
    let config = ProxyConfig::from_env_map(&env(&[("NO_PROXY", "10.0.0.0/40,.corp")])).unwrap();
    assert_eq!(config.warnings().len(), 1);
    assert!(config.warnings()[0].starts_with("NO_PROXY: ignoring entry `10.0.0.0/40`"));
}
