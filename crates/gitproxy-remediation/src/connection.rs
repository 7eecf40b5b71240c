//! Test Connection: the egress diagnosis of the Bitbucket URL, then the Bitbucket checks (server and
//! version, credentials, user, project, repositories, write permission), each failure with the
//! customer guide's wording and fix, then the egress diagnosis of each configured registry. The
//! agent's `gitproxy check` prints the report; `bitbucket.test_connection` returns it.

use bitbucket_dc::{Client, Permission, RepoSearch};
use gitproxy_egress::{DiagnosisReport, EgressConnector, FailureCode, StageStatus};
use url::Url;

use crate::catalogue::{CheckReport, CheckStage, RegistryCheck, Status};
use crate::engine::{bitbucket_client, EngineOptions};
use crate::policy::Connection;
use crate::registry::{registry_name, RegistryUrls};
use crate::Ecosystem;

/// What Test Connection checks: one Bitbucket server, user and project.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    /// The Bitbucket base URL.
    pub url: &'a Url,
    /// The user the token belongs to.
    pub username: &'a str,
    /// The project key.
    pub project: &'a str,
}

/// Builds the Bitbucket client for the checks: anonymous (`false`) for the server stage, with
/// the credentials (`true`) for the others.
pub type ClientFactory<'a> = &'a (dyn Fn(bool) -> Result<Client, bitbucket_dc::Error> + Sync);

/// The guide's fix for rejected credentials.
pub const FIX_CREDENTIALS: &str = "Check that the Username and Access Token are valid; if the connection was working before, Verify the HTTP access token has not expired";
/// The guide's fix for a missing or invisible project.
pub const FIX_PROJECT: &str = "Ensure the user has access to the specified Project Key";
/// The guide's fix for missing write permission.
pub const FIX_WRITE: &str =
    "Verify the user has repository write permissions (Repository write on the project)";
/// The guide's fix for an unreachable server.
pub const FIX_SERVER: &str =
    "Confirm the Server URL is correct and reachable from the agent's network";

fn pass(name: &str, detail: impl Into<String>) -> CheckStage {
    CheckStage {
        name: name.to_owned(),
        status: Status::Pass,
        detail: detail.into(),
        fix: None,
        code: None,
    }
}

fn fail(name: &str, code: &str, detail: impl Into<String>, fix: &str) -> CheckStage {
    CheckStage {
        name: name.to_owned(),
        status: Status::Fail,
        detail: detail.into(),
        fix: Some(fix.to_owned()),
        code: Some(code.to_owned()),
    }
}

const BITBUCKET_STAGES: [&str; 6] = [
    "bitbucket server",
    "credentials",
    "user",
    "project",
    "repositories",
    "write permission",
];

/// A diagnosis as the report carries it.
fn json(egress: &DiagnosisReport) -> serde_json::Value {
    serde_json::to_value(egress).unwrap_or_default()
}

/// Runs the whole Test Connection for `conn` as the agent does: clients built like the engine's
/// (through `connector`, observed by `options.on_bitbucket_response`), then each registry of
/// `options.registries`, then the OSV mirror of `options.osv_mirror`.
pub async fn check(
    conn: &Connection,
    connector: &EgressConnector,
    options: &EngineOptions,
) -> CheckReport {
    let observer = options.on_bitbucket_response.as_ref();
    let client = |authenticated| bitbucket_client(conn, connector, authenticated, observer);
    let target = Target {
        url: &conn.url,
        username: &conn.username,
        project: &conn.project,
    };
    let mut report = test_connection(target, &options.registries, connector, &client).await;
    if let Some(mirror) = &options.osv_mirror {
        let egress = connector.diagnose(mirror).await;
        report.stages.push(mirror_stage(&egress));
        report.ok = report.failure().is_none();
    }
    report
}

/// The one line of the OSV mirror's diagnosis; the fixes name the mirror setting.
fn mirror_stage(egress: &DiagnosisReport) -> CheckStage {
    endpoint_stage(
        "osv mirror".to_owned(),
        "the OSV mirror",
        "the OSV mirror URL (advisories.mirror.url)",
        ", or unset advisories.mirror.url",
        egress,
    )
}

