//! The advisory store on disk: per ecosystem the last full archive and the deltas merged since,
//! each file named by and checked against its SHA-256, and a manifest naming them with their
//! watermarks. Every file is written atomically (temporary file, fsync, rename, fsync of the
//! folder) and the manifest last, so a crash leaves either the old or the new store. The merged
//! delta lives on disk only, and once it outgrows [`COMPACT_AT`] the ecosystem's data is written
//! as a new full archive instead, so neither the delta file nor a restart's replay grows without
//! bound when the cloud only ever sends deltas.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::Digest as _;

use crate::advisories::sync::{ecosystem_archive, SyncBatch, SyncChange};
use crate::advisories::AdvisoryDb;
use crate::{Ecosystem, Error};

/// The manifest's file name.
const MANIFEST: &str = "manifest.json";
/// The manifest's `format`; bump it when the layout changes.
const FORMAT: &str = "gitproxy-advisory-store/1";
/// A merged delta of at least this many bytes, and at least half the size of its ecosystem's
/// archive, is folded into a new full archive.
pub(super) const COMPACT_AT: usize = 1 << 20;

/// The manifest: what the store holds on disk, kept in memory between syncs (the merged deltas
/// stay in their files).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(super) struct Persisted {
    format: String,
    ecosystems: BTreeMap<String, EcoFiles>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct EcoFiles {
    /// The watermark of the full archive.
    full_watermark: String,
    archive: FileRef,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    delta: Option<FileRef>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct FileRef {
    file: String,
    sha256: String,
}

/// Every delta since the full archive, merged: the latest version of each changed record.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Delta {
    watermark: String,
    /// Record id to its JSON (as a string, byte for byte).
    records: BTreeMap<String, String>,
    withdrawn: BTreeSet<String>,
}

fn hex(bytes: &[u8]) -> String {
    crate::lower_hex(&sha2::Sha256::digest(bytes))
}

