//! The operations the agent serves through the tunnel (the catalogue of
//! [`gitproxy_remediation::catalogue`]): each is policy-checked, metered and leaves exactly one
//! audit line whose outcome is `ok`, `failed` (Test Connection answered with a failed check),
//! `denied` (the local policy refused) or `error`.
//!
//! Bitbucket connection details come from the local configuration when it is complete (the
//! token then never leaves the cluster and the cloud's details may only repeat the same server
//! and project) or from the operation's `connection` (the guide's form; https only).

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use gitproxy_remediation::advisories::AdvisoryDb;
use gitproxy_remediation::catalogue::{
    Apply, ApplyResult, CheckCi, CheckCiReport, CloudConnection, ListRepositories, PrStatus,
    PrStatusReport, ProjectStatus, RepositoryList, Scan, TestConnection,
};
use gitproxy_remediation::policy::Policy;
use gitproxy_tunnel::{ErrorCode, OpError, Operation, Router};
use url::Url;

use crate::audit::AuditEvent;
use crate::check::run_check;
use crate::config::{BitbucketConn, Config, Secret};
use crate::engine::{egress_connector, Engine};
use crate::metrics::Metrics;

/// Picks the Bitbucket connection: local settings win; the cloud fills only what is not set
/// locally, may not point at another server or project than the local ones, and may name a
/// server only over https.
pub(crate) fn resolve_connection(
    config: &Config,
    cloud: Option<&CloudConnection>,
) -> Result<BitbucketConn, OpFailure> {
    let local = &config.bitbucket;
    let cloud = cloud.cloned().unwrap_or_default();
    let cloud_url = cloud
        .server_url
        .as_deref()
        .map(|u| {
            Url::parse(u.trim()).map_err(|e| {
                OpFailure::BadRequest(format!("connection.server_url `{u}` is not a URL: {e}"))
            })
        })
        .transpose()?;
    let url = match (&local.url, cloud_url) {
        (Some(local_url), Some(cloud_url)) => {
            Policy::new(local_url.clone(), "", "x/").check_server(&cloud_url)?;
            local_url.clone()
        }
        (Some(u), None) => u.clone(),
        (None, Some(u)) => {
            Policy::check_cloud_server(&u)?;
            u
        }
        (None, None) => return Err(missing("server URL (GITPROXY_BITBUCKET_URL)")),
    };
    let project = match (&local.project, cloud.project_key) {
        (Some(local_project), Some(cloud_project)) => {
            Policy::new(url.clone(), local_project, "x/").check_project(cloud_project.trim())?;
            local_project.clone()
        }
        (Some(p), None) => p.clone(),
        (None, Some(p)) => p.trim().to_owned(),
        (None, None) => return Err(missing("project key (GITPROXY_BITBUCKET_PROJECT)")),
    };
    let (username, token) = match (&local.username, &local.token) {
        (Some(u), Some(t)) => (u.clone(), t.clone()),
        _ => match (
            local.username.clone().or(cloud.username),
            local.token.clone().or(cloud.access_token.map(Secret::new)),
        ) {
            (Some(u), Some(t)) => (u, t),
            _ => return Err(missing("username and access token")),
        },
    };
    Ok(BitbucketConn {
        url,
        username,
        token,
        project,
    })
}

fn missing(what: &str) -> OpFailure {
    OpFailure::BadRequest(format!(
        "no Bitbucket {what}: send it in the connection details or configure it on the agent"
    ))
}

/// Why an operation failed.
#[derive(Debug)]
pub(crate) enum OpFailure {
    /// The local policy refused it (the message says why and what to change).
    Denied(String),
    /// The request is incomplete or invalid.
    BadRequest(String),
    /// Bitbucket or the engine failed.
    Failed {
        /// What failed.
        message: String,
        /// Whether the same call may succeed later (Bitbucket's 429/503 after its retries).
        retryable: bool,
        /// How long Bitbucket asked to wait.
        retry_after: Option<Duration>,
    },
}

