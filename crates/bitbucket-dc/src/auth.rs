//! Credentials: HTTP access tokens sent as Bearer or as `username:token` Basic auth, never printed.

use std::fmt;

use base64::Engine as _;
use http::HeaderValue;

use crate::error::Error;

/// How the client authenticates to Bitbucket.
///
/// * [`Credentials::bearer`]: `Authorization: Bearer <token>`, for user, project and repository
///   HTTP access tokens (project/repository tokens work **only** this way).
/// * [`Credentials::basic`]: `Authorization: Basic base64(username:token)`, for a user's HTTP
///   access token (or password). The username also appears in error messages.
/// * [`Credentials::anonymous`]: no `Authorization` header.
///
/// The token never appears in `Debug` output, error messages or logs:
///
/// ```
/// let creds = bitbucket_dc::Credentials::basic("bot", "s3cr3t-token").unwrap();
/// let printed = format!("{creds:?}");
/// assert!(printed.contains("bot") && !printed.contains("s3cr3t"));
/// ```
#[derive(Clone)]
pub struct Credentials {
    kind: Kind,
}

#[derive(Clone)]
enum Kind {
    Anonymous,
    Bearer {
        header: HeaderValue,
    },
    Basic {
        username: String,
        header: HeaderValue,
    },
}

impl Credentials {
    /// No credentials: only anonymous-access endpoints (e.g. `application-properties`) will work.
    pub fn anonymous() -> Self {
        Credentials {
            kind: Kind::Anonymous,
        }
    }

    /// A Bearer token (user, project or repository HTTP access token).
    ///
    /// Fails when the token is empty or contains whitespace or control characters.
    pub fn bearer(token: impl AsRef<str>) -> Result<Self, Error> {
        let token = token.as_ref();
        check_token(token)?;
        let header = sensitive_header(&format!("Bearer {token}"))?;
        Ok(Credentials {
            kind: Kind::Bearer { header },
        })
    }

    /// Basic auth with a username and a user's HTTP access token (or password).
    ///
    /// Fails when the username is empty or contains `:` or control characters, or when the token
    /// is empty or contains whitespace or control characters.
    pub fn basic(username: impl Into<String>, token: impl AsRef<str>) -> Result<Self, Error> {
        let username = username.into();
        let token = token.as_ref();
        if username.is_empty() || username.contains(':') || username.chars().any(char::is_control) {
            return Err(Error::Config {
                reason: format!(
                    "the username {username:?} is empty or contains `:` or control characters: pass the Bitbucket user name"
                ),
            });
        }
        check_token(token)?;
        let encoded =
            base64::engine::general_purpose::STANDARD.encode(format!("{username}:{token}"));
        let header = sensitive_header(&format!("Basic {encoded}"))?;
        Ok(Credentials {
            kind: Kind::Basic { username, header },
        })
    }

    /// The username of Basic credentials; `None` for Bearer and anonymous credentials (ask the
    /// server with [`Client::whoami`](crate::Client::whoami)).
    pub fn username(&self) -> Option<&str> {
        match &self.kind {
            Kind::Basic { username, .. } => Some(username),
            Kind::Anonymous | Kind::Bearer { .. } => None,
        }
    }

    /// Whether these are anonymous credentials.
    pub fn is_anonymous(&self) -> bool {
        matches!(self.kind, Kind::Anonymous)
    }

    /// The `Authorization` header value, marked sensitive so hyper never logs it.
    pub(crate) fn header(&self) -> Option<&HeaderValue> {
        match &self.kind {
            Kind::Anonymous => None,
            Kind::Bearer { header } | Kind::Basic { header, .. } => Some(header),
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::Anonymous => f.write_str("Credentials::Anonymous"),
            Kind::Bearer { .. } => f
                .debug_struct("Credentials::Bearer")
                .field("token", &"<redacted>")
                .finish(),
            Kind::Basic { username, .. } => f
                .debug_struct("Credentials::Basic")
                .field("username", username)
                .field("token", &"<redacted>")
                .finish(),
        }
    }
}

fn check_token(token: &str) -> Result<(), Error> {
    if token.is_empty() {
        return Err(Error::Config {
            reason: "the access token is empty: pass the HTTP access token created in Bitbucket"
                .to_owned(),
        });
    }
    if !token.is_ascii() || token.chars().any(|c| c.is_whitespace() || c.is_control()) {
        // Never echo the token itself, not even in a config error.
        return Err(Error::Config {
            reason: "the access token contains whitespace, control or non-ASCII characters: copy the token again without surrounding spaces or newlines".to_owned(),
        });
    }
    Ok(())
}

fn sensitive_header(value: &str) -> Result<HeaderValue, Error> {
    let mut header = HeaderValue::from_str(value).map_err(|_| Error::Config {
        reason: "the credentials contain characters not allowed in an HTTP header: use the ASCII token Bitbucket issued".to_owned(),
    })?;
    header.set_sensitive(true);
    Ok(header)
}

#[cfg(test)]
mod tests;
