//! Server-wide state every layer reaches (the model behind its lock, git, faults, the request log, link
//! rendering) and the response body type, kept below the accept loop so handlers never import the server.

use std::convert::Infallible;
use std::io;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use bytes::Bytes;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full};

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
    /// Keeps the temporary directory (bare repositories, git HOME) alive.
    pub(crate) _dir: Option<tempfile::TempDir>,
}

impl Shared {
    pub(crate) fn new(
        state: State,
        git: Git,
        links: Links,
        context_path: String,
        repos_root: PathBuf,
        dir: Option<tempfile::TempDir>,
    ) -> Self {
        Self {
            state: Mutex::new(state),
            git,
            faults: Faults::default(),
            log: RequestLog::default(),
            links,
            context_path,
            repos_root,
            request_counter: AtomicU64::new(1),
            _dir: dir,
        }
    }

    pub(crate) fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The next `X-AREQUESTID` sequence number.
    pub(crate) fn next_request_id(&self) -> u64 {
        self.request_counter.fetch_add(1, Ordering::Relaxed)
    }
}
