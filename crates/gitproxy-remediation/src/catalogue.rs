//! The tunnel operations the agent serves, as shared types: each request type implements
//! [`gitproxy_tunnel::Operation`] (wire name, mutating flag, typed response), so the agent's router
//! and every caller (the cloud, the end-to-end suite, the demo) use the same definitions:
//! `hub.call::<Apply>(...)`. The wire format is section 6.3 of `docs/tunnel-protocol.md`.
//!
//! The catalogue lives here, not in the tunnel crate: the responses are the engine's own types
//! ([`RepoScan`], [`RepoOutcome`], [`StatusReport`]), and the tunnel stays a generic transport
//! that knows no operation of the domain.

use std::collections::BTreeMap;

use gitproxy_tunnel::Operation;
use serde::{Deserialize, Serialize};

use crate::advisories::{DataAge, SyncBatch, SyncChange};
use crate::remediate::{RemediationStatus, RepoOutcome, StatusReport};
use crate::scan::RepoScan;
use crate::{Ecosystem, Error};

/// The connection form the cloud sends: server URL, username, access token, project key. Local
/// settings win over it; `Debug` never shows the token.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CloudConnection {
    /// Bitbucket base URL (https only when the agent has none configured).
    #[serde(default)]
    pub server_url: Option<String>,
    /// Username.
    #[serde(default)]
    pub username: Option<String>,
    /// HTTP access token.
    #[serde(default)]
    pub access_token: Option<String>,
    /// Project key.
    #[serde(default)]
    pub project_key: Option<String>,
}

impl std::fmt::Debug for CloudConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CloudConnection")
            .field("server_url", &self.server_url)
            .field("username", &self.username)
            .field(
                "access_token",
                &self.access_token.as_ref().map(|_| "[redacted]"),
            )
            .field("project_key", &self.project_key)
            .finish()
    }
}

