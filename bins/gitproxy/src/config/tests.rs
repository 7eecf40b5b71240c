//! Unit tests of configuration precedence, validation, error wording and secret redaction.

use std::collections::HashMap;
use std::time::Duration;

use super::{parse_duration, Config, Environment, LogFormat};
use crate::cli::GlobalArgs;
use crate::settings;

fn env(pairs: &[(&str, &str)]) -> Environment {
    Environment {
        vars: pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<HashMap<_, _>>(),
        stdout_is_terminal: false,
        memory_limit: None,
    }
}

fn resolve(flags: &GlobalArgs, pairs: &[(&str, &str)]) -> Result<Config, String> {
    Config::resolve(flags, &env(pairs)).map_err(|e| e.to_string())
}

#[test]
fn defaults_follow_the_contract() {
    let config = resolve(&GlobalArgs::default(), &[("HOSTNAME", "gitproxy-abc")]).expect("valid");
    assert_eq!(config.cloud_url.as_str(), "https://app.backline.ai/");
    assert_eq!(config.agent_id, "gitproxy-abc");
    assert_eq!(config.connections, 2);
    assert_eq!(config.branch_prefix, "gitproxy/");
    assert_eq!(config.listen.to_string(), "0.0.0.0:8080");
    assert_eq!(config.log_format, LogFormat::Json);
    assert_eq!(config.log_level, "info");
    assert_eq!(config.shutdown_grace, Duration::from_secs(30));
    assert!(config.access_key.is_none());
    assert!(config.connection().is_err());
    assert!(
        config.registries.is_empty(),
        "no package registry is contacted unless configured"
    );
}

#[test]
fn text_logs_on_a_terminal() {
    let mut e = env(&[]);
    e.stdout_is_terminal = true;
    let config = Config::resolve(&GlobalArgs::default(), &e).expect("valid");
    assert_eq!(config.log_format, LogFormat::Text);
}

#[test]
fn flags_beat_environment_which_beats_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("gitproxy.toml");
    std::fs::write(
        &file,
        "cloud_url = \"https://file.example\"\nagent_id = \"from-file\"\nconnections = 3\nproject = \"FILE\"\n",
    )
    .expect("write");
    let file_str = file.display().to_string();

    let only_file =
        resolve(&GlobalArgs::default(), &[("GITPROXY_CONFIG", &file_str)]).expect("valid");
    assert_eq!(only_file.cloud_url.as_str(), "https://file.example/");
    assert_eq!(only_file.agent_id, "from-file");
    assert_eq!(only_file.connections, 3);
    assert_eq!(only_file.bitbucket.project.as_deref(), Some("FILE"));

    let env_wins = resolve(
        &GlobalArgs::default(),
        &[
            ("GITPROXY_CONFIG", &file_str),
            ("GITPROXY_AGENT_ID", "from-env"),
            ("GITPROXY_BITBUCKET_PROJECT", "ENV"),
        ],
    )
    .expect("valid");
    assert_eq!(env_wins.agent_id, "from-env");
    assert_eq!(env_wins.bitbucket.project.as_deref(), Some("ENV"));
    assert_eq!(env_wins.connections, 3);

    let flags = GlobalArgs::default()
        .with(&settings::AGENT_ID, "from-flag")
        .with(&settings::CONNECTIONS, "4");
    let flag_wins = resolve(
        &flags,
        &[
            ("GITPROXY_CONFIG", &file_str),
            ("GITPROXY_AGENT_ID", "from-env"),
        ],
    )
    .expect("valid");
    assert_eq!(flag_wins.agent_id, "from-flag");
    assert_eq!(flag_wins.connections, 4);
}

