//! Which Bitbucket connection an operation uses: local settings win; the cloud fills only what is
//! not set locally, may not point at another server or project than the local ones, and may name
//! a server only over https. The token stays in [`Token`], which never prints.

use std::fmt;

use url::Url;

use super::Policy;
use crate::catalogue::CloudConnection;
use crate::Error;

/// A Bitbucket HTTP access token. `Debug` and `Display` print `[redacted]`.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    /// Wraps a token.
    pub fn new(value: impl Into<String>) -> Token {
        Token(value.into())
    }

    /// The token itself, for the one place that sends it (the client's credentials).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Bitbucket settings configured on the agent; any may be missing (the cloud then sends them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LocalConnection {
    /// Base URL.
    pub url: Option<Url>,
    /// Username.
    pub username: Option<String>,
    /// HTTP access token.
    pub token: Option<Token>,
    /// Project key.
    pub project: Option<String>,
}

/// A complete set of Bitbucket connection details.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    /// Base URL.
    pub url: Url,
    /// Username.
    pub username: String,
    /// HTTP access token.
    pub token: Token,
    /// Project key.
    pub project: String,
}

/// Picks the connection for one operation from the local settings and the cloud's form.
///
/// A cloud server or project other than the local one, or a cloud server that is not https when
/// none is local, is [`Error::PolicyRefused`]; a missing or unparsable detail is
/// [`Error::InvalidConnection`].
pub fn resolve_connection(
    local: &LocalConnection,
    cloud: Option<&CloudConnection>,
) -> Result<Connection, Error> {
    let cloud = cloud.cloned().unwrap_or_default();
    let cloud_url = cloud
        .server_url
        .as_deref()
        .map(|u| {
            Url::parse(u.trim()).map_err(|e| Error::InvalidConnection {
                reason: format!("connection.server_url `{u}` is not a URL: {e}"),
            })
        })
        .transpose()?;
    let url = match (&local.url, cloud_url) {
        (Some(local_url), Some(cloud_url)) => {
            Policy::new(local_url.clone(), "", "x/").check_server(&cloud_url)?;
            local_url.clone()
        }
        (Some(u), None) => u.clone(),
        (None, Some(u)) => {
            Policy::check_cloud_server(&u)?;
            u
        }
        (None, None) => return Err(missing("server URL (GITPROXY_BITBUCKET_URL)")),
    };
    let project = match (&local.project, cloud.project_key) {
        (Some(local_project), Some(cloud_project)) => {
            Policy::new(url.clone(), local_project, "x/").check_project(cloud_project.trim())?;
            local_project.clone()
        }
        (Some(p), None) => p.clone(),
        (None, Some(p)) => p.trim().to_owned(),
        (None, None) => return Err(missing("project key (GITPROXY_BITBUCKET_PROJECT)")),
    };
    let (username, token) = match (&local.username, &local.token) {
        (Some(u), Some(t)) => (u.clone(), t.clone()),
        _ => match (
            local.username.clone().or(cloud.username),
            local.token.clone().or(cloud.access_token.map(Token::new)),
        ) {
            (Some(u), Some(t)) => (u, t),
            _ => return Err(missing("username and access token")),
        },
    };
    Ok(Connection {
        url,
        username,
        token,
        project,
    })
}

fn missing(what: &str) -> Error {
    Error::InvalidConnection {
        reason: format!(
            "no Bitbucket {what}: send it in the connection details or configure it on the agent"
        ),
    }
}

#[cfg(test)]
mod tests;
