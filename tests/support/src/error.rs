//! The one error type of the support crate: what failed while minting, starting or waiting.

use std::path::PathBuf;

/// A failure of the test harness (not of the code under test, which tests assert on).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Something needed is missing or could not be started.
    #[error("{0}")]
    Setup(String),
    /// A file or process operation failed.
    #[error("could not {what} ({path}): {source}")]
    Io {
        /// What was being done, as a verb phrase.
        what: &'static str,
        /// The file, program or address.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// Minting a certificate failed.
    #[error("could not mint a certificate: {0}")]
    Pki(#[from] rcgen::Error),
    /// rustls rejected a TLS configuration built from minted certificates.
    #[error("could not build the TLS configuration: {0}")]
    Tls(#[from] rustls::Error),
    /// The log ended (the process exited) before the awaited line.
    #[error("{source_name} exited without logging `{needle}`; its log:\n{log}")]
    Ended {
        /// Whose log it was.
        source_name: String,
        /// The text awaited.
        needle: String,
        /// Every line seen.
        log: String,
    },
    /// The awaited line did not come in time.
    #[error("timed out waiting for {source_name} to log `{needle}`; its log:\n{log}")]
    Timeout {
        /// Whose log it was.
        source_name: String,
        /// The text awaited.
        needle: String,
        /// Every line seen.
        log: String,
    },
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
