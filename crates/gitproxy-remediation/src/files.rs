//! Repository contents as the engine reads them: an in-memory snapshot of manifest files, filled
//! from a local directory or from any [`RepoFiles`] source such as a Bitbucket repository.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;

use crate::{Error, ScanOptions};

/// A source of repository files (a local checkout, a Bitbucket repository at a commit, ...).
#[async_trait]
pub trait RepoFiles: Send + Sync {
    /// Every file path in the repository, `/`-separated and relative to its root.
    async fn list_paths(&self) -> Result<Vec<String>, Error>;
    /// The bytes of one file.
    async fn read(&self, path: &str) -> Result<Vec<u8>, Error>;
    /// The bytes of one file of at most `max_bytes`; a larger file is [`Limited::TooLarge`].
    /// Sources that can stop reading at the limit override this (the default reads it whole).
    async fn read_at_most(&self, path: &str, max_bytes: u64) -> Result<Limited, Error> {
        let bytes = self.read(path).await?;
        Ok(Limited::within(bytes, max_bytes))
    }
}

/// A file read with a size limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Limited {
    /// The file, no larger than the limit.
    Read(Vec<u8>),
    /// The file is larger than the limit and was not kept.
    TooLarge {
        /// Its size, when the source said.
        size: Option<u64>,
    },
}

impl Limited {
    /// `bytes` when within `max_bytes`, otherwise [`Limited::TooLarge`] with its size.
    pub fn within(bytes: Vec<u8>, max_bytes: u64) -> Limited {
        let size = bytes.len() as u64;
        if size > max_bytes {
            Limited::TooLarge { size: Some(size) }
        } else {
            Limited::Read(bytes)
        }
    }
}

/// Directories never scanned: installed dependencies, build output and VCS metadata.
const SKIPPED_DIRS: [&str; 9] = [
    ".git",
    "node_modules",
    "target",
    "vendor",
    ".venv",
    "venv",
    "__pycache__",
    ".tox",
    "bower_components",
];

/// True when the engine reads files at `path`: manifests and lockfiles of the supported
/// ecosystems, and those of the formats it recognises only to report them as unsupported.
pub fn is_manifest_path(path: &str) -> bool {
    let mut parts: Vec<&str> = path.split('/').collect();
    let Some(name) = parts.pop() else {
        return false;
    };
    if parts.iter().any(|d| SKIPPED_DIRS.contains(d)) {
        return false;
    }
    matches!(
        name,
        "package.json"
            | "package-lock.json"
            | "npm-shrinkwrap.json"
            | "pnpm-lock.yaml"
            | "yarn.lock"
            | "bun.lock"
            | "poetry.lock"
            | "Pipfile"
            | "Pipfile.lock"
            | "uv.lock"
            | "pdm.lock"
            | "pyproject.toml"
            | "Cargo.toml"
            | "Cargo.lock"
            | "go.mod"
            | "go.sum"
            | "pom.xml"
            | "packages.lock.json"
            | "Directory.Packages.props"
            | "Gemfile"
            | "Gemfile.lock"
            | "gems.rb"
            | "gems.locked"
            | "composer.json"
            | "composer.lock"
    ) || name.eq_ignore_ascii_case("packages.config")
        || crate::analysis::nuget::is_project_file(name)
        || is_requirements_name(name, parts.last().copied())
        || crate::analysis::unsupported::recognise(name).is_some()
        || crate::analysis::gradle::is_gradle_path(path)
}

/// `requirements*.txt`, or any `.txt`/`.in` inside a `requirements/` directory.
pub(crate) fn is_requirements_name(name: &str, parent_dir: Option<&str>) -> bool {
    (name.starts_with("requirements") && name.ends_with(".txt"))
        || (parent_dir == Some("requirements") && name.ends_with(".txt"))
}

/// Files larger than this are kept deflated and inflated each time they are read, so a scan
/// holds the text of one large lockfile at a time rather than of all of them.
const DEFLATE_ABOVE: usize = 1 << 20;

/// A file's bytes: as read, or deflated when large.
#[derive(Clone, Debug)]
enum Contents {
    Plain(Vec<u8>),
    Deflated { data: Box<[u8]>, size: usize },
}

impl Contents {
    fn new(bytes: Vec<u8>) -> Contents {
        if bytes.len() <= DEFLATE_ABOVE {
            return Contents::Plain(bytes);
        }
        // Manifests and lockfiles deflate to a fraction of their size; one that does not fit in
        // a quarter is kept as read rather than sizing a buffer as large as the file.
        let mut buf = vec![0u8; bytes.len() / 4];
        let config = zlib_rs::DeflateConfig {
            level: 1,
            window_bits: -15,
            ..zlib_rs::DeflateConfig::default()
        };
        let (deflated, rc) = zlib_rs::compress_slice(&mut buf, &bytes, config);
        if rc != zlib_rs::ReturnCode::Ok || deflated.len() >= bytes.len() {
            return Contents::Plain(bytes);
        }
        Contents::Deflated {
            data: deflated.into(),
            size: bytes.len(),
        }
    }

