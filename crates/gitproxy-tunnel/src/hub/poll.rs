//! The hub's side of the long-poll fallback: per-session queues of envelopes and pending results.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use http::{HeaderMap, StatusCode};
use hyper::body::Incoming;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use crate::error::Error;
use crate::protocol::{ErrorCode, PollEnvelope};

/// A result posted back by the agent; `done` fires when the caller finished reading the body.
pub(crate) struct PollResult {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Incoming,
    pub(crate) done: oneshot::Sender<()>,
}

pub(crate) struct PollState {
    pub(crate) session: String,
    pub(crate) tenant: String,
    pub(crate) max_concurrent: usize,
    queue_tx: mpsc::UnboundedSender<PollEnvelope>,
    queue_rx: tokio::sync::Mutex<mpsc::UnboundedReceiver<PollEnvelope>>,
    pending: Mutex<HashMap<String, oneshot::Sender<PollResult>>>,
    handed_out: Mutex<usize>,
    last_seen: Mutex<Instant>,
}

/// Removes a pending envelope when its caller gives up.
struct PendingGuard<'a> {
    state: &'a PollState,
    id: String,
}

impl Drop for PendingGuard<'_> {
    fn drop(&mut self) {
        self.state
            .pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.id);
    }
}

impl PollState {
    pub(crate) fn new(session: String, tenant: String, max_concurrent: usize) -> Self {
        let (queue_tx, queue_rx) = mpsc::unbounded_channel();
        PollState {
            session,
            tenant,
            max_concurrent,
            queue_tx,
            queue_rx: tokio::sync::Mutex::new(queue_rx),
            pending: Mutex::new(HashMap::new()),
            handed_out: Mutex::new(0),
            last_seen: Mutex::new(Instant::now()),
        }
    }

    pub(crate) fn touch(&self) {
        *self.last_seen.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
    }

    pub(crate) fn idle_for(&self) -> Duration {
        self.last_seen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .elapsed()
    }

    /// Queues an envelope and waits for its result.
    pub(crate) async fn submit(&self, envelope: PollEnvelope) -> Result<PollResult, Error> {
        let (tx, rx) = oneshot::channel();
        let id = envelope.id.clone();
        self.pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id.clone(), tx);
        let _guard = PendingGuard { state: self, id };
        if self.queue_tx.send(envelope).is_err() {
            return Err(lost());
        }
        rx.await.map_err(|_| lost())
    }

    /// Envelopes for one poll: waits up to `wait` for the first, then takes what is queued, up to the
    /// agent's free concurrency.
    pub(crate) async fn take(&self, wait: Duration) -> Vec<PollEnvelope> {
        let Ok(mut rx) = tokio::time::timeout(wait, self.queue_rx.lock()).await else {
            return Vec::new();
        };
        let free = {
            let handed = *self.handed_out.lock().unwrap_or_else(|e| e.into_inner());
            self.max_concurrent.saturating_sub(handed).max(1)
        };
        let mut out = Vec::new();
        let first = tokio::time::timeout(wait, rx.recv()).await;
        if let Ok(Some(envelope)) = first {
            out.push(envelope);
            while out.len() < free {
                match rx.try_recv() {
                    Ok(envelope) => out.push(envelope),
                    Err(_) => break,
                }
            }
        }
        *self.handed_out.lock().unwrap_or_else(|e| e.into_inner()) += out.len();
        out
    }

    /// Hands a posted result to its caller; `false` when the id is unknown, already answered, or its caller
    /// gave up.
    pub(crate) fn complete(&self, id: &str, result: PollResult) -> bool {
        let tx = self
            .pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(id);
        {
            let mut handed = self.handed_out.lock().unwrap_or_else(|e| e.into_inner());
            *handed = handed.saturating_sub(1);
        }
        tx.is_some_and(|tx| tx.send(result).is_ok())
    }

    /// Fails every pending call (the session ended).
    pub(crate) fn fail_all(&self) {
        self.pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }
}

fn lost() -> Error {
    Error::op(
        ErrorCode::ConnectionLost,
        "the agent's long-poll session ended before the result; the call may be retried",
    )
}
