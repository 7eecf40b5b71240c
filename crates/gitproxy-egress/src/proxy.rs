//! Proxy configuration from explicit settings and the environment, and the direct-or-proxy decision.

use std::collections::HashMap;
use std::fmt;

use base64::Engine as _;
use http::HeaderValue;
use percent_encoding::percent_decode_str;
use serde::{Serialize, Serializer};
use url::Url;

use crate::no_proxy::{is_loopback, normalize_host, NoProxy};
use crate::Error;

/// An HTTP proxy to tunnel through, with optional Basic credentials.
///
/// `Display`, `Debug` and `Serialize` show the password as `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct ProxyUrl {
    host: String,
    port: u16,
    username: Option<String>,
    password: Option<String>,
    origin: String,
}

impl ProxyUrl {
    /// Parses a proxy URL; `origin` names where it came from (for errors and explanations).
    ///
    /// `host:port` without a scheme means `http://host:port`; the port defaults to 80. Only
    /// `http://` proxies are supported (the tunnel to the target is still TLS end to end).
    pub fn parse(raw: &str, origin: &str) -> Result<ProxyUrl, Error> {
        let invalid = |reason: &str| Error::InvalidProxyUrl {
            origin: origin.to_owned(),
            value: redact_userinfo(raw),
            reason: reason.to_owned(),
        };
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(invalid("the value is empty"));
        }
        let with_scheme = if trimmed.contains("://") {
            trimmed.to_owned()
        } else {
            format!("http://{trimmed}")
        };
        let url = Url::parse(&with_scheme).map_err(|err| invalid(&err.to_string()))?;
        match url.scheme() {
            "http" => {}
            "https" => return Err(invalid("https:// proxies (TLS to the proxy) are not supported; use the proxy's http:// address, the tunnel inside stays TLS")),
            "socks4" | "socks4a" | "socks5" | "socks5h" => return Err(invalid("SOCKS proxies are not supported; use an HTTP proxy")),
            other => return Err(invalid(&format!("unsupported scheme `{other}`"))),
        }
        let host = match url.host() {
            Some(url::Host::Domain(name)) => name.to_owned(),
            Some(url::Host::Ipv4(ip)) => ip.to_string(),
            Some(url::Host::Ipv6(ip)) => ip.to_string(),
            None => return Err(invalid("no host")),
        };
        if host.is_empty() {
            return Err(invalid("no host"));
        }
        if !matches!(url.path(), "" | "/") || url.query().is_some() || url.fragment().is_some() {
            return Err(invalid("a proxy URL has no path, query or fragment"));
        }
        let decode = |text: &str| {
            percent_decode_str(text)
                .decode_utf8()
                .map(|s| s.into_owned())
                .map_err(|_| invalid("the credentials are not valid percent-encoded UTF-8"))
        };
        let username = match url.username() {
            "" => None,
            name => Some(decode(name)?),
        };
        let password = url.password().map(decode).transpose()?;
        if username.is_none() && password.is_some() {
            return Err(invalid("a password without a user name"));
        }
        Ok(ProxyUrl {
            host,
            port: url.port().unwrap_or(80),
            username,
            password,
            origin: origin.to_owned(),
        })
    }

    /// The proxy's host name or IP address (IPv6 without brackets).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The proxy's port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Where this proxy was configured: `proxy.url`, `HTTPS_PROXY`, `all_proxy`, ...
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Whether the URL carries credentials for `Proxy-Authorization: Basic`.
    pub fn has_credentials(&self) -> bool {
        self.username.is_some()
    }

    /// The `Proxy-Authorization` header value, marked sensitive, when the URL has credentials.
    pub fn authorization(&self) -> Option<HeaderValue> {
        let user = self.username.as_deref()?;
        let pass = self.password.as_deref().unwrap_or("");
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
        let mut value = HeaderValue::from_str(&format!("Basic {token}")).ok()?;
        value.set_sensitive(true);
        Some(value)
    }

    /// `host:port` as used on the wire, with brackets around IPv6 literals.
    pub(crate) fn authority(&self) -> String {
        authority(&self.host, self.port)
    }
}

impl fmt::Display for ProxyUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("http://")?;
        if let Some(user) = &self.username {
            let user = percent_encoding::utf8_percent_encode(user, USERINFO);
            match &self.password {
                Some(_) => write!(f, "{user}:***@")?,
                None => write!(f, "{user}@")?,
            }
        }
        f.write_str(&self.authority())
    }
}

impl fmt::Debug for ProxyUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProxyUrl")
            .field("url", &self.to_string())
            .field("origin", &self.origin)
            .finish()
    }
}

