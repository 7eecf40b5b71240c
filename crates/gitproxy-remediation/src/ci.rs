//! CI job logs of failed builds, opt-in and local like registries: the configured Jenkins and
//! Bamboo servers, reached through the caller's connector with their own credentials. A build
//! status's `url` is followed only when it lies under a configured server, so a status posted by
//! anyone cannot make the agent send a CI credential elsewhere.

pub mod excerpt;

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use http_body_util::{BodyExt as _, Empty, Limited};
use hyper_util::client::legacy::connect::Connect;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde::Serialize;
use url::Url;

use crate::policy::Token;
use crate::Error;
pub use excerpt::LogExcerpt;

/// The most of a job log read; a longer log is read from its end (the lines that matter are last).
pub const MAX_LOG_BYTES: usize = 8 * 1024 * 1024;

/// Which CI server.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CiKind {
    /// Jenkins: the build's `consoleText`.
    Jenkins,
    /// Bamboo: the result's log entries through its REST API.
    Bamboo,
}

/// How the agent authenticates to a CI server.
#[derive(Clone)]
pub enum CiCredential {
    /// HTTP basic with a user and an API token (Jenkins).
    Basic {
        /// User name.
        user: String,
        /// API token.
        token: Token,
    },
    /// A bearer token (Bamboo personal access token).
    Bearer(Token),
}

impl std::fmt::Debug for CiCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CiCredential::Basic { user, .. } => write!(f, "Basic({user}, <redacted>)"),
            CiCredential::Bearer(_) => f.write_str("Bearer(<redacted>)"),
        }
    }
}

impl CiCredential {
    fn header(&self) -> String {
        use base64::Engine as _;
        match self {
            CiCredential::Basic { user, token } => {
                let pair = format!("{user}:{}", token.expose());
                format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(pair)
                )
            }
            CiCredential::Bearer(token) => format!("Bearer {}", token.expose()),
        }
    }

    /// The secret, for masking it in log lines.
    fn secret(&self) -> &str {
        match self {
            CiCredential::Basic { token, .. } | CiCredential::Bearer(token) => token.expose(),
        }
    }
}

/// One configured CI server.
#[derive(Clone, Debug)]
pub struct CiServer {
    /// Jenkins or Bamboo.
    pub kind: CiKind,
    /// Base URL, ending with `/`; build URLs under it are read.
    pub base: Url,
    /// Credentials, if the server needs them.
    pub credential: Option<CiCredential>,
}

/// The configured CI servers: none by default.
#[derive(Clone, Debug, Default)]
pub struct CiServers {
    /// The servers, in the order configured.
    pub servers: Vec<CiServer>,
}

impl CiServers {
    /// Whether none is configured.
    pub fn is_empty(&self) -> bool {
        self.servers.is_empty()
    }

    /// Gives every server of `kind` this credential.
    pub fn with_credential(mut self, kind: CiKind, credential: CiCredential) -> CiServers {
        for s in self.servers.iter_mut().filter(|s| s.kind == kind) {
            s.credential = Some(credential.clone());
        }
        self
    }

    /// The server a build URL lies under (same scheme, host and port, path below its base).
    pub fn server_for(&self, build_url: &Url) -> Option<&CiServer> {
        self.servers.iter().find(|s| {
            s.base.scheme() == build_url.scheme()
                && s.base.host_str() == build_url.host_str()
                && s.base.port_or_known_default() == build_url.port_or_known_default()
                && build_url.path().starts_with(s.base.path())
        })
    }
}

impl FromStr for CiServers {
    type Err = Error;

