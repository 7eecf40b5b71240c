//! The service behind the tunnel: the router over the operation catalogue ([`crate::catalogue`]).
//! Each operation resolves its Bitbucket connection ([`crate::policy::resolve_connection`]: local
//! settings win, the cloud's form is https only), runs on an [`Engine`] and ends in exactly one
//! [`OpRecord`] for the caller's [`OpsObserver`] (metrics, the audit line), whose outcome is `ok`,
//! `failed` (Test Connection answered with a failed check), `denied` (the local policy refused)
//! or `error`. [`Metered`] is the agent's observer: it counts each operation in [`metrics`]
//! and writes its [`audit`] line.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use gitproxy_egress::EgressConnector;
use gitproxy_tunnel::{OpError, Operation, Router};

use crate::advisories::AdvisoryStore;
use crate::catalogue::{
    AdvisoryStatus, Apply, ApplyResult, CheckCi, CheckCiReport, CheckReport, CloudConnection,
    ListRepositories, PrStatus, PrStatusReport, ProjectStatus, Refresh, RepositoryList, Scan,
    SyncAdvisories, SyncReport, TestConnection,
};
use crate::connection::check;
use crate::engine::{Engine, EngineOptions};
use crate::policy::{resolve_connection, Connection, LocalConnection};
use crate::remediate::{RepoOutcome, StatusReport};
use crate::scan::RepoScan;

pub mod audit;
mod failure;
pub mod metrics;

use failure::OpFailure;

/// How an operation ended, as metrics and the audit line name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// It answered.
    Ok,
    /// Test Connection answered with a failed check.
    Failed,
    /// The local policy refused it.
    Denied,
    /// It failed.
    Error,
}

impl Outcome {
    /// `ok`, `failed`, `denied` or `error`.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Failed => "failed",
            Outcome::Denied => "denied",
            Outcome::Error => "error",
        }
    }
}

/// One finished operation: what the caller meters and audits. Never holds a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpRecord {
    /// The operation's wire name, e.g. `remediation.apply`.
    pub operation: &'static str,
    /// How it ended.
    pub outcome: Outcome,
    /// How long it took.
    pub elapsed: Duration,
    /// The Bitbucket user the agent acted as, when known.
    pub user: Option<String>,
    /// The project key, when known.
    pub project: Option<String>,
    /// The repository slug, when one applies.
    pub repository: Option<String>,
    /// What went wrong or what was done, in a sentence.
    pub detail: Option<String>,
}

/// Told about every finished operation, exactly once.
pub trait OpsObserver: Send + Sync {
    /// One operation finished.
    fn finished(&self, record: &OpRecord);
}

/// The agent's observer: counts each finished operation in the metrics and writes its audit
/// line, as asked by `actor` (`cloud` through the tunnel, `cli` on the command line).
#[derive(Debug)]
pub struct Metered {
    /// Where operations are counted.
    pub metrics: Arc<metrics::Metrics>,
    /// Who asked, for the audit line.
    pub actor: &'static str,
}

impl OpsObserver for Metered {
    fn finished(&self, record: &OpRecord) {
        self.metrics
            .operation(record.operation, record.outcome.as_str(), record.elapsed);
        audit::emit(self.actor, record);
    }
}