/// Runs the whole Test Connection: Bitbucket through `connector` (clients from `client`), then
/// each configured package registry.
pub async fn test_connection(
    conn: Target<'_>,
    registries: &RegistryUrls,
    connector: &EgressConnector,
    client: ClientFactory<'_>,
) -> CheckReport {
    let egress = connector.diagnose(conn.url).await;
    let mut report = CheckReport {
        ok: false,
        server_url: conn.url.to_string(),
        project: conn.project.to_owned(),
        server_version: None,
        user: None,
        repositories: None,
        writable_repositories: None,
        stages: Vec::new(),
        egress: json(&egress),
        registries: Vec::new(),
        advisory_data: Vec::new(),
    };
    for stage in &egress.stages {
        let name = format!("network: {}", stage.stage);
        report.stages.push(match stage.status {
            StageStatus::Passed => pass(&name, stage.detail.clone()),
            StageStatus::Skipped => CheckStage {
                name,
                status: Status::Skip,
                detail: stage.detail.clone(),
                fix: None,
                code: None,
            },
            StageStatus::Failed => {
                let failure = egress.failure.as_ref();
                CheckStage {
                    name,
                    status: Status::Fail,
                    detail: failure
                        .map(|f| f.message.clone())
                        .unwrap_or_else(|| stage.detail.clone()),
                    fix: failure.map(|f| f.hint.clone()),
                    code: failure.map(|f| f.code.to_string()),
                }
            }
        });
    }
    if egress.ok {
        bitbucket_checks(conn, client, &mut report).await;
    }
    for name in BITBUCKET_STAGES {
        if !report.stages.iter().any(|s| s.name == name) {
            report.stages.push(CheckStage {
                name: name.to_owned(),
                status: Status::Skip,
                detail: "not attempted".to_owned(),
                fix: None,
                code: None,
            });
        }
    }
    for (ecosystem, url) in registries.configured() {
        let egress = connector.diagnose(url).await;
        report.stages.push(registry_stage(ecosystem, &egress));
        report.registries.push(RegistryCheck {
            ecosystem,
            egress: json(&egress),
        });
    }
    report.ok = report.failure().is_none();
    report
}

/// The one line of a registry's diagnosis; the fixes name the registry, not Bitbucket.
fn registry_stage(ecosystem: Ecosystem, egress: &DiagnosisReport) -> CheckStage {
    let what = registry_name(ecosystem);
    endpoint_stage(
        format!("registry: {ecosystem}"),
        &format!("the {what} registry"),
        &format!("the {what} registry URL in the registries setting"),
        ", or remove the registry from the registries setting",
        egress,
    )
}