#[test]
fn secrets_come_from_values_or_files_and_are_trimmed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let token = dir.path().join("token");
    std::fs::write(&token, "file-token\n").expect("write");
    let token_str = token.display().to_string();
    let from_file = resolve(
        &GlobalArgs::default(),
        &[("GITPROXY_BITBUCKET_TOKEN_FILE", &token_str)],
    )
    .expect("valid");
    assert_eq!(
        from_file.bitbucket.token.as_ref().map(|t| t.expose()),
        Some("file-token")
    );
    let value_wins = resolve(
        &GlobalArgs::default(),
        &[
            ("GITPROXY_BITBUCKET_TOKEN_FILE", &token_str),
            ("GITPROXY_BITBUCKET_TOKEN", "env-token"),
        ],
    )
    .expect("valid");
    assert_eq!(
        value_wins.bitbucket.token.as_ref().map(|t| t.expose()),
        Some("env-token")
    );
    let flags = GlobalArgs::default().with(&settings::BITBUCKET_TOKEN, &token);
    let flag_wins = resolve(&flags, &[("GITPROXY_BITBUCKET_TOKEN", "env-token")]).expect("valid");
    assert_eq!(
        flag_wins.bitbucket.token.as_ref().map(|t| t.expose()),
        Some("file-token")
    );
}

#[test]
fn secrets_never_show_in_debug_output() {
    let config = resolve(
        &GlobalArgs::default(),
        &[
            ("GITPROXY_ACCESS_KEY", "super-secret-access-key-123"),
            ("GITPROXY_BITBUCKET_TOKEN", "super-secret-token-456"),
            (
                "HTTPS_PROXY",
                "http://user:proxy-password-789@proxy.corp:3128",
            ),
        ],
    )
    .expect("valid");
    let debug = format!("{config:?}");
    assert!(!debug.contains("super-secret-access-key-123"), "{debug}");
    assert!(!debug.contains("super-secret-token-456"), "{debug}");
    assert!(!debug.contains("proxy-password-789"), "{debug}");
    assert!(debug.contains("[redacted]"));
}

#[test]
fn errors_name_the_setting_and_its_source() {
    type Case = (GlobalArgs, Vec<(&'static str, &'static str)>, &'static str);
    let cases: Vec<Case> = vec![
        (
            GlobalArgs::default(),
            vec![("GITPROXY_CUSTOM_CA_CERT", "!!!not base64!!!")],
            "GITPROXY_CUSTOM_CA_CERT (environment)",
        ),
        (
            GlobalArgs::default(),
            vec![("GITPROXY_SHUTDOWN_GRACE", "thirty")],
            "GITPROXY_SHUTDOWN_GRACE (environment): `thirty` is not a duration",
        ),
        (
            GlobalArgs::default().with(&settings::CONNECTIONS, "0"),
            vec![],
            "--connections (flag): `0` is not a number of connections",
        ),
        (
            GlobalArgs::default(),
            vec![("GITPROXY_CLOUD_URL", "http://insecure.example")],
            "GITPROXY_CLOUD_URL (environment): the cloud endpoint must use https",
        ),
        (
            GlobalArgs::default(),
            vec![("GITPROXY_LOG_FORMAT", "xml")],
            "GITPROXY_LOG_FORMAT (environment): `xml` is not a log format",
        ),
        (
            GlobalArgs::default(),
            vec![("GITPROXY_LISTEN", "port 80")],
            "GITPROXY_LISTEN (environment): `port 80` is not an address",
        ),
        (
            GlobalArgs::default(),
            vec![("GITPROXY_ACCESS_KEY_FILE", "/nonexistent/access-key")],
            "GITPROXY_ACCESS_KEY_FILE (environment): cannot read secret file /nonexistent/access-key",
        ),
        (
            GlobalArgs::default(),
            vec![("GITPROXY_BRANCH_PREFIX", "bot")],
            "GITPROXY_BRANCH_PREFIX (environment): `bot` is not a branch prefix",
        ),
        (
            GlobalArgs::default(),
            vec![("GITPROXY_BITBUCKET_URL", "https://user:pw@bitbucket.corp")],
            "GITPROXY_BITBUCKET_URL (environment): the URL must not carry credentials",
        ),
        (
            GlobalArgs::default(),
            vec![("HTTPS_PROXY", "socks5://proxy:1080")],
            "HTTPS_PROXY",
        ),
        (
            GlobalArgs::default().with(&settings::OSV_DIR, "/nonexistent/osv"),
            vec![],
            "--osv (flag): /nonexistent/osv is not a directory",
        ),
    ];
    for (flags, vars, expected) in cases {
        let error = resolve(&flags, &vars).expect_err(expected);
        assert!(
            error.contains(expected),
            "expected `{expected}` in `{error}`"
        );
        assert!(!error.ends_with('.'), "no trailing period: {error}");
    }
}

#[test]
fn file_errors_name_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("bad.toml");
    std::fs::write(&file, "colud_url = \"https://typo\"\n").expect("write");
    let flags = GlobalArgs::default().with(&settings::CONFIG, &file);
    let error = resolve(&flags, &[]).expect_err("unknown key");
    assert!(error.contains("--config (flag)"), "{error}");
    assert!(error.contains("colud_url"), "{error}");

    std::fs::write(&file, "shutdown_grace = \"forever\"\n").expect("write");
    let error = resolve(&flags, &[]).expect_err("bad grace");
    assert!(error.contains("shutdown_grace (file "), "{error}");
}

