//! Limits that keep one huge or hostile file from taking a scan down: the bytes read per manifest
//! or lockfile, and how deeply a parsed document may nest. A file over a limit is a problem of
//! that file (see [`crate::analysis::Analysis::problems`]); the other files are still scanned.

/// The deepest nesting any parser accepts (JSON objects and arrays, XML elements; `toml_edit`
/// stops TOML at 80). Real manifests and lockfiles stay far below it; deeper input is refused
/// before anything recurses that far.
pub const MAX_NESTING: usize = 256;

/// The default of [`ScanOptions::max_file_bytes`]: 64 MiB.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// How a scan reads a repository's files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ScanOptions {
    /// The largest manifest or lockfile read, in bytes. A larger file is left out and reported
    /// as a problem naming the file and this limit.
    pub max_file_bytes: u64,
}

impl Default for ScanOptions {
    fn default() -> ScanOptions {
        ScanOptions {
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
        }
    }
}

impl ScanOptions {
    /// Sets [`ScanOptions::max_file_bytes`].
    pub fn max_file_bytes(mut self, bytes: u64) -> ScanOptions {
        self.max_file_bytes = bytes;
        self
    }
}

/// The problem reported for nesting deeper than [`MAX_NESTING`].
pub(crate) fn too_deep() -> String {
    format!("nested deeper than {MAX_NESTING} levels, the most one file may nest")
}

#[cfg(test)]
mod tests;
