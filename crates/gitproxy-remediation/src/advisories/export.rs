//! The hub side of `advisories.sync`: an OSV directory laid out like osv.dev's exports
//! (`<ECOSYSTEM>/all.zip`, `<ECOSYSTEM>/modified_id.csv`, `<ECOSYSTEM>/<ID>.json`) served as full
//! and delta sync requests, so the cloud, the tests and the demo build them with the same code.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use base64::Engine as _;
use gitproxy_tunnel::{Hub, OpCall, Operation};
use serde::Deserialize;

use super::sync::{record_time, rfc3339_nanos};
use crate::catalogue::{AdvisoryStatus, RawRecord, SyncAdvisories, SyncReport};
use crate::{zip, Error};

/// An OSV directory the hub serves syncs from: one folder per ecosystem, named as osv.dev names
/// it (`crates.io`, `PyPI`, `Go`, `npm`, `Maven`, ...), holding its `all.zip`, its
/// `modified_id.csv` (`<modified>,<id>` lines, as osv.dev publishes them) and loose
/// `<ID>.json` records; each part is optional.
#[derive(Debug, Clone)]
pub struct OsvExport {
    dir: PathBuf,
}

/// What the hub knows of one record: enough to place it in a delta.
pub(super) struct Entry {
    pub(super) modified: Option<i128>,
    pub(super) withdrawn: bool,
    pub(super) json: Vec<u8>,
}

#[derive(Deserialize)]
struct Head {
    id: String,
    #[serde(default)]
    modified: Option<String>,
    #[serde(default)]
    published: Option<String>,
    #[serde(default)]
    withdrawn: Option<serde_json::Value>,
}

