//! Loading advisories: OSV JSON files below a directory and osv.dev `all.zip` archives, whose
//! members are inflated and decoded for matching on all available cores.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use super::index::MemberLoc;
use super::{informational_of, AdvisoryDb, Raw, Slot};
use crate::{osv, zip, Error};

/// What matching needs from a record; everything else is skipped without allocating.
#[derive(serde::Deserialize)]
struct Light {
    id: String,
    #[serde(default, deserialize_with = "osv::null_default")]
    aliases: Vec<String>,
    #[serde(default)]
    withdrawn: Option<serde::de::IgnoredAny>,
    #[serde(default, deserialize_with = "osv::null_default")]
    modified: Option<String>,
    #[serde(default, deserialize_with = "osv::null_default")]
    published: Option<String>,
    #[serde(default, deserialize_with = "osv::null_default")]
    affected: Vec<osv::Affected>,
}

impl AdvisoryDb {
    /// Loads an osv.dev-style archive (`<ECOSYSTEM>/all.zip`, one `<ID>.json` per member).
    pub fn load_zip_file(&mut self, path: &Path) -> Result<usize, Error> {
        let bytes = std::fs::read(path).map_err(|source| Error::Io {
            path: path.display().to_string(),
            source,
        })?;
        self.load_zip_bytes(&bytes, &path.display().to_string())
    }

    /// Loads an archive from memory; `label` names it in errors. Members are inflated and decoded
    /// on all available cores.
    pub fn load_zip_bytes(&mut self, bytes: &[u8], label: &str) -> Result<usize, Error> {
        let decoded = decode_archive(bytes, label)?;
        let mut added = 0;
        for (_, slot) in decoded {
            added += usize::from(self.insert_slot(slot));
        }
        tracing::debug!(archive = label, records = added, "loaded OSV archive");
        Ok(added)
    }

    /// Loads a directory: every `all.zip` and every `*.json` OSV record below it.
    ///
    /// Symbolic links are followed, to folders as well as files: Kubernetes mounts ConfigMaps
    /// and volumes as a timestamped folder, a `..data` link to it and one link per entry into
    /// `..data`. A folder reached more than once (through links, or a link loop) is read once.
    /// A folder or link that cannot be read is an error naming it, never skipped.
    pub fn load_dir(&mut self, dir: &Path) -> Result<usize, Error> {
        self.load_dir_once(dir, &mut HashSet::new())
    }

    fn load_dir_once(&mut self, dir: &Path, seen: &mut HashSet<PathBuf>) -> Result<usize, Error> {
        let io = |source| Error::OsvDir {
            path: dir.display().to_string(),
            source,
        };
        if !seen.insert(std::fs::canonicalize(dir).map_err(io)?) {
            return Ok(0);
        }
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .map_err(io)?
            .collect::<Result<_, _>>()
            .map_err(io)?;
        entries.sort_by_key(|e| e.file_name());
        let mut added = 0;
        for entry in entries {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            let mut kind = entry.file_type().map_err(io)?;
            if kind.is_symlink() {
                // Where the link points decides; a dangling link is reported, not skipped.
                kind = std::fs::metadata(&path)
                    .map_err(|source| Error::OsvDir {
                        path: path.display().to_string(),
                        source,
                    })?
                    .file_type();
            }
            if kind.is_dir() {
                added += self.load_dir_once(&path, seen)?;
            } else if name.ends_with(".zip") {
                added += self.load_zip_file(&path)?;
            } else if name.ends_with(".json") {
                let bytes = std::fs::read(&path).map_err(|source| Error::Io {
                    path: path.display().to_string(),
                    source,
                })?;
                let light = serde_json::from_slice(&bytes).map_err(|e| Error::Osv {
                    name: path.display().to_string(),
                    reason: e.to_string(),
                })?;
                let slot = light_slot(light, bytes);
                added += usize::from(self.insert_slot(slot));
            }
        }
        Ok(added)
    }
}

