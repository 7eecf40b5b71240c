//! The simulator's one error type, returned by seeding, starting and the runtime handles.

use std::io;

/// Everything that can go wrong while seeding, starting or driving a simulator.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// The seed (builder calls or seed file) is inconsistent.
    #[error("invalid simulator seed: {0}")]
    InvalidSeed(String),
    /// A seed file could not be read or parsed.
    #[error("could not load seed file {path}: {reason}")]
    SeedFile {
        /// The file that was read.
        path: String,
        /// Why it could not be used.
        reason: String,
    },
    /// The TLS certificate chain or key could not be used.
    #[error("invalid tls material: {0}; pass a PEM certificate chain and a PEM PKCS#8, PKCS#1 or SEC1 key")]
    Tls(String),
    /// Binding or serving the socket failed.
    #[error("simulator socket error: {0}")]
    Io(#[from] io::Error),
    /// A `git` command failed.
    #[error("git {command} failed: {stderr}; check that git is installed and on PATH")]
    Git {
        /// The git subcommand (and key arguments) that failed.
        command: String,
        /// What git printed on standard error.
        stderr: String,
    },
    /// A runtime handle named something the simulator does not know.
    #[error("{0} does not exist in the simulator; seed it first")]
    NotFound(String),
    /// A runtime handle asked for something the current state does not allow.
    #[error("simulator rejected the operation: {0}")]
    Rejected(String),
}
