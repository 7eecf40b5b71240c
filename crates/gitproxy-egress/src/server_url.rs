//! The base URL of a server the agent contacts (the cloud endpoint, Bitbucket): http(s) with a
//! host, https for the cloud, and no credentials in it, since a URL is printed wherever it goes.

use std::fmt;

use url::Url;

use crate::credential_query_key;
use crate::error::Error;

/// A server the agent is configured to contact by its base URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Server {
    /// The remediation service's cloud endpoint (https only).
    Cloud,
    /// The customer's Bitbucket Data Center.
    Bitbucket,
}

impl Server {
    /// What to give instead of a URL that is not one, with an example.
    pub fn hint(self) -> &'static str {
        match self {
            Server::Cloud => "use the cloud endpoint, e.g. https://app.backline.ai",
            Server::Bitbucket => {
                "use the base URL of Bitbucket Data Center, e.g. https://bitbucket.company.com"
            }
        }
    }
}

impl fmt::Display for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Server::Cloud => "cloud endpoint",
            Server::Bitbucket => "Bitbucket URL",
        })
    }
}

/// What is wrong with a server's base URL ([`Error::InvalidServerUrl`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServerUrlProblem {
    /// It does not parse.
    Syntax {
        /// The value with its query replaced by `?...`.
        shown: String,
        /// The parser's error.
        reason: url::ParseError,
    },
    /// It is not http(s) or has no host.
    NotHttp {
        /// The value with its query replaced by `?...`.
        shown: String,
    },
    /// It is http where only https is allowed (the cloud endpoint).
    NotHttps,
    /// It carries a username or password.
    UserInfo,
    /// It carries a credential in its query.
    CredentialQuery {
        /// The parameter's name, lower-cased (never its value).
        key: String,
    },
}

impl ServerUrlProblem {
    /// The message for `server`'s URL, saying what to give instead.
    pub(crate) fn message(&self, server: Server) -> String {
        let hint = server.hint();
        match self {
            ServerUrlProblem::Syntax { shown, reason } => {
                format!("`{shown}` is not a valid URL ({reason}); {hint}")
            }
            ServerUrlProblem::NotHttp { shown } => {
                format!("`{shown}` must be an http(s) URL with a host; {hint}")
            }
            ServerUrlProblem::NotHttps => format!("the {server} must use https"),
            ServerUrlProblem::UserInfo => {
                let fix = "give them as username and token settings";
                format!("the URL must not carry credentials; {fix}")
            }
            ServerUrlProblem::CredentialQuery { key } => format!(
                "the URL must not carry credentials (query parameter `{key}`); remove the query"
            ),
        }
    }
}

/// `text` with its query and fragment replaced by `?...`, for messages.
fn without_query(text: &str) -> String {
    match text.split_once(['?', '#']) {
        Some((base, _)) => format!("{base}?..."),
        None => text.to_owned(),
    }
}

/// Parses `server`'s base URL (trimmed): http(s) with a host (https for the cloud), no
/// user-info and no credential query parameter ([`credential_query_key`]). Errors never show
/// the query or a password.
pub fn server_url(server: Server, text: &str) -> Result<Url, Error> {
    let text = text.trim();
    let invalid = |problem| Error::InvalidServerUrl { server, problem };
    let url = Url::parse(text).map_err(|reason| {
        let shown = without_query(text);
        invalid(ServerUrlProblem::Syntax { shown, reason })
    })?;
    let problem = if !matches!(url.scheme(), "https" | "http") || url.host_str().is_none() {
        let shown = without_query(text);
        Some(ServerUrlProblem::NotHttp { shown })
    } else if !url.username().is_empty() || url.password().is_some() {
        Some(ServerUrlProblem::UserInfo)
    } else if let Some(key) = credential_query_key(&url) {
        Some(ServerUrlProblem::CredentialQuery { key })
    } else if server == Server::Cloud && url.scheme() == "http" {
        Some(ServerUrlProblem::NotHttps)
    } else {
        None
    };
    match problem {
        Some(problem) => Err(invalid(problem)),
        None => Ok(url),
    }
}

#[cfg(test)]
mod tests;