/// Inflates and decodes every `.json` member on all available cores.
///
/// Helper threads only inflate, into buffers this thread allocated; this thread inflates its
/// share and decodes every member as it becomes ready. Keeping every allocation that outlives
/// the load on the calling thread matters: with glibc, memory a short-lived thread allocated
/// goes back to that thread's arena when the database is dropped, is handed back to the
/// kernel there, and the next load pays page faults for it again (about eight times as many
/// faults per load of the crates.io archive when helpers decoded too).
pub(super) fn decode_archive(bytes: &[u8], label: &str) -> Result<Vec<(MemberLoc, Slot)>, Error> {
    let members = zip::zip_members(bytes, label)?;
    let members: Vec<_> = members
        .into_iter()
        .filter(|m| m.name.ends_with(".json"))
        .collect();
    // Deflate expands at most about 1032:1; a larger announced size is a corrupt archive and
    // must not size a buffer.
    if let Some(m) = members
        .iter()
        .find(|m| m.size > m.data.len().saturating_mul(1032).saturating_add(64))
    {
        return Err(Error::Zip {
            path: label.to_string(),
            reason: format!(
                "{}: announces {} bytes from {} compressed bytes",
                m.name,
                m.size,
                m.data.len()
            ),
        });
    }
    // Below a few dozen members a helper costs more than it saves.
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 8)
        .min(members.len().div_ceil(64))
        .max(1);
    let mut bufs: Vec<Vec<u8>> = members.iter().map(|m| vec![0u8; m.size]).collect();
    let mut lights: Vec<Option<Light>> = (0..members.len()).map(|_| None).collect();
    let runs = split_for_decoding(&members, threads);
    std::thread::scope(|s| -> Result<(), Error> {
        let (tx, rx) = std::sync::mpsc::channel::<Result<(usize, &[u8]), Error>>();
        let mut rest: &mut [Vec<u8>] = &mut bufs;
        let mut first = 0;
        let mut own = None;
        let mut helpers = Vec::new();
        for (k, run) in runs.iter().enumerate() {
            let (mine, tail) = std::mem::take(&mut rest).split_at_mut(run.len());
            rest = tail;
            if k + 1 == runs.len() {
                own = Some((first, *run, mine));
                break;
            }
            let tx = tx.clone();
            let start = first;
            helpers.push(s.spawn(move || {
                let mut inflater = zip::Inflater::new();
                for (i, (m, buf)) in run.iter().zip(mine.iter_mut()).enumerate() {
                    let done = inflater.inflate_into(label, &m.name, m.method, m.data, buf);
                    let buf: &[u8] = buf;
                    // A closed channel means the decoding thread gave up: stop too.
                    if tx.send(done.map(|()| (start + i, buf))).is_err() {
                        return;
                    }
                }
            }));
            first += run.len();
        }
        drop(tx);
        let decode = |i: usize, json: &[u8], lights: &mut Vec<Option<Light>>| {
            let light: Light = serde_json::from_slice(json).map_err(|e| Error::Osv {
                name: format!("{label}:{}", members[i].name),
                reason: e.to_string(),
            })?;
            lights[i] = Some(light);
            Ok::<(), Error>(())
        };
        let run_all = || {
            if let Some((first, run, mine)) = own {
                let mut inflater = zip::Inflater::new();
                for (i, (m, buf)) in run.iter().zip(mine.iter_mut()).enumerate() {
                    inflater.inflate_into(label, &m.name, m.method, m.data, buf)?;
                    decode(first + i, buf, &mut lights)?;
                }
            }
            for done in &rx {
                let (i, json) = done?;
                decode(i, json, &mut lights)?;
            }
            Ok(())
        };
        let result = run_all();
        // Stop the helpers early on an error, and collect a panicked helper as missing
        // members (reported below) rather than a panic of this thread.
        drop(rx);
        for h in helpers {
            let _ = h.join();
        }
        result
    })?;
    let mut out = Vec::with_capacity(members.len());
    for ((m, buf), light) in members.iter().zip(bufs).zip(lights) {
        let Some(light) = light else {
            return Err(Error::Zip {
                path: label.to_string(),
                reason: format!("{}: not decoded (an inflating thread panicked)", m.name),
            });
        };
        let loc = MemberLoc {
            name: m.name.clone(),
            start: m.start,
            csize: m.data.len(),
            size: m.size,
            method: m.method,
        };
        out.push((loc, light_slot(light, buf)));
    }
    Ok(out)
}

/// Splits `members` into `n` consecutive runs to inflate, one per thread; the last run is the
/// calling thread's, which also decodes every member, so it inflates a smaller share of the
/// compressed bytes (decoding costs about a third of inflating).
fn split_for_decoding<'m, 'a>(
    members: &'m [zip::ZipMember<'a>],
    n: usize,
) -> Vec<&'m [zip::ZipMember<'a>]> {
    let total: usize = members.iter().map(|m| m.data.len()).sum();
    // Decoding every member costs about a third of inflating them all, so with the work spread
    // evenly the caller inflates (4 - n) / 3n of the bytes (none from four threads on) and
    // each helper an equal part of the rest.
    let own = (3 - (n - 1).min(3)) as f64 / (3 * n) as f64;
    let helper = (1.0 - own) / (n - 1).max(1) as f64;
    let mut parts = Vec::with_capacity(n);
    let mut rest = members;
    let mut seen = 0;
    for k in 1..n {
        let goal = (total as f64 * helper * k as f64) as usize;
        let mut cut = 0;
        while cut < rest.len() && seen < goal {
            seen += rest[cut].data.len();
            cut += 1;
        }
        let (part, tail) = rest.split_at(cut);
        parts.push(part);
        rest = tail;
    }
    parts.push(rest);
    parts
}

/// The slot of a record decoded for matching, keeping its JSON for the full record.
fn light_slot(light: Light, raw: Vec<u8>) -> Slot {
    Slot {
        id: light.id,
        aliases: light.aliases,
        informational: informational_of(&light.affected),
        withdrawn: light.withdrawn.is_some(),
        modified: super::sync::record_time(light.modified.as_deref(), light.published.as_deref()),
        affected: light.affected,
        raw: Raw::Json(raw.into_boxed_slice()),
        full: OnceLock::new(),
    }
}

#[cfg(test)]
mod tests;
