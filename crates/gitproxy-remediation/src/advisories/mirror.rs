//! The optional local OSV mirror: a second source of advisory data for air-gapped customers who
//! mirror osv.dev internally. Configured only locally (the cloud cannot set it), reached through
//! the caller's connector (the egress rules), laid out like osv.dev's bucket
//! (`<base>/<ECOSYSTEM>/all.zip`, `modified_id.csv`, `<ID>.json`); each round brings every
//! ecosystem up to date through the same validated, persisted swap as `advisories.sync`. An
//! `all.zip` already applied is asked for conditionally (`If-None-Match`, `If-Modified-Since`) and,
//! when the mirror sends it anyway, recognised by its SHA-256, so an unchanged archive is neither
//! downloaded again where the server can say so nor applied again.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Empty, Limited};
use hyper_util::client::legacy::connect::Connect;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use sha2::Digest as _;
use url::Url;

use super::export::{changed_since, entry_of, modified_ids, newest};
use super::sync::{rfc3339_nanos, valid_id};
use super::{AdvisoryStore, SyncBatch, SyncChange, SyncLimits};
use crate::registry::{error_chain, redact};
use crate::Error;

/// Most changed records a delta fetches one by one; past it the round takes the full archive.
const MAX_DELTA_RECORDS: usize = 5_000;

/// An OSV mirror over HTTP(S).
pub struct OsvMirror<C> {
    base: Url,
    client: Client<C, Empty<Bytes>>,
    timeout: Duration,
    /// Per ecosystem, the `all.zip` last applied from this mirror.
    applied: Mutex<HashMap<String, Applied>>,
}

/// An `all.zip` applied from the mirror: its validators, checksum and the watermark it gave.
#[derive(Debug, Clone)]
struct Applied {
    watermark: String,
    etag: Option<String>,
    last_modified: Option<String>,
    sha256: Vec<u8>,
}

/// What the mirror answered for one file.
enum Fetched {
    /// 404 or 410.
    Missing,
    /// 304 to a conditional request.
    NotModified,
    /// The file, with its validators.
    Body {
        bytes: Bytes,
        etag: Option<String>,
        last_modified: Option<String>,
    },
}

/// A full round's archive.
enum Full {
    /// The mirror has none.
    Missing,
    /// The one last applied.
    Unchanged,
    /// A new archive to apply, and what to remember of it once applied.
    Batch(Box<(SyncBatch, Applied)>),
}

impl<C> std::fmt::Debug for OsvMirror<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OsvMirror")
            .field("base", &redact(&self.base))
            .finish_non_exhaustive()
    }
}

/// What one round did for one ecosystem.
#[derive(Debug)]
pub struct MirrorRound {
    /// The OSV ecosystem name.
    pub ecosystem: String,
    /// The watermark after the round (`None`: the mirror has no data for it), or the failure;
    /// on failure the old data keeps serving.
    pub result: Result<Option<String>, Error>,
}