/// What every operation shares.
pub struct Service {
    /// The Bitbucket settings configured on the agent (they win over the cloud's).
    pub local: LocalConnection,
    /// The advisory data, replaced by `advisories.sync`; scans and fixes fail while it has none.
    pub advisories: Arc<AdvisoryStore>,
    /// The connector every Bitbucket and registry request uses (the egress rules).
    pub connector: EgressConnector,
    /// How engines are built, with the caller's response observers.
    pub options: EngineOptions,
    /// Told about every finished operation.
    pub observer: Arc<dyn OpsObserver>,
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Service")
            .field("local", &self.local)
            .field("advisories", &self.advisories.snapshot().len())
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl Service {
    /// The engine for `conn`; `needs_osv` operations fail without OSV data.
    fn engine(&self, conn: &Connection, needs_osv: bool) -> Result<Engine, OpFailure> {
        // The operation keeps this snapshot to its end, whatever syncs happen meanwhile.
        let db = self.advisories.snapshot();
        if needs_osv && !self.advisories.is_configured() {
            return Err(OpFailure::permanent(
                "the agent has no OSV data: set GITPROXY_OSV_DIR to the advisory data directory or sync advisories from the cloud",
            ));
        }
        Ok(Engine::new(
            conn,
            self.connector.clone(),
            db,
            &self.options,
        )?)
    }

    /// The router serving every operation of the catalogue.
    pub fn router(self) -> Router {
        let service = Arc::new(self);
        let [s1, s2, s3, s4, s5, s6, s7, s8, s9, s10] = [(); 10].map(|()| service.clone());
        Router::new()
            .op(move |op: TestConnection| {
                served::<TestConnection, _, _>(s1.clone(), op.connection, None, test_connection)
            })
            .op(move |op: ListRepositories| {
                served::<ListRepositories, _, _>(s2.clone(), op.connection, None, list_repositories)
            })
            .op(move |op: Scan| {
                let repo = op.repository;
                served::<Scan, _, _>(s3.clone(), op.connection, Some(repo.clone()), |s, conn| {
                    scan(s, conn, repo)
                })
            })
            .op(move |op: Apply| {
                let (repo, dry_run) = (op.repository, op.dry_run);
                served::<Apply, _, _>(
                    s4.clone(),
                    op.connection,
                    Some(repo.clone()),
                    move |s, c| apply(s, c, repo, dry_run),
                )
            })
            .op(move |op: Refresh| {
                let repo = op.repository;
                served::<Refresh, _, _>(s8.clone(), op.connection, Some(repo.clone()), |s, c| {
                    refresh(s, c, repo)
                })
            })
            .op(move |op: PrStatus| {
                let repo = op.repository;
                served::<PrStatus, _, _>(s5.clone(), op.connection, Some(repo.clone()), |s, c| {
                    pr_status(s, c, repo)
                })
            })
            .op(move |op: CheckCi| {
                let repo = op.repository;
                served::<CheckCi, _, _>(s6.clone(), op.connection, Some(repo.clone()), |s, c| {
                    check_ci(s, c, repo)
                })
            })
            .op(move |op: ProjectStatus| {
                served::<ProjectStatus, _, _>(s7.clone(), op.connection, None, project_status)
            })
            .op(move |op: SyncAdvisories| sync_advisories(s9.clone(), op))
            .op(move |_: AdvisoryStatus| advisory_status(s10.clone()))
    }
}

/// The response of an operation that answered, with its audit outcome and detail.
struct Served<R> {
    response: R,
    outcome: Outcome,
    detail: Option<String>,
}

/// What an operation's body returns.
type Answer<R> = Result<Served<R>, OpFailure>;

fn ok<R>(response: R, detail: Option<String>) -> Answer<R> {
    Ok(Served {
        response,
        outcome: Outcome::Ok,
        detail,
    })
}

/// Runs one operation and tells the observer how it ended.
async fn served<O, F, Fut>(
    service: Arc<Service>,
    connection: Option<CloudConnection>,
    repository: Option<String>,
    f: F,
) -> Result<O::Response, OpError>
where
    O: Operation,
    F: FnOnce(Arc<Service>, Connection) -> Fut,
    Fut: Future<Output = Answer<O::Response>>,
{
    let started = Instant::now();
    tracing::info!(op = O::NAME, "operation started");
    let conn = resolve_connection(&service.local, connection.as_ref());
    let (user, project) = match &conn {
        Ok(c) => (Some(c.username.clone()), Some(c.project.clone())),
        Err(_) => (
            service.local.username.clone(),
            service.local.project.clone(),
        ),
    };
    let result = match conn {
        Ok(conn) => f(service.clone(), conn).await,
        Err(e) => Err(OpFailure::from(e)),
    };
    let (outcome, detail) = match &result {
        Ok(served) => (served.outcome, served.detail.clone()),
        Err(e) => (e.outcome(), Some(e.message())),
    };
    service.observer.finished(&OpRecord {
        operation: O::NAME,
        outcome,
        elapsed: started.elapsed(),
        user,
        project,
        repository,
        detail,
    });
    result
        .map(|served| served.response)
        .map_err(OpFailure::into_op_error)
}

async fn test_connection(s: Arc<Service>, conn: Connection) -> Answer<CheckReport> {
    let mut report = check(&conn, &s.connector, &s.options).await;
    report.advisory_data = s.advisories.ages(SystemTime::now());
    let (outcome, detail) = match report.failure() {
        Some(f) => (Outcome::Failed, format!("{} failed", f.name)),
        None => (Outcome::Ok, "connection ok".to_owned()),
    };
    Ok(Served {
        response: report,
        outcome,
        detail: Some(detail),
    })
}

async fn list_repositories(s: Arc<Service>, conn: Connection) -> Answer<RepositoryList> {
    let repositories = s.engine(&conn, false)?.repositories().await?;
    let detail = Some(format!("{} repositories", repositories.len()));
    ok(
        RepositoryList {
            project: conn.project,
            repositories,
        },
        detail,
    )
}

async fn scan(s: Arc<Service>, conn: Connection, repo: String) -> Answer<RepoScan> {
    // The age of the data the scan runs on: read with the engine's snapshot, not at the end.
    let (ages, stale) = data_age(&s.advisories);
    let mut scan = s.engine(&conn, true)?.scan_repo(&repo).await?;
    scan.advisory_data = ages;
    scan.warnings.extend(stale);
    let mut detail = format!("{} vulnerabilities", scan.findings.len());
    if scan.is_partly_unsupported() {
        detail.push_str(&format!(
            ", partly unsupported: {} files not checked",
            scan.unsupported.len()
        ));
    }
    ok(scan, Some(detail))
}

async fn apply(
    s: Arc<Service>,
    conn: Connection,
    repo: String,
    dry_run: bool,
) -> Answer<ApplyResult> {
    let engine = s.engine(&conn, true)?;
    let remediator = engine.remediator();
    let result = if dry_run {
        ApplyResult::Preview(remediator.preview_repo(&conn.project, &repo).await?)
    } else {
        ApplyResult::Applied(vec![remediator.remediate_repo(&conn.project, &repo).await?])
    };
    let detail = Some(apply_detail(&result));
    ok(result, detail)
}

async fn refresh(s: Arc<Service>, conn: Connection, repo: String) -> Answer<RepoOutcome> {
    let engine = s.engine(&conn, true)?;
    let outcome = engine
        .remediator()
        .refresh_repo(&conn.project, &repo)
        .await?;
    let detail = Some(format!(
        "updated {:?}, declined as fixed on the target {:?}",
        outcome.updated, outcome.closed
    ));
    ok(outcome, detail)
}

async fn pr_status(s: Arc<Service>, conn: Connection, repo: String) -> Answer<PrStatusReport> {
    let report = s
        .engine(&conn, true)?
        .remediator()
        .status(&conn.project)
        .await?;
    let remediations = report
        .remediations
        .into_iter()
        .filter(|r| r.repo == repo)
        .collect();
    ok(
        PrStatusReport {
            repository: repo,
            remediations,
        },
        None,
    )
}

async fn check_ci(s: Arc<Service>, conn: Connection, repo: String) -> Answer<CheckCiReport> {
    let engine = s.engine(&conn, false)?;
    let commented = engine.remediator().check_ci(&conn.project, &repo).await?;
    let detail = Some(format!("ci failure comments on {commented:?}"));
    ok(
        CheckCiReport {
            repository: repo,
            commented,
        },
        detail,
    )
}

async fn project_status(s: Arc<Service>, conn: Connection) -> Answer<StatusReport> {
    let (ages, stale) = data_age(&s.advisories);
    let mut report = s
        .engine(&conn, true)?
        .remediator()
        .status(&conn.project)
        .await?;
    report.advisory_data = ages;
    report.warnings.extend(stale);
    let detail = Some(format!("{} remediations", report.remediations.len()));
    ok(report, detail)
}

/// The age of the advisory data per ecosystem now, and the stale-data warning if some is.
fn data_age(store: &AdvisoryStore) -> (Vec<crate::advisories::DataAge>, Option<String>) {
    let now = SystemTime::now();
    (store.ages(now), store.stale_warning(now))
}

/// The agent's advisory data now.
fn advisory_report(store: &AdvisoryStore) -> SyncReport {
    SyncReport {
        watermarks: store.watermarks(),
        records: store.snapshot().len(),
        advisory_data: store.ages(SystemTime::now()),
    }
}

/// Serves `advisories.status`: reads the store, needs no Bitbucket connection.
async fn advisory_status(s: Arc<Service>) -> Result<SyncReport, OpError> {
    let started = Instant::now();
    let report = advisory_report(&s.advisories);
    s.observer.finished(&OpRecord {
        operation: AdvisoryStatus::NAME,
        outcome: Outcome::Ok,
        elapsed: started.elapsed(),
        user: None,
        project: None,
        repository: None,
        detail: Some(format!("{} records", report.records)),
    });
    Ok(report)
}

/// Serves `advisories.sync`: needs no Bitbucket connection; the batch is decoded, validated,
/// applied and persisted on a blocking thread while every other operation goes on.
async fn sync_advisories(s: Arc<Service>, op: SyncAdvisories) -> Result<SyncReport, OpError> {
    let started = Instant::now();
    tracing::info!(op = SyncAdvisories::NAME, ecosystem = %op.ecosystem, "operation started");
    let store = Arc::clone(&s.advisories);
    let ecosystem = op.ecosystem.clone();
    let result = tokio::task::spawn_blocking(move || {
        let batch = op.into_batch().map_err(OpFailure::from)?;
        let watermarks = store.sync(&batch).map_err(OpFailure::from)?;
        Ok::<_, OpFailure>(SyncReport {
            watermarks,
            ..advisory_report(&store)
        })
    })
    .await
    .unwrap_or_else(|e| Err(OpFailure::permanent(format!("the sync stopped: {e}"))));
    let (outcome, detail) = match &result {
        Ok(r) => (
            Outcome::Ok,
            format!(
                "{ecosystem} synced to {}; {} records",
                r.watermarks.get(&ecosystem).map_or("-", String::as_str),
                r.records
            ),
        ),
        Err(e) => (e.outcome(), e.message()),
    };
    s.observer.finished(&OpRecord {
        operation: SyncAdvisories::NAME,
        outcome,
        elapsed: started.elapsed(),
        user: None,
        project: None,
        repository: None,
        detail: Some(detail),
    });
    result.map_err(OpFailure::into_op_error)
}

/// The audit detail of an apply.
fn apply_detail(result: &ApplyResult) -> String {
    match result {
        ApplyResult::Applied(o) => {
            let mut detail = format!(
                "opened {:?}, updated {:?}",
                o.iter().flat_map(|o| o.opened.iter()).collect::<Vec<_>>(),
                o.iter().flat_map(|o| o.updated.iter()).collect::<Vec<_>>()
            );
            // Why a pull request was not created belongs in the log the guide tells the
            // customer to read.
            let problems: Vec<&str> = o
                .iter()
                .flat_map(|o| o.problems.iter().map(String::as_str))
                .collect();
            if !problems.is_empty() {
                detail.push_str(&format!("; problems: {}", problems.join("; ")));
            }
            detail
        }
        ApplyResult::Preview(p) => format!("dry run: {} remediations planned", p.len()),
    }
}

#[cfg(test)]
mod tests;