fn file_stem(ecosystem: &str) -> String {
    ecosystem
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

fn store_error(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::AdvisoryStore {
        path: path.display().to_string(),
        source,
    }
}

/// Writes `bytes` to `dir/name` atomically and durably.
fn write_atomic(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), Error> {
    let path = dir.join(name);
    let tmp = dir.join(format!(".{name}.tmp"));
    let mut file = std::fs::File::create(&tmp).map_err(store_error(&tmp))?;
    file.write_all(bytes).map_err(store_error(&tmp))?;
    file.sync_all().map_err(store_error(&tmp))?;
    drop(file);
    std::fs::rename(&tmp, &path).map_err(store_error(&path))?;
    // The rename is durable once the folder is.
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Checks that `dir` exists (creating it) and takes a file.
pub(super) fn probe(dir: &Path) -> Result<(), Error> {
    std::fs::create_dir_all(dir).map_err(store_error(dir))?;
    let probe = dir.join(".probe.tmp");
    std::fs::write(&probe, b"").map_err(store_error(&probe))?;
    std::fs::remove_file(&probe).map_err(store_error(&probe))
}

impl Persisted {
    /// Records `batch` (already validated and applied in memory, giving `db`) on disk; on error
    /// the store on disk and `self` are unchanged.
    pub(super) fn record(
        &mut self,
        dir: &Path,
        batch: &SyncBatch,
        db: &AdvisoryDb,
    ) -> Result<(), Error> {
        std::fs::create_dir_all(dir).map_err(store_error(dir))?;
        let mut next = self.clone();
        next.format = FORMAT.into();
        match &batch.change {
            SyncChange::Full { archive } => {
                next.ecosystems.insert(
                    batch.ecosystem.clone(),
                    full_files(dir, &batch.ecosystem, &batch.watermark, archive)?,
                );
            }
            SyncChange::Delta {
                records, withdrawn, ..
            } => {
                let Some(files) = next.ecosystems.get_mut(&batch.ecosystem) else {
                    // Data synced before a store directory existed: nothing to build on; the
                    // next restart serves the mounted data until a full sync.
                    tracing::warn!(ecosystem = %batch.ecosystem, "advisory delta not persisted: the store has no full archive for it");
                    return Ok(());
                };
                let merged = match &files.delta {
                    Some(r) => read_checked(dir, r).and_then(|bytes| {
                        serde_json::from_slice::<Delta>(&bytes)
                            .map_err(|e| format!("{}: {e}", r.file))
                    }),
                    None => Ok(Delta::default()),
                }
                .and_then(|mut delta| {
                    merge(&mut delta, batch, records, withdrawn);
                    serde_json::to_vec(&delta).map_err(|e| e.to_string())
                });
                let archive_len = std::fs::metadata(dir.join(&files.archive.file))
                    .map_or(0, |m| usize::try_from(m.len()).unwrap_or(usize::MAX));
                let keep_delta =
                    matches!(&merged, Ok(b) if b.len() < COMPACT_AT.max(archive_len / 2));
                // Too large to keep merging, or the merged delta on disk is unreadable: the data
                // in memory is the truth, written as a new full archive.
                let folded = if keep_delta {
                    None
                } else {
                    Some(
                        batch
                            .ecosystem
                            .parse::<Ecosystem>()
                            .map_err(|_| format!("unknown ecosystem {}", batch.ecosystem))
                            .and_then(|eco| ecosystem_archive(db, eco).map_err(|e| e.to_string())),
                    )
                };
                match (folded, merged) {
                    (Some(Ok(archive)), merged) => {
                        match merged {
                            Ok(bytes) => tracing::info!(ecosystem = %batch.ecosystem, delta_bytes = bytes.len(), archive_bytes = archive.len(), "merged advisory delta folded into a new full archive"),
                            Err(e) => tracing::warn!(ecosystem = %batch.ecosystem, error = %e, "the stored advisory delta is unreadable; the data in memory is written as a new full archive"),
                        }
                        *files = full_files(dir, &batch.ecosystem, &batch.watermark, &archive)?;
                    }
                    (folded, Ok(bytes)) => {
                        if let Some(Err(e)) = folded {
                            // Over zip's 65,535 members, say: the merged delta keeps growing.
                            tracing::warn!(ecosystem = %batch.ecosystem, error = %e, "the merged advisory delta could not be folded into a full archive; it is kept, and a full sync replaces it");
                        }
                        let sha256 = hex(&bytes);
                        let file = format!(
                            "{}-delta-{}.json",
                            file_stem(&batch.ecosystem),
                            &sha256[..16]
                        );
                        write_atomic(dir, &file, &bytes)?;
                        files.delta = Some(FileRef { file, sha256 });
                    }
                    (_, Err(e)) => {
                        return Err(Error::AdvisoryStore {
                            path: dir.display().to_string(),
                            source: std::io::Error::other(format!(
                                "the merged delta of {} cannot be read back ({e}) nor the data rewritten whole; send a full sync of it",
                                batch.ecosystem
                            )),
                        })
                    }
                }
            }
        }
        let manifest = serde_json::to_vec_pretty(&next).map_err(|e| Error::AdvisoryStore {
            path: dir.display().to_string(),
            source: std::io::Error::other(e),
        })?;
        write_atomic(dir, MANIFEST, &manifest)?;
        *self = next;
        self.remove_unreferenced(dir);
        Ok(())
    }

    /// Removes files the manifest no longer names (best effort).
    fn remove_unreferenced(&self, dir: &Path) {
        let keep: BTreeSet<&str> = self
            .ecosystems
            .values()
            .flat_map(|f| std::iter::once(&f.archive).chain(f.delta.as_ref()))
            .map(|r| r.file.as_str())
            .chain([MANIFEST])
            .collect();
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if ours(&name) && !keep.contains(name.as_str()) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
}

/// Whether the store wrote a file of this name (`<ecosystem>-<hash>.zip`,
/// `<ecosystem>-delta-<hash>.json`, `.<name>.tmp`): only those are ever removed, whatever else
/// shares the folder.
fn ours(name: &str) -> bool {
    if name.starts_with('.') && name.ends_with(".tmp") {
        return true;
    }
    let Some((_, tail)) = name.rsplit_once('-') else {
        return false;
    };
    let hash = tail.strip_suffix(".zip").or_else(|| {
        tail.strip_suffix(".json")
            .filter(|_| name.contains("-delta-"))
    });
    hash.is_some_and(|h| h.len() == 16 && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[derive(Deserialize)]
struct IdOnly {
    id: String,
}

/// Writes `archive` as the ecosystem's full archive: its files entry, without a delta.
fn full_files(
    dir: &Path,
    ecosystem: &str,
    watermark: &str,
    archive: &[u8],
) -> Result<EcoFiles, Error> {
    let sha256 = hex(archive);
    let file = format!("{}-{}.zip", file_stem(ecosystem), &sha256[..16]);
    write_atomic(dir, &file, archive)?;
    Ok(EcoFiles {
        full_watermark: watermark.to_owned(),
        archive: FileRef { file, sha256 },
        delta: None,
    })
}

/// Folds one delta batch into the merged delta: the latest version of each changed record.
fn merge(delta: &mut Delta, batch: &SyncBatch, records: &[Vec<u8>], withdrawn: &[String]) {
    delta.watermark = batch.watermark.clone();
    for json in records {
        let id = serde_json::from_slice::<IdOnly>(json)
            .map(|r| r.id)
            .unwrap_or_default();
        delta.withdrawn.remove(&id);
        delta
            .records
            .insert(id, String::from_utf8_lossy(json).into_owned());
    }
    for id in withdrawn {
        delta.records.remove(id);
        delta.withdrawn.insert(id.clone());
    }
}

/// The bytes of a file the manifest names, checked against its SHA-256.
fn read_checked(dir: &Path, r: &FileRef) -> Result<Vec<u8>, String> {
    let bytes = std::fs::read(dir.join(&r.file)).map_err(|e| format!("{}: {e}", r.file))?;
    if hex(&bytes) != r.sha256 {
        return Err(format!("{}: checksum mismatch", r.file));
    }
    Ok(bytes)
}

/// Reads the store in `dir` back as the batches that rebuild it: per ecosystem its full archive,
/// then its merged delta. `None` when there is no store; an error when any file is missing,
/// unreadable or does not match its checksum.
pub(super) fn load(dir: &Path) -> Result<Option<(Persisted, Vec<SyncBatch>)>, String> {
    let manifest = match std::fs::read(dir.join(MANIFEST)) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("{MANIFEST}: {e}")),
    };
    let persisted: Persisted =
        serde_json::from_slice(&manifest).map_err(|e| format!("{MANIFEST}: {e}"))?;
    if persisted.format != FORMAT {
        return Err(format!(
            "{MANIFEST}: format `{}` is not {FORMAT}",
            persisted.format
        ));
    }
    let mut batches = Vec::new();
    for (eco, files) in &persisted.ecosystems {
        batches.push(SyncBatch {
            ecosystem: eco.clone(),
            watermark: files.full_watermark.clone(),
            change: SyncChange::Full {
                archive: read_checked(dir, &files.archive)?,
            },
        });
        if let Some(r) = &files.delta {
            let delta: Delta = serde_json::from_slice(&read_checked(dir, r)?)
                .map_err(|e| format!("{}: {e}", r.file))?;
            batches.push(SyncBatch {
                ecosystem: eco.clone(),
                watermark: delta.watermark.clone(),
                change: SyncChange::Delta {
                    since: files.full_watermark.clone(),
                    records: delta
                        .records
                        .into_values()
                        .map(String::into_bytes)
                        .collect(),
                    withdrawn: delta.withdrawn.into_iter().collect(),
                },
            });
        }
    }
    Ok(Some((persisted, batches)))
}