#[test]
fn custom_ca_cert_accepts_the_helm_base64_form() {
    let encoded = gitproxy_test_support::Pki::new("Corp Root CA")
        .expect("ca")
        .ca_base64();
    let config = resolve(
        &GlobalArgs::default(),
        &[("GITPROXY_CUSTOM_CA_CERT", &encoded)],
    )
    .expect("valid");
    assert_eq!(config.trust.extra_cas().len(), 1);
}

#[test]
fn the_advisory_memory_limit_is_two_fifths_of_the_container_limit_unless_set() {
    let with_limit = |limit: Option<u64>, pairs: &[(&str, &str)]| {
        let mut environment = env(pairs);
        environment.memory_limit = limit;
        Config::resolve(&GlobalArgs::default(), &environment)
            .map(|c| c.max_advisory_memory)
            .map_err(|e| e.to_string())
    };
    // The chart's 256Mi: 102 MiB, which with the largest scan measured (about 140 MiB besides
    // the data) stays under the limit.
    assert_eq!(with_limit(Some(256 << 20), &[]), Ok(107_374_182));
    assert_eq!(with_limit(Some(1 << 30), &[]), Ok(429_496_728));
    assert_eq!(with_limit(None, &[]), Ok(128 << 20));
    let set = |v: &str| with_limit(Some(256 << 20), &[("GITPROXY_MAX_ADVISORY_MEMORY", v)]);
    assert_eq!(set("192Mi"), Ok(192 << 20));
    assert_eq!(set("1Gi"), Ok(1 << 30));
    assert_eq!(set("67108864"), Ok(64 << 20));
    let e = set("8Mi").unwrap_err();
    assert!(
        e.contains("GITPROXY_MAX_ADVISORY_MEMORY")
            && e.contains("`8Mi` is not a memory size of at least 16 MiB; write it in bytes or like 192Mi or 1Gi"),
        "{e}"
    );
    assert!(set("lots").is_err() && set("99999999999999999999Gi").is_err());
    // What the cgroup files hold: a number, `max` (v2, no limit), or v1's "unlimited".
    use super::sources::cgroup_memory_limit;
    assert_eq!(cgroup_memory_limit("268435456\n"), Some(256 << 20));
    assert_eq!(cgroup_memory_limit("max\n"), None);
    assert_eq!(cgroup_memory_limit("9223372036854771712\n"), None);
    assert_eq!(cgroup_memory_limit(""), None);
}

#[test]
fn durations_parse_like_the_chart_writes_them() {
    assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
    assert_eq!(parse_duration("45"), Ok(Duration::from_secs(45)));
    assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
    assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
    assert!(parse_duration("1d").is_err());
    assert!(parse_duration("").is_err());
}

#[test]
fn incomplete_bitbucket_settings_name_what_is_missing() {
    let config = resolve(
        &GlobalArgs::default(),
        &[("GITPROXY_BITBUCKET_URL", "https://bitbucket.corp")],
    )
    .expect("valid");
    let error = config.connection().expect_err("incomplete").to_string();
    assert!(error.contains("GITPROXY_BITBUCKET_USERNAME"), "{error}");
    assert!(error.contains("GITPROXY_BITBUCKET_TOKEN"), "{error}");
    assert!(error.contains("GITPROXY_BITBUCKET_PROJECT"), "{error}");
    assert!(!error.contains("GITPROXY_BITBUCKET_URL"), "{error}");
}

