//! The settings table: every setting's flag, environment variables, TOML keys, Helm value and
//! default, declared once; the global flags are built from it, `config` resolves and reads the
//! TOML file by these names, `gitproxy settings --json` prints it, and tests check
//! docs/configuration.md against it.

use serde::Serialize;

/// One setting and every name it goes by.
#[derive(Debug, Clone, Copy, Serialize)]
pub(crate) struct Setting {
    /// What it is, in a few words (the first column of docs/configuration.md).
    pub(crate) what: &'static str,
    /// The command-line flag without `--` (`None`: environment only).
    pub(crate) flag: Option<&'static str>,
    /// The environment variable holding the value.
    pub(crate) env: Option<&'static str>,
    /// The environment variable naming a file that holds the value (`*_FILE`).
    pub(crate) env_file: Option<&'static str>,
    /// Other spellings of `env` read too (the lower-case proxy variables).
    pub(crate) env_aliases: &'static [&'static str],
    /// The TOML key holding the value.
    pub(crate) toml: Option<&'static str>,
    /// The TOML key naming a file that holds the value.
    pub(crate) toml_file: Option<&'static str>,
    /// The Helm value that sets it, if any.
    pub(crate) helm: Option<&'static str>,
    /// Whether the value is a secret (never printed).
    pub(crate) secret: bool,
    /// The default, as shown to people.
    pub(crate) default: &'static str,
    /// The `--help` text.
    pub(crate) help: &'static str,
    /// The flag's value in `--help`; `FILE` and `DIR` flags take paths.
    #[serde(skip)]
    pub(crate) value_name: &'static str,
    /// The type of the `toml` key's value (a `toml_file` key is always a path).
    #[serde(skip)]
    pub(crate) kind: Kind,
}

/// The TOML type of a setting's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A string.
    Text,
    /// A string naming a file or directory.
    Path,
    /// A count (`u32`).
    Count,
    /// A size in bytes (`u64`).
    Bytes,
    /// The registries list: a string, or a table of ecosystem = URL.
    Registries,
}

/// A setting with only its description; the table fills in its names.
const fn setting(what: &'static str, help: &'static str) -> Setting {
    Setting {
        what,
        flag: None,
        env: None,
        env_file: None,
        env_aliases: &[],
        toml: None,
        toml_file: None,
        helm: None,
        secret: false,
        default: "none",
        help,
        value_name: "VALUE",
        kind: Kind::Text,
    }
}

/// Declares each setting as a constant (`what`, `--help` text, then the names it has) and
/// [`ALL`], in the order given.
macro_rules! settings {
    ($($name:ident = $what:literal, $help:literal { $($field:ident: $value:expr),* $(,)? })*) => {
        $(#[doc = concat!("The setting: ", $what, ".")]
        pub(crate) const $name: Setting = Setting { $($field: $value,)* ..setting($what, $help) };)*
        /// Every setting, in the order of docs/configuration.md.
        pub(crate) const ALL: &[Setting] = &[$($name),*];
    };
}

