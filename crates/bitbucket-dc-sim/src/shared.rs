//! Server-wide state every layer reaches (the model behind its lock, git, faults, the request log, link
//! rendering) and the response body type, kept below the accept loop so handlers never import the server.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full};
use tokio::sync::watch;

use crate::faults::{Faults, RequestLog};
use crate::git::Git;
use crate::render::Links;
use crate::state::State;

/// Every response body the simulator produces.
pub(crate) type Body = UnsyncBoxBody<Bytes, io::Error>;

/// A complete in-memory body.
pub(crate) fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into())
        .map_err(|never: Infallible| match never {})
        .boxed_unsync()
}

/// Server-wide state shared by every connection.
#[derive(Debug)]
pub(crate) struct Shared {
    state: Mutex<State>,
    pub(crate) git: Git,
    pub(crate) faults: Faults,
    pub(crate) log: RequestLog,
    pub(crate) links: Links,
    /// `""` or e.g. `/bitbucket`.
    pub(crate) context_path: String,
    pub(crate) repos_root: PathBuf,
    request_counter: AtomicU64,
    /// Whether `<base>/_sim/` admin endpoints answer (loopback peers only).
    pub(crate) admin_endpoints: bool,
    rescope_delay: Mutex<Option<Duration>>,
    auto_merge_retry: Option<AutoMergeRetry>,
    /// How much scheduled work (delayed rescopes, auto-merge attempts) has not finished yet.
    pending_rescopes: watch::Sender<usize>,
    /// This value's own `Arc`, so work can be scheduled for later from a `&Shared`.
    this: Weak<Shared>,
    /// Keeps the temporary directory (bare repositories, git HOME) alive.
    pub(crate) _dir: Option<tempfile::TempDir>,
}

/// Tries a pending auto-merge request of pull request `(repo id, pr id)` again. Wired in by the simulator so
/// that rescoping (below merging) can ask for it without importing the merge code that rescopes.
pub(crate) type AutoMergeRetry =
    fn(Arc<Shared>, u64, u64) -> Pin<Box<dyn Future<Output = ()> + Send>>;

/// Switches chosen on the builder, and the hooks the simulator wires in.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Options {
    pub(crate) rescope_delay: Option<Duration>,
    pub(crate) admin_endpoints: bool,
    pub(crate) auto_merge_retry: Option<AutoMergeRetry>,
}

impl Shared {
    pub(crate) fn new(
        state: State,
        git: Git,
        links: Links,
        context_path: String,
        repos_root: PathBuf,
        dir: Option<tempfile::TempDir>,
        options: Options,
    ) -> Arc<Self> {
        Arc::new_cyclic(|this| Self {
            state: Mutex::new(state),
            git,
            faults: Faults::default(),
            log: RequestLog::default(),
            links,
            context_path,
            repos_root,
            request_counter: AtomicU64::new(1),
            admin_endpoints: options.admin_endpoints,
            rescope_delay: Mutex::new(options.rescope_delay),
            auto_merge_retry: options.auto_merge_retry,
            pending_rescopes: watch::channel(0).0,
            this: this.clone(),
            _dir: dir,
        })
    }

    pub(crate) fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The delay applied to pull request rescopes after a push (`None`: at once).
    pub(crate) fn rescope_delay(&self) -> Option<Duration> {
        *self.rescope_delay.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn set_rescope_delay(&self, delay: Option<Duration>) {
        *self.rescope_delay.lock().unwrap_or_else(|p| p.into_inner()) = delay;
    }

    /// Runs `work` after `delay` on its own task (delayed rescopes, auto-merge attempts), counted as pending
    /// until it finishes.
    pub(crate) fn schedule<F, Fut>(&self, delay: Duration, work: F)
    where
        F: FnOnce(Arc<Shared>) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let Some(this) = self.this.upgrade() else {
            return;
        };
        self.pending_rescopes.send_modify(|n| *n += 1);
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            work(this.clone()).await;
            this.pending_rescopes
                .send_modify(|n| *n = n.saturating_sub(1));
        });
    }

    /// Schedules another try of a pending auto-merge request (after the target moved).
    pub(crate) fn retry_auto_merge(&self, repo_id: u64, pr_id: u64) {
        if let Some(retry) = self.auto_merge_retry {
            self.schedule(Duration::ZERO, move |shared| retry(shared, repo_id, pr_id));
        }
    }

    /// Resolves once no scheduled work (delayed rescope, auto-merge attempt) is pending.
    pub(crate) async fn settle_rescopes(&self) {
        let mut pending = self.pending_rescopes.subscribe();
        let _ = pending.wait_for(|n| *n == 0).await;
    }

    /// The next `X-AREQUESTID` sequence number.
    pub(crate) fn next_request_id(&self) -> u64 {
        self.request_counter.fetch_add(1, Ordering::Relaxed)
    }
}
