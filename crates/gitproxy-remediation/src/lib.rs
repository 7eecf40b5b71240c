//! Dependency analysis, OSV advisory matching and fix planning for the gitproxy agent.
//!
//! The engine reads a repository snapshot ([`files::Snapshot`]), finds every dependency declared
//! by npm, PyPI, crates.io, Go, Maven, NuGet, RubyGems and Packagist manifests and lockfiles, and
//! lists those of formats it recognises but does not support ([`analysis::analyze`]), matches
//! them against OSV advisories ([`advisories::AdvisoryDb`]) and findings handed in by the caller
//! ([`findings`]), plans the smallest safe fix per vulnerable package ([`plan`]) and turns the plan
//! into file edits that keep formatting, comments and ordering ([`edit`]).

pub mod advisories;
pub mod analysis;
pub mod catalogue;
pub mod ci;
pub mod connection;
pub mod ecosystem;
pub mod edit;
pub mod engine;
mod error;
pub mod files;
pub mod findings;
pub mod fuzzing;
pub mod host;
mod json;
pub mod limits;
pub mod local;
pub mod osv;
pub mod plan;
pub mod policy;
pub mod pr;
pub mod registry;
pub mod remediate;
pub mod render;
pub mod scan;
pub mod service;
pub mod version;
mod xml;
mod yaml;
mod zip;

pub use ecosystem::Ecosystem;
pub use error::Error;
pub use limits::ScanOptions;

/// `bytes` as lower-case hexadecimal, the way lockfiles and stores write digests.
pub(crate) fn lower_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    out
}