macro_rules! operation {
    ($(#[$doc:meta])* $name:ident, $wire:literal, mutating: $mutating:literal, response: $response:ty
        { $($(#[$fattr:meta])* $field:ident : $ty:ty),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
        pub struct $name {
            /// Connection details from the cloud (local settings win).
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub connection: Option<CloudConnection>,
            $(
                $(#[$fattr])*
                pub $field: $ty,
            )*
        }

        impl Operation for $name {
            const NAME: &'static str = $wire;
            const MUTATING: bool = $mutating;
            type Response = $response;
        }
    };
}

operation!(
    /// `bitbucket.test_connection`: the staged Test Connection.
    TestConnection, "bitbucket.test_connection", mutating: false, response: CheckReport {}
);
operation!(
    /// `bitbucket.list_repositories`: the project's repositories.
    ListRepositories, "bitbucket.list_repositories", mutating: false, response: RepositoryList {}
);
operation!(
    /// `remediation.scan`: vulnerable dependencies of one repository's default branch.
    Scan, "remediation.scan", mutating: false, response: RepoScan {
        /// Repository slug.
        repository: String,
    }
);
operation!(
    /// `remediation.apply`: open or update the fix pull requests of one repository.
    Apply, "remediation.apply", mutating: true, response: ApplyResult {
        /// Repository slug.
        repository: String,
        /// Plan only: report what a run would do and write nothing.
        #[serde(default)]
        dry_run: bool,
    }
);
operation!(
    /// `remediation.refresh`: keep one repository's open remediation pull requests current, opening
    /// none: a fix whose target moved is made again on the new tip in the same pull request, a
    /// newer fixing version updates it, a package fixed on the target gets its pull request
    /// declined and its branch deleted. `remediation.apply` does the same on its way.
    Refresh, "remediation.refresh", mutating: true, response: RepoOutcome {
        /// Repository slug.
        repository: String,
    }
);
operation!(
    /// `remediation.pr_status`: the remediation pull requests of one repository and their CI state.
    PrStatus, "remediation.pr_status", mutating: false, response: PrStatusReport {
        /// Repository slug.
        repository: String,
    }
);
operation!(
    /// `remediation.check_ci`: watch CI of one repository's open remediation pull requests and
    /// post one comment per failing commit listing the failed builds with their links (job logs
    /// are not retrievable from Bitbucket); calling it again for the same commit posts nothing.
    CheckCi, "remediation.check_ci", mutating: true, response: CheckCiReport {
        /// Repository slug.
        repository: String,
    }
);
operation!(
    /// `remediation.status`: every remediation of the project.
    ProjectStatus, "remediation.status", mutating: false, response: StatusReport {}
);
/// `advisories.sync`: fresh OSV data for one ecosystem, either its whole export (`all.zip`) or
/// the records changed and withdrawn since a watermark. Validated whole before anything changes
/// (a bad batch is refused and the old data keeps serving), persisted, then swapped in without
/// pausing any operation. Idempotent: the same batch again changes nothing. It needs no
/// Bitbucket connection. [`OsvExport`](crate::advisories::OsvExport) builds it from an OSV
/// directory.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncAdvisories {
    /// The OSV ecosystem name (`crates.io`, `PyPI`, `Go`, `npm`, ...).
    pub ecosystem: String,
    /// The newest `modified` time the batch reflects (RFC 3339): the new watermark.
    pub watermark: String,
    /// A full sync: the ecosystem's `all.zip`, base64 (standard alphabet, padded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archive: Option<String>,
    /// A delta: the agent's watermark it starts from (records modified after it follow).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    /// A delta: the changed or new OSV records.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub records: Vec<RawRecord>,
    /// A delta: ids of withdrawn or deleted records to remove.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub withdrawn: Vec<String>,
}

/// One OSV record as the JSON text it arrived in. A delta's records stay text until the agent
/// validates them one by one: decoded into a JSON tree first, a delta near the body limit would
/// take several times its size in memory.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RawRecord(Box<serde_json::value::RawValue>);

impl RawRecord {
    /// The record `json` (named `name` in errors), checked to be one JSON value.
    pub fn from_json(name: &str, json: String) -> Result<RawRecord, Error> {
        serde_json::value::RawValue::from_string(json)
            .map(RawRecord)
            .map_err(|e| Error::Osv {
                name: name.to_owned(),
                reason: e.to_string(),
            })
    }

    /// The record `value`, as JSON text.
    pub fn from_value(value: &serde_json::Value) -> RawRecord {
        RawRecord(serde_json::value::to_raw_value(value).expect("a JSON value serialises as JSON"))
    }

    /// The JSON text.
    pub fn as_str(&self) -> &str {
        self.0.get()
    }

    fn into_bytes(self) -> Vec<u8> {
        Box::<str>::from(self.0).into_boxed_bytes().into_vec()
    }
}

impl PartialEq for RawRecord {
    fn eq(&self, other: &RawRecord) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for RawRecord {}

impl Operation for SyncAdvisories {
    const NAME: &'static str = "advisories.sync";
    const MUTATING: bool = true;
    type Response = SyncReport;
}

/// `advisories.status`: the agent's advisory data (watermark and age per ecosystem, records),
/// read-only and without a Bitbucket connection: what the cloud asks each agent replica before
/// it sends the delta (or full archive) that replica needs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdvisoryStatus {}

impl Operation for AdvisoryStatus {
    const NAME: &'static str = "advisories.status";
    const MUTATING: bool = false;
    type Response = SyncReport;
}

/// The names of every operation of the catalogue, in documentation order.
pub const OPERATIONS: [&str; 10] = [
    TestConnection::NAME,
    ListRepositories::NAME,
    Scan::NAME,
    Apply::NAME,
    Refresh::NAME,
    PrStatus::NAME,
    CheckCi::NAME,
    ProjectStatus::NAME,
    SyncAdvisories::NAME,
    AdvisoryStatus::NAME,
];

/// The request body limit of [`SyncAdvisories`] on the agent: a full archive travels base64 in
/// one call, so an ecosystem's `all.zip` may be up to about 96 MiB; larger exports are sent as a
/// full sync of an older export followed by deltas.
pub const SYNC_BODY_LIMIT: u64 = 128 << 20;

impl SyncAdvisories {
    /// The batch the request carries: an archive (a full sync), or a delta since a watermark;
    /// a request that is neither, or whose archive is not base64, is refused.
    pub fn into_batch(self) -> Result<SyncBatch, Error> {
        use base64::Engine as _;
        let refuse = |reason: String| Error::AdvisorySync {
            ecosystem: self.ecosystem.clone(),
            reason,
        };
        let change = match (&self.archive, self.since.clone()) {
            (Some(archive), None) if self.records.is_empty() && self.withdrawn.is_empty() => {
                let archive = base64::engine::general_purpose::STANDARD
                    .decode(archive.as_bytes())
                    .map_err(|e| {
                        refuse(format!(
                            "the archive is not base64 ({e}); send the all.zip bytes in standard base64"
                        ))
                    })?;
                SyncChange::Full { archive }
            }
            (None, Some(since)) => SyncChange::Delta {
                since,
                records: self.records.into_iter().map(RawRecord::into_bytes).collect(),
                withdrawn: self.withdrawn,
            },
            _ => return Err(refuse(
                "send either `archive` alone (a full sync) or `since` with `records` and `withdrawn` (a delta)".into(),
            )),
        };
        Ok(SyncBatch {
            ecosystem: self.ecosystem,
            watermark: self.watermark,
            change,
        })
    }
}

/// Response of [`SyncAdvisories`] and [`AdvisoryStatus`]: the agent's advisory data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncReport {
    /// The agent's watermark per synced ecosystem after the batch.
    pub watermarks: BTreeMap<String, String>,
    /// Records in the agent's database after the batch.
    pub records: usize,
    /// How old the data of each ecosystem is now.
    pub advisory_data: Vec<DataAge>,
}

/// Response of [`ListRepositories`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepositoryList {
    /// The project key.
    pub project: String,
    /// Repository slugs.
    pub repositories: Vec<String>,
}

/// Response of [`Apply`] (and of `gitproxy fix`): on the wire, the bare array of either variant.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ApplyResult {
    /// The pull requests opened and updated, one outcome per repository.
    Applied(Vec<RepoOutcome>),
    /// The remediations a run would make (`dry_run`); an empty preview reads back as `Applied([])`.
    Preview(Vec<RemediationStatus>),
}

/// Response of [`PrStatus`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrStatusReport {
    /// Repository slug.
    pub repository: String,
    /// Its remediations.
    pub remediations: Vec<RemediationStatus>,
}

/// Response of [`CheckCi`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckCiReport {
    /// Repository slug.
    pub repository: String,
    /// Pull requests that received a CI failure comment in this call.
    pub commented: Vec<i64>,
}