#[test]
fn loopback_bypasses_the_proxy_unless_told_otherwise() {
    let base = [("HTTPS_PROXY", "http://proxy.corp:3128")];
    let config = resolve(&GlobalArgs::default(), &base).expect("valid");
    assert!(config.proxy.bypasses_loopback());
    let through = [
        ("HTTPS_PROXY", "http://proxy.corp:3128"),
        ("GITPROXY_PROXY_LOOPBACK", "true"),
    ];
    let config = resolve(&GlobalArgs::default(), &through).expect("valid");
    assert!(!config.proxy.bypasses_loopback());
    let bad = resolve(
        &GlobalArgs::default(),
        &[("GITPROXY_PROXY_LOOPBACK", "yes please")],
    )
    .expect_err("invalid");
    assert!(
        bad.contains("GITPROXY_PROXY_LOOPBACK (environment): `yes please` is not a boolean"),
        "{bad}"
    );
}

#[test]
fn registries_come_from_the_list_the_file_table_or_public() {
    use gitproxy_remediation::Ecosystem;
    let shown = |c: &Config| -> Vec<String> {
        c.registries
            .configured()
            .map(|(e, u)| format!("{e}={u}"))
            .collect()
    };
    let config = resolve(
        &GlobalArgs::default(),
        &[(
            "GITPROXY_REGISTRIES",
            "npm=https://npm.mirror.example/repo, crates.io=https://index.crates.io/,golang=http://goproxy.internal:8081",
        )],
    )
    .expect("valid");
    assert_eq!(
        shown(&config),
        vec![
            "npm=https://npm.mirror.example/repo/",
            "crates.io=https://index.crates.io/",
            "Go=http://goproxy.internal:8081/",
        ]
    );
    // `public` names every ecosystem; a later entry replaces one of them; the flag beats the environment.
    let flags = GlobalArgs::default().with(
        &settings::REGISTRIES,
        "public,npm=https://npm.mirror.example/",
    );
    let config = resolve(&flags, &[("GITPROXY_REGISTRIES", "none")]).expect("valid");
    assert_eq!(
        config.registries.configured().count(),
        gitproxy_remediation::registry::RegistryUrls::public()
            .configured()
            .count()
    );
    assert_eq!(
        config.registries.get(Ecosystem::Npm).map(url::Url::as_str),
        Some("https://npm.mirror.example/")
    );
    assert_eq!(
        config.registries.get(Ecosystem::PyPI).map(url::Url::as_str),
        Some("https://pypi.org/")
    );
    // The TOML file takes the list or a table.
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("gitproxy.toml");
    std::fs::write(
        &file,
        "[registries]\nPyPI = \"https://pypi.mirror.example/\"\nMaven = \"https://maven.mirror.example/m2\"\n",
    )
    .expect("write");
    let config =
        resolve(&GlobalArgs::default().with(&settings::CONFIG, &file), &[]).expect("valid");
    assert_eq!(
        shown(&config),
        vec![
            "PyPI=https://pypi.mirror.example/",
            "Maven=https://maven.mirror.example/m2/",
        ]
    );
}

#[test]
fn bad_registries_name_the_setting_and_the_fix() {
    let bad = |value: &str| {
        resolve(&GlobalArgs::default(), &[("GITPROXY_REGISTRIES", value)]).unwrap_err()
    };
    let e = bad("hex=https://hex.pm/");
    assert!(
        e.starts_with("GITPROXY_REGISTRIES (environment): `hex` is not an ecosystem; use npm, crates.io, PyPI, Go, Maven, NuGet, RubyGems or Packagist"),
        "{e}"
    );
    let e = bad("https://registry.npmjs.org/");
    assert!(
        e.contains("is not a registry entry; write ECOSYSTEM=URL"),
        "{e}"
    );
    let e = bad("https://deploy:hunter2@mirror.example/");
    assert!(
        e.contains("`https://***@mirror.example/` is not a registry entry"),
        "{e}"
    );
    let e = bad("npm=ftp://mirror.example/");
    assert!(
        e.contains("invalid npm registry URL: scheme `ftp` is not http or https"),
        "{e}"
    );
    let e = bad("npm=https://deploy:hunter2@mirror.example/");
    assert!(
        e.contains("the npm registry URL must not carry credentials"),
        "{e}"
    );
    assert!(
        !e.contains("hunter2"),
        "the password must not be echoed: {e}"
    );
}