/// The one line of the diagnosis of an endpoint other than Bitbucket (a registry, the OSV mirror):
/// `what` names it in the fixes, `url_setting` says where its URL is set, and `drop_it` how to stop
/// using it.
fn endpoint_stage(
    name: String,
    what: &str,
    url_setting: &str,
    drop_it: &str,
    egress: &DiagnosisReport,
) -> CheckStage {
    let Some(failure) = &egress.failure else {
        let route = egress
            .decision
            .as_ref()
            .map(|d| format!(" ({d})"))
            .unwrap_or_default();
        let status = egress
            .http_status
            .map(|s| format!(", HTTP {s}"))
            .unwrap_or_default();
        return pass(&name, format!("{} reachable{route}{status}", egress.url));
    };
    let host = url::Url::parse(&egress.url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_default();
    let hint = match failure.code {
        FailureCode::ProxyBadGateway => format!(
            "Bad Gateway: the proxy cannot reach {what} `{host}`. If it is an internal mirror, add `{host}` to proxy.noProxy and upgrade; otherwise ask your proxy administrators to allow it{drop_it}"
        ),
        FailureCode::DnsFailure => format!(
            "`{host}` does not resolve from the agent's network: check the host name of {url_setting} and the cluster's DNS"
        ),
        FailureCode::ConnectionRefused => {
            format!("nothing listens there: check the host and port of {url_setting}")
        }
        _ => failure.hint.clone(),
    };
    CheckStage {
        name,
        status: Status::Fail,
        detail: format!("{}: {}", egress.url, failure.message),
        fix: Some(hint),
        code: Some(failure.code.to_string()),
    }
}

async fn bitbucket_checks(conn: Target<'_>, client: ClientFactory<'_>, report: &mut CheckReport) {
    let stages = &mut report.stages;
    let anonymous = match client(false) {
        Ok(c) => c,
        Err(e) => {
            stages.push(fail(
                "bitbucket server",
                "invalid_settings",
                e.to_string(),
                FIX_SERVER,
            ));
            return;
        }
    };
    let properties = anonymous.server().properties().await;
    match properties {
        Ok(p) => {
            stages.push(pass(
                "bitbucket server",
                format!("{} {} answers", p.display_name, p.version),
            ));
            report.server_version = Some(p.version);
        }
        Err(e) => {
            stages.push(fail(
                "bitbucket server",
                "server_unreachable",
                e.to_string(),
                FIX_SERVER,
            ));
            return;
        }
    }

    let client = match client(true) {
        Ok(c) => c,
        Err(e) => {
            stages.push(fail(
                "credentials",
                "bad_credentials",
                e.to_string(),
                FIX_CREDENTIALS,
            ));
            return;
        }
    };
    let info = client.server().info().await;
    let user = match info {
        Ok(info) => {
            stages.push(pass("credentials", "accepted"));
            info.authenticated_user
        }
        Err(e) => {
            stages.push(fail(
                "credentials",
                "bad_credentials",
                format!(
                    "the server rejected the credentials of `{}`: {e}",
                    conn.username
                ),
                FIX_CREDENTIALS,
            ));
            return;
        }
    };
    match user {
        Some(user) => {
            stages.push(pass("user", format!("authenticated as {user}")));
            report.user = Some(user);
        }
        None => {
            stages.push(fail(
                "user",
                "bad_credentials",
                "the server did not name a user for these credentials (anonymous access)",
                FIX_CREDENTIALS,
            ));
            return;
        }
    }

    let project = client.project(conn.project).get().await;
    match project {
        Ok(p) => stages.push(pass(
            "project",
            format!("{} ({}) is visible", p.key, p.name),
        )),
        Err(e) => {
            stages.push(fail(
                "project",
                "project_not_accessible",
                format!(
                    "project `{}` is missing or not visible to the user: {e}",
                    conn.project
                ),
                FIX_PROJECT,
            ));
            return;
        }
    }

    let repos = client
        .project(conn.project)
        .repositories()
        .collect_all()
        .await;
    match repos {
        Ok(repos) => {
            stages.push(pass(
                "repositories",
                format!("{} repositories listed", repos.len()),
            ));
            report.repositories = Some(repos.len());
        }
        Err(e) => {
            stages.push(fail(
                "repositories",
                "list_failed",
                e.to_string(),
                FIX_PROJECT,
            ));
            return;
        }
    }

    let writable = client
        .repositories()
        .search(
            &RepoSearch::new()
                .permission(Permission::RepoWrite)
                .project_key(conn.project.to_owned()),
        )
        .collect_all()
        .await;
    match writable {
        Ok(w) if !w.is_empty() || report.repositories == Some(0) => {
            stages.push(pass(
                "write permission",
                format!("write access to {} repositories", w.len()),
            ));
            report.writable_repositories = Some(w.len());
        }
        Ok(_) => {
            report.writable_repositories = Some(0);
            stages.push(fail(
                "write permission",
                "no_write_permission",
                format!(
                    "`{}` cannot write to any repository of project {}, so pull requests cannot be created",
                    report.user.as_deref().unwrap_or(conn.username),
                    conn.project
                ),
                FIX_WRITE,
            ));
        }
        Err(e) => stages.push(fail(
            "write permission",
            "no_write_permission",
            e.to_string(),
            FIX_WRITE,
        )),
    }
}

#[cfg(test)]
mod tests;
