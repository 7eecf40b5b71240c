//! The settings table: every setting's flag, environment variables, TOML keys, Helm value and
//! default, declared once; `config` resolves by these names, `--help` and `gitproxy settings --json`
//! print them, and tests check docs/configuration.md against them.

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
}

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
    }
}

/// `--config`: the TOML file itself.
pub(crate) const CONFIG: Setting = Setting {
    flag: Some("config"),
    env: Some("GITPROXY_CONFIG"),
    ..setting("configuration file", "TOML configuration file")
};
/// The cloud endpoint.
pub(crate) const CLOUD_URL: Setting = Setting {
    flag: Some("cloud-url"),
    env: Some("GITPROXY_CLOUD_URL"),
    toml: Some("cloud_url"),
    helm: Some("cloud.url"),
    default: "https://app.backline.ai",
    ..setting("cloud endpoint", "Cloud endpoint")
};
/// The cloud access key.
pub(crate) const ACCESS_KEY: Setting = Setting {
    flag: Some("access-key-file"),
    env: Some("GITPROXY_ACCESS_KEY"),
    env_file: Some("GITPROXY_ACCESS_KEY_FILE"),
    toml_file: Some("access_key_file"),
    helm: Some("gitproxy.accessKey"),
    secret: true,
    ..setting("access key", "File holding the cloud access key")
};
/// This replica's id.
pub(crate) const AGENT_ID: Setting = Setting {
    flag: Some("agent-id"),
    env: Some("GITPROXY_AGENT_ID"),
    toml: Some("agent_id"),
    default: "the host name",
    ..setting("agent id", "This replica's id")
};
/// Tunnel connections.
pub(crate) const CONNECTIONS: Setting = Setting {
    flag: Some("connections"),
    env: Some("GITPROXY_CONNECTIONS"),
    toml: Some("connections"),
    helm: Some("gitproxy.connections"),
    default: "2",
    ..setting(
        "tunnel connections",
        "Tunnel connections to the cloud (1 to 16)",
    )
};
/// The proxy for https targets.
pub(crate) const HTTPS_PROXY: Setting = Setting {
    flag: Some("https-proxy"),
    env: Some("HTTPS_PROXY"),
    env_aliases: &["https_proxy"],
    toml: Some("https_proxy"),
    helm: Some("proxy.httpsProxy"),
    ..setting("https proxy", "Proxy for https targets")
};
/// The proxy for http targets.
pub(crate) const HTTP_PROXY: Setting = Setting {
    flag: Some("http-proxy"),
    env: Some("HTTP_PROXY"),
    env_aliases: &["http_proxy"],
    toml: Some("http_proxy"),
    helm: Some("proxy.httpProxy"),
    ..setting("http proxy", "Proxy for http targets")
};
/// The proxy for both schemes when neither scheme's own is set.
pub(crate) const ALL_PROXY: Setting = Setting {
    env: Some("ALL_PROXY"),
    env_aliases: &["all_proxy"],
    ..setting(
        "proxy for both schemes",
        "Proxy for https and http targets without their own",
    )
};
/// Hosts reached directly.
pub(crate) const NO_PROXY: Setting = Setting {
    flag: Some("no-proxy"),
    env: Some("NO_PROXY"),
    env_aliases: &["no_proxy"],
    toml: Some("no_proxy"),
    helm: Some("proxy.noProxy"),
    ..setting(
        "hosts reached directly",
        "Hosts reached directly, comma separated",
    )
};
/// Loopback targets through the proxy (tests only).
pub(crate) const PROXY_LOOPBACK: Setting = Setting {
    env: Some("GITPROXY_PROXY_LOOPBACK"),
    default: "false",
    ..setting(
        "loopback through the proxy",
        "Send loopback targets through the proxy (tests only)",
    )
};
/// The internal CA.
pub(crate) const CUSTOM_CA_CERT: Setting = Setting {
    flag: Some("custom-ca-cert-file"),
    env: Some("GITPROXY_CUSTOM_CA_CERT"),
    env_file: Some("GITPROXY_CUSTOM_CA_CERT_FILE"),
    toml: Some("custom_ca_cert"),
    toml_file: Some("custom_ca_cert_file"),
    helm: Some("customCaCert"),
    ..setting("internal CA", "PEM file of the internal CA")
};
/// The platform trust store's location.
pub(crate) const PLATFORM_ROOTS: Setting = Setting {
    env: Some("SSL_CERT_FILE"),
    env_aliases: &["SSL_CERT_DIR"],
    default: "the system store",
    ..setting(
        "platform roots",
        "PEM bundle replacing the system trust store",
    )
};
/// Bitbucket's base URL.
pub(crate) const BITBUCKET_URL: Setting = Setting {
    flag: Some("bitbucket-url"),
    env: Some("GITPROXY_BITBUCKET_URL"),
    toml: Some("bitbucket_url"),
    helm: Some("bitbucket.existingSecret"),
    default: "none (sent by the cloud)",
    ..setting("Bitbucket URL", "Bitbucket Data Center base URL")
};
/// The Bitbucket user.
pub(crate) const BITBUCKET_USERNAME: Setting = Setting {
    flag: Some("bitbucket-username"),
    env: Some("GITPROXY_BITBUCKET_USERNAME"),
    toml: Some("bitbucket_username"),
    helm: Some("bitbucket.existingSecret"),
    ..setting("Bitbucket username", "Bitbucket username")
};
/// The Bitbucket HTTP access token.
pub(crate) const BITBUCKET_TOKEN: Setting = Setting {
    flag: Some("bitbucket-token-file"),
    env: Some("GITPROXY_BITBUCKET_TOKEN"),
    env_file: Some("GITPROXY_BITBUCKET_TOKEN_FILE"),
    toml_file: Some("bitbucket_token_file"),
    helm: Some("bitbucket.existingSecret"),
    secret: true,
    ..setting(
        "Bitbucket token",
        "File holding the Bitbucket HTTP access token",
    )
};
/// The Bitbucket project key.
pub(crate) const BITBUCKET_PROJECT: Setting = Setting {
    flag: Some("project"),
    env: Some("GITPROXY_BITBUCKET_PROJECT"),
    toml: Some("project"),
    helm: Some("bitbucket.existingSecret"),
    ..setting("Bitbucket project key", "Bitbucket project key")
};
/// The prefix of every branch the agent writes.
pub(crate) const BRANCH_PREFIX: Setting = Setting {
    flag: Some("branch-prefix"),
    env: Some("GITPROXY_BRANCH_PREFIX"),
    toml: Some("branch_prefix"),
    helm: Some("gitproxy.branchPrefix"),
    default: "gitproxy/",
    ..setting(
        "branch prefix",
        "Prefix of every branch the agent creates, ending with /",
    )
};
/// The probe and metrics listener.
pub(crate) const LISTEN: Setting = Setting {
    flag: Some("listen"),
    env: Some("GITPROXY_LISTEN"),
    toml: Some("listen"),
    default: "0.0.0.0:8080",
    ..setting("probes and metrics", "Probe and metrics listener")
};
/// The log format.
pub(crate) const LOG_FORMAT: Setting = Setting {
    flag: Some("log-format"),
    env: Some("GITPROXY_LOG_FORMAT"),
    toml: Some("log_format"),
    helm: Some("gitproxy.logFormat"),
    default: "json unless stdout is a terminal",
    ..setting("log format", "`json` or `text`")
};
/// The log filter.
pub(crate) const LOG_LEVEL: Setting = Setting {
    flag: Some("log-level"),
    env: Some("GITPROXY_LOG"),
    toml: Some("log_level"),
    helm: Some("gitproxy.logLevel"),
    default: "info",
    ..setting("log filter", "Log filter, e.g. `info` or `gitproxy=debug`")
};
/// The shutdown grace period.
pub(crate) const SHUTDOWN_GRACE: Setting = Setting {
    flag: Some("shutdown-grace"),
    env: Some("GITPROXY_SHUTDOWN_GRACE"),
    toml: Some("shutdown_grace"),
    helm: Some("gitproxy.shutdownGraceSeconds"),
    default: "30s",
    ..setting(
        "shutdown grace",
        "Time to finish in-flight operations on SIGTERM, e.g. `30s`",
    )
};
/// The OSV data directory.
pub(crate) const OSV_DIR: Setting = Setting {
    flag: Some("osv"),
    env: Some("GITPROXY_OSV_DIR"),
    toml: Some("osv_dir"),
    helm: Some("osv.dir"),
    ..setting(
        "OSV data",
        "OSV data directory (`<ECOSYSTEM>/all.zip` or `*.json` records)",
    )
};
/// The largest manifest or lockfile a scan reads.
pub(crate) const MAX_FILE_BYTES: Setting = Setting {
    flag: Some("max-file-bytes"),
    env: Some("GITPROXY_MAX_FILE_BYTES"),
    toml: Some("max_file_bytes"),
    default: "67108864 (64 MiB)",
    ..setting(
        "largest file scanned",
        "Largest manifest or lockfile read, in bytes; a larger file is reported as a problem of that file and the scan goes on",
    )
};
/// The package registries.
pub(crate) const REGISTRIES: Setting = Setting {
    flag: Some("registries"),
    env: Some("GITPROXY_REGISTRIES"),
    toml: Some("registries"),
    helm: Some("registries"),
    default: "none, no registry is contacted",
    ..setting(
        "package registries",
        "Package registries asked for releases and lockfile checksums, comma separated `ECOSYSTEM=URL` entries (npm, crates.io, PyPI, Go, Maven) or `public`",
    )
};
/// The host name, the default agent id (not a setting of its own).
pub(crate) const HOSTNAME: &str = "HOSTNAME";

