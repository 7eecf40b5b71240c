//! The crate's error type: what failed, whether it is worth retrying, and whether it is fatal.

use std::time::Duration;

use crate::protocol::{ErrorBody, ErrorCode};

/// Everything that can fail in the tunnel, on the agent side and on the hub side.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A configuration value is invalid; the message names the value and the accepted range.
    #[error("invalid tunnel configuration: {0}")]
    Config(String),
    /// The TCP (or proxy) connection to the cloud failed.
    #[error("could not connect to the cloud at {endpoint}: {source}; check the network path and the proxy settings")]
    Connect {
        /// `host:port` that was dialed.
        endpoint: String,
        /// The underlying failure.
        #[source]
        source: std::io::Error,
    },
    /// The TLS handshake with the cloud failed.
    #[error("tls handshake with {endpoint} failed: {source}; check the cloud CA bundle (customCaCert) and any intercepting proxy")]
    Tls {
        /// `host:port` that was dialed.
        endpoint: String,
        /// The underlying failure.
        #[source]
        source: std::io::Error,
    },
    /// The cloud refused the access key (401 or 403). Fatal: retried only after a long pause.
    #[error("the cloud rejected the access key (http {status}): {message}; check the Helm value gitproxy.accessKey")]
    Unauthorized {
        /// The HTTP status the cloud answered.
        status: u16,
        /// The cloud's explanation, never containing the key.
        message: String,
    },
    /// The cloud does not speak this protocol version. Fatal until the agent is upgraded.
    #[error(
        "the cloud does not support tunnel protocol {offered} (http {status}); upgrade the agent"
    )]
    VersionRejected {
        /// The protocol token the agent offered.
        offered: &'static str,
        /// The HTTP status the cloud answered.
        status: u16,
    },
    /// Something between the agent and the cloud refused the WebSocket upgrade; long-poll is used instead.
    #[error("the websocket upgrade was refused (http {status}); a proxy probably strips `Upgrade`, falling back to long-poll")]
    UpgradeRefused {
        /// The HTTP status that came back instead of 101.
        status: u16,
    },
    /// The cloud is temporarily unavailable (503/504); retried with backoff.
    #[error("the cloud is temporarily unavailable (http {status}); retrying with backoff")]
    Unavailable {
        /// The HTTP status.
        status: u16,
        /// The `Retry-After` the cloud asked for, if any.
        retry_after: Option<Duration>,
    },
    /// A step did not finish in time.
    #[error("{what} timed out after {after:?}; check the network path to the cloud")]
    Timeout {
        /// What was being waited for.
        what: &'static str,
        /// The limit.
        after: Duration,
    },
    /// The peer broke the protocol (missing header, bad accept key, malformed document).
    #[error("tunnel protocol violation: {0}; check that agent and cloud speak tunnel protocol v1")]
    Protocol(String),
    /// An HTTP-level failure on an established connection.
    #[error("tunnel http error: {0}")]
    Http(#[from] hyper::Error),
    /// An I/O failure on an established connection.
    #[error("tunnel i/o error: {0}")]
    Io(#[from] std::io::Error),
    /// An operation failed with a structured error (from the agent, or from the hub for hub-local codes).
    #[error("operation failed: {0}")]
    Op(ErrorBody),
    /// The agent or hub was shut down.
    #[error("the tunnel is shut down")]
    Shutdown,
}

impl Error {
    /// Whether retrying the same thing later may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Config(_)
            | Error::Unauthorized { .. }
            | Error::VersionRejected { .. }
            | Error::Protocol(_)
            | Error::Shutdown => false,
            Error::Op(body) => body.retryable,
            _ => true,
        }
    }

    /// Whether the agent must stop reconnecting in a loop (wrong key, unsupported version).
    pub fn is_fatal(&self) -> bool {
        matches!(
            self,
            Error::Unauthorized { .. } | Error::VersionRejected { .. }
        )
    }

    /// The structured error of a failed operation, if this is one.
    pub fn op_error(&self) -> Option<&ErrorBody> {
        match self {
            Error::Op(body) => Some(body),
            _ => None,
        }
    }

    /// The structured error code of a failed operation, if this is one.
    pub fn code(&self) -> Option<ErrorCode> {
        self.op_error().map(ErrorBody::code)
    }

    pub(crate) fn op(code: ErrorCode, message: impl Into<String>) -> Self {
        Error::Op(ErrorBody::new(code, message))
    }
}