impl OsvExport {
    /// The export rooted at `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> OsvExport {
        OsvExport { dir: dir.into() }
    }

    /// The request that brings an agent whose watermark for `ecosystem` is `watermark` up to
    /// date: a full sync when it has none, else a delta since it.
    pub fn sync_from(
        &self,
        ecosystem: &str,
        watermark: Option<&str>,
    ) -> Result<SyncAdvisories, Error> {
        match watermark {
            None => self.full(ecosystem),
            Some(since) => self.delta(ecosystem, since),
        }
    }

    /// A full sync of `ecosystem`: its `all.zip` as it is (or, without one, its loose records
    /// packed into one), with the newest `modified` time of the records it holds as watermark.
    pub fn full(&self, ecosystem: &str) -> Result<SyncAdvisories, Error> {
        let folder = self.folder(ecosystem);
        let zip_path = folder.join("all.zip");
        let (archive, entries) = if zip_path.is_file() {
            let bytes = read(&zip_path)?;
            let entries = zip_entries(&bytes, &zip_path.display().to_string())?;
            (bytes, entries)
        } else {
            let loose = loose_records(&folder)?;
            let mut members: Vec<(String, Vec<u8>)> = loose
                .iter()
                .map(|(id, e)| (format!("{id}.json"), e.json.clone()))
                .collect();
            members.sort();
            (zip::stored_zip(&members)?, loose)
        };
        let watermark =
            newest(entries.values().filter_map(|e| e.modified)).ok_or_else(|| Error::Osv {
                name: format!("{}", zip_path.display()),
                reason: "no record with an RFC 3339 `modified` time to take a watermark from"
                    .into(),
            })?;
        Ok(SyncAdvisories {
            ecosystem: ecosystem.to_owned(),
            watermark,
            archive: Some(base64::engine::general_purpose::STANDARD.encode(archive)),
            ..SyncAdvisories::default()
        })
    }

    /// A delta of `ecosystem` since `since`: every record modified after it (listed by
    /// `modified_id.csv` when there is one, else by the records' own `modified` times), read
    /// from its loose `<ID>.json` or else from `all.zip`. Withdrawn records, and listed ids whose
    /// record is gone, are sent as withdrawn ids. The watermark is the newest time listed, or
    /// `since` when nothing changed.
    pub fn delta(&self, ecosystem: &str, since: &str) -> Result<SyncAdvisories, Error> {
        let from = rfc3339_nanos(since).ok_or_else(|| Error::AdvisorySync {
            ecosystem: ecosystem.to_owned(),
            reason: format!("`since` `{since}` is not an RFC 3339 time"),
        })?;
        let folder = self.folder(ecosystem);
        let zip_path = folder.join("all.zip");
        let mut entries = if zip_path.is_file() {
            zip_entries(&read(&zip_path)?, &zip_path.display().to_string())?
        } else {
            HashMap::new()
        };
        entries.extend(loose_records(&folder)?);
        let csv = folder.join("modified_id.csv");
        let listed: Vec<(i128, String)> = if csv.is_file() {
            let text = String::from_utf8_lossy(&read(&csv)?).into_owned();
            modified_ids(&text, ecosystem)
        } else {
            entries
                .iter()
                .filter_map(|(id, e)| Some((e.modified?, id.clone())))
                .collect()
        };
        let changed = changed_since(listed, from);
        let mut request = SyncAdvisories {
            ecosystem: ecosystem.to_owned(),
            since: Some(since.to_owned()),
            watermark: since.to_owned(),
            ..SyncAdvisories::default()
        };
        if let Some(newest) = newest(changed.values().copied()) {
            request.watermark = newest;
        }
        for id in changed.into_keys() {
            match entries.get(&id) {
                Some(e) if !e.withdrawn => {
                    let name = format!("{id}.json");
                    let json = String::from_utf8(e.json.clone()).map_err(|err| Error::Osv {
                        name: name.clone(),
                        reason: err.to_string(),
                    })?;
                    request.records.push(RawRecord::from_json(&name, json)?);
                }
                _ => request.withdrawn.push(id),
            }
        }
        Ok(request)
    }

    /// Brings every agent replica of `tenant` connected to `hub` up to date for `ecosystems`:
    /// asks each for its watermarks (`advisories.status`), then sends it, one ecosystem at a
    /// time, the delta since its watermark or the full archive when it has none. A call goes
    /// to one replica, so each is synced on its own; replicas that share a watermark share the
    /// request. One result per replica, with its data after the last batch.
    pub async fn sync_agents(
        &self,
        hub: &Hub,
        tenant: &str,
        ecosystems: &[&str],
    ) -> Vec<AgentSync> {
        let mut requests: HashMap<(String, Option<String>), SyncAdvisories> = HashMap::new();
        let mut out = Vec::new();
        for agent in hub.presence(tenant) {
            if !agent.capabilities.iter().any(|c| c == SyncAdvisories::NAME) {
                continue;
            }
            let result = self
                .sync_agent(hub, tenant, &agent.agent_id, ecosystems, &mut requests)
                .await;
            out.push(AgentSync {
                agent_id: agent.agent_id,
                result,
            });
        }
        out
    }

    async fn sync_agent(
        &self,
        hub: &Hub,
        tenant: &str,
        agent: &str,
        ecosystems: &[&str],
        requests: &mut HashMap<(String, Option<String>), SyncAdvisories>,
    ) -> Result<SyncReport, Error> {
        let mut report: SyncReport = call(hub, tenant, agent, &AdvisoryStatus {}).await?;
        for &ecosystem in ecosystems {
            let watermark = report.watermarks.get(ecosystem).cloned();
            let key = (ecosystem.to_owned(), watermark);
            let request = match requests.get(&key) {
                Some(request) => request,
                None => {
                    let request = self.sync_from(ecosystem, key.1.as_deref())?;
                    requests.entry(key).or_insert(request)
                }
            };
            report = call(hub, tenant, agent, request).await?;
        }
        Ok(report)
    }

    fn folder(&self, ecosystem: &str) -> PathBuf {
        self.dir.join(ecosystem)
    }
}

/// What [`OsvExport::sync_agents`] did for one agent replica.
#[derive(Debug)]
pub struct AgentSync {
    /// The replica.
    pub agent_id: String,
    /// Its advisory data after the syncs, or the first failure.
    pub result: Result<SyncReport, Error>,
}

/// Calls `op` on one agent replica.
async fn call<O: Operation>(
    hub: &Hub,
    tenant: &str,
    agent: &str,
    op: &O,
) -> Result<O::Response, Error> {
    let failed = |source| Error::Tunnel {
        operation: O::NAME,
        agent: agent.to_owned(),
        source,
    };
    let call = OpCall::new(op).map_err(failed)?.to_agent(agent);
    hub.send(tenant, call)
        .await
        .map_err(failed)?
        .json()
        .await
        .map_err(failed)
}