#[test]
fn a_registry_url_with_a_credential_query_is_refused_without_its_value() {
    for url in [
        "https://npm.mirror.example/?token=sekrit-1",
        "https://npm.mirror.example/repo?a=1&Access_Token=sekrit-1",
        "https://npm.mirror.example/?sig=sekrit-1",
        "https://npm.mirror.example/?x_api_key=sekrit-1",
    ] {
        let list = format!("npm={url}");
        let message = resolve(&GlobalArgs::default(), &[("GITPROXY_REGISTRIES", &list)])
            .expect_err("refused");
        assert!(
            message.starts_with("GITPROXY_REGISTRIES (environment): "),
            "{message}"
        );
        assert!(
            message.contains("must not carry credentials (query parameter"),
            "{message}"
        );
        assert!(!message.contains("sekrit"), "{message}");
    }
    let plain = resolve(
        &GlobalArgs::default(),
        &[(
            "GITPROXY_REGISTRIES",
            "npm=https://npm.mirror.example/?ref=main",
        )],
    );
    assert!(plain.is_ok(), "{plain:?}");
    let message = resolve(
        &GlobalArgs::default(),
        &[(
            "GITPROXY_BITBUCKET_URL",
            "https://bitbucket.corp/?password=sekrit-1",
        )],
    )
    .expect_err("refused");
    assert!(!message.contains("sekrit"), "{message}");
}

#[test]
fn toml_errors_carry_line_and_column() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("gitproxy.toml");
    std::fs::write(
        &file,
        "cloud_url = \"https://a.example\"\nconnections = \"two\"\n",
    )
    .expect("write");
    let flags = GlobalArgs::default().with(&settings::CONFIG, &file);
    let message = resolve(&flags, &[]).expect_err("invalid");
    assert!(message.contains("at line 2, column 15"), "{message}");
}

#[test]
fn an_explicit_proxy_is_named_by_its_setting() {
    let flags = GlobalArgs::default().with(&settings::HTTPS_PROXY, "socks5://proxy:1080");
    let message = resolve(&flags, &[]).expect_err("invalid");
    assert!(
        message.starts_with("invalid proxy URL in --https-proxy (flag): "),
        "{message}"
    );
}

#[test]
fn secrets_from_files_are_checked_like_values() {
    let dir = tempfile::tempdir().expect("tempdir");
    let token = dir.path().join("token");
    std::fs::write(&token, "first-line\nsekrit-second\n").expect("write");
    let message = resolve(
        &GlobalArgs::default(),
        &[(
            "GITPROXY_BITBUCKET_TOKEN_FILE",
            token.to_str().expect("utf-8"),
        )],
    )
    .expect_err("refused");
    assert!(
        message.starts_with(
            "GITPROXY_BITBUCKET_TOKEN_FILE (environment): the secret holds a line break"
        ),
        "{message}"
    );
    assert!(!message.contains("sekrit"), "{message}");
}