impl OpFailure {
    fn outcome(&self) -> &'static str {
        match self {
            OpFailure::Denied(_) => "denied",
            OpFailure::BadRequest(_) | OpFailure::Failed { .. } => "error",
        }
    }

    fn message(&self) -> String {
        match self {
            OpFailure::Denied(m)
            | OpFailure::BadRequest(m)
            | OpFailure::Failed { message: m, .. } => m.clone(),
        }
    }

    fn into_op_error(self) -> OpError {
        match self {
            OpFailure::Denied(m) | OpFailure::BadRequest(m) => {
                OpError::new(ErrorCode::BadRequest, m)
            }
            OpFailure::Failed {
                message,
                retryable,
                retry_after,
            } => {
                let error = OpError::upstream_failed(message, retryable);
                match retry_after {
                    Some(after) => error.with_retry_after(after),
                    None => error,
                }
            }
        }
    }
}

impl From<gitproxy_remediation::Error> for OpFailure {
    fn from(e: gitproxy_remediation::Error) -> Self {
        if e.is_policy_refusal() {
            return OpFailure::Denied(e.to_string());
        }
        if e.is_invalid_input() {
            return OpFailure::BadRequest(e.to_string());
        }
        OpFailure::Failed {
            message: e.to_string(),
            retryable: e.is_retryable(),
            retry_after: e.retry_after(),
        }
    }
}

impl From<anyhow::Error> for OpFailure {
    fn from(e: anyhow::Error) -> Self {
        match e.downcast::<gitproxy_remediation::Error>() {
            Ok(e) => OpFailure::from(e),
            Err(e) => OpFailure::Failed {
                message: format!("{e:#}"),
                retryable: false,
                retry_after: None,
            },
        }
    }
}

/// What every handler shares.
#[derive(Debug)]
pub(crate) struct OpsContext {
    /// The configuration.
    pub(crate) config: Config,
    /// Metrics.
    pub(crate) metrics: Arc<Metrics>,
    /// OSV data, when configured.
    pub(crate) db: Option<Arc<AdvisoryDb>>,
}

impl OpsContext {
    /// The engine for `conn`; `needs_osv` operations fail without OSV data.
    fn engine(&self, conn: &BitbucketConn, needs_osv: bool) -> Result<Engine, OpFailure> {
        let db = match (&self.db, needs_osv) {
            (Some(db), _) => db.clone(),
            (None, false) => Arc::new(AdvisoryDb::new()),
            (None, true) => return Err(OpFailure::Failed {
                message:
                    "the agent has no OSV data: set GITPROXY_OSV_DIR to the advisory data directory"
                        .to_owned(),
                retryable: false,
                retry_after: None,
            }),
        };
        Ok(Engine::new(
            conn,
            &self.config,
            db,
            Some(self.metrics.clone()),
        )?)
    }
}

/// The audit outcome and detail of an operation that answered.
struct Served<R> {
    response: R,
    outcome: &'static str,
    detail: Option<String>,
}

fn ok<R>(response: R, detail: Option<String>) -> Result<Served<R>, OpFailure> {
    Ok(Served {
        response,
        outcome: "ok",
        detail,
    })
}

