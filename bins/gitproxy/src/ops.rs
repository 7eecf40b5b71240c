//! The operations the agent serves through the tunnel: test connection, list repositories, scan,
//! apply a remediation, PR and CI status, project status. Each is policy-checked, metered and
//! leaves exactly one audit line.
//!
//! Bitbucket connection details come from the local configuration when it is complete (the
//! token then never leaves the cluster and the cloud's details may only repeat the same server
//! and project) or from the operation's `connection` (the guide's form).

use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use gitproxy_remediation::advisories::AdvisoryDb;
use gitproxy_tunnel::{ErrorCode, OpError, Operation, Router};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use url::Url;

use crate::audit::AuditEvent;
use crate::check::run_check;
use crate::config::{BitbucketConn, Config, Secret};
use crate::metrics::Metrics;
use crate::policy::Denied;
use crate::standalone::{Engine, FixResult};

/// The connection form the cloud sends: server URL, username, access token, project key.
#[derive(Clone, Default, Serialize, Deserialize)]
pub(crate) struct CloudConnection {
    /// Bitbucket base URL.
    #[serde(default)]
    pub(crate) server_url: Option<String>,
    /// Username.
    #[serde(default)]
    pub(crate) username: Option<String>,
    /// HTTP access token.
    #[serde(default)]
    pub(crate) access_token: Option<String>,
    /// Project key.
    #[serde(default)]
    pub(crate) project_key: Option<String>,
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
    ($(#[$doc:meta])* $name:ident, $wire:literal, $mutating:literal { $($(#[$fattr:meta])* $field:ident : $ty:ty),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Serialize, Deserialize)]
        pub(crate) struct $name {
            /// Connection details from the cloud (ignored in favour of local settings).
            #[serde(default)]
            pub(crate) connection: Option<CloudConnection>,
            $(
                $(#[$fattr])*
                pub(crate) $field: $ty,
            )*
        }

        impl Operation for $name {
            const NAME: &'static str = $wire;
            const MUTATING: bool = $mutating;
            type Response = Value;
        }
    };
}

operation!(
    /// `bitbucket.test_connection`: the staged Test Connection.
    TestConnection, "bitbucket.test_connection", false {}
);
operation!(
    /// `bitbucket.list_repositories`: the project's repositories.
    ListRepositories, "bitbucket.list_repositories", false {}
);
operation!(
    /// `remediation.scan`: vulnerable dependencies of one repository's default branch.
    Scan, "remediation.scan", false { repository: String }
);
operation!(
    /// `remediation.apply`: open or update the fix pull requests of one repository.
    Apply, "remediation.apply", true { repository: String, #[serde(default)] dry_run: bool }
);
operation!(
    /// `remediation.pr_status`: the remediation pull requests of one repository and their CI state.
    PrStatus, "remediation.pr_status", false { repository: String }
);
operation!(
    /// `remediation.check_ci`: watch CI of one repository's open remediation pull requests and
    /// post one comment per failing commit listing the failed builds with their links (job logs
    /// are not retrievable from Bitbucket); calling it again for the same commit posts nothing.
    CheckCi, "remediation.check_ci", true { repository: String }
);
operation!(
    /// `remediation.status`: every remediation of the project.
    ProjectStatus, "remediation.status", false {}
);

/// Picks the Bitbucket connection: local settings win; the cloud fills only what is not set
/// locally, and may not point at another server or project than the local ones.
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
            crate::policy::Policy::new(local_url.clone(), "", "x/")
                .check_server(&cloud_url)
                .map_err(OpFailure::Denied)?;
            local_url.clone()
        }
        (Some(u), None) => u.clone(),
        (None, Some(u)) => u,
        (None, None) => return Err(missing("server URL (GITPROXY_BITBUCKET_URL)")),
    };
    let project = match (&local.project, cloud.project_key) {
        (Some(local_project), Some(cloud_project)) => {
            if !local_project.eq_ignore_ascii_case(cloud_project.trim()) {
                return Err(OpFailure::Denied(Denied(format!(
                    "project `{cloud_project}` is not the configured project `{local_project}`; Check that the repository is within the configured project"
                ))));
            }
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
    /// The local policy refused it.
    Denied(Denied),
    /// The request is incomplete or invalid.
    BadRequest(String),
    /// Bitbucket or the engine failed.
    Failed(String),
}

impl OpFailure {
    fn outcome(&self) -> &'static str {
        match self {
            OpFailure::Denied(_) => "denied",
            OpFailure::BadRequest(_) | OpFailure::Failed(_) => "error",
        }
    }

    fn message(&self) -> String {
        match self {
            OpFailure::Denied(d) => d.to_string(),
            OpFailure::BadRequest(m) | OpFailure::Failed(m) => m.clone(),
        }
    }

    fn into_op_error(self) -> OpError {
        match self {
            OpFailure::Denied(d) => OpError::new(ErrorCode::BadRequest, d.to_string()),
            OpFailure::BadRequest(m) => OpError::bad_request(m),
            OpFailure::Failed(m) => OpError::upstream_failed(m, false),
        }
    }
}

impl From<anyhow::Error> for OpFailure {
    fn from(e: anyhow::Error) -> Self {
        if let Some(d) = e.downcast_ref::<Denied>() {
            return OpFailure::Denied(d.clone());
        }
        let message = format!("{e:#}");
        if message.contains("refused by local policy") {
            // Policy refusals from inside the engine arrive wrapped in its error.
            let start = message.find("refused by local policy: ").unwrap_or(0);
            let reason = message[start..]
                .trim_start_matches("refused by local policy: ")
                .to_owned();
            return OpFailure::Denied(Denied(reason));
        }
        OpFailure::Failed(message)
    }
}

impl From<gitproxy_remediation::Error> for OpFailure {
    fn from(e: gitproxy_remediation::Error) -> Self {
        OpFailure::from(anyhow::Error::from(e))
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
    fn engine(&self, conn: &BitbucketConn) -> Result<Engine, OpFailure> {
        let db = self.db.clone().ok_or_else(|| {
            OpFailure::Failed(
                "the agent has no OSV data: set GITPROXY_OSV_DIR to the advisory data directory"
                    .to_owned(),
            )
        })?;
        Ok(Engine::new(
            conn,
            &self.config,
            db,
            Some(self.metrics.clone()),
        )?)
    }
}

/// Runs one operation with metering and its audit line.
async fn served<F, Fut>(
    ctx: Arc<OpsContext>,
    name: &'static str,
    connection: Option<CloudConnection>,
    repository: Option<String>,
    f: F,
) -> Result<Value, OpError>
where
    F: FnOnce(Arc<OpsContext>, BitbucketConn) -> Fut,
    Fut: Future<Output = Result<(Value, Option<String>), OpFailure>>,
{
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
        Ok((_, detail)) => ("ok", detail.clone()),
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
    result.map(|(v, _)| v).map_err(OpFailure::into_op_error)
}

fn to_value<T: Serialize>(value: &T) -> Result<Value, OpFailure> {
    serde_json::to_value(value)
        .map_err(|e| OpFailure::Failed(format!("cannot encode the answer: {e}")))
}

/// The router serving every operation.
pub(crate) fn router(ctx: Arc<OpsContext>) -> Router {
    let c1 = ctx.clone();
    let c2 = ctx.clone();
    let c3 = ctx.clone();
    let c4 = ctx.clone();
    let c5 = ctx.clone();
    let c6 = ctx.clone();
    let c7 = ctx;
    Router::new()
        .op(move |op: TestConnection| {
            served(
                c1.clone(),
                TestConnection::NAME,
                op.connection,
                None,
                move |ctx, conn| async move {
                    let connector = crate::check::egress_connector(&ctx.config)?;
                    let report = run_check(
                        &conn,
                        &ctx.config.registries,
                        &connector,
                        Some(&ctx.metrics),
                    )
                    .await;
                    let detail = report
                        .failure()
                        .map(|f| format!("{} failed", f.name))
                        .or(Some("connection ok".to_owned()));
                    Ok((to_value(&report)?, detail))
                },
            )
        })
        .op(move |op: ListRepositories| {
            served(
                c2.clone(),
                ListRepositories::NAME,
                op.connection,
                None,
                move |ctx, conn| async move {
                    let engine = ctx.engine_without_osv(&conn)?;
                    let repos = engine.repositories().await?;
                    let detail = Some(format!("{} repositories", repos.len()));
                    Ok((
                        json!({ "project": conn.project, "repositories": repos }),
                        detail,
                    ))
                },
            )
        })
        .op(move |op: Scan| {
            let repo = op.repository.clone();
            served(
                c3.clone(),
                Scan::NAME,
                op.connection,
                Some(repo.clone()),
                move |ctx, conn| async move {
                    let engine = ctx.engine(&conn)?;
                    let scan = engine.scan_repo(&repo).await?;
                    let detail = Some(format!("{} vulnerabilities", scan.findings.len()));
                    Ok((to_value(&scan)?, detail))
                },
            )
        })
        .op(move |op: Apply| {
            let repo = op.repository.clone();
            let dry_run = op.dry_run;
            served(
                c4.clone(),
                Apply::NAME,
                op.connection,
                Some(repo.clone()),
                move |ctx, conn| async move {
                    let engine = ctx.engine(&conn)?;
                    let remediator = engine.remediator();
                    let result = if dry_run {
                        FixResult::Preview(remediator.preview_repo(&conn.project, &repo).await?)
                    } else {
                        FixResult::Applied(vec![
                            remediator.remediate_repo(&conn.project, &repo).await?,
                        ])
                    };
                    let detail = match &result {
                        FixResult::Applied(o) => {
                            let mut detail = format!(
                                "opened {:?}, updated {:?}",
                                o.iter().flat_map(|o| o.opened.iter()).collect::<Vec<_>>(),
                                o.iter().flat_map(|o| o.updated.iter()).collect::<Vec<_>>()
                            );
                            // Why a pull request was not created belongs in the log the guide
                            // tells the customer to read.
                            let problems: Vec<&str> = o
                                .iter()
                                .flat_map(|o| o.problems.iter().map(String::as_str))
                                .collect();
                            if !problems.is_empty() {
                                detail.push_str(&format!("; problems: {}", problems.join("; ")));
                            }
                            Some(detail)
                        }
                        FixResult::Preview(p) => {
                            Some(format!("dry run: {} remediations planned", p.len()))
                        }
                    };
                    Ok((to_value(&result)?, detail))
                },
            )
        })
        .op(move |op: PrStatus| {
            let repo = op.repository.clone();
            served(
                c5.clone(),
                PrStatus::NAME,
                op.connection,
                Some(repo.clone()),
                move |ctx, conn| async move {
                    let engine = ctx.engine(&conn)?;
                    let report = engine.remediator().status(&conn.project).await?;
                    let mine: Vec<_> = report
                        .remediations
                        .into_iter()
                        .filter(|r| r.repo == repo)
                        .collect();
                    Ok((json!({ "repository": repo, "remediations": mine }), None))
                },
            )
        })
        .op(move |op: CheckCi| {
            let repo = op.repository.clone();
            served(
                c7.clone(),
                CheckCi::NAME,
                op.connection,
                Some(repo.clone()),
                move |ctx, conn| async move {
                    let engine = ctx.engine_without_osv(&conn)?;
                    let commented = engine.remediator().check_ci(&conn.project, &repo).await?;
                    let detail = Some(format!("ci failure comments on {commented:?}"));
                    Ok((
                        json!({ "repository": repo, "commented": commented }),
                        detail,
                    ))
                },
            )
        })
        .op(move |op: ProjectStatus| {
            served(
                c6.clone(),
                ProjectStatus::NAME,
                op.connection,
                None,
                move |ctx, conn| async move {
                    let engine = ctx.engine(&conn)?;
                    let report = engine.remediator().status(&conn.project).await?;
                    let detail = Some(format!("{} remediations", report.remediations.len()));
                    Ok((to_value(&report)?, detail))
                },
            )
        })
}

impl OpsContext {
    fn engine_without_osv(&self, conn: &BitbucketConn) -> Result<Engine, OpFailure> {
        let db = self
            .db
            .clone()
            .unwrap_or_else(|| Arc::new(AdvisoryDb::new()));
        Ok(Engine::new(
            conn,
            &self.config,
            db,
            Some(self.metrics.clone()),
        )?)
    }
}

#[cfg(test)]
mod tests;
