//! The agent's shared, hot-swappable advisory data: every operation takes an `Arc` snapshot when
//! it starts and finishes on it; a sync builds the next database off to the side, persists it,
//! and swaps it in with one pointer store, so no operation waits for or fails because of a sync.

mod persist;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::sync::{apply, rfc3339_nanos, SyncBatch, SyncChange, SyncLimits, Validated};
use super::AdvisoryDb;
use crate::{Ecosystem, Error};

/// The words every scan result and report carries when some advisory data is older than
/// `max_advisory_age`.
pub const STALE_ADVISORY_DATA: &str = "stale advisory data";

/// How the store behaves.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// Where synced data and watermarks are persisted (none: kept in memory only).
    pub dir: Option<PathBuf>,
    /// Past this age, data is reported as [`STALE_ADVISORY_DATA`] (scans still run).
    pub max_age: Duration,
    /// The limits every sync batch is checked against.
    pub limits: SyncLimits,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            dir: None,
            max_age: Duration::from_secs(7 * 24 * 3600),
            limits: SyncLimits::default(),
        }
    }
}

/// How old one ecosystem's advisory data is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataAge {
    /// The OSV ecosystem name.
    pub ecosystem: String,
    /// The newest record time a sync delivered (none for baked-in or mounted data).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub watermark: Option<String>,
    /// Seconds since the data was current: since the watermark of synced data, since the
    /// newest record's `modified` time of baked-in or mounted data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub age_seconds: Option<u64>,
    /// Older than `max_advisory_age`.
    pub stale: bool,
}

/// What one ecosystem's data is and how fresh.
#[derive(Debug, Clone, Default)]
struct EcoState {
    watermark: Option<String>,
    /// When the data was current.
    fresh_at: Option<SystemTime>,
}

/// One consistent state: the database and what it holds.
#[derive(Debug, Default)]
struct Current {
    db: Arc<AdvisoryDb>,
    ecosystems: BTreeMap<String, EcoState>,
    /// Whether any data was configured or synced (scans need data).
    configured: bool,
}

/// The agent's advisory data, shared by every operation and replaced whole by syncs.
#[derive(Debug)]
pub struct AdvisoryStore {
    current: RwLock<Arc<Current>>,
    /// Serialises syncs (operations never take it).
    syncing: Mutex<persist::Persisted>,
    options: StoreOptions,
}

impl AdvisoryStore {
    /// A store with no data: scans fail until a sync delivers some.
    pub fn unconfigured(options: StoreOptions) -> AdvisoryStore {
        AdvisoryStore::with(Current::default(), options)
    }

    /// A store over baked-in or mounted data (none: scans fail until data is synced), whose
    /// per-ecosystem times are `ages`; any data
    /// persisted in `options.dir` by earlier syncs is replayed on top, so a restart needs only a
    /// delta. A corrupt or half-written store is logged and ignored (the mounted data serves).
    pub fn open(
        base: Option<AdvisoryDb>,
        ages: BTreeMap<String, SystemTime>,
        mut options: StoreOptions,
    ) -> AdvisoryStore {
        if let Some(dir) = &options.dir {
            if let Err(e) = persist::probe(dir) {
                tracing::warn!(store = %dir.display(), error = %e, "the advisory store directory is not writable; synced advisory data is kept in memory only and a restart needs full syncs again: mount a writable volume there");
                options.dir = None;
            }
        }
        let ecosystems = ages
            .into_iter()
            .map(|(eco, at)| {
                (
                    eco,
                    EcoState {
                        watermark: None,
                        fresh_at: Some(at),
                    },
                )
            })
            .collect();
        let mut current = Current {
            configured: base.is_some(),
            db: Arc::new(base.unwrap_or_default()),
            ecosystems,
        };
        let mut persisted = persist::Persisted::default();
        if let Some(dir) = &options.dir {
            match persist::load(dir) {
                Ok(None) => {}
                Ok(Some((loaded, batches))) => match replay(&current, batches, &options.limits) {
                    Ok(next) => {
                        tracing::info!(store = %dir.display(), ecosystems = ?next.ecosystems.keys().collect::<Vec<_>>(), "advisory store read back; the next sync needs only a delta");
                        current = next;
                        persisted = loaded;
                    }
                    Err(e) => {
                        tracing::warn!(store = %dir.display(), error = %e, "the advisory store could not be read back; serving the baked-in or mounted data until the next full sync");
                    }
                },
                Err(e) => {
                    tracing::warn!(store = %dir.display(), error = %e, "the advisory store is corrupt or half-written; serving the baked-in or mounted data until the next full sync");
                }
            }
        }
        let mut store = AdvisoryStore::with(current, options);
        store.syncing = Mutex::new(persisted);
        store
    }