/// Every setting, in the order of docs/configuration.md.
pub(crate) const ALL: &[Setting] = &[
    CONFIG,
    CLOUD_URL,
    ACCESS_KEY,
    AGENT_ID,
    CONNECTIONS,
    HTTPS_PROXY,
    HTTP_PROXY,
    ALL_PROXY,
    NO_PROXY,
    PROXY_LOOPBACK,
    CUSTOM_CA_CERT,
    PLATFORM_ROOTS,
    BITBUCKET_URL,
    BITBUCKET_USERNAME,
    BITBUCKET_TOKEN,
    BITBUCKET_PROJECT,
    BRANCH_PREFIX,
    LISTEN,
    LOG_FORMAT,
    LOG_LEVEL,
    SHUTDOWN_GRACE,
    OSV_DIR,
    MAX_FILE_BYTES,
    REGISTRIES,
];

impl Setting {
    /// Every environment variable of this setting.
    pub(crate) fn env_vars(&self) -> impl Iterator<Item = &'static str> {
        self.env
            .into_iter()
            .chain(self.env_file)
            .chain(self.env_aliases.iter().copied())
    }

    /// Every TOML key of this setting.
    #[cfg(test)]
    pub(crate) fn toml_keys(&self) -> impl Iterator<Item = &'static str> {
        self.toml.into_iter().chain(self.toml_file)
    }

    /// The environment variables as `--help` shows them.
    fn env_help(&self) -> String {
        self.env_vars().collect::<Vec<_>>().join(" / ")
    }

    /// The `--help` line: the text, the environment variables and the default.
    pub(crate) fn long_help(&self) -> String {
        let mut text = format!("{} [env: {}]", self.help, self.env_help());
        if self.default != "none" {
            text.push_str(&format!(" [default: {}]", self.default));
        }
        text
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

/// Puts each setting's help text (with its environment variables and default) on its flag.
pub(crate) fn annotate(mut command: clap::Command) -> clap::Command {
    for setting in ALL {
        if let Some(flag) = setting.flag {
            let id = flag.replace('-', "_");
            let help = setting.long_help();
            command = command.mut_arg(id, |arg| arg.help(help));
        }
    }
    command
}

/// The table as JSON, for `gitproxy settings --json` (read by the chart checks).
pub(crate) fn to_json() -> serde_json::Value {
    serde_json::to_value(ALL).unwrap_or_default()
}

#[cfg(test)]
mod tests;