/// How one Test Connection check went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// It worked.
    Pass,
    /// It failed.
    Fail,
    /// Not attempted (an earlier check failed) or not applicable.
    Skip,
}

/// One line of the Test Connection report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckStage {
    /// What was checked.
    pub name: String,
    /// How it went.
    pub status: Status,
    /// What happened.
    pub detail: String,
    /// What to do, for a failure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
    /// Stable failure code, for a failure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

/// Response of [`TestConnection`] (and the report `gitproxy check` prints).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CheckReport {
    /// Whether every check passed.
    pub ok: bool,
    /// The Bitbucket base URL.
    pub server_url: String,
    /// The project key.
    pub project: String,
    /// Bitbucket's version, once known.
    pub server_version: Option<String>,
    /// The user the token authenticates as, once known.
    pub user: Option<String>,
    /// Repositories of the project visible to the user.
    pub repositories: Option<usize>,
    /// Repositories of the project the user may write to.
    pub writable_repositories: Option<usize>,
    /// Every check in order.
    pub stages: Vec<CheckStage>,
    /// The full egress diagnosis of the Bitbucket URL, as `gitproxy_egress::DiagnosisReport`
    /// serialises it (kept as JSON: its route decision is a view, not a decodable value).
    pub egress: serde_json::Value,
    /// The egress diagnosis of every configured package registry.
    pub registries: Vec<RegistryCheck>,
    /// How old the agent's advisory data of each ecosystem is (filled in by the service).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub advisory_data: Vec<DataAge>,
}

/// Test Connection of one configured package registry.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RegistryCheck {
    /// The ecosystem it serves.
    pub ecosystem: Ecosystem,
    /// Its egress diagnosis, as `gitproxy_egress::DiagnosisReport` serialises it.
    pub egress: serde_json::Value,
}

impl CheckReport {
    /// The first failed stage.
    pub fn failure(&self) -> Option<&CheckStage> {
        self.stages.iter().find(|s| s.status == Status::Fail)
    }
}

#[cfg(test)]
mod tests;