#[test]
fn every_toml_key_of_the_table_is_read_from_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let secret = dir.path().join("secret");
    std::fs::write(&secret, "file-secret\n").expect("write");
    let ca = dir.path().join("ca.pem");
    let pki = gitproxy_test_support::Pki::new("Corp Root CA").expect("ca");
    std::fs::write(&ca, pki.ca_pem()).expect("write");
    let file = dir.path().join("gitproxy.toml");
    let (secret, ca, osv) = (secret.display(), ca.display(), dir.path().display());
    std::fs::write(
        &file,
        format!(
            "cloud_url = \"https://cloud.example\"\naccess_key_file = \"{secret}\"\n\
             agent_id = \"agent-1\"\nconnections = 5\nmax_file_bytes = 2048\n\
             https_proxy = \"http://proxy.corp:3128\"\nhttp_proxy = \"http://proxy.corp:3129\"\n\
             no_proxy = \"bitbucket.corp\"\ncustom_ca_cert_file = \"{ca}\"\n\
             bitbucket_url = \"https://bitbucket.corp\"\nbitbucket_username = \"bot\"\n\
             bitbucket_token_file = \"{secret}\"\nproject = \"PROJ\"\nbranch_prefix = \"bot/\"\n\
             listen = \"127.0.0.1:9090\"\nlog_format = \"text\"\nlog_level = \"debug\"\n\
             shutdown_grace = \"2m\"\nosv_dir = \"{osv}\"\nregistries = \"public\"\n\
             max_advisory_memory = 201326592\n"
        ),
    )
    .expect("write");
    let flags = GlobalArgs::default().with(&settings::CONFIG, &file);
    let config = resolve(&flags, &[]).expect("valid");
    assert_eq!(config.cloud_url.as_str(), "https://cloud.example/");
    assert_eq!(
        config.access_key.as_ref().map(|k| k.expose()),
        Some("file-secret")
    );
    assert_eq!(config.agent_id, "agent-1");
    assert_eq!(config.connections, 5);
    assert_eq!(config.scan.max_file_bytes, 2048);
    let proxy = |c: &Config, url: &str| c.proxy.explain(&url::Url::parse(url).expect("url"));
    assert!(!proxy(&config, "https://cloud.example/").is_direct());
    assert!(proxy(&config, "https://bitbucket.corp/").is_direct());
    assert_eq!(config.trust.extra_cas().len(), 1);
    assert!(config.connection().is_ok());
    assert_eq!(config.branch_prefix, "bot/");
    assert_eq!(config.listen.to_string(), "127.0.0.1:9090");
    assert_eq!(config.log_format, LogFormat::Text);
    assert_eq!(config.log_level, "debug");
    assert_eq!(config.shutdown_grace, Duration::from_secs(120));
    assert_eq!(config.osv_dir.as_deref(), Some(dir.path()));
    assert_eq!(config.max_advisory_memory, 192 << 20);
    assert_eq!(
        config.registries.configured().count(),
        gitproxy_remediation::registry::RegistryUrls::public()
            .configured()
            .count()
    );
}

#[test]
fn ci_servers_take_their_credentials_and_never_show_them() {
    let config = resolve(
        &GlobalArgs::default(),
        &[
            ("HOSTNAME", "h"),
            (
                "GITPROXY_CI_SERVERS",
                "jenkins=https://ci.example.com/jenkins,bamboo=https://bamboo.example.com/",
            ),
            ("GITPROXY_JENKINS_USERNAME", "ci-bot"),
            ("GITPROXY_JENKINS_TOKEN", "jenkins-api-token-1"),
            ("GITPROXY_BAMBOO_TOKEN", "bamboo-pat-1"),
        ],
    )
    .expect("valid");
    let servers = &config.ci_servers.servers;
    assert_eq!(servers.len(), 2);
    assert!(servers.iter().all(|s| s.credential.is_some()));
    let shown = format!("{config:?}");
    assert!(shown.contains("ci-bot"));
    for secret in ["jenkins-api-token-1", "bamboo-pat-1"] {
        assert!(!shown.contains(secret), "{shown}");
    }
    // None configured by default.
    let config = resolve(&GlobalArgs::default(), &[("HOSTNAME", "h")]).expect("valid");
    assert!(config.ci_servers.is_empty());
}

#[test]
fn ci_server_errors_say_what_to_set() {
    let err = resolve(
        &GlobalArgs::default(),
        &[
            ("HOSTNAME", "h"),
            ("GITPROXY_CI_SERVERS", "jenkins=https://ci.example.com/"),
            ("GITPROXY_JENKINS_TOKEN", "jenkins-api-token-1"),
        ],
    )
    .unwrap_err();
    assert!(
        err.contains("the Jenkins API token needs its user; set --jenkins-username / GITPROXY_JENKINS_USERNAME"),
        "{err}"
    );
    assert!(!err.contains("jenkins-api-token-1"), "{err}");
    let err = resolve(
        &GlobalArgs::default(),
        &[
            ("HOSTNAME", "h"),
            ("GITPROXY_CI_SERVERS", "teamcity=https://tc.example.com/"),
        ],
    )
    .unwrap_err();
    assert!(
        err.starts_with("GITPROXY_CI_SERVERS (environment): "),
        "{err}"
    );
    assert!(err.contains("write jenkins=URL or bamboo=URL"), "{err}");
}