fn read(path: &Path) -> Result<Vec<u8>, Error> {
    std::fs::read(path).map_err(|source| Error::Io {
        path: path.display().to_string(),
        source,
    })
}

pub(super) fn entry_of(name: &str, json: Vec<u8>) -> Result<(String, Entry), Error> {
    let head: Head = serde_json::from_slice(&json).map_err(|e| Error::Osv {
        name: name.to_owned(),
        reason: e.to_string(),
    })?;
    let entry = Entry {
        modified: record_time(head.modified.as_deref(), head.published.as_deref()),
        withdrawn: head.withdrawn.is_some_and(|w| !w.is_null()),
        json,
    };
    Ok((head.id, entry))
}

/// Every record of an archive by id.
pub(super) fn zip_entries(bytes: &[u8], label: &str) -> Result<HashMap<String, Entry>, Error> {
    let mut out = HashMap::new();
    for member in zip::zip_members(bytes, label)? {
        if !member.name.ends_with(".json") {
            continue;
        }
        let (id, entry) = entry_of(&member.name, member.contents(label)?)?;
        out.insert(id, entry);
    }
    Ok(out)
}

/// Every loose `*.json` record of a folder by id (none when the folder does not exist).
fn loose_records(folder: &Path) -> Result<HashMap<String, Entry>, Error> {
    let mut out = HashMap::new();
    let Ok(listing) = std::fs::read_dir(folder) else {
        return Ok(out);
    };
    for file in listing.flatten() {
        let path = file.path();
        if path.extension().is_some_and(|e| e == "json") {
            let (id, entry) = entry_of(&path.display().to_string(), read(&path)?)?;
            out.insert(id, entry);
        }
    }
    Ok(out)
}

/// The `(modified, id)` lines of a `modified_id.csv`; an id may carry its ecosystem folder as
/// in osv.dev's top-level list (`PyPI/PYSEC-...`). Lines that do not parse are skipped.
pub(super) fn modified_ids(text: &str, ecosystem: &str) -> Vec<(i128, String)> {
    text.lines()
        .filter_map(|line| {
            let (at, id) = line.trim().split_once(',')?;
            let id = id.trim();
            let id = id
                .strip_prefix(ecosystem)
                .and_then(|rest| rest.strip_prefix('/'))
                .unwrap_or(id);
            Some((rfc3339_nanos(at.trim())?, id.to_owned()))
        })
        .collect()
}

/// The ids of `listed` (`(modified, id)` pairs) changed after `from`, each once with its newest
/// time: a listing may name an id at several times, and a batch must carry each record once.
pub(super) fn changed_since(
    listed: impl IntoIterator<Item = (i128, String)>,
    from: i128,
) -> BTreeMap<String, i128> {
    let mut changed = BTreeMap::new();
    for (at, id) in listed.into_iter().filter(|(at, _)| *at > from) {
        changed
            .entry(id)
            .and_modify(|t: &mut i128| *t = (*t).max(at))
            .or_insert(at);
    }
    changed
}

pub(super) fn newest(times: impl Iterator<Item = i128>) -> Option<String> {
    times.max().map(format_rfc3339)
}

/// Nanoseconds since the Unix epoch as RFC 3339 in UTC (`2024-05-01T12:00:00Z`, fractions only
/// when there are any).
pub(crate) fn format_rfc3339(nanos: i128) -> String {
    let secs = nanos.div_euclid(1_000_000_000);
    let frac = nanos.rem_euclid(1_000_000_000);
    let days = i64::try_from(secs.div_euclid(86_400)).unwrap_or(0);
    let rem = secs.rem_euclid(86_400);
    // Civil date from days since the epoch (proleptic Gregorian).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    let (h, mi, s) = (rem / 3600, rem % 3600 / 60, rem % 60);
    if frac == 0 {
        format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
    } else {
        let digits = format!("{frac:09}");
        format!(
            "{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{}Z",
            digits.trim_end_matches('0')
        )
    }
}

#[cfg(test)]
mod tests;