impl Serialize for ProxyUrl {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

const USERINFO: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// `host:port`, bracketing IPv6 literals.
pub(crate) fn authority(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// Replaces the password of a URL-ish string with `***`, even when it does not parse.
pub(crate) fn redact_userinfo(raw: &str) -> String {
    let start = raw.find("://").map_or(0, |i| i + 3);
    let rest = &raw[start..];
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    let Some(at) = authority.rfind('@') else {
        return raw.to_owned();
    };
    let userinfo = &authority[..at];
    let user = match userinfo.split_once(':') {
        Some((user, _)) => format!("{user}:***"),
        None => userinfo.to_owned(),
    };
    format!("{}{user}{}", &raw[..start], &raw[start + at..])
}

/// Which proxy applies to which target, and which hosts bypass it.
///
/// Build it with [`ProxyConfig::builder`] (explicit settings, optionally falling back to an
/// environment given as data), [`ProxyConfig::from_env_map`] or [`ProxyConfig::from_process_env`].
/// The rules are in the crate documentation.
#[derive(Debug, Clone)]
pub struct ProxyConfig {
    http: Option<ProxyUrl>,
    https: Option<ProxyUrl>,
    no_proxy: NoProxy,
    no_proxy_origin: String,
    bypass_loopback: bool,
    warnings: Vec<String>,
}

/// Builder for [`ProxyConfig`]; explicit settings win over the environment.
#[derive(Clone, Default)]
pub struct ProxyConfigBuilder {
    http: Option<(String, String)>,
    https: Option<(String, String)>,
    no_proxy: Option<String>,
    env: HashMap<String, String>,
    bypass_loopback: Option<bool>,
}

impl fmt::Debug for ProxyConfigBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProxyConfigBuilder")
            .field("http", &self.http.as_ref().map(|(v, _)| redact_userinfo(v)))
            .field(
                "https",
                &self.https.as_ref().map(|(v, _)| redact_userinfo(v)),
            )
            .field("no_proxy", &self.no_proxy)
            .field("env_vars", &self.env.len())
            .field("bypass_loopback", &self.bypass_loopback)
            .finish()
    }
}

impl ProxyConfigBuilder {
    /// The proxy for every target (the Helm value `proxy.url`); same as setting both schemes.
    pub fn proxy(mut self, url: impl Into<String>) -> Self {
        let url = url.into();
        self.http = Some((url.clone(), "proxy.url".to_owned()));
        self.https = Some((url, "proxy.url".to_owned()));
        self
    }

    /// The proxy for `http://` targets. An empty string means "no proxy", overriding the environment.
    pub fn http_proxy(self, url: impl Into<String>) -> Self {
        self.http_proxy_from(url, "the explicit http proxy")
    }

    /// [`http_proxy`](Self::http_proxy) with the name of the setting it came from, used in errors
    /// (e.g. `--http-proxy (flag)`).
    pub fn http_proxy_from(mut self, url: impl Into<String>, origin: impl Into<String>) -> Self {
        self.http = Some((url.into(), origin.into()));
        self
    }

    /// The proxy for `https://` targets. An empty string means "no proxy", overriding the environment.
    pub fn https_proxy(self, url: impl Into<String>) -> Self {
        self.https_proxy_from(url, "the explicit https proxy")
    }

    /// [`https_proxy`](Self::https_proxy) with the name of the setting it came from, used in
    /// errors (e.g. `https_proxy (file gitproxy.toml)`).
    pub fn https_proxy_from(mut self, url: impl Into<String>, origin: impl Into<String>) -> Self {
        self.https = Some((url.into(), origin.into()));
        self
    }

    /// The hosts reached directly (the Helm value `proxy.noProxy`); replaces `NO_PROXY`.
    pub fn no_proxy(mut self, list: impl Into<String>) -> Self {
        self.no_proxy = Some(list.into());
        self
    }

    /// Environment variables to fall back on for settings not given explicitly.
    pub fn env(mut self, env: &HashMap<String, String>) -> Self {
        self.env = env.clone();
        self
    }

    /// Whether loopback targets (`localhost`, 127.0.0.0/8, ::1) always bypass the proxy. On by
    /// default; tests that run a proxy on loopback turn it off to send loopback traffic through it.
    pub fn bypass_loopback(mut self, bypass: bool) -> Self {
        self.bypass_loopback = Some(bypass);
        self
    }