/// Runs one operation with metering and its audit line.
async fn served<O, F, Fut>(
    ctx: Arc<OpsContext>,
    connection: Option<CloudConnection>,
    repository: Option<String>,
    f: F,
) -> Result<O::Response, OpError>
where
    O: Operation,
    F: FnOnce(Arc<OpsContext>, BitbucketConn) -> Fut,
    Fut: Future<Output = Result<Served<O::Response>, OpFailure>>,
{
    let name = O::NAME;
    let started = Instant::now();
    tracing::info!(op = name, "operation started");
    let conn = resolve_connection(&ctx.config, connection.as_ref());
    let (user, project) = match &conn {
        Ok(c) => (Some(c.username.clone()), Some(c.project.clone())),
        Err(_) => (
            ctx.config.bitbucket.username.clone(),
            ctx.config.bitbucket.project.clone(),
        ),
    };
    let result = match conn {
        Ok(conn) => f(ctx.clone(), conn).await,
        Err(e) => Err(e),
    };
    let (outcome, detail) = match &result {
        Ok(served) => (served.outcome, served.detail.clone()),
        Err(e) => (e.outcome(), Some(e.message())),
    };
    ctx.metrics.operation(name, outcome, started.elapsed());
    AuditEvent {
        actor: "cloud".to_owned(),
        bitbucket_user: user,
        operation: name.to_owned(),
        project,
        repository,
        outcome: outcome.to_owned(),
        detail,
    }
    .emit();
    result
        .map(|served| served.response)
        .map_err(OpFailure::into_op_error)
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

/// The router serving every operation of the catalogue.
pub(crate) fn router(ctx: Arc<OpsContext>) -> Router {
    let c = [(); 7].map(|()| ctx.clone());
    let [c1, c2, c3, c4, c5, c6, c7] = c;
    Router::new()
        .op(move |op: TestConnection| {
            served::<TestConnection, _, _>(
                c1.clone(),
                op.connection,
                None,
                |ctx, conn| async move {
                    let connector = egress_connector(&ctx.config)?;
                    let report = run_check(
                        &conn,
                        &ctx.config.registries,
                        &connector,
                        Some(&ctx.metrics),
                    )
                    .await;
                    let (outcome, detail) = match report.failure() {
                        Some(f) => ("failed", format!("{} failed", f.name)),
                        None => ("ok", "connection ok".to_owned()),
                    };
                    Ok(Served {
                        response: report,
                        outcome,
                        detail: Some(detail),
                    })
                },
            )
        })
        .op(move |op: ListRepositories| {
            served::<ListRepositories, _, _>(
                c2.clone(),
                op.connection,
                None,
                |ctx, conn| async move {
                    let repositories = ctx.engine(&conn, false)?.repositories().await?;
                    let detail = Some(format!("{} repositories", repositories.len()));
                    ok(
                        RepositoryList {
                            project: conn.project,
                            repositories,
                        },
                        detail,
                    )
                },
            )
        })
        .op(move |op: Scan| {
            let repo = op.repository;
            served::<Scan, _, _>(
                c3.clone(),
                op.connection,
                Some(repo.clone()),
                |ctx, conn| async move {
                    let scan = ctx.engine(&conn, true)?.scan_repo(&repo).await?;
                    let detail = Some(format!("{} vulnerabilities", scan.findings.len()));
                    ok(scan, detail)
                },
            )
        })
        .op(move |op: Apply| {
            let (repo, dry_run) = (op.repository, op.dry_run);
            served::<Apply, _, _>(
                c4.clone(),
                op.connection,
                Some(repo.clone()),
                move |ctx, conn| async move {
                    let engine = ctx.engine(&conn, true)?;
                    let remediator = engine.remediator();
                    let result = if dry_run {
                        ApplyResult::Preview(remediator.preview_repo(&conn.project, &repo).await?)
                    } else {
                        ApplyResult::Applied(vec![
                            remediator.remediate_repo(&conn.project, &repo).await?,
                        ])
                    };
                    let detail = Some(apply_detail(&result));
                    ok(result, detail)
                },
            )
        })
        .op(move |op: PrStatus| {
            let repo = op.repository;
            served::<PrStatus, _, _>(
                c5.clone(),
                op.connection,
                Some(repo.clone()),
                |ctx, conn| async move {
                    let report = ctx
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
                },
            )
        })
        .op(move |op: CheckCi| {
            let repo = op.repository;
            served::<CheckCi, _, _>(
                c6.clone(),
                op.connection,
                Some(repo.clone()),
                |ctx, conn| async move {
                    let engine = ctx.engine(&conn, false)?;
                    let commented = engine.remediator().check_ci(&conn.project, &repo).await?;
                    let detail = Some(format!("ci failure comments on {commented:?}"));
                    ok(
                        CheckCiReport {
                            repository: repo,
                            commented,
                        },
                        detail,
                    )
                },
            )
        })
        .op(move |op: ProjectStatus| {
            served::<ProjectStatus, _, _>(c7.clone(), op.connection, None, |ctx, conn| async move {
                let report = ctx
                    .engine(&conn, true)?
                    .remediator()
                    .status(&conn.project)
                    .await?;
                let detail = Some(format!("{} remediations", report.remediations.len()));
                ok(report, detail)
            })
        })
}

#[cfg(test)]
mod tests;
