//! The crate's one error type.

use std::time::Duration;

use crate::ecosystem::Ecosystem;

/// Everything that can go wrong while analysing, matching, planning or editing.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file or directory could not be read.
    #[error("could not read {path}: {source}; check that it exists and is readable")]
    Io {
        /// The path that failed.
        path: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A version string does not follow its ecosystem's scheme.
    #[error("invalid {ecosystem} version `{version}`: {reason}")]
    InvalidVersion {
        /// The ecosystem whose rules were applied.
        ecosystem: Ecosystem,
        /// The offending text.
        version: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A version requirement (range, specifier) could not be parsed.
    #[error("invalid {ecosystem} version requirement `{requirement}`: {reason}")]
    InvalidRequirement {
        /// The ecosystem whose rules were applied.
        ecosystem: Ecosystem,
        /// The offending text.
        requirement: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A manifest or lockfile could not be parsed.
    #[error("could not parse {file}{}: {reason}; fix the file or leave it out of the scan", line.map(|l| format!(" line {l}")).unwrap_or_default())]
    Parse {
        /// Repository-relative path of the file.
        file: String,
        /// One-based line of the problem, when known.
        line: Option<u32>,
        /// What is wrong.
        reason: String,
    },
    /// A manifest declares dependencies whose versions the repository's files do not give (a
    /// variable of another file, a dynamic version): the scan cannot tell whether they are
    /// vulnerable.
    #[error("cannot tell the version of every dependency {file} declares{}: {reason}", line.map(|l| format!(" (line {l})")).unwrap_or_default())]
    Unresolved {
        /// Repository-relative path of the file.
        file: String,
        /// One-based line of the first such declaration.
        line: Option<u32>,
        /// Which declarations, and what to do.
        reason: String,
    },
    /// A manifest or lockfile was left out of the scan because it is larger than the limit.
    #[error("left {file} out of the scan: {} the limit of {limit} bytes for one file; raise the scan's file size limit if the file is genuine, or remove it from the repository", size.map_or_else(|| "it is larger than".to_owned(), |size| format!("its {size} bytes exceed")))]
    FileTooLarge {
        /// Repository-relative path of the file.
        file: String,
        /// Its size in bytes, when known (a server may send a file without announcing its size).
        size: Option<u64>,
        /// The limit in bytes ([`crate::ScanOptions::max_file_bytes`]).
        limit: u64,
    },
    /// An OSV record could not be decoded.
    #[error("invalid OSV record {name}: {reason}; check that the advisory data is OSV JSON")]
    Osv {
        /// File or archive member name.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// A folder of the OSV directory (or a symbolic link in it) could not be read.
    #[error("could not read the OSV folder {path}: {source}; check that it exists, that a symbolic link there points at an existing folder (Kubernetes volume mounts are links into `..data`) and that the agent's user may read it")]
    OsvDir {
        /// The folder or link that failed.
        path: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// An advisory archive is not a readable zip file.
    #[error("invalid zip archive {path}: {reason}; download the archive again")]
    Zip {
        /// Path or label of the archive.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// A findings document handed in by the caller could not be decoded.
    #[error("invalid findings document: {reason}; send OSV-Scanner JSON or gitproxy findings v1 (see docs/remediation.md)")]
    Findings {
        /// What is wrong.
        reason: String,
    },
    /// The ecosystem name is not one the engine knows.
    #[error("unknown ecosystem `{0}`; use one of npm, PyPI, crates.io, Go, Maven")]
    UnknownEcosystem(String),
    /// A package registry lookup failed.
    #[error("registry lookup for {ecosystem} package `{package}` failed: {reason}; check registry access and retry")]
    Registry {
        /// Ecosystem of the package.
        ecosystem: Ecosystem,
        /// Package name.
        package: String,
        /// What failed.
        reason: String,
    },
    /// A Bitbucket request failed.
    #[error("bitbucket request failed while {operation}: {source}")]
    Host {
        /// What the engine was doing.
        operation: String,
        /// The host's error (which says what to do next).
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The local policy refused a Bitbucket call: another server or project, a write to a default
    /// branch or outside the agent's branch prefix. The reason says what to change.
    #[error("refused by local policy: {reason}")]
    PolicyRefused {
        /// Why, and what to change.
        reason: String,
    },
    /// The Bitbucket connection details of an operation are missing or invalid (see
    /// [`crate::policy::resolve_connection`]). The reason says what to send or configure.
    #[error("{reason}")]
    InvalidConnection {
        /// What is missing or wrong, and what to do.
        reason: String,
    },
    /// The Bitbucket client could not be built from the connection details (e.g. a username
    /// holding `:`).
    #[error(transparent)]
    BitbucketClient {
        /// The client's error (which says what to fix).
        source: bitbucket_dc::Error,
    },
    /// A registry base URL is not usable.
    #[error("invalid {registry} registry URL: {reason}; give an http or https URL")]
    InvalidRegistryUrl {
        /// Which registry.
        registry: String,
        /// What is wrong.
        reason: String,
    },
    /// An entry of a registries list is neither `ECOSYSTEM=URL`, `public` nor `none`.
    #[error("`{entry}` is not a registry entry; write ECOSYSTEM=URL (e.g. npm=https://registry.npmjs.org/), public or none")]
    InvalidRegistryEntry {
        /// The entry, user info and query replaced so no credential shows.
        entry: String,
    },
    /// An entry of a CI servers list is not `jenkins=URL` or `bamboo=URL`.
    #[error("`{entry}` is not a CI server entry: {reason}; write jenkins=URL or bamboo=URL (e.g. jenkins=https://ci.example.com/)")]
    InvalidCiServer {
        /// The entry, user info and query replaced so no credential shows.
        entry: String,
        /// What is wrong.
        reason: String,
    },
    /// A CI server's job log could not be read.
    #[error("could not read the job log at {url}: {reason}; check the CI server's URL and credentials in the agent's settings")]
    CiLog {
        /// The log's URL, without credentials.
        url: String,
        /// What failed.
        reason: String,
    },
    /// A registries list names an ecosystem the engine does not know.
    #[error("`{0}` is not an ecosystem; use npm, crates.io, PyPI, Go, Maven, NuGet, RubyGems or Packagist")]
    UnknownRegistryEcosystem(String),
    /// A registry URL of a registries list carries credentials (user info or a query parameter
    /// such as `token`), which would be printed wherever the URL is.
    #[error("the {ecosystem} registry URL must not carry credentials{}; use a mirror that allows anonymous reads", query_key.as_ref().map(|k| format!(" (query parameter `{k}`)")).unwrap_or_default())]
    RegistryCredentials {
        /// The ecosystem of the entry.
        ecosystem: Ecosystem,
        /// The query parameter holding the credential, if that is where it is.
        query_key: Option<String>,
    },
    /// No choice of versions satisfies every requirement once the package moves: the lockfile
    /// would be rejected, so nothing is written.
    #[error("cannot move {ecosystem} package `{package}` from {from} to {to}: {reason}; relax or upgrade the conflicting requirement, then scan again")]
    Unresolvable {
        /// Ecosystem of the package.
        ecosystem: Ecosystem,
        /// Package name.
        package: String,
        /// The version in use.
        from: String,
        /// The fixed version.
        to: String,
        /// The exact conflicting requirements.
        reason: String,
    },
    /// A planned edit could not be applied to a file.
    #[error("cannot edit {file}: {reason}; re-run the scan on the current branch head")]
    Edit {
        /// Repository-relative path of the file.
        file: String,
        /// What failed.
        reason: String,
    },
    /// An advisory sync batch was refused whole; the data the agent had keeps serving.
    #[error("advisory sync for {ecosystem} refused: {reason}; nothing was changed, fix the batch and send it again (from an OSV mirror: fix the mirror's files; the next poll retries)")]
    AdvisorySync {
        /// The batch's ecosystem.
        ecosystem: String,
        /// What is wrong with the batch.
        reason: String,
    },
    /// The advisory store directory could not be written.
    #[error("could not write the advisory store at {path}: {source}; check that the directory is writable and has space")]
    AdvisoryStore {
        /// The file that failed.
        path: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The local OSV mirror could not be read or served data that is not OSV.
    #[error("the OSV mirror at {url} failed: {reason}; check the mirror setting, that the mirror is laid out like osv.dev (<ECOSYSTEM>/all.zip, modified_id.csv, <ID>.json) and that the egress rules reach it")]
    OsvMirror {
        /// The ecosystem folder of the mirror, without credentials.
        url: String,
        /// What failed.
        reason: String,
    },
    /// A call through the tunnel to an agent failed (the hub side of `advisories.sync`).
    #[error("the {operation} call to agent {agent} failed: {source}")]
    Tunnel {
        /// The operation.
        operation: &'static str,
        /// The agent replica called.
        agent: String,
        /// The tunnel's error.
        #[source]
        source: gitproxy_tunnel::Error,
    },
}

impl Error {
    /// A refusal of the local policy.
    pub fn policy_refused(reason: impl Into<String>) -> Error {
        Error::PolicyRefused {
            reason: reason.into(),
        }
    }

    /// Whether this is a refusal of the local policy.
    pub fn is_policy_refusal(&self) -> bool {
        matches!(self, Error::PolicyRefused { .. })
    }

    /// Whether the same call may succeed later: Bitbucket answered 429 or 503 (after the client's
    /// own retries), a gateway error, a timeout or a connection failure.
    pub fn is_retryable(&self) -> bool {
        self.bitbucket()
            .is_some_and(bitbucket_dc::Error::is_retryable)
    }

    /// Whether Bitbucket refused a pull request change because the `version` sent was stale
    /// (someone changed it since it was read): re-read and try again.
    pub fn is_out_of_date(&self) -> bool {
        matches!(
            self.bitbucket(),
            Some(bitbucket_dc::Error::PullRequestOutOfDate { .. })
        )
    }

    /// Whether the request itself was invalid: missing or invalid connection details, or a
    /// repository slug or project key such as `""`, `.`, `..` or one holding `/`, which the
    /// client refuses before anything is sent.
    pub fn is_invalid_input(&self) -> bool {
        matches!(
            self,
            Error::InvalidConnection { .. } | Error::AdvisorySync { .. }
        ) || matches!(
            self.bitbucket(),
            Some(bitbucket_dc::Error::InvalidPathSegment { .. })
        )
    }

    /// How long Bitbucket asked to wait before the next attempt (`Retry-After`), if it did.
    pub fn retry_after(&self) -> Option<Duration> {
        self.bitbucket().and_then(bitbucket_dc::Error::retry_after)
    }

    /// The Bitbucket client's error behind a failed host call.
    fn bitbucket(&self) -> Option<&bitbucket_dc::Error> {
        match self {
            Error::Host { source, .. } => source.downcast_ref::<bitbucket_dc::Error>(),
            Error::BitbucketClient { source } => Some(source),
            _ => None,
        }
    }
}
