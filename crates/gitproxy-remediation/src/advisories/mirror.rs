//! The optional local OSV mirror: a second source of advisory data for air-gapped customers who
//! mirror osv.dev internally. Configured only locally (the cloud cannot set it), reached through
//! the caller's connector (the egress rules), laid out like osv.dev's bucket
//! (`<base>/<ECOSYSTEM>/all.zip`, `modified_id.csv`, `<ID>.json`); each round brings every
//! ecosystem up to date through the same validated, persisted swap as `advisories.sync`.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Empty, Limited};
use hyper_util::client::legacy::connect::Connect;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
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
        let batch = match store.watermarks().get(ecosystem) {
            None => self.full(ecosystem, store.limits()).await?,
            Some(since) => match self.delta(ecosystem, since, store.limits()).await? {
                Some(batch) => Some(batch),
                None => self.full(ecosystem, store.limits()).await?,
            },
        };
        let Some(batch) = batch else {
            return Ok(None);
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
        tracing::info!(ecosystem, watermark, kind, mirror = %redact(&self.base), "advisory data synced from the OSV mirror");
        Ok(Some(watermark))
    }

    /// The full archive, `None` when the mirror has none. Its watermark is left empty: it is
    /// the newest time of the records, taken when the batch is validated ([`apply_batch`]).
    async fn full(&self, ecosystem: &str, limits: &SyncLimits) -> Result<Option<SyncBatch>, Error> {
        let Some(archive) = self
            .get(ecosystem, "all.zip", limits.max_archive_bytes)
            .await?
        else {
            return Ok(None);
        };
        Ok(Some(SyncBatch {
            ecosystem: ecosystem.to_owned(),
            watermark: String::new(),
            change: SyncChange::Full {
                archive: Vec::from(archive),
            },
        }))
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
        let url = self
            .base
            .join(&format!("{ecosystem}/{file}"))
            .map_err(|e| self.fail(ecosystem, format!("cannot build the URL of {file}: {e}")))?;
        let request = http::Request::get(url.as_str())
            .header(http::header::USER_AGENT, "gitproxy-remediation")
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
            return Ok(None);
        }
        if !status.is_success() {
            return Err(self.fail(ecosystem, format!("GET {file} answered {status}")));
        }
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
        Ok(Some(body.to_bytes()))
    }
}

/// Applies `batch` to `store` and answers its watermark. A full batch first takes its watermark
/// from its records, read by the validation the store applies (same limits: an archive whose
/// directory announces more than they allow is refused before anything is inflated).
fn apply_batch(store: &AdvisoryStore, mut batch: SyncBatch) -> Result<String, Error> {
    if let SyncChange::Full { .. } = batch.change {
        batch.watermark = store.newest_record(&batch)?;
    }
    store.sync(&batch)?;
    Ok(batch.watermark)
}

#[cfg(test)]
mod tests;