    fn with(current: Current, options: StoreOptions) -> AdvisoryStore {
        AdvisoryStore {
            current: RwLock::new(Arc::new(current)),
            syncing: Mutex::new(persist::Persisted::default()),
            options,
        }
    }

    fn load(&self) -> Arc<Current> {
        Arc::clone(&self.current.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// The database every new operation uses; it stays valid for as long as the caller holds it.
    pub fn snapshot(&self) -> Arc<AdvisoryDb> {
        Arc::clone(&self.load().db)
    }

    /// Whether any data was configured or synced.
    pub fn is_configured(&self) -> bool {
        self.load().configured
    }

    /// The maximum age before data is stale.
    pub fn max_age(&self) -> Duration {
        self.options.max_age
    }

    /// The age of every ecosystem's data at `now`.
    pub fn ages(&self, now: SystemTime) -> Vec<DataAge> {
        let current = self.load();
        current
            .ecosystems
            .iter()
            .map(|(eco, state)| {
                let age = state
                    .fresh_at
                    .map(|at| now.duration_since(at).unwrap_or_default());
                DataAge {
                    ecosystem: eco.clone(),
                    watermark: state.watermark.clone(),
                    age_seconds: age.map(|a| a.as_secs()),
                    stale: age.is_none_or(|a| a > self.options.max_age),
                }
            })
            .collect()
    }

    /// The warning for stale data at `now`, when some is.
    pub fn stale_warning(&self, now: SystemTime) -> Option<String> {
        let stale: Vec<String> = self
            .ages(now)
            .into_iter()
            .filter(|a| a.stale)
            .map(|a| match a.age_seconds {
                Some(s) => format!("{} is {} days old", a.ecosystem, s / 86_400),
                None => format!("{} has no known age", a.ecosystem),
            })
            .collect();
        (!stale.is_empty()).then(|| {
            format!(
                "{STALE_ADVISORY_DATA}: {} (max {} days); findings may miss recent advisories; ask the cloud to sync advisories, or with an OSV mirror (advisories.mirror.url) check that it is reachable and current (`gitproxy check`)",
                stale.join(", "),
                self.options.max_age.as_secs() / 86_400
            )
        })
    }

    /// The watermark of every synced ecosystem.
    pub fn watermarks(&self) -> BTreeMap<String, String> {
        self.load()
            .ecosystems
            .iter()
            .filter_map(|(eco, s)| Some((eco.clone(), s.watermark.clone()?)))
            .collect()
    }

    /// The limits every sync batch is checked against.
    pub fn limits(&self) -> &SyncLimits {
        &self.options.limits
    }

    /// Like [`AdvisoryStore::sync`] for a full batch that carries no watermark (an OSV
    /// mirror's `all.zip`): its watermark is the newest `modified` time of its records, read by
    /// the one validation the batch goes through. Answers that watermark.
    pub fn sync_full(&self, mut batch: SyncBatch) -> Result<String, Error> {
        let mut persisted = self.syncing.lock().unwrap_or_else(|e| e.into_inner());
        let current = self.load();
        let validated =
            batch.validate_taking_watermark(&self.options.limits, current.db.estimated_bytes())?;
        let next = next_state(&current, &batch, validated);
        self.persist_and_swap(&mut persisted, &batch, next)?;
        Ok(batch.watermark)
    }

    /// Validates `batch` whole, applies it off to the side, persists it and swaps it in; on any
    /// error nothing changes and the old data keeps serving. Blocking (CPU and disk): run it on
    /// a blocking thread. A delta whose watermark is older than the agent's is already applied:
    /// it changes nothing and answers the current watermarks.
    pub fn sync(&self, batch: &SyncBatch) -> Result<BTreeMap<String, String>, Error> {
        let mut persisted = self.syncing.lock().unwrap_or_else(|e| e.into_inner());
        let current = self.load();
        if let SyncChange::Delta { since, .. } = &batch.change {
            let Some(have) = current
                .ecosystems
                .get(&batch.ecosystem)
                .and_then(|s| s.watermark.as_deref())
            else {
                return Err(Error::AdvisorySync {
                    ecosystem: batch.ecosystem.clone(),
                    reason:
                        "the agent has no watermark for it yet, so it needs a full archive first"
                            .into(),
                });
            };
            if rfc3339_nanos(since) > rfc3339_nanos(have) {
                return Err(Error::AdvisorySync {
                    ecosystem: batch.ecosystem.clone(),
                    reason: format!(
                        "the delta starts at {since}, after the agent's watermark {have}; send a delta since {have}"
                    ),
                });
            }
            if rfc3339_nanos(&batch.watermark) < rfc3339_nanos(have) {
                tracing::info!(ecosystem = %batch.ecosystem, watermark = have, "advisory delta already applied");
                return Ok(self.watermarks());
            }
        }
        let next = step(&current, batch, &self.options.limits)?;
        self.persist_and_swap(&mut persisted, batch, next)?;
        Ok(self.watermarks())
    }

    /// Persists `batch` (when the store has a directory) and swaps `next` in.
    fn persist_and_swap(
        &self,
        persisted: &mut persist::Persisted,
        batch: &SyncBatch,
        next: Current,
    ) -> Result<(), Error> {
        if let Some(dir) = &self.options.dir {
            persisted.record(dir, batch, &next.db)?;
        }
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(next);
        tracing::info!(ecosystem = %batch.ecosystem, watermark = %batch.watermark, "advisory data swapped in");
        Ok(())
    }
}

/// The state after one batch.
fn step(current: &Current, batch: &SyncBatch, limits: &SyncLimits) -> Result<Current, Error> {
    let validated = batch.validate(limits, current.db.estimated_bytes())?;
    Ok(next_state(current, batch, validated))
}

/// The state after `batch`, once validated.
fn next_state(current: &Current, batch: &SyncBatch, validated: Validated) -> Current {
    let db = apply(&current.db, validated);
    let mut ecosystems = current.ecosystems.clone();
    ecosystems.insert(
        batch.ecosystem.clone(),
        EcoState {
            fresh_at: rfc3339_nanos(&batch.watermark).map(time_of),
            watermark: Some(batch.watermark.clone()),
        },
    );
    Current {
        db: Arc::new(db),
        ecosystems,
        configured: true,
    }
}

/// Replays persisted batches in order.
fn replay(
    current: &Current,
    batches: Vec<SyncBatch>,
    limits: &SyncLimits,
) -> Result<Current, Error> {
    let mut state = Current {
        db: Arc::clone(&current.db),
        ecosystems: current.ecosystems.clone(),
        configured: current.configured,
    };
    for batch in &batches {
        state = step(&state, batch, limits)?;
    }
    Ok(state)
}

pub(super) fn time_of(nanos: i128) -> SystemTime {
    let secs = Duration::from_nanos(u64::try_from(nanos.max(0)).unwrap_or(u64::MAX));
    UNIX_EPOCH + secs
}

/// The time of the newest file of each ecosystem folder below a mounted OSV directory (folders
/// named after an ecosystem, as osv.dev exports them): the age of baked-in or mounted data whose
/// records carry no `modified` time ([`AdvisoryDb::newest_modified`] is the better measure).
pub fn mounted_ages(dir: &Path) -> BTreeMap<String, SystemTime> {
    let mut ages = BTreeMap::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return ages;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Ok(eco) = name.parse::<Ecosystem>() else {
            continue;
        };
        let newest = std::fs::read_dir(entry.path())
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|f| std::fs::metadata(f.path()).ok()?.modified().ok())
            .max();
        if let Some(at) = newest {
            ages.insert(eco.osv_name().to_owned(), at);
        }
    }
    ages
}

#[cfg(test)]
pub(crate) mod tests;