    fn bytes(&self) -> Cow<'_, [u8]> {
        match self {
            Contents::Plain(bytes) => Cow::Borrowed(bytes),
            Contents::Deflated { data, size } => {
                let mut out = vec![0u8; *size];
                // The data was deflated here; inflating it back cannot fail.
                match crate::zip::Inflater::new()
                    .inflate_into("snapshot", "file", 8, data, &mut out)
                {
                    Ok(()) => Cow::Owned(out),
                    Err(_) => Cow::Borrowed(&[]),
                }
            }
        }
    }

    fn len(&self) -> usize {
        match self {
            Contents::Plain(bytes) => bytes.len(),
            Contents::Deflated { size, .. } => *size,
        }
    }
}

/// An immutable set of repository files keyed by `/`-separated relative path. Files over 1 MiB
/// are kept deflated; [`Snapshot::get`] and [`Snapshot::text`] inflate them on each call.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    files: BTreeMap<String, Contents>,
    /// Files left out for their size: path -> (size, the limit it exceeds).
    oversized: BTreeMap<String, (Option<u64>, u64)>,
    /// Files from outside the repository that the analysis may read, by key: Maven parent POMs
    /// and imported BOMs fetched from the registry, keyed `group:artifact:version`. Shared
    /// between clones (each fix edits a clone of the snapshot; these are never edited).
    external: Arc<BTreeMap<String, String>>,
    /// External files that were asked for and could not be had, by key, with why.
    external_failed: BTreeMap<String, String>,
}

impl Snapshot {
    /// Adds a file from outside the repository (see [`Snapshot::external`]).
    pub fn insert_external(&mut self, key: impl Into<String>, text: impl Into<String>) {
        Arc::make_mut(&mut self.external).insert(key.into(), text.into());
    }

    /// A file from outside the repository, by key: never one of [`Snapshot::paths`], never
    /// edited.
    pub fn external(&self, key: &str) -> Option<&str> {
        self.external.get(key).map(String::as_str)
    }

    /// Records that the external file `key` was asked for and could not be had, and why.
    pub fn insert_external_failure(&mut self, key: impl Into<String>, why: impl Into<String>) {
        self.external_failed.insert(key.into(), why.into());
    }

    /// Why the external file `key` could not be had, when it was asked for and was not.
    pub fn external_failure(&self, key: &str) -> Option<&str> {
        self.external_failed.get(key).map(String::as_str)
    }

    /// How many files from outside the repository the snapshot holds.
    pub fn external_count(&self) -> usize {
        self.external.len()
    }

    /// An empty snapshot.
    pub fn new() -> Snapshot {
        Snapshot::default()
    }

    /// Adds or replaces a file; builder style for tests and callers that assemble files.
    pub fn with(mut self, path: impl Into<String>, contents: impl Into<Vec<u8>>) -> Snapshot {
        self.insert(path, contents);
        self
    }

    /// Adds or replaces a file.
    pub fn insert(&mut self, path: impl Into<String>, contents: impl Into<Vec<u8>>) {
        let path: String = path.into();
        self.files.insert(
            path.trim_start_matches("./").to_string(),
            Contents::new(contents.into()),
        );
    }