    /// `jenkins=URL,bamboo=URL` (`none` or empty for none).
    fn from_str(text: &str) -> Result<CiServers, Error> {
        let mut servers = Vec::new();
        for entry in text.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            if entry.eq_ignore_ascii_case("none") {
                continue;
            }
            let invalid = |reason: &str| Error::InvalidCiServer {
                entry: shown(entry),
                reason: reason.to_owned(),
            };
            let (kind, url) = entry
                .split_once('=')
                .ok_or_else(|| invalid("no `=` between the kind and the URL"))?;
            let kind = match kind.trim().to_ascii_lowercase().as_str() {
                "jenkins" => CiKind::Jenkins,
                "bamboo" => CiKind::Bamboo,
                _ => return Err(invalid("the kind must be jenkins or bamboo")),
            };
            let mut base = Url::parse(url.trim()).map_err(|e| invalid(&e.to_string()))?;
            if !matches!(base.scheme(), "http" | "https") || base.host_str().is_none() {
                return Err(invalid("the URL must be http or https with a host"));
            }
            if !base.username().is_empty() || base.password().is_some() || base.query().is_some() {
                return Err(invalid(
                    "the URL must not carry credentials; give them in the CI credential settings",
                ));
            }
            if !base.path().ends_with('/') {
                let path = format!("{}/", base.path());
                base.set_path(&path);
            }
            servers.push(CiServer {
                kind,
                base,
                credential: None,
            });
        }
        Ok(CiServers { servers })
    }
}

/// An entry as it may be shown: user info and query replaced, so no credential is printed.
fn shown(entry: &str) -> String {
    let mut out = entry.to_owned();
    if let Some(start) = out.find("://").map(|i| i + 3) {
        let end = out[start..].find('/').map_or(out.len(), |i| start + i);
        if let Some(at) = out[start..end].rfind('@') {
            out.replace_range(start..start + at, "***");
        }
    }
    if let Some(q) = out.find(['?', '#']) {
        out.truncate(q);
        out.push_str("?...");
    }
    out
}

/// Reads the log of a failed build and keeps what matters.
#[async_trait]
pub trait BuildLogs: Send + Sync {
    /// The excerpt of the build at `build_url`; `Ok(None)` when no configured server hosts it.
    async fn excerpt(&self, build_url: &str) -> Result<Option<LogExcerpt>, Error>;
}

/// [`BuildLogs`] over HTTP for the configured servers.
pub struct HttpBuildLogs<C> {
    client: Client<C, Empty<Bytes>>,
    servers: CiServers,
    timeout: Duration,
}

impl<C> std::fmt::Debug for HttpBuildLogs<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpBuildLogs")
            .field("servers", &self.servers)
            .finish_non_exhaustive()
    }
}