impl<C> OsvMirror<C>
where
    C: Connect + Clone + Send + Sync + 'static,
{
    /// A mirror at `base` (an `http` or `https` URL, a trailing `/` is added) over `connector`,
    /// with a 60 s timeout per request.
    pub fn new(connector: C, mut base: Url) -> OsvMirror<C> {
        if !base.path().ends_with('/') {
            base.set_path(&format!("{}/", base.path()));
        }
        OsvMirror {
            base,
            client: Client::builder(TokioExecutor::new()).build(connector),
            timeout: Duration::from_secs(60),
            applied: Mutex::new(HashMap::new()),
        }
    }

    /// One round: for each of `ecosystems` (OSV names), the delta since the store's watermark
    /// (`modified_id.csv`, then each changed `<ID>.json`; a missing or withdrawn record is
    /// removed), or the full `all.zip` when the store has no watermark or the delta is large;
    /// each batch is validated, persisted and swapped in like `advisories.sync`.
    pub async fn poll(&self, store: &Arc<AdvisoryStore>, ecosystems: &[&str]) -> Vec<MirrorRound> {
        let mut out = Vec::new();
        for &ecosystem in ecosystems {
            let result = self.sync_one(store, ecosystem).await;
            match &result {
                Ok(Some(watermark)) => {
                    tracing::debug!(ecosystem, watermark, "OSV mirror round done");
                }
                Ok(None) => tracing::debug!(ecosystem, "the OSV mirror has no data for it"),
                Err(e) => {
                    tracing::warn!(ecosystem, error = %e, "advisory data from the OSV mirror refused or unreachable; the old data keeps serving");
                }
            }
            out.push(MirrorRound {
                ecosystem: ecosystem.to_owned(),
                result,
            });
        }
        out
    }

    async fn sync_one(
        &self,
        store: &Arc<AdvisoryStore>,
        ecosystem: &str,
    ) -> Result<Option<String>, Error> {
        let held = store.watermarks().get(ecosystem).cloned();
        let batch = match &held {
            None => None,
            Some(since) => self.delta(ecosystem, since, store.limits()).await?,
        };
        let (batch, applied) = match batch {
            Some(batch) => (batch, None),
            None => match self
                .full(ecosystem, store.limits(), held.as_deref())
                .await?
            {
                Full::Missing => return Ok(None),
                Full::Unchanged => {
                    tracing::debug!(ecosystem, "the OSV mirror's all.zip is the one applied");
                    return Ok(held);
                }
                Full::Batch(new) => {
                    let (batch, applied) = *new;
                    (batch, Some(applied))
                }
            },
        };
        let kind = match &batch.change {
            SyncChange::Full { .. } => "full",
            SyncChange::Delta {
                records, withdrawn, ..
            } => {
                if records.is_empty() && withdrawn.is_empty() {
                    return Ok(Some(batch.watermark));
                }
                "delta"
            }
        };
        let store = Arc::clone(store);
        let watermark = tokio::task::spawn_blocking(move || apply_batch(&store, batch))
            .await
            .map_err(|e| self.fail(ecosystem, format!("the sync stopped: {e}")))??;
        if let Some(applied) = applied {
            let watermark = watermark.clone();
            self.remember(
                ecosystem,
                Applied {
                    watermark,
                    ..applied
                },
            );
        }
        tracing::info!(ecosystem, watermark, kind, mirror = %redact(&self.base), "advisory data synced from the OSV mirror");
        Ok(Some(watermark))
    }

    /// The `all.zip` last applied for `ecosystem`.
    fn last_applied(&self, ecosystem: &str) -> Option<Applied> {
        let applied = self.applied.lock().unwrap_or_else(|e| e.into_inner());
        applied.get(ecosystem).cloned()
    }

    /// Remembers `applied` as the `all.zip` last applied for `ecosystem`.
    fn remember(&self, ecosystem: &str, applied: Applied) {
        let mut all = self.applied.lock().unwrap_or_else(|e| e.into_inner());
        all.insert(ecosystem.to_owned(), applied);
    }

    /// The full archive. Its watermark is left empty: it is the newest time of the records,
    /// taken when the batch is validated ([`apply_batch`]). While the store still holds the
    /// data of the archive last applied (its watermark is `held`), that one is asked for
    /// conditionally, and one that arrives with the same SHA-256 is [`Full::Unchanged`] too.
    async fn full(
        &self,
        ecosystem: &str,
        limits: &SyncLimits,
        held: Option<&str>,
    ) -> Result<Full, Error> {
        let last = self
            .last_applied(ecosystem)
            .filter(|last| held == Some(last.watermark.as_str()));
        let (archive, etag, last_modified) = match self
            .fetch(
                ecosystem,
                "all.zip",
                limits.max_archive_bytes,
                last.as_ref(),
            )
            .await?
        {
            Fetched::Missing => return Ok(Full::Missing),
            Fetched::NotModified => return Ok(Full::Unchanged),
            Fetched::Body {
                bytes,
                etag,
                last_modified,
            } => (bytes, etag, last_modified),
        };
        let sha256 = sha2::Sha256::digest(&archive).to_vec();
        if let Some(last) = last.filter(|l| l.sha256 == sha256) {
            self.remember(
                ecosystem,
                Applied {
                    etag,
                    last_modified,
                    ..last
                },
            );
            return Ok(Full::Unchanged);
        }
        Ok(Full::Batch(Box::new((
            SyncBatch {
                ecosystem: ecosystem.to_owned(),
                watermark: String::new(),
                change: SyncChange::Full {
                    archive: Vec::from(archive),
                },
            },
            Applied {
                watermark: String::new(),
                etag,
                last_modified,
                sha256,
            },
        ))))
    }

    /// The delta since `since`; `None` when it is too large to fetch record by record (or the
    /// mirror has no `modified_id.csv`), so the round takes the full archive.
    async fn delta(
        &self,
        ecosystem: &str,
        since: &str,
        limits: &SyncLimits,
    ) -> Result<Option<SyncBatch>, Error> {
        let from = rfc3339_nanos(since).unwrap_or(i128::MIN);
        let Some(csv) = self
            .get(ecosystem, "modified_id.csv", limits.max_archive_bytes)
            .await?
        else {
            return Ok(None);
        };
        let changed = changed_since(
            modified_ids(&String::from_utf8_lossy(&csv), ecosystem),
            from,
        );
        if changed.len() > MAX_DELTA_RECORDS {
            return Ok(None);
        }
        let mut records = Vec::new();
        let mut withdrawn = Vec::new();
        for id in changed.keys() {
            if !valid_id(id) {
                return Err(self.fail(
                    ecosystem,
                    format!("modified_id.csv lists `{id}`, not a record id"),
                ));
            }
            match self
                .get(ecosystem, &format!("{id}.json"), limits.max_archive_bytes)
                .await?
            {
                None => withdrawn.push(id.clone()),
                Some(json) => {
                    let (_, entry) = entry_of(&format!("{id}.json"), Vec::from(json))?;
                    if entry.withdrawn {
                        withdrawn.push(id.clone());
                    } else {
                        records.push(entry.json);
                    }
                }
            }
        }
        let watermark = newest(changed.values().copied()).unwrap_or_else(|| since.to_owned());
        Ok(Some(SyncBatch {
            ecosystem: ecosystem.to_owned(),
            watermark,
            change: SyncChange::Delta {
                since: since.to_owned(),
                records,
                withdrawn,
            },
        }))
    }

    fn fail(&self, ecosystem: &str, reason: impl Into<String>) -> Error {
        Error::OsvMirror {
            url: format!("{}{ecosystem}/", redact(&self.base)),
            reason: reason.into(),
        }
    }

    /// `GET <base>/<ecosystem>/<file>`, at most `limit` bytes of it; `None` for 404 and 410.
    async fn get(&self, ecosystem: &str, file: &str, limit: usize) -> Result<Option<Bytes>, Error> {
        match self.fetch(ecosystem, file, limit, None).await? {
            Fetched::Missing => Ok(None),
            Fetched::Body { bytes, .. } => Ok(Some(bytes)),
            Fetched::NotModified => Err(self.fail(
                ecosystem,
                format!(
                    "GET {file} answered 304 Not Modified to a request that was not conditional"
                ),
            )),
        }
    }

    /// `GET <base>/<ecosystem>/<file>`, at most `limit` bytes of it, conditional on `last`'s
    /// validators when given.
    async fn fetch(
        &self,
        ecosystem: &str,
        file: &str,
        limit: usize,
        last: Option<&Applied>,
    ) -> Result<Fetched, Error> {
        let url = self
            .base
            .join(&format!("{ecosystem}/{file}"))
            .map_err(|e| self.fail(ecosystem, format!("cannot build the URL of {file}: {e}")))?;
        let mut request = http::Request::get(url.as_str())
            .header(http::header::USER_AGENT, "gitproxy-remediation");
        if let Some(last) = last {
            if let Some(etag) = &last.etag {
                request = request.header(http::header::IF_NONE_MATCH, etag);
            }
            if let Some(at) = &last.last_modified {
                request = request.header(http::header::IF_MODIFIED_SINCE, at);
            }
        }
        let request = request
            .body(Empty::new())
            .map_err(|e| self.fail(ecosystem, format!("invalid request: {e}")))?;
        let response = tokio::time::timeout(self.timeout, self.client.request(request))
            .await
            .map_err(|_| {
                self.fail(
                    ecosystem,
                    format!("no answer for {file} within {:?}", self.timeout),
                )
            })?
            .map_err(|e| self.fail(ecosystem, format!("GET {file} failed: {}", error_chain(&e))))?;
        let status = response.status();
        if status == http::StatusCode::NOT_FOUND || status == http::StatusCode::GONE {
            return Ok(Fetched::Missing);
        }
        if status == http::StatusCode::NOT_MODIFIED && last.is_some() {
            return Ok(Fetched::NotModified);
        }
        if !status.is_success() {
            return Err(self.fail(ecosystem, format!("GET {file} answered {status}")));
        }
        let header = |name: http::header::HeaderName| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let (etag, last_modified) = (
            header(http::header::ETAG),
            header(http::header::LAST_MODIFIED),
        );
        let body = tokio::time::timeout(
            self.timeout,
            Limited::new(response.into_body(), limit).collect(),
        )
        .await
        .map_err(|_| {
            self.fail(
                ecosystem,
                format!("{file} did not arrive within {:?}", self.timeout),
            )
        })?
        .map_err(|e| self.fail(ecosystem, format!("reading {file} failed: {e}")))?;
        Ok(Fetched::Body {
            bytes: body.to_bytes(),
            etag,
            last_modified,
        })
    }
}

/// Applies `batch` to `store` and answers its watermark. A full batch takes its watermark from
/// its records, read by the one validation the store applies (an archive whose directory
/// announces more than the limits allow is refused before anything is inflated).
fn apply_batch(store: &AdvisoryStore, batch: SyncBatch) -> Result<String, Error> {
    if let SyncChange::Full { .. } = batch.change {
        return store.sync_full(batch);
    }
    store.sync(&batch)?;
    Ok(batch.watermark)
}

#[cfg(test)]
mod tests;
