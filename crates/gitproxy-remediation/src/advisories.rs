//! The advisory database: OSV records loaded from directories, `all.zip` archives or handed in by
//! the caller, indexed by ecosystem and package, and matched against dependencies.
//!
//! Matching follows the OSV schema's evaluation rules: `SEMVER` and `ECOSYSTEM` ranges with
//! `introduced`, `fixed`, `last_affected` and `limit` events, explicit `versions` lists, and
//! withdrawn records never match. Findings for one dependency whose records share an id or
//! alias (CVE, GHSA, RUSTSEC, ...) are merged into one.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::sync::{Arc, OnceLock};

use serde::Serialize;

use crate::analysis::{Analysis, Dependency};
use crate::osv::{self, Record};
use crate::version::{self, Version};
use crate::{Ecosystem, Error};

/// Advisories indexed for matching.
///
/// Archive members are decoded in two steps: at load time only what matching needs (id,
/// `withdrawn`, `affected`), and the full record (details, references, severity) the first time
/// it is needed, from the inflated JSON kept in memory.
#[derive(Default)]
pub struct AdvisoryDb {
    slots: Vec<Arc<Slot>>,
    ids: HashMap<String, usize>,
    index: HashMap<(Ecosystem, String), Vec<Matcher>>,
}

impl std::fmt::Debug for AdvisoryDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdvisoryDb")
            .field("records", &self.slots.len())
            .field("packages", &self.index.len())
            .finish()
    }
}

/// One record: the parts matching needs, and the full record decoded on demand.
struct Slot {
    id: String,
    aliases: Vec<String>,
    informational: Option<String>,
    withdrawn: bool,
    affected: Vec<osv::Affected>,
    /// Where the full record is read from.
    raw: Raw,
    full: OnceLock<Arc<Record>>,
}

/// The source of a slot's full record.
enum Raw {
    /// Inserted as a record: nothing to decode.
    None,
    /// The record's JSON, inflated at load time.
    Json(Box<[u8]>),
    /// A member of an archive loaded through an index, inflated on first use.
    Member {
        archive: Arc<[u8]>,
        label: Arc<str>,
        loc: MemberLoc,
    },
}

/// Where one member's compressed data sits in its archive.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
struct MemberLoc {
    name: String,
    start: usize,
    csize: usize,
    size: usize,
    method: u16,
}

/// What matching needs from a record; everything else is skipped without allocating.
#[derive(serde::Deserialize)]
struct Light {
    id: String,
    #[serde(default, deserialize_with = "osv::null_default")]
    aliases: Vec<String>,
    #[serde(default)]
    withdrawn: Option<serde::de::IgnoredAny>,
    #[serde(default, deserialize_with = "osv::null_default")]
    affected: Vec<osv::Affected>,
}

/// A handle on one advisory of the database: ids at hand, the full record decoded on demand.
#[derive(Clone)]
pub struct Advisory(Arc<Slot>);

impl Advisory {
    /// The record id.
    pub fn id(&self) -> &str {
        &self.0.id
    }

    /// The record's aliases.
    pub fn aliases(&self) -> &[String] {
        &self.0.aliases
    }

    /// RustSec's informational kind (`unmaintained`, `unsound`, `notice`), if any.
    pub fn informational(&self) -> Option<&str> {
        self.0.informational.as_deref()
    }

    /// The full record.
    pub fn record(&self) -> Arc<Record> {
        self.0.record()
    }
}

impl std::fmt::Debug for Advisory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Advisory").field(&self.0.id).finish()
    }
}

fn informational_of(affected: &[osv::Affected]) -> Option<String> {
    affected
        .iter()
        .find_map(|a| a.database_specific.as_ref()?.informational.clone())
}