    /// Validates the settings and resolves them against the environment.
    pub fn build(self) -> Result<ProxyConfig, Error> {
        let mut warnings = Vec::new();
        let https = pick(
            self.https.as_ref().map(|(v, o)| (v.as_str(), o.as_str())),
            &self.env,
            &["https_proxy", "all_proxy"],
            &mut warnings,
        );
        let http = pick(
            self.http.as_ref().map(|(v, o)| (v.as_str(), o.as_str())),
            &self.env,
            &["http_proxy", "all_proxy"],
            &mut warnings,
        );
        let no_proxy = pick(
            self.no_proxy.as_deref().map(|v| (v, "proxy.noProxy")),
            &self.env,
            &["no_proxy"],
            &mut warnings,
        );
        let parse = |choice: Option<(String, String)>| {
            choice
                .filter(|(value, _)| !value.trim().is_empty())
                .map(|(value, origin)| ProxyUrl::parse(&value, &origin))
                .transpose()
        };
        let https = parse(https)?;
        let http = parse(http)?;
        let (no_proxy, no_proxy_origin) = match no_proxy {
            Some((list, origin)) => (NoProxy::parse(&list), origin),
            None => (NoProxy::default(), "proxy.noProxy".to_owned()),
        };
        for ignored in no_proxy.ignored() {
            warnings.push(format!("{no_proxy_origin}: ignoring entry {ignored}"));
        }
        Ok(ProxyConfig {
            http,
            https,
            no_proxy,
            no_proxy_origin,
            bypass_loopback: self.bypass_loopback.unwrap_or(true),
            warnings,
        })
    }
}

/// The explicit value if given, else the first environment variable set (lower case preferred).
fn pick(
    explicit: Option<(&str, &str)>,
    env: &HashMap<String, String>,
    names: &[&str],
    warnings: &mut Vec<String>,
) -> Option<(String, String)> {
    if let Some((value, origin)) = explicit {
        return Some((value.to_owned(), origin.to_owned()));
    }
    for lower in names {
        let upper = lower.to_ascii_uppercase();
        let lower_value = env.get(*lower).filter(|v| !v.trim().is_empty());
        let upper_value = env.get(&upper).filter(|v| !v.trim().is_empty());
        match (lower_value, upper_value) {
            (Some(l), Some(u)) => {
                if l.trim() != u.trim() {
                    let message = format!(
                        "{lower} and {upper} are both set and differ (`{}` vs `{}`); using {lower}",
                        redact_userinfo(l.trim()),
                        redact_userinfo(u.trim())
                    );
                    tracing::warn!("{message}");
                    warnings.push(message);
                }
                return Some((l.clone(), (*lower).to_owned()));
            }
            (Some(l), None) => return Some((l.clone(), (*lower).to_owned())),
            (None, Some(u)) => return Some((u.clone(), upper)),
            (None, None) => {}
        }
    }
    None
}

impl ProxyConfig {
    /// Starts from no settings; add explicit values and optionally an environment to fall back on.
    pub fn builder() -> ProxyConfigBuilder {
        ProxyConfigBuilder::default()
    }

    /// No proxy at all: every connection is direct.
    pub fn direct() -> ProxyConfig {
        ProxyConfig {
            http: None,
            https: None,
            no_proxy: NoProxy::default(),
            no_proxy_origin: "proxy.noProxy".to_owned(),
            bypass_loopback: true,
            warnings: Vec::new(),
        }
    }

    /// Reads `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` and `NO_PROXY` (both casings) from `env`.
    pub fn from_env_map(env: &HashMap<String, String>) -> Result<ProxyConfig, Error> {
        ProxyConfig::builder().env(env).build()
    }

    /// Reads the proxy variables of this process's environment ([`ProxyConfig::ENV_VARS`] only;
    /// a value that is not UTF-8 is treated as unset).
    pub fn from_process_env() -> Result<ProxyConfig, Error> {
        let env: HashMap<String, String> = ProxyConfig::ENV_VARS
            .iter()
            .filter_map(|name| Some(((*name).to_owned(), std::env::var(name).ok()?)))
            .collect();
        ProxyConfig::from_env_map(&env)
    }

