//! Registry answers that never change, kept across runs within a memory budget: the POM of a
//! released Maven version (a repository never replaces a published release), so an agent fetches
//! a shared parent or BOM once rather than once per scan. Least recently used out first.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use url::Url;

/// What [`ReleaseCache::default`] holds at most: a few hundred POMs (Spring Boot's parent and the
/// BOMs it imports are about 60 of 2-100 KB each).
pub const DEFAULT_RELEASE_CACHE_BYTES: usize = 8 << 20;

/// The largest answer kept: a POM over 1 MiB is not read by the analysis either, and one answer
/// should not push out a hundred others.
pub const MAX_KEPT_ANSWER: usize = 1 << 20;

/// What an entry costs beside its answer and its URL (held twice, as key and in the recency
/// order): the map slots, the `Bytes` and `Url` headers and the tick.
const ENTRY_OVERHEAD: usize = 128;

/// The memory one entry takes, as the budget counts it.
fn cost(url: &Url, body: &Bytes) -> usize {
    body.len() + 2 * url.as_str().len() + ENTRY_OVERHEAD
}

/// Immutable registry answers by URL, shared by every run that holds a clone.
#[derive(Clone)]
pub struct ReleaseCache {
    inner: Arc<Mutex<Lru>>,
}

struct Lru {
    budget: usize,
    used: usize,
    tick: u64,
    entries: HashMap<Url, (Bytes, u64)>,
    /// Entries by last use, oldest first.
    order: BTreeMap<u64, Url>,
}

impl ReleaseCache {
    /// A cache of at most `budget` bytes, answers, their URLs and bookkeeping counted (zero keeps
    /// nothing).
    pub fn new(budget: usize) -> ReleaseCache {
        ReleaseCache {
            inner: Arc::new(Mutex::new(Lru {
                budget,
                used: 0,
                tick: 0,
                entries: HashMap::new(),
                order: BTreeMap::new(),
            })),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Lru> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The answer kept for `url`, now the most recently used.
    pub fn get(&self, url: &Url) -> Option<Bytes> {
        let mut lru = self.lock();
        lru.tick += 1;
        let tick = lru.tick;
        let (body, last) = lru.entries.get_mut(url)?;
        let (body, old) = (body.clone(), std::mem::replace(last, tick));
        lru.order.remove(&old);
        lru.order.insert(tick, url.clone());
        Some(body)
    }

    /// Keeps `body` as the answer for `url`, dropping the least recently used answers until it
    /// fits; an answer over [`MAX_KEPT_ANSWER`], or one that would not fit the whole budget, is
    /// not kept.
    pub fn insert(&self, url: Url, body: Bytes) {
        let mut lru = self.lock();
        let size = cost(&url, &body);
        if body.len() > MAX_KEPT_ANSWER || size > lru.budget {
            return;
        }
        lru.tick += 1;
        let tick = lru.tick;
        if let Some((old, last)) = lru.entries.remove(&url) {
            lru.used -= cost(&url, &old);
            lru.order.remove(&last);
        }
        while lru.used + size > lru.budget {
            let Some((_, oldest)) = lru.order.pop_first() else {
                break;
            };
            if let Some((gone, _)) = lru.entries.remove(&oldest) {
                lru.used -= cost(&oldest, &gone);
            }
        }
        lru.used += size;
        lru.order.insert(tick, url.clone());
        lru.entries.insert(url, (body, tick));
    }

    /// How many answers it holds.
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The memory its entries take as the budget counts it: answers, URLs and bookkeeping.
    pub fn bytes(&self) -> usize {
        self.lock().used
    }
}

impl Default for ReleaseCache {
    fn default() -> ReleaseCache {
        ReleaseCache::new(DEFAULT_RELEASE_CACHE_BYTES)
    }
}

/// Counts only: the URLs may carry a registry's credentials.
impl std::fmt::Debug for ReleaseCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let lru = self.lock();
        f.debug_struct("ReleaseCache")
            .field("answers", &lru.entries.len())
            .field("bytes", &lru.used)
            .field("budget", &lru.budget)
            .finish()
    }
}

/// Whether the POM of Maven `version` can change after it is published: snapshots are
/// republished under the same version.
pub(crate) fn maven_version_is_release(version: &str) -> bool {
    !version.to_ascii_uppercase().ends_with("SNAPSHOT")
}

/// Whether `body` can be a POM worth keeping for the agent's lifetime: it has a `<project`
/// element and is not an HTML page (a proxy's or repository manager's login or error page sent
/// with status 200 is asked again next run rather than kept).
pub(crate) fn looks_like_pom(body: &[u8]) -> bool {
    let head = &body[..body.len().min(512)];
    let html = head
        .windows(5)
        .any(|w| w.eq_ignore_ascii_case(b"<html") || w.eq_ignore_ascii_case(b"<!doc"));
    !html && body.windows(8).any(|w| w == b"<project")
}

#[cfg(test)]
mod tests;