impl Slot {
    fn record(&self) -> Arc<Record> {
        Arc::clone(self.full.get_or_init(|| {
            let decoded = match &self.raw {
                Raw::None => None,
                Raw::Json(raw) => Some(Record::from_json(&self.id, raw)),
                Raw::Member {
                    archive,
                    label,
                    loc,
                } => Some(
                    archive
                        .get(loc.start..loc.start + loc.csize)
                        .ok_or_else(|| Error::Zip {
                            path: label.to_string(),
                            reason: format!("{}: outside the archive", loc.name),
                        })
                        .and_then(|data| osv::inflate(label, &loc.name, loc.method, data, loc.size))
                        .and_then(|json| Record::from_json(&self.id, &json)),
                ),
            };
            match decoded {
                Some(Ok(r)) => Arc::new(r),
                other => {
                    if let Some(Err(e)) = other {
                        tracing::warn!(id = %self.id, error = %e, "OSV record only partly readable; using its affected ranges");
                    }
                    Arc::new(Record {
                        id: self.id.clone(),
                        withdrawn: self.withdrawn.then(String::new),
                        affected: self.affected.clone(),
                        ..Record::default()
                    })
                }
            }
        }))
    }
}

/// One `affected` entry of one record, compiled lazily on first use.
#[derive(Debug)]
struct Matcher {
    record: usize,
    affected: usize,
    compiled: OnceLock<Compiled>,
}

#[derive(Debug, Default)]
struct Compiled {
    ranges: Vec<CompiledRange>,
    versions: Vec<String>,
    parsed_versions: Vec<Version>,
}

#[derive(Debug)]
struct CompiledRange {
    /// Sorted events; `None` is the `"0"` introduced sentinel (below every version).
    events: Vec<(Option<Version>, EventKind)>,
    limits: Vec<Version>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum EventKind {
    Introduced,
    Fixed,
    LastAffected,
}

/// A record that affects a queried package version.
#[derive(Clone, Debug)]
pub struct Hit {
    /// The record.
    pub record: Arc<Record>,
    /// Index of the matching entry in `record.affected`.
    pub affected: usize,
}

/// Whether a finding is a vulnerability or RustSec informational advisory.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A vulnerability: fixing it is the point.
    Vulnerability,
    /// RustSec `informational` (`unmaintained`, `unsound`, `notice`): reported, and `cargo audit`
    /// lists these as warnings rather than vulnerabilities.
    Informational(String),
}

/// One vulnerability affecting one dependency, with all records that describe it merged.
#[derive(Clone, Debug)]
pub struct Finding {
    /// Index into [`Analysis::dependencies`].
    pub dependency: usize,
    /// The preferred id (the ecosystem database's own: RUSTSEC, GO, PYSEC, then GHSA, CVE).
    pub id: String,
    /// Every other id and alias, sorted.
    pub aliases: Vec<String>,
    /// Vulnerability or informational.
    pub kind: Kind,
    /// The merged advisories, preferred first.
    pub records: Vec<Advisory>,
    /// Versions that fix it according to the matching ranges (lowest first, deduplicated).
    pub fixed: Vec<String>,
}

impl Finding {
    /// The summary of the first record that has one.
    pub fn summary(&self) -> Option<String> {
        self.records.iter().find_map(|r| r.record().summary.clone())
    }
}

impl AdvisoryDb {
    /// An empty database.
    pub fn new() -> AdvisoryDb {
        AdvisoryDb::default()
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// True when no record is loaded.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Every record, in load order (each is fully decoded on first use).
    pub fn records(&self) -> impl Iterator<Item = Arc<Record>> + '_ {
        self.slots.iter().map(|s| s.record())
    }

    /// The record with this id.
    pub fn get(&self, id: &str) -> Option<Arc<Record>> {
        self.ids.get(id).map(|&i| self.slots[i].record())
    }

    /// Adds one record; returns false (and keeps the first) when its id is already loaded.
    pub fn insert(&mut self, record: Record) -> bool {
        let slot = Slot {
            id: record.id.clone(),
            aliases: record.aliases.clone(),
            informational: informational_of(&record.affected),
            withdrawn: record.withdrawn.is_some(),
            affected: record.affected.clone(),
            raw: Raw::None,
            full: OnceLock::from(Arc::new(record)),
        };
        self.insert_slot(slot)
    }

    fn insert_slot(&mut self, slot: Slot) -> bool {
        if self.ids.contains_key(&slot.id) {
            return false;
        }
        let idx = self.slots.len();
        for (ai, affected) in slot.affected.iter().enumerate() {
            let Some(pkg) = &affected.package else {
                continue;
            };
            let Ok(eco) = pkg.ecosystem.parse::<Ecosystem>() else {
                continue;
            };
            self.index
                .entry((eco, eco.normalize_name(&pkg.name)))
                .or_default()
                .push(Matcher {
                    record: idx,
                    affected: ai,
                    compiled: OnceLock::new(),
                });
        }
        self.ids.insert(slot.id.clone(), idx);
        self.slots.push(Arc::new(slot));
        true
    }

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