    /// The environment variables the proxy settings fall back on, in both casings.
    pub const ENV_VARS: &'static [&'static str] = &[
        "https_proxy",
        "HTTPS_PROXY",
        "http_proxy",
        "HTTP_PROXY",
        "all_proxy",
        "ALL_PROXY",
        "no_proxy",
        "NO_PROXY",
    ];

    /// The proxy for `http://` targets, if any.
    pub fn http_proxy(&self) -> Option<&ProxyUrl> {
        self.http.as_ref()
    }

    /// The proxy for `https://` targets, if any.
    pub fn https_proxy(&self) -> Option<&ProxyUrl> {
        self.https.as_ref()
    }

    /// The hosts reached directly.
    pub fn no_proxy(&self) -> &NoProxy {
        &self.no_proxy
    }

    /// Whether loopback targets always bypass the proxy.
    pub fn bypasses_loopback(&self) -> bool {
        self.bypass_loopback
    }

    /// Problems found while building: differing casings, ignored noProxy entries (also logged).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Decides how `url` is reached and why.
    pub fn explain(&self, url: &Url) -> Decision {
        let host = url.host_str().unwrap_or_default();
        let port = url.port_or_known_default().unwrap_or(443);
        self.decide(url.scheme(), host, port)
    }

    /// Decides how `uri` is reached and why (for connectors, which see `http::Uri`s).
    pub fn explain_uri(&self, uri: &http::Uri) -> Decision {
        let scheme = uri.scheme_str().unwrap_or("https");
        let host = uri.host().unwrap_or_default();
        let port = uri.port_u16().unwrap_or(match scheme {
            "http" | "ws" => 80,
            _ => 443,
        });
        self.decide(scheme, host, port)
    }

    pub(crate) fn decide(&self, scheme: &str, host: &str, port: u16) -> Decision {
        let host = normalize_host(host);
        let plain = matches!(scheme.to_ascii_lowercase().as_str(), "http" | "ws");
        let proxy = if plain { &self.http } else { &self.https };
        let decision = |proxy: Option<ProxyUrl>, reason: Reason| Decision {
            host: host.clone(),
            port,
            proxy,
            reason,
        };
        let Some(proxy) = proxy else {
            return decision(
                None,
                Reason::NoProxyConfigured {
                    scheme: if plain { "http" } else { "https" }.to_owned(),
                },
            );
        };
        let decided = if self.bypass_loopback && is_loopback(&host) {
            decision(None, Reason::Loopback)
        } else if let Some(entry) = self.no_proxy.find(&host, port) {
            decision(
                None,
                Reason::NoProxyEntry {
                    entry: entry.as_str().to_owned(),
                    origin: self.no_proxy_origin.clone(),
                },
            )
        } else {
            decision(
                Some(proxy.clone()),
                Reason::Proxied {
                    origin: proxy.origin().to_owned(),
                },
            )
        };
        tracing::debug!(decision = %decided, "egress route");
        decided
    }
}

/// How a target is reached, and the rule that decided it.
///
/// Serializes as `{"route": "direct"|"proxy", "proxy": "http://user:***@host:port"|null,
/// "host", "port", "reason": {"rule": ...}, "explanation": "..."}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    host: String,
    port: u16,
    proxy: Option<ProxyUrl>,
    reason: Reason,
}

impl Serialize for Decision {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct View<'a> {
            route: &'static str,
            proxy: Option<&'a ProxyUrl>,
            host: &'a str,
            port: u16,
            reason: &'a Reason,
            explanation: String,
        }
        View {
            route: if self.is_direct() { "direct" } else { "proxy" },
            proxy: self.proxy.as_ref(),
            host: &self.host,
            port: self.port,
            reason: &self.reason,
            explanation: self.to_string(),
        }
        .serialize(serializer)
    }
}

/// The rule behind a [`Decision`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Reason {
    /// No proxy is configured for the target's scheme.
    NoProxyConfigured {
        /// `http` or `https`.
        scheme: String,
    },
    /// Loopback targets always bypass the proxy.
    Loopback,
    /// A noProxy entry matched.
    NoProxyEntry {
        /// The entry as written.
        entry: String,
        /// Where the list came from: `proxy.noProxy`, `NO_PROXY`, `no_proxy`.
        origin: String,
    },
    /// The proxy applies: nothing exempts the target.
    Proxied {
        /// Where the proxy came from: `proxy.url`, `HTTPS_PROXY`, ...
        origin: String,
    },
}

impl Decision {
    /// Whether the target is reached without a proxy.
    pub fn is_direct(&self) -> bool {
        self.proxy.is_none()
    }

    /// The proxy to tunnel through, if any.
    pub fn proxy(&self) -> Option<&ProxyUrl> {
        self.proxy.as_ref()
    }

    /// The rule that decided.
    pub fn reason(&self) -> &Reason {
        &self.reason
    }

    /// The target host (normalized: lower case, no brackets, no trailing dot).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The target's effective port.
    pub fn port(&self) -> u16 {
        self.port
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let target = authority(&self.host, self.port);
        match (&self.proxy, &self.reason) {
            (_, Reason::NoProxyConfigured { scheme }) => {
                write!(
                    f,
                    "direct to {target}: no proxy configured for {scheme} targets"
                )
            }
            (_, Reason::Loopback) => {
                write!(
                    f,
                    "direct to {target}: loopback targets never use the proxy"
                )
            }
            (_, Reason::NoProxyEntry { entry, origin }) => {
                write!(f, "direct to {target}: matches entry `{entry}` of {origin}")
            }
            (Some(proxy), Reason::Proxied { origin }) => write!(
                f,
                "via proxy {proxy} (from {origin}) to {target}: no noProxy entry matches {}",
                self.host
            ),
            (None, Reason::Proxied { origin }) => {
                write!(f, "via proxy (from {origin}) to {target}")
            }
        }
    }
}

#[cfg(test)]
mod tests;
