//! The one error type of the harness: what failed while setting up or driving the scenario.

use std::path::PathBuf;

/// A failure of the harness (not of the product under test, which tests assert on).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Something needed is missing or could not be started.
    #[error("{0}")]
    Setup(String),
    /// A file or process operation failed.
    #[error("{what} ({path}): {source}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// The file or program.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A shared test part (PKI, tinyproxy, log waiting) failed.
    #[error(transparent)]
    Support(#[from] gitproxy_test_support::Error),
    /// The simulator failed.
    #[error("bitbucket simulator: {0}")]
    Sim(#[from] bitbucket_dc_sim::SimError),
    /// The hub failed to start or to reach the agent.
    #[error("tunnel hub: {0}")]
    Tunnel(#[from] gitproxy_tunnel::Error),
    /// An operation sent through the tunnel failed; `message` is the agent's answer.
    #[error("operation {operation} failed: {message}")]
    Operation {
        /// The operation's wire name.
        operation: String,
        /// What the agent (or the hub) said.
        message: String,
    },
    /// Waiting for something timed out.
    #[error("timed out waiting for {0}")]
    Timeout(String),
}

impl Error {
    /// An [`Error::Io`] for `what` on `path`.
    pub fn io(what: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            what,
            path: path.into(),
            source,
        }
    }
}