impl<C> HttpBuildLogs<C>
where
    C: Connect + Clone + Send + Sync + 'static,
{
    /// A log reader for `servers` over `connector`, 30 s per request.
    pub fn new(connector: C, servers: CiServers) -> HttpBuildLogs<C> {
        HttpBuildLogs {
            client: Client::builder(TokioExecutor::new()).build(connector),
            servers,
            timeout: Duration::from_secs(30),
        }
    }

    /// `GET url` with the server's credential; the body's last [`MAX_LOG_BYTES`] at most.
    async fn get(&self, server: &CiServer, url: &Url) -> Result<Vec<u8>, Error> {
        let fail = |reason: String| Error::CiLog {
            url: url.as_str().to_owned(),
            reason,
        };
        let mut req = http::Request::get(url.as_str());
        if let Some(credential) = &server.credential {
            req = req.header(http::header::AUTHORIZATION, credential.header());
        }
        let req = req.body(Empty::new()).map_err(|e| fail(e.to_string()))?;
        let res = tokio::time::timeout(self.timeout, self.client.request(req))
            .await
            .map_err(|_| fail(format!("no answer within {:?}", self.timeout)))?
            .map_err(|e| fail(e.to_string()))?;
        let status = res.status();
        if !status.is_success() {
            let hint = match status.as_u16() {
                401 | 403 => " (the credential was refused)",
                404 => " (no such build or log)",
                _ => "",
            };
            return Err(fail(format!("the server answered {status}{hint}")));
        }
        // Read at most twice the kept size so a huge log cannot exhaust memory; keep the tail.
        let body = Limited::new(res.into_body(), 2 * MAX_LOG_BYTES)
            .collect()
            .await
            .map_err(|e| {
                fail(format!(
                    "{e} (logs over {} bytes are not read)",
                    2 * MAX_LOG_BYTES
                ))
            })?
            .to_bytes();
        let start = body.len().saturating_sub(MAX_LOG_BYTES);
        Ok(body[start..].to_vec())
    }

    async fn jenkins(&self, server: &CiServer, build: &Url) -> Result<String, Error> {
        let mut url = build.clone();
        url.set_query(None);
        url.set_fragment(None);
        let mut path = url.path().trim_end_matches('/').to_owned();
        if let Some(stripped) = path.strip_suffix("/display/redirect") {
            path = stripped.to_owned();
        }
        url.set_path(&format!("{path}/consoleText"));
        let bytes = self.get(server, &url).await?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    async fn bamboo(&self, server: &CiServer, build: &Url) -> Result<String, Error> {
        // `…/browse/PROJ-PLAN-7` (a plan result) or `…/browse/PROJ-PLAN-JOB1-7` (a job result).
        let key = build
            .path_segments()
            .and_then(|mut s| s.rfind(|seg| !seg.is_empty()))
            .unwrap_or_default()
            .to_owned();
        if key.split('-').count() < 3 || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return Err(Error::CiLog {
                url: build.as_str().to_owned(),
                reason: format!("`{key}` is not a Bamboo result key such as PROJ-PLAN-7"),
            });
        }
        let result = |key: &str, expand: &str| -> Result<Url, Error> {
            server
                .base
                .join(&format!(
                    "rest/api/latest/result/{key}?expand={expand}&max-results=10000"
                ))
                .map_err(|e| Error::CiLog {
                    url: build.as_str().to_owned(),
                    reason: e.to_string(),
                })
        };
        let plan: serde_json::Value = self
            .json(server, &result(&key, "stages.stage.results.result")?)
            .await?;
        // A plan result lists its jobs; the failed ones carry the logs. A job result is read as is.
        let mut jobs: Vec<String> = plan["stages"]["stage"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|stage| stage["results"]["result"].as_array().into_iter().flatten())
            .filter(|job| job["buildState"].as_str() != Some("Successful"))
            .filter_map(|job| job["buildResultKey"].as_str().map(str::to_owned))
            .collect();
        if jobs.is_empty() {
            jobs.push(key);
        }
        let mut text = String::new();
        for job in jobs.iter().take(4) {
            let log: serde_json::Value = self.json(server, &result(job, "logEntries")?).await?;
            for entry in log["logEntries"]["logEntry"]
                .as_array()
                .into_iter()
                .flatten()
            {
                let line = entry["unstyledLog"]
                    .as_str()
                    .or_else(|| entry["log"].as_str())
                    .unwrap_or_default();
                text.push_str(line);
                text.push('\n');
            }
        }
        Ok(text)
    }

    async fn json(&self, server: &CiServer, url: &Url) -> Result<serde_json::Value, Error> {
        let bytes = self.get(server, url).await?;
        serde_json::from_slice(&bytes).map_err(|e| Error::CiLog {
            url: url.as_str().to_owned(),
            reason: format!("the answer is not Bamboo's JSON: {e}"),
        })
    }
}

#[async_trait]
impl<C> BuildLogs for HttpBuildLogs<C>
where
    C: Connect + Clone + Send + Sync + 'static,
{
    async fn excerpt(&self, build_url: &str) -> Result<Option<LogExcerpt>, Error> {
        let Ok(build) = Url::parse(build_url) else {
            return Ok(None);
        };
        let Some(server) = self.servers.server_for(&build) else {
            return Ok(None);
        };
        let text = match server.kind {
            CiKind::Jenkins => self.jenkins(server, &build).await?,
            CiKind::Bamboo => self.bamboo(server, &build).await?,
        };
        let secrets: Vec<&str> = server
            .credential
            .as_ref()
            .map(CiCredential::secret)
            .into_iter()
            .collect();
        Ok(Some(excerpt::excerpt(server.kind, &text, &secrets)))
    }
}

#[cfg(test)]
mod tests;
