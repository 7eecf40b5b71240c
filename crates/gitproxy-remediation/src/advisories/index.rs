//! The index cache of an archive: what matching needs of every member and where its data is,
//! kept in a file next to the archive so later loads inflate records only when they are needed.

use std::path::Path;
use std::sync::{Arc, OnceLock};

use super::load::decode_archive;
use super::{informational_of, AdvisoryDb, Raw, Slot};
use crate::{osv, zip, Error};

/// Where one member's compressed data sits in its archive.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub(super) struct MemberLoc {
    pub(super) name: String,
    pub(super) start: usize,
    pub(super) csize: usize,
    pub(super) size: usize,
    pub(super) method: u16,
}

impl AdvisoryDb {
    /// Loads an archive through an index file kept next to it (any writable path).
    ///
    /// When `index` matches the archive (same length and central directory), only the index is
    /// read and records are inflated from the archive the first time a finding needs them: a
    /// cold start then costs a fraction of inflating every member. Otherwise the archive is
    /// loaded in full and the index is (re)written; a failure to write it is logged, not fatal.
    pub fn load_zip_file_indexed(&mut self, archive: &Path, index: &Path) -> Result<usize, Error> {
        let label: Arc<str> = Arc::from(archive.display().to_string());
        let bytes: Arc<[u8]> = Arc::from(std::fs::read(archive).map_err(|source| Error::Io {
            path: label.to_string(),
            source,
        })?);
        let fingerprint = fingerprint(&bytes, &label)?;
        if let Some(file) = read_index(index, bytes.len(), &fingerprint) {
            let mut added = 0;
            for m in file.members {
                let slot = Slot {
                    informational: informational_of(&m.affected),
                    id: m.id,
                    aliases: m.aliases,
                    withdrawn: m.withdrawn,
                    modified: m.modified,
                    affected: m.affected,
                    raw: Raw::Member {
                        archive: Arc::clone(&bytes),
                        label: Arc::clone(&label),
                        loc: m.loc,
                    },
                    full: OnceLock::new(),
                };
                added += usize::from(self.insert_slot(slot));
            }
            tracing::debug!(archive = %label, records = added, "loaded OSV archive through its index");
            return Ok(added);
        }
        let decoded = decode_archive(&bytes, &label)?;
        let members = decoded
            .iter()
            .map(|(loc, slot)| IndexMember {
                loc: loc.clone(),
                id: slot.id.clone(),
                aliases: slot.aliases.clone(),
                withdrawn: slot.withdrawn,
                modified: slot.modified,
                affected: slot.affected.clone(),
            })
            .collect();
        write_index(
            index,
            &IndexFile {
                format: INDEX_FORMAT.into(),
                archive_len: bytes.len(),
                fingerprint,
                members,
            },
        );
        let mut added = 0;
        for (_, slot) in decoded {
            added += usize::from(self.insert_slot(slot));
        }
        Ok(added)
    }
}

/// The `format` of index files; bump it when their layout changes.
const INDEX_FORMAT: &str = "gitproxy-osv-index/2";

/// An archive's index: what matching needs of every member, and where its data is.
#[derive(serde::Serialize, serde::Deserialize)]
struct IndexFile {
    format: String,
    archive_len: usize,
    fingerprint: String,
    members: Vec<IndexMember>,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct IndexMember {
    /// Where the member is (a nested object: `flatten` would make decoding much slower).
    loc: MemberLoc,
    id: String,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(default)]
    withdrawn: bool,
    /// The record's `modified` time in nanoseconds since the Unix epoch.
    #[serde(default)]
    modified: Option<i128>,
    #[serde(default)]
    affected: Vec<osv::Affected>,
}

/// SHA-256 of the archive's central directory, in hex.
fn fingerprint(bytes: &[u8], label: &str) -> Result<String, Error> {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(zip::central_directory(bytes, label)?);
    Ok(crate::lower_hex(&digest))
}

/// The index at `path` when it describes this archive.
fn read_index(path: &Path, archive_len: usize, fingerprint: &str) -> Option<IndexFile> {
    let bytes = std::fs::read(path).ok()?;
    let file: IndexFile = match serde_json::from_slice(&bytes) {
        Ok(f) => f,
        Err(e) => {
            tracing::info!(index = %path.display(), error = %e, "unreadable OSV index; rebuilding it");
            return None;
        }
    };
    let fresh = file.format == INDEX_FORMAT
        && file.archive_len == archive_len
        && file.fingerprint == fingerprint;
    if !fresh {
        tracing::info!(index = %path.display(), "OSV index is for another archive; rebuilding it");
        return None;
    }
    Some(file)
}

/// Writes the index atomically (temporary file, then rename); failures are only logged.
fn write_index(path: &Path, file: &IndexFile) {
    let result = serde_json::to_vec(file)
        .map_err(std::io::Error::other)
        .and_then(|json| {
            let tmp = path.with_extension("tmp");
            std::fs::write(&tmp, json)?;
            std::fs::rename(&tmp, path)
        });
    if let Err(e) = result {
        tracing::warn!(index = %path.display(), error = %e, "could not write the OSV index; the next load inflates the archive again");
    }
}

#[cfg(test)]
mod tests;
