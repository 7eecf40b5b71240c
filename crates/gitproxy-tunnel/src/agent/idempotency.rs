//! The agent's idempotency store: completed results of mutating operations kept for a window, so a replay
//! after a reconnect returns the stored result instead of doing the work twice (section 7).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::watch;
use tokio::time::Instant;

/// A stored response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Stored {
    pub(crate) status: u16,
    pub(crate) content_type: String,
    pub(crate) body: Bytes,
}

#[derive(Debug)]
enum Slot {
    Running {
        hash: u64,
        rx: watch::Receiver<Option<Stored>>,
    },
    Done {
        hash: u64,
        stored: Stored,
    },
}

#[derive(Debug)]
struct Entry {
    slot: Slot,
    at: Instant,
}

/// What a caller must do with an idempotency key.
#[derive(Debug)]
pub(crate) enum Begin {
    /// First time: run the work, then [`IdempotencyStore::finish`] or [`IdempotencyStore::abandon`].
    Run(watch::Sender<Option<Stored>>),
    /// Already running: wait for the result.
    Wait(watch::Receiver<Option<Stored>>),
    /// Already done: replay.
    Done(Stored),
    /// Same key, different request.
    Conflict,
}

/// Keys are `(operation name, idempotency key)`; entries expire after `ttl`, the oldest go first past
/// `capacity`.
#[derive(Debug)]
pub(crate) struct IdempotencyStore {
    entries: Mutex<HashMap<(String, String), Entry>>,
    ttl: Duration,
    capacity: usize,
}

impl IdempotencyStore {
    pub(crate) fn new(ttl: Duration, capacity: usize) -> Self {
        IdempotencyStore {
            entries: Mutex::new(HashMap::new()),
            ttl,
            capacity,
        }
    }

    pub(crate) fn begin(&self, name: &str, key: &str, hash: u64) -> Begin {
        let now = Instant::now();
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let id = (name.to_owned(), key.to_owned());
        if let Some(entry) = entries.get(&id) {
            let expired = now.duration_since(entry.at) > self.ttl;
            match &entry.slot {
                Slot::Running { hash: h, .. } | Slot::Done { hash: h, .. } if *h != hash => {
                    if !expired {
                        return Begin::Conflict;
                    }
                }
                Slot::Running { rx, .. } => return Begin::Wait(rx.clone()),
                Slot::Done { stored, .. } if !expired => return Begin::Done(stored.clone()),
                Slot::Done { .. } => {}
            }
        }
        if entries.len() >= self.capacity {
            Self::evict(&mut entries, now, self.ttl, self.capacity);
        }
        let (tx, rx) = watch::channel(None);
        entries.insert(
            id,
            Entry {
                slot: Slot::Running { hash, rx },
                at: now,
            },
        );
        Begin::Run(tx)
    }

    /// Drops expired entries, then the oldest completed ones, until there is room for one more.
    fn evict(
        entries: &mut HashMap<(String, String), Entry>,
        now: Instant,
        ttl: Duration,
        capacity: usize,
    ) {
        entries.retain(|_, e| {
            matches!(e.slot, Slot::Running { .. }) || now.duration_since(e.at) <= ttl
        });
        while entries.len() >= capacity {
            let oldest = entries
                .iter()
                .filter(|(_, e)| matches!(e.slot, Slot::Done { .. }))
                .min_by_key(|(_, e)| e.at)
                .map(|(k, _)| k.clone());
            match oldest {
                Some(k) => {
                    entries.remove(&k);
                }
                None => break,
            }
        }
    }

    /// Records the result of a run and wakes the waiters.
    pub(crate) fn finish(
        &self,
        name: &str,
        key: &str,
        tx: &watch::Sender<Option<Stored>>,
        stored: Stored,
    ) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(entry) = entries.get_mut(&(name.to_owned(), key.to_owned())) {
            if let Slot::Running { hash, .. } = entry.slot {
                entry.slot = Slot::Done {
                    hash,
                    stored: stored.clone(),
                };
                entry.at = Instant::now();
            }
        }
        drop(entries);
        tx.send_replace(Some(stored));
    }

    /// Forgets a run whose result must not be replayed (a retryable failure): a retry runs again.
    pub(crate) fn abandon(
        &self,
        name: &str,
        key: &str,
        tx: &watch::Sender<Option<Stored>>,
        stored: Stored,
    ) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.remove(&(name.to_owned(), key.to_owned()));
        drop(entries);
        tx.send_replace(Some(stored));
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries.lock().map(|e| e.len()).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests;