settings! {
    CONFIG = "configuration file", "TOML configuration file" {
        flag: Some("config"), value_name: "FILE", env: Some("GITPROXY_CONFIG") }
    CLOUD_URL = "cloud endpoint", "Cloud endpoint" {
        flag: Some("cloud-url"), value_name: "URL", env: Some("GITPROXY_CLOUD_URL"), toml: Some("cloud_url"),
        helm: Some("cloud.url"), default: "https://app.backline.ai" }
    ACCESS_KEY = "access key", "File holding the cloud access key" {
        flag: Some("access-key-file"), value_name: "FILE", env: Some("GITPROXY_ACCESS_KEY"),
        env_file: Some("GITPROXY_ACCESS_KEY_FILE"), toml_file: Some("access_key_file"),
        helm: Some("gitproxy.accessKey"), secret: true }
    AGENT_ID = "agent id", "This replica's id" {
        flag: Some("agent-id"), value_name: "ID", env: Some("GITPROXY_AGENT_ID"), toml: Some("agent_id"),
        default: "the host name" }
    CONNECTIONS = "tunnel connections", "Tunnel connections to the cloud (1 to 16)" {
        flag: Some("connections"), value_name: "N", env: Some("GITPROXY_CONNECTIONS"), toml: Some("connections"),
        kind: Kind::Count, helm: Some("gitproxy.connections"), default: "2" }
    HTTPS_PROXY = "https proxy", "Proxy for https targets" {
        flag: Some("https-proxy"), value_name: "URL", env: Some("HTTPS_PROXY"), env_aliases: &["https_proxy"],
        toml: Some("https_proxy"), helm: Some("proxy.httpsProxy") }
    HTTP_PROXY = "http proxy", "Proxy for http targets" {
        flag: Some("http-proxy"), value_name: "URL", env: Some("HTTP_PROXY"), env_aliases: &["http_proxy"],
        toml: Some("http_proxy"), helm: Some("proxy.httpProxy") }
    ALL_PROXY = "proxy for both schemes", "Proxy for https and http targets without their own" {
        env: Some("ALL_PROXY"), env_aliases: &["all_proxy"] }
    NO_PROXY = "hosts reached directly", "Hosts reached directly, comma separated" {
        flag: Some("no-proxy"), value_name: "LIST", env: Some("NO_PROXY"), env_aliases: &["no_proxy"],
        toml: Some("no_proxy"), helm: Some("proxy.noProxy") }
    PROXY_LOOPBACK = "loopback through the proxy", "Send loopback targets through the proxy (tests only)" {
        env: Some("GITPROXY_PROXY_LOOPBACK"), default: "false" }
    CUSTOM_CA_CERT = "internal CA", "PEM file of the internal CA" {
        flag: Some("custom-ca-cert-file"), value_name: "FILE", env: Some("GITPROXY_CUSTOM_CA_CERT"),
        env_file: Some("GITPROXY_CUSTOM_CA_CERT_FILE"), toml: Some("custom_ca_cert"),
        toml_file: Some("custom_ca_cert_file"), helm: Some("customCaCert") }
    PLATFORM_ROOTS = "platform roots", "PEM bundle replacing the system trust store" {
        env: Some("SSL_CERT_FILE"), env_aliases: &["SSL_CERT_DIR"], default: "the system store" }
    BITBUCKET_URL = "Bitbucket URL", "Bitbucket Data Center base URL" {
        flag: Some("bitbucket-url"), value_name: "URL", env: Some("GITPROXY_BITBUCKET_URL"),
        toml: Some("bitbucket_url"), helm: Some("bitbucket.existingSecret"), default: "none (sent by the cloud)" }
    BITBUCKET_USERNAME = "Bitbucket username", "Bitbucket username" {
        flag: Some("bitbucket-username"), value_name: "NAME", env: Some("GITPROXY_BITBUCKET_USERNAME"),
        toml: Some("bitbucket_username"), helm: Some("bitbucket.existingSecret") }
    BITBUCKET_TOKEN = "Bitbucket token", "File holding the Bitbucket HTTP access token" {
        flag: Some("bitbucket-token-file"), value_name: "FILE", env: Some("GITPROXY_BITBUCKET_TOKEN"),
        env_file: Some("GITPROXY_BITBUCKET_TOKEN_FILE"), toml_file: Some("bitbucket_token_file"),
        helm: Some("bitbucket.existingSecret"), secret: true }
    BITBUCKET_PROJECT = "Bitbucket project key", "Bitbucket project key" {
        flag: Some("project"), value_name: "KEY", env: Some("GITPROXY_BITBUCKET_PROJECT"), toml: Some("project"),
        helm: Some("bitbucket.existingSecret") }
    BRANCH_PREFIX = "branch prefix", "Prefix of every branch the agent creates, ending with /" {
        flag: Some("branch-prefix"), value_name: "PREFIX", env: Some("GITPROXY_BRANCH_PREFIX"),
        toml: Some("branch_prefix"), helm: Some("gitproxy.branchPrefix"), default: "gitproxy/" }
    LISTEN = "probes and metrics", "Probe and metrics listener" {
        flag: Some("listen"), value_name: "ADDR", env: Some("GITPROXY_LISTEN"), toml: Some("listen"),
        default: "0.0.0.0:8080" }
    LOG_FORMAT = "log format", "`json` or `text`" {
        flag: Some("log-format"), value_name: "FORMAT", env: Some("GITPROXY_LOG_FORMAT"), toml: Some("log_format"),
        helm: Some("gitproxy.logFormat"), default: "json unless stdout is a terminal" }
    LOG_LEVEL = "log filter", "Log filter, e.g. `info` or `gitproxy=debug`" {
        flag: Some("log-level"), value_name: "FILTER", env: Some("GITPROXY_LOG"), toml: Some("log_level"),
        helm: Some("gitproxy.logLevel"), default: "info" }
    SHUTDOWN_GRACE = "shutdown grace", "Time to finish in-flight operations on SIGTERM, e.g. `30s`" {
        flag: Some("shutdown-grace"), value_name: "DURATION", env: Some("GITPROXY_SHUTDOWN_GRACE"),
        toml: Some("shutdown_grace"), helm: Some("gitproxy.shutdownGraceSeconds"), default: "30s" }
    OSV_DIR = "OSV data", "OSV data directory (`<ECOSYSTEM>/all.zip` or `*.json` records)" {
        flag: Some("osv"), value_name: "DIR", env: Some("GITPROXY_OSV_DIR"), toml: Some("osv_dir"),
        kind: Kind::Path, helm: Some("osv.dir") }
    ADVISORY_STORE = "advisory store", "Writable directory where advisory data synced from the cloud and its watermarks are kept across restarts" {
        flag: Some("advisory-store"), value_name: "DIR", env: Some("GITPROXY_ADVISORY_STORE_DIR"),
        toml: Some("advisory_store_dir"), kind: Kind::Path, helm: Some("advisories.store"), default: "none, synced data is kept in memory only" }
    MAX_ADVISORY_AGE = "max advisory age", "Age of the advisory data past which scans report `stale advisory data` (they still run), e.g. `7d` or `36h`" {
        flag: Some("max-advisory-age"), value_name: "DURATION", env: Some("GITPROXY_MAX_ADVISORY_AGE"),
        toml: Some("max_advisory_age"), helm: Some("advisories.maxAge"), default: "7d" }
    MAX_ADVISORY_MEMORY = "advisory memory limit", "Most memory the advisory data may take while a sync is applied (the data held plus the batch's records), in bytes or with a `Ki`, `Mi` or `Gi` suffix; a larger sync is refused with what to raise" {
        flag: Some("max-advisory-memory"), value_name: "BYTES", env: Some("GITPROXY_MAX_ADVISORY_MEMORY"),
        toml: Some("max_advisory_memory"), kind: Kind::Bytes, helm: Some("advisories.maxMemory"),
        default: "40 % of the container's memory limit (cgroup `memory.max`), 128 MiB without one" }
    OSV_MIRROR = "OSV mirror", "Base URL of a local mirror of osv.dev's exports (`<ECOSYSTEM>/all.zip`, `modified_id.csv`, `<ID>.json`) polled for advisory data through the egress rules; opt-in, the cloud cannot set it" {
        flag: Some("osv-mirror"), value_name: "URL", env: Some("GITPROXY_OSV_MIRROR"),
        toml: Some("osv_mirror"), helm: Some("advisories.mirror.url"), default: "none, advisory data comes from the cloud only" }
    OSV_MIRROR_INTERVAL = "OSV mirror interval", "Time between two polls of the OSV mirror, at least 1m" {
        flag: Some("osv-mirror-interval"), value_name: "DURATION", env: Some("GITPROXY_OSV_MIRROR_INTERVAL"),
        toml: Some("osv_mirror_interval"), helm: Some("advisories.mirror.interval"), default: "1h" }
    MAX_FILE_BYTES = "largest file scanned", "Largest manifest or lockfile read, in bytes; a larger file is reported as a problem of that file and the scan goes on" {
        flag: Some("max-file-bytes"), value_name: "BYTES", env: Some("GITPROXY_MAX_FILE_BYTES"),
        toml: Some("max_file_bytes"), kind: Kind::Bytes, default: "67108864 (64 MiB)" }
    REGISTRIES = "package registries", "Package registries asked for releases and lockfile checksums, comma separated `ECOSYSTEM=URL` entries (npm, crates.io, PyPI, Go, Maven, NuGet, RubyGems, Packagist) or `public`" {
        flag: Some("registries"), value_name: "LIST", env: Some("GITPROXY_REGISTRIES"), toml: Some("registries"),
        kind: Kind::Registries, helm: Some("registries"), default: "none, no registry is contacted" }
    CI_SERVERS = "CI servers", "CI servers whose job logs are quoted when a build of a remediation pull request fails, comma separated `jenkins=URL` / `bamboo=URL` entries" {
        flag: Some("ci-servers"), value_name: "LIST", env: Some("GITPROXY_CI_SERVERS"), toml: Some("ci_servers"),
        helm: Some("ciServers"), default: "none, no CI server is contacted" }
    JENKINS_USERNAME = "Jenkins user", "Jenkins user whose API token reads job logs" {
        flag: Some("jenkins-username"), value_name: "NAME", env: Some("GITPROXY_JENKINS_USERNAME"),
        toml: Some("jenkins_username"), helm: Some("ciServers.existingSecret") }
    JENKINS_TOKEN = "Jenkins API token", "File holding the Jenkins API token" {
        flag: Some("jenkins-token-file"), value_name: "FILE", env: Some("GITPROXY_JENKINS_TOKEN"),
        env_file: Some("GITPROXY_JENKINS_TOKEN_FILE"), toml_file: Some("jenkins_token_file"),
        helm: Some("ciServers.existingSecret"), secret: true }
    BAMBOO_TOKEN = "Bamboo token", "File holding the Bamboo personal access token" {
        flag: Some("bamboo-token-file"), value_name: "FILE", env: Some("GITPROXY_BAMBOO_TOKEN"),
        env_file: Some("GITPROXY_BAMBOO_TOKEN_FILE"), toml_file: Some("bamboo_token_file"),
        helm: Some("ciServers.existingSecret"), secret: true }
}