    /// Loads a directory: every `all.zip` and every `*.json` OSV record below it.
    pub fn load_dir(&mut self, dir: &Path) -> Result<usize, Error> {
        let io = |source| Error::Io {
            path: dir.display().to_string(),
            source,
        };
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .map_err(io)?
            .collect::<Result<_, _>>()
            .map_err(io)?;
        entries.sort_by_key(|e| e.file_name());
        let mut added = 0;
        for entry in entries {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if entry.file_type().map_err(io)?.is_dir() {
                added += self.load_dir(&path)?;
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

    /// Every non-withdrawn record affecting `name` at `version` in `ecosystem`.
    pub fn affecting(&self, ecosystem: Ecosystem, name: &str, version: &str) -> Vec<Hit> {
        self.matching(ecosystem, name, version)
            .map(|m| Hit {
                record: self.slots[m.record].record(),
                affected: m.affected,
            })
            .collect()
    }

    /// Whether any non-withdrawn record affects this version (used to vet fix candidates).
    pub fn is_affected(&self, ecosystem: Ecosystem, name: &str, version: &str) -> bool {
        self.matching(ecosystem, name, version).next().is_some()
    }

    fn matching<'a>(
        &'a self,
        ecosystem: Ecosystem,
        name: &str,
        version: &'a str,
    ) -> impl Iterator<Item = &'a Matcher> + 'a {
        let matchers = self
            .index
            .get(&(ecosystem, ecosystem.normalize_name(name)))
            .map_or(&[][..], Vec::as_slice);
        let parsed = if matchers.is_empty() {
            None
        } else {
            Version::parse(ecosystem, version).ok()
        };
        matchers.iter().filter(move |m| {
            let slot = &self.slots[m.record];
            !slot.withdrawn
                && m.compiled
                    .get_or_init(|| compile(ecosystem, &slot.affected[m.affected]))
                    .affects(version, parsed.as_ref())
        })
    }

    /// Every record that mentions the package, withdrawn ones excluded.
    pub fn records_for(&self, ecosystem: Ecosystem, name: &str) -> Vec<Arc<Record>> {
        let mut seen = BTreeSet::new();
        self.index
            .get(&(ecosystem, ecosystem.normalize_name(name)))
            .into_iter()
            .flatten()
            .filter(|m| seen.insert(m.record))
            .filter(|m| !self.slots[m.record].withdrawn)
            .map(|m| self.slots[m.record].record())
            .collect()
    }

    /// Matches every dependency with an exact version; one finding per vulnerability per
    /// dependency, aliases merged.
    ///
    /// Large analyses are matched on all available cores; the order of the result is the order
    /// of the dependencies either way.
    pub fn scan(&self, analysis: &Analysis) -> Vec<Finding> {
        let deps = &analysis.dependencies;
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .clamp(1, 8);
        if threads == 1 || deps.len() < 1024 {
            return self.scan_range(deps, 0);
        }
        let chunk = deps.len().div_ceil(threads);
        let parts: Vec<_> = deps.chunks(chunk).collect();
        let Some((last, rest)) = parts.split_last() else {
            return Vec::new();
        };
        std::thread::scope(|s| {
            let handles: Vec<_> = rest
                .iter()
                .enumerate()
                .map(|(n, part)| s.spawn(move || self.scan_range(part, n * chunk)))
                .collect();
            // This thread matches the last part while the others match the rest.
            let mine = self.scan_range(last, rest.len() * chunk);
            let mut out = Vec::new();
            for (n, h) in handles.into_iter().enumerate() {
                // A panicking matcher thread is a bug; match its part on this thread instead.
                let part = h
                    .join()
                    .unwrap_or_else(|_| self.scan_range(rest[n], n * chunk));
                out.extend(part);
            }
            out.extend(mine);
            out
        })
    }

    fn scan_range(&self, deps: &[Dependency], offset: usize) -> Vec<Finding> {
        let mut out = Vec::new();
        for (i, dep) in deps.iter().enumerate() {
            out.extend(self.scan_dependency(offset + i, dep));
        }
        out
    }

    /// Findings for one dependency (`index` is its position in the analysis).
    pub fn scan_dependency(&self, index: usize, dep: &Dependency) -> Vec<Finding> {
        let Some(version) = &dep.version else {
            return Vec::new();
        };
        let hits = self
            .matching(dep.ecosystem, &dep.name, version)
            .map(|m| (Advisory(Arc::clone(&self.slots[m.record])), m.affected))
            .collect();
        merge_hits(index, dep.ecosystem, version, hits)
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
fn decode_archive(bytes: &[u8], label: &str) -> Result<Vec<(MemberLoc, Slot)>, Error> {
    let members = osv::zip_members(bytes, label)?;
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
                let mut inflater = osv::Inflater::new();
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
                let mut inflater = osv::Inflater::new();
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
    members: &'m [osv::ZipMember<'a>],
    n: usize,
) -> Vec<&'m [osv::ZipMember<'a>]> {
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

/// The `format` of index files; bump it when their layout changes.
const INDEX_FORMAT: &str = "gitproxy-osv-index/1";

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
    #[serde(default)]
    affected: Vec<osv::Affected>,
}

/// SHA-256 of the archive's central directory, in hex.
fn fingerprint(bytes: &[u8], label: &str) -> Result<String, Error> {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(osv::central_directory(bytes, label)?);
    Ok(digest.iter().map(|b| format!("{b:02x}")).collect())
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

/// The slot of a record decoded for matching, keeping its JSON for the full record.
fn light_slot(light: Light, raw: Vec<u8>) -> Slot {
    Slot {
        id: light.id,
        aliases: light.aliases,
        informational: informational_of(&light.affected),
        withdrawn: light.withdrawn.is_some(),
        affected: light.affected,
        raw: Raw::Json(raw.into_boxed_slice()),
        full: OnceLock::new(),
    }
}

/// Groups hits whose ids or aliases overlap and turns each group into a finding.
/// Ids and aliases of a group of hits, and the hits (advisory, affected index).
type Group = (BTreeSet<String>, Vec<(Advisory, usize)>);

fn merge_hits(
    index: usize,
    ecosystem: Ecosystem,
    version: &str,
    hits: Vec<(Advisory, usize)>,
) -> Vec<Finding> {
    let mut groups: Vec<Group> = Vec::new();
    for hit in hits {
        let ids: BTreeSet<String> = std::iter::once(hit.0.id())
            .chain(hit.0.aliases().iter().map(String::as_str))
            .map(String::from)
            .collect();
        let mut merged = (ids, vec![hit]);
        let mut k = 0;
        while k < groups.len() {
            if groups[k].0.intersection(&merged.0).next().is_some() {
                let (ids, hits) = groups.swap_remove(k);
                merged.0.extend(ids);
                merged.1.extend(hits);
                k = 0;
            } else {
                k += 1;
            }
        }
        groups.push(merged);
    }
    let current = Version::parse(ecosystem, version).ok();
    let mut out: Vec<Finding> = groups
        .into_iter()
        .map(|(mut ids, mut hits)| {
            // A RustSec placeholder id (`RUSTSEC-YYYY-0000`, used before an id is assigned)
            // that shares aliases with an assigned record is a stale duplicate of it.
            if hits.iter().any(|(a, _)| !is_placeholder(a.id())) {
                hits.retain(|(a, _)| !is_placeholder(a.id()));
                ids.retain(|id| !is_placeholder(id));
            }
            hits.sort_by_key(|(a, _)| (id_rank(a.id()), a.id().to_string()));
            let id = hits[0].0.id().to_string();
            let aliases = ids.into_iter().filter(|a| *a != id).collect();
            let kind = match hits.iter().find_map(|(a, _)| a.informational()) {
                Some(k) if hits.iter().all(|(a, _)| a.informational().is_some()) => {
                    Kind::Informational(k.to_string())
                }
                _ => Kind::Vulnerability,
            };
            let mut fixed: Vec<(Option<Version>, String)> = Vec::new();
            for (a, affected) in &hits {
                let ranges = &a.0.affected[*affected].ranges;
                for r in ranges.iter().filter(|r| r.kind != "GIT") {
                    for e in &r.events {
                        if let Some(f) = &e.fixed {
                            let parsed = Version::parse(ecosystem, f).ok();
                            let above = match (&parsed, &current) {
                                (Some(p), Some(c)) => p > c,
                                _ => true,
                            };
                            if above && !fixed.iter().any(|(_, s)| s == f) {
                                fixed.push((parsed, f.clone()));
                            }
                        }
                    }
                }
            }
            fixed.sort();
            Finding {
                dependency: index,
                id,
                aliases,
                kind,
                records: hits.into_iter().map(|(a, _)| a).collect(),
                fixed: fixed.into_iter().map(|(_, s)| s).collect(),
            }
        })
        .collect();
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out
}

/// RustSec's placeholder for a not yet numbered advisory.
fn is_placeholder(id: &str) -> bool {
    id.strip_prefix("RUSTSEC-")
        .and_then(|rest| rest.split_once('-'))
        .is_some_and(|(year, n)| year.len() == 4 && n == "0000")
}

/// Preference of id prefixes when naming a merged finding.
fn id_rank(id: &str) -> u8 {
    const ORDER: [&str; 6] = ["RUSTSEC-", "GO-", "PYSEC-", "GHSA-", "CVE-", "OSV-"];
    ORDER
        .iter()
        .position(|p| id.starts_with(p))
        .map_or(u8::MAX, |p| u8::try_from(p).unwrap_or(u8::MAX))
}

fn compile(ecosystem: Ecosystem, affected: &osv::Affected) -> Compiled {
    let mut out = Compiled {
        versions: affected.versions.clone(),
        parsed_versions: affected
            .versions
            .iter()
            .filter_map(|v| Version::parse(ecosystem, v).ok())
            .collect(),
        ranges: Vec::new(),
    };
    for range in &affected.ranges {
        let parse = |text: &str| -> Option<Version> {
            match range.kind.as_str() {
                // SEMVER ranges use plain semver whatever the ecosystem (Go omits the `v`).
                "SEMVER" => version::semver::Version::parse_loose(text)
                    .ok()
                    .map(Version::Semver),
                "ECOSYSTEM" => Version::parse(ecosystem, text).ok(),
                _ => None,
            }
        };
        if !matches!(range.kind.as_str(), "SEMVER" | "ECOSYSTEM") {
            continue;
        }
        let mut events = Vec::new();
        let mut limits = Vec::new();
        let mut ok = true;
        for e in &range.events {
            let (text, kind) = if let Some(t) = &e.introduced {
                (t, EventKind::Introduced)
            } else if let Some(t) = &e.fixed {
                (t, EventKind::Fixed)
            } else if let Some(t) = &e.last_affected {
                (t, EventKind::LastAffected)
            } else if let Some(t) = &e.limit {
                match parse(t) {
                    Some(v) => limits.push(v),
                    None if t == "*" => {}
                    None => ok = false,
                }
                continue;
            } else {
                continue;
            };
            if kind == EventKind::Introduced && text == "0" {
                events.push((None, kind));
                continue;
            }
            match parse(text) {
                Some(v) => events.push((Some(v), kind)),
                None => ok = false,
            }
        }
        if !ok {
            tracing::debug!(range = ?range.kind, "skipping an OSV range with unparsable versions");
            continue;
        }
        events.sort_by(|a, b| a.0.cmp(&b.0));
        out.ranges.push(CompiledRange { events, limits });
    }
    out
}

impl Compiled {
    fn affects(&self, text: &str, parsed: Option<&Version>) -> bool {
        if self.versions.iter().any(|v| v == text) {
            return true;
        }
        let Some(v) = parsed else {
            return false;
        };
        if self.parsed_versions.iter().any(|p| p == v) {
            return true;
        }
        self.ranges.iter().any(|r| r.affects(v))
    }
}

impl CompiledRange {
    fn affects(&self, v: &Version) -> bool {
        if !self.limits.is_empty() && !self.limits.iter().any(|l| v < l) {
            return false;
        }
        let mut affected = false;
        for (at, kind) in &self.events {
            match (kind, at) {
                (EventKind::Introduced, None) => affected = true,
                (EventKind::Introduced, Some(at)) if v >= at => affected = true,
                (EventKind::Fixed, Some(at)) if v >= at => affected = false,
                (EventKind::LastAffected, Some(at)) if v > at => affected = false,
                _ => {}
            }
        }
        affected
    }
}

#[cfg(test)]
mod tests;