    /// The bytes of `path`, if present.
    pub fn get(&self, path: &str) -> Option<Cow<'_, [u8]>> {
        self.files.get(path).map(Contents::bytes)
    }

    /// Whether `path` is present.
    pub fn contains(&self, path: &str) -> bool {
        self.files.contains_key(path)
    }

    /// The size of `path` in bytes, if present.
    pub fn size(&self, path: &str) -> Option<usize> {
        self.files.get(path).map(Contents::len)
    }

    /// The text of `path`, if present and valid UTF-8 (a leading BOM is dropped).
    pub fn text(&self, path: &str) -> Option<Cow<'_, str>> {
        match self.get(path)? {
            Cow::Borrowed(bytes) => {
                let text = std::str::from_utf8(bytes).ok()?;
                Some(Cow::Borrowed(text.strip_prefix('\u{feff}').unwrap_or(text)))
            }
            Cow::Owned(bytes) => {
                let mut text = String::from_utf8(bytes).ok()?;
                if text.starts_with('\u{feff}') {
                    text.drain(..'\u{feff}'.len_utf8());
                }
                Some(Cow::Owned(text))
            }
        }
    }

    /// Records that `path` was left out because its `size` (when known) exceeds `limit` bytes;
    /// the analysis reports it as a problem of that file.
    pub fn leave_out(&mut self, path: impl Into<String>, size: Option<u64>, limit: u64) {
        let path: String = path.into();
        self.oversized
            .insert(path.trim_start_matches("./").to_string(), (size, limit));
    }

    /// Files left out for their size: path, size (when known) and the limit it exceeds.
    pub fn oversized(&self) -> impl Iterator<Item = (&str, Option<u64>, u64)> {
        self.oversized
            .iter()
            .map(|(p, &(size, limit))| (p.as_str(), size, limit))
    }

    /// Every path, in sorted order.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.files.keys().map(String::as_str)
    }

    /// Number of files.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// True when there are no files.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Reads every manifest and lockfile below `dir` (skipping `node_modules`, `target`, `.git`
    /// and similar directories), with the default [`ScanOptions`].
    pub fn from_dir(dir: &Path) -> Result<Snapshot, Error> {
        Snapshot::from_dir_with(dir, &ScanOptions::default())
    }

    /// [`Snapshot::from_dir`] with explicit options: a file over
    /// [`ScanOptions::max_file_bytes`] is not read (its size comes from the file system) and is
    /// recorded with [`Snapshot::leave_out`].
    pub fn from_dir_with(dir: &Path, options: &ScanOptions) -> Result<Snapshot, Error> {
        let mut snapshot = Snapshot::new();
        walk(dir, "", options, &mut snapshot)?;
        Ok(snapshot)
    }

    /// Reads the manifests and lockfiles of any [`RepoFiles`] source, with the default
    /// [`ScanOptions`].
    pub async fn from_repo(repo: &dyn RepoFiles) -> Result<Snapshot, Error> {
        Snapshot::from_repo_with(repo, &ScanOptions::default()).await
    }

    /// [`Snapshot::from_repo`] with explicit options. Files are read one at a time, so at most
    /// one file is in flight; a file over [`ScanOptions::max_file_bytes`] is dropped as soon as
    /// it has arrived and recorded with [`Snapshot::leave_out`].
    pub async fn from_repo_with(
        repo: &dyn RepoFiles,
        options: &ScanOptions,
    ) -> Result<Snapshot, Error> {
        let mut snapshot = Snapshot::new();
        for path in repo.list_paths().await? {
            if is_manifest_path(&path) {
                match repo.read_at_most(&path, options.max_file_bytes).await? {
                    Limited::Read(bytes) => snapshot.insert(path, bytes),
                    Limited::TooLarge { size } => {
                        snapshot.leave_out(path, size, options.max_file_bytes)
                    }
                }
            }
        }
        Ok(snapshot)
    }
}

fn walk(dir: &Path, prefix: &str, options: &ScanOptions, out: &mut Snapshot) -> Result<(), Error> {
    let io = |source| Error::Io {
        path: dir.display().to_string(),
        source,
    };
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(io)?
        .collect::<Result<_, _>>()
        .map_err(io)?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        let rel = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}/{name}")
        };
        let kind = entry.file_type().map_err(io)?;
        if kind.is_dir() {
            if !SKIPPED_DIRS.contains(&name.as_str()) {
                walk(&entry.path(), &rel, options, out)?;
            }
        } else if kind.is_file() && is_manifest_path(&rel) {
            let size = entry.metadata().map_err(io)?.len();
            if size > options.max_file_bytes {
                out.leave_out(rel, Some(size), options.max_file_bytes);
                continue;
            }
            let bytes = std::fs::read(entry.path()).map_err(|source| Error::Io {
                path: entry.path().display().to_string(),
                source,
            })?;
            out.insert(rel, bytes);
        }
    }
    Ok(())
}

#[async_trait]
impl RepoFiles for Snapshot {
    async fn list_paths(&self) -> Result<Vec<String>, Error> {
        Ok(self.files.keys().cloned().collect())
    }

    async fn read(&self, path: &str) -> Result<Vec<u8>, Error> {
        self.get(path)
            .map(Cow::into_owned)
            .ok_or_else(|| Error::Io {
                path: path.to_string(),
                source: std::io::Error::new(std::io::ErrorKind::NotFound, "not in snapshot"),
            })
    }
}

/// Maps byte offsets of a text to one-based line numbers.
#[derive(Debug)]
pub(crate) struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub(crate) fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i + 1),
        );
        LineIndex { starts }
    }

    /// One-based line of `offset`.
    pub(crate) fn line(&self, offset: usize) -> u32 {
        let idx = match self.starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        u32::try_from(idx + 1).unwrap_or(u32::MAX)
    }
}

/// The directory part of a repository path (`""` for the root).
pub(crate) fn dir_of(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(d, _)| d)
}

/// Joins a directory and a relative path, resolving `.` and `..`.
pub(crate) fn join(dir: &str, rel: &str) -> String {
    let mut parts: Vec<&str> = if dir.is_empty() {
        Vec::new()
    } else {
        dir.split('/').collect()
    };
    for seg in rel.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    parts.join("/")
}

#[cfg(test)]
mod tests;
