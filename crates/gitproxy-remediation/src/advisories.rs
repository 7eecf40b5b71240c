//! The advisory database: OSV records loaded from directories, `all.zip` archives or handed in by
//! the caller, indexed by ecosystem and package, and matched against dependencies.
//!
//! Matching follows the OSV schema's evaluation rules: `SEMVER` and `ECOSYSTEM` ranges with
//! `introduced`, `fixed`, `last_affected` and `limit` events, explicit `versions` lists, and
//! withdrawn records never match. Findings for one dependency whose records share an id or
//! alias (CVE, GHSA, RUSTSEC, ...) are merged into one.

mod export;
mod index;
mod load;
mod matching;
mod mirror;
mod store;
mod sync;

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::SystemTime;

use serde::Serialize;

use crate::osv::{self, Record};
use crate::{zip, Ecosystem, Error};

pub use export::{AgentSync, OsvExport};

/// The `(modified, id)` lines of an osv.dev `modified_id.csv` for `ecosystem` (fuzzing entry).
#[doc(hidden)]
pub fn modified_ids_of(text: &str, ecosystem: &str) -> Vec<(i128, String)> {
    export::modified_ids(text, ecosystem)
}
use index::MemberLoc;
pub use matching::Matched;
use matching::Matcher;
pub use mirror::{MirrorRound, OsvMirror};
pub use store::{mounted_ages, AdvisoryStore, DataAge, StoreOptions, STALE_ADVISORY_DATA};
pub use sync::{SyncBatch, SyncChange, SyncLimits};

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
    /// The memory its records take, estimated as [`memory_estimate`] does.
    estimated_bytes: usize,
}

/// Memory an advisory record takes once loaded, estimated from its JSON: the JSON itself (kept
/// for the full record), its decoded `affected` ranges and its index entries come to about three
/// times the JSON, plus a fixed part per record (calibrated on `../shared/osv`: 17.9 MB of JSON in
/// 8,158 records grow the process by about 53 MiB, estimated at 55; see docs/benchmarks.md,
/// "advisories").
pub(crate) fn memory_estimate(json_bytes: usize) -> usize {
    json_bytes.saturating_mul(3).saturating_add(512)
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
    /// When the record was last current (`modified`, or `published` when that is implausible),
    /// nanoseconds since the Unix epoch: the data's age.
    modified: Option<i128>,
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

/// The JSON of an archive member a slot was loaded from through an index.
fn inflate_member(archive: &[u8], label: &str, loc: &MemberLoc) -> Result<Vec<u8>, Error> {
    archive
        .get(loc.start..loc.start + loc.csize)
        .ok_or_else(|| Error::Zip {
            path: label.to_string(),
            reason: format!("{}: outside the archive", loc.name),
        })
        .and_then(|data| zip::inflate(label, &loc.name, loc.method, data, loc.size))
}

impl Slot {
    /// Its share of the database's memory, as [`memory_estimate`] reckons it.
    fn estimated_bytes(&self) -> usize {
        memory_estimate(match &self.raw {
            Raw::None => 1024,
            Raw::Json(raw) => raw.len(),
            Raw::Member { loc, .. } => loc.size,
        })
    }

    /// The record's OSV JSON as it arrived (inflated from its archive when loaded through an
    /// index; serialised when it was inserted as a record).
    fn json(&self) -> Result<Vec<u8>, Error> {
        match &self.raw {
            Raw::None => serde_json::to_vec(&*self.record()).map_err(|e| Error::Osv {
                name: self.id.clone(),
                reason: e.to_string(),
            }),
            Raw::Json(raw) => Ok(raw.to_vec()),
            Raw::Member {
                archive,
                label,
                loc,
            } => inflate_member(archive, label, loc),
        }
    }

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
                    inflate_member(archive, label, loc)
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

    /// The memory its records take, estimated from their JSON (about three times it, see
    /// [`SyncLimits::max_memory_bytes`]).
    pub fn estimated_bytes(&self) -> usize {
        self.estimated_bytes
    }

    /// Every record, in load order (each is fully decoded on first use).
    pub fn records(&self) -> impl Iterator<Item = Arc<Record>> + '_ {
        self.slots.iter().map(|s| s.record())
    }

    /// The newest `modified` time (or `published`, where `modified` is implausible) of the
    /// records of each ecosystem (one of whose affected packages is in it), by OSV name: how
    /// current the data is.
    pub fn newest_modified(&self) -> HashMap<&'static str, SystemTime> {
        let mut out: HashMap<&'static str, i128> = HashMap::new();
        for slot in &self.slots {
            let Some(at) = slot.modified else { continue };
            for a in &slot.affected {
                let Some(eco) = a.package.as_ref().and_then(|p| {
                    let base = p.ecosystem.split(':').next().unwrap_or_default();
                    base.parse::<Ecosystem>().ok()
                }) else {
                    continue;
                };
                let newest = out.entry(eco.osv_name()).or_insert(at);
                *newest = (*newest).max(at);
            }
        }
        out.into_iter()
            .map(|(eco, at)| (eco, store::time_of(at)))
            .collect()
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
            modified: sync::record_time(record.modified.as_deref(), record.published.as_deref()),
            affected: record.affected.clone(),
            raw: Raw::None,
            full: OnceLock::from(Arc::new(record)),
        };
        self.insert_slot(slot)
    }

    fn insert_slot(&mut self, slot: Slot) -> bool {
        self.insert_shared(Arc::new(slot))
    }

    /// Adds a slot that another database may share (a sync copies the unchanged ones).
    fn insert_shared(&mut self, slot: Arc<Slot>) -> bool {
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
        self.estimated_bytes = self.estimated_bytes.saturating_add(slot.estimated_bytes());
        self.slots.push(slot);
        true
    }
}