/// The host name, the default agent id (not a setting of its own).
pub(crate) const HOSTNAME: &str = "HOSTNAME";

impl Setting {
    /// Every environment variable of this setting.
    pub(crate) fn env_vars(&self) -> impl Iterator<Item = &'static str> {
        self.env
            .into_iter()
            .chain(self.env_file)
            .chain(self.env_aliases.iter().copied())
    }

    /// Every TOML key of this setting.
    pub(crate) fn toml_keys(&self) -> impl Iterator<Item = &'static str> {
        self.toml.into_iter().chain(self.toml_file)
    }

    /// The `--help` line: the text, the environment variables and the default.
    fn long_help(&self) -> String {
        let vars = self.env_vars().collect::<Vec<_>>().join(" / ");
        let mut text = format!("{} [env: {vars}]", self.help);
        if self.default != "none" {
            text.push_str(&format!(" [default: {}]", self.default));
        }
        text
    }

    /// The global flag of this setting, if it has one; a `FILE` or `DIR` flag keeps its path as
    /// given, even if it is not UTF-8.
    pub(crate) fn arg(&self) -> Option<clap::Arg> {
        let arg = clap::Arg::new(self.flag?)
            .long(self.flag?)
            .global(true)
            .value_name(self.value_name)
            .help(self.long_help());
        Some(match self.value_name {
            "FILE" | "DIR" => arg.value_parser(clap::value_parser!(std::path::PathBuf)),
            _ => arg,
        })
    }

    /// `--flag / ENV / ENV_FILE`, for messages that tell people what to set.
    pub(crate) fn names(&self) -> String {
        self.flag
            .map(|f| format!("--{f}"))
            .into_iter()
            .chain(self.env.into_iter().chain(self.env_file).map(str::to_owned))
            .collect::<Vec<_>>()
            .join(" / ")
    }
}

/// Every environment variable gitproxy reads: the only ones it looks at.
pub(crate) fn env_vars() -> impl Iterator<Item = &'static str> {
    ALL.iter()
        .flat_map(Setting::env_vars)
        .chain(std::iter::once(HOSTNAME))
}

/// The table as JSON, for `gitproxy settings --json` (read by the chart checks).
pub(crate) fn to_json() -> serde_json::Value {
    serde_json::to_value(ALL).unwrap_or_default()
}

#[cfg(test)]
mod tests;
