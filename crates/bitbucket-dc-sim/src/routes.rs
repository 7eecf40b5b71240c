//! The REST route table (templates written the OpenAPI way, relative to `/rest`), path matching with
//! `1.0`/`latest` aliases, and dispatch to one handler module per API area.

mod branches;
mod builds;
mod comments;
mod commits;
mod files;
mod insights;
mod merging;
mod participants;
mod pr_contents;
mod pull_requests;
mod repos;
mod required_builds;
mod reviewer_groups;
mod server;

use http::Method;

use crate::rest::{ApiResult, Ctx};

pub use self::server::SIMULATED_VERSION;

/// One handler per operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum H {
    AppProps,
    Users,
    User,
    ReposSearch,
    Projects,
    Project,
    ProjectRepos,
    Repo,
    DefaultBranch,
    SetDefaultBranch,
    LegacyDefaultBranch,
    Branches,
    CreateBranchCore,
    CreateBranch,
    DeleteBranch,
    Raw,
    Browse,
    EditFile,
    Files,
    Commits,
    Commit,
    CommitChanges,
    CompareChanges,
    CompareCommits,
    PrList,
    PrCreate,
    PrGet,
    PrUpdate,
    PrDelete,
    PrDecline,
    PrReopen,
    PrCanMerge,
    PrMerge,
    AutoMergeGet,
    AutoMergeTry,
    AutoMergeCancel,
    PrActivities,
    PrParticipants,
    PrAddParticipant,
    PrSetStatus,
    PrRemoveParticipant,
    PrCommits,
    PrChanges,
    CommentList,
    CommentAdd,
    CommentGet,
    CommentUpdate,
    CommentDelete,
    BlockerList,
    BlockerAdd,
    BlockerGet,
    BlockerUpdate,
    BlockerDelete,
    BuildAdd,
    BuildGet,
    BuildDelete,
    LegacyBuildAdd,
    LegacyBuildList,
    BuildStats,
    BuildStatsMany,
    Reports,
    ReportPut,
    ReportGet,
    ReportDelete,
    AnnotationsAdd,
    AnnotationsGet,
    AnnotationsDelete,
    AnnotationPut,
    CommitAnnotations,
    DefaultReviewers,
    RequiredBuilds,
    RequiredBuildCreate,
    PrSettings,
    ProjectReviewerGroups,
    ProjectReviewerGroupCreate,
    RepoReviewerGroups,
    RepoReviewerGroupCreate,
}

/// A template below one repository.
macro_rules! r {
    ($tail:literal) => {
        concat!(
            "/api/latest/projects/{projectKey}/repos/{repositorySlug}",
            $tail
        )
    };
}

macro_rules! routes {
    ($( $method:literal $path:expr => $h:ident ),* $(,)?) => {
        /// Every (method, template, handler) the simulator serves, in matching order.
        const ROUTES: &[(&str, &str, H)] = &[$( ($method, $path, H::$h) ),*];
    };
}

routes! {
    "GET" "/api/latest/application-properties" => AppProps,
    "GET" "/api/latest/users" => Users,
    "GET" "/api/latest/users/{userSlug}" => User,
    "GET" "/api/latest/repos" => ReposSearch,
    "GET" "/api/latest/projects" => Projects,
    "GET" "/api/latest/projects/{projectKey}" => Project,
    "GET" "/api/latest/projects/{projectKey}/repos" => ProjectRepos,
    "GET" r!("") => Repo,
    "GET" r!("/default-branch") => DefaultBranch,
    "PUT" r!("/default-branch") => SetDefaultBranch,
    "GET" r!("/branches/default") => LegacyDefaultBranch,
    "PUT" r!("/branches/default") => SetDefaultBranch,
    "GET" r!("/settings/pull-requests") => PrSettings,
    "GET" "/api/latest/projects/{projectKey}/settings/reviewer-groups" => ProjectReviewerGroups,
    "POST" "/api/latest/projects/{projectKey}/settings/reviewer-groups" => ProjectReviewerGroupCreate,
    "GET" r!("/settings/reviewer-groups") => RepoReviewerGroups,
    "POST" r!("/settings/reviewer-groups") => RepoReviewerGroupCreate,
    "GET" r!("/branches") => Branches,
    "POST" r!("/branches") => CreateBranchCore,
    "POST" "/branch-utils/latest/projects/{projectKey}/repos/{repositorySlug}/branches" => CreateBranch,
    "DELETE" "/branch-utils/latest/projects/{projectKey}/repos/{repositorySlug}/branches" => DeleteBranch,
    "GET" r!("/raw/{path}") => Raw,
    "GET" r!("/browse") => Browse,
    "GET" r!("/browse/{path}") => Browse,
    "PUT" r!("/browse/{path}") => EditFile,
    "GET" r!("/files") => Files,
    "GET" r!("/files/{path}") => Files,
    "GET" r!("/commits") => Commits,
    "GET" r!("/commits/{commitId}") => Commit,
    "GET" r!("/commits/{commitId}/changes") => CommitChanges,
    "POST" r!("/commits/{commitId}/builds") => BuildAdd,
    "GET" r!("/commits/{commitId}/builds") => BuildGet,
    "DELETE" r!("/commits/{commitId}/builds") => BuildDelete,
    "GET" r!("/compare/changes") => CompareChanges,
    "GET" r!("/compare/commits") => CompareCommits,
    "GET" r!("/pull-requests") => PrList,
    "POST" r!("/pull-requests") => PrCreate,
    "GET" r!("/pull-requests/{pullRequestId}") => PrGet,
    "PUT" r!("/pull-requests/{pullRequestId}") => PrUpdate,
    "DELETE" r!("/pull-requests/{pullRequestId}") => PrDelete,
    "POST" r!("/pull-requests/{pullRequestId}/decline") => PrDecline,
    "POST" r!("/pull-requests/{pullRequestId}/reopen") => PrReopen,
    "GET" r!("/pull-requests/{pullRequestId}/merge") => PrCanMerge,
    "POST" r!("/pull-requests/{pullRequestId}/merge") => PrMerge,
    "GET" r!("/pull-requests/{pullRequestId}/auto-merge") => AutoMergeGet,
    "POST" r!("/pull-requests/{pullRequestId}/auto-merge") => AutoMergeTry,
    "DELETE" r!("/pull-requests/{pullRequestId}/auto-merge") => AutoMergeCancel,
    "GET" r!("/pull-requests/{pullRequestId}/activities") => PrActivities,
    "GET" r!("/pull-requests/{pullRequestId}/participants") => PrParticipants,
    "POST" r!("/pull-requests/{pullRequestId}/participants") => PrAddParticipant,
    "PUT" r!("/pull-requests/{pullRequestId}/participants/{userSlug}") => PrSetStatus,
    "DELETE" r!("/pull-requests/{pullRequestId}/participants/{userSlug}") => PrRemoveParticipant,
    "GET" r!("/pull-requests/{pullRequestId}/commits") => PrCommits,
    "GET" r!("/pull-requests/{pullRequestId}/changes") => PrChanges,
    "GET" r!("/pull-requests/{pullRequestId}/comments") => CommentList,
    "POST" r!("/pull-requests/{pullRequestId}/comments") => CommentAdd,
    "GET" r!("/pull-requests/{pullRequestId}/comments/{commentId}") => CommentGet,
    "PUT" r!("/pull-requests/{pullRequestId}/comments/{commentId}") => CommentUpdate,
    "DELETE" r!("/pull-requests/{pullRequestId}/comments/{commentId}") => CommentDelete,
    "GET" r!("/pull-requests/{pullRequestId}/blocker-comments") => BlockerList,
    "POST" r!("/pull-requests/{pullRequestId}/blocker-comments") => BlockerAdd,
    "GET" r!("/pull-requests/{pullRequestId}/blocker-comments/{commentId}") => BlockerGet,
    "PUT" r!("/pull-requests/{pullRequestId}/blocker-comments/{commentId}") => BlockerUpdate,
    "DELETE" r!("/pull-requests/{pullRequestId}/blocker-comments/{commentId}") => BlockerDelete,
    "POST" "/build-status/latest/commits/stats" => BuildStatsMany,
    "GET" "/build-status/latest/commits/stats/{commitId}" => BuildStats,
    "POST" "/build-status/latest/commits/{commitId}" => LegacyBuildAdd,
    "GET" "/build-status/latest/commits/{commitId}" => LegacyBuildList,
    "GET" "/insights/latest/projects/{projectKey}/repos/{repositorySlug}/commits/{commitId}/reports" => Reports,
    "PUT" "/insights/latest/projects/{projectKey}/repos/{repositorySlug}/commits/{commitId}/reports/{key}" => ReportPut,
    "GET" "/insights/latest/projects/{projectKey}/repos/{repositorySlug}/commits/{commitId}/reports/{key}" => ReportGet,
    "DELETE" "/insights/latest/projects/{projectKey}/repos/{repositorySlug}/commits/{commitId}/reports/{key}" => ReportDelete,
    "POST" "/insights/latest/projects/{projectKey}/repos/{repositorySlug}/commits/{commitId}/reports/{key}/annotations" => AnnotationsAdd,
    "GET" "/insights/latest/projects/{projectKey}/repos/{repositorySlug}/commits/{commitId}/reports/{key}/annotations" => AnnotationsGet,
    "DELETE" "/insights/latest/projects/{projectKey}/repos/{repositorySlug}/commits/{commitId}/reports/{key}/annotations" => AnnotationsDelete,
    "PUT" "/insights/latest/projects/{projectKey}/repos/{repositorySlug}/commits/{commitId}/reports/{key}/annotations/{externalId}" => AnnotationPut,
    "GET" "/insights/latest/projects/{projectKey}/repos/{repositorySlug}/commits/{commitId}/annotations" => CommitAnnotations,
    "GET" "/default-reviewers/latest/projects/{projectKey}/repos/{repositorySlug}/reviewers" => DefaultReviewers,
    "GET" "/required-builds/latest/projects/{projectKey}/repos/{repositorySlug}/conditions" => RequiredBuilds,
    "POST" "/required-builds/latest/projects/{projectKey}/repos/{repositorySlug}/condition" => RequiredBuildCreate,
}

/// Every `(method, path template)` the simulator serves. Templates are written the way Atlassian's OpenAPI
/// description writes them: relative to `<base>/rest`, with `latest` as the version (the simulator also
/// answers `1.0`), e.g. `/api/latest/projects/{projectKey}/repos/{repositorySlug}/pull-requests/{pullRequestId}`.
pub fn route_table() -> Vec<(&'static str, &'static str)> {
    ROUTES
        .iter()
        .map(|(method, path, _)| (*method, *path))
        .collect()
}

/// A matched route.
#[derive(Debug)]
pub(crate) struct Found {
    pub(crate) handler: H,
    pub(crate) params: Vec<(&'static str, String)>,
}

#[derive(Debug)]
pub(crate) enum Match {
    Found(Found),
    MethodNotAllowed(Vec<&'static str>),
    NotFound,
}

/// Template parameter names are `'static` so handlers can look them up cheaply.
fn param_name(segment: &str) -> Option<&'static str> {
    const NAMES: &[&str] = &[
        "projectKey",
        "repositorySlug",
        "userSlug",
        "path",
        "commitId",
        "pullRequestId",
        "commentId",
        "key",
        "externalId",
    ];
    let inner = segment.strip_prefix('{')?.strip_suffix('}')?;
    NAMES.iter().copied().find(|n| *n == inner)
}

fn decode(segment: &str) -> String {
    percent_encoding::percent_decode_str(segment)
        .decode_utf8_lossy()
        .into_owned()
}

fn match_template(template: &str, segments: &[&str]) -> Option<Vec<(&'static str, String)>> {
    let tpl: Vec<&str> = template.trim_start_matches('/').split('/').collect();
    let mut params = Vec::new();
    for (idx, part) in tpl.iter().enumerate() {
        if let Some(name) = param_name(part) {
            if name == "path" && idx == tpl.len() - 1 {
                let rest = segments.get(idx..)?;
                if rest.is_empty() || rest.iter().all(|s| s.is_empty()) {
                    return None;
                }
                let joined = rest.iter().map(|s| decode(s)).collect::<Vec<_>>().join("/");
                params.push((name, joined));
                return Some(params);
            }
            let value = segments.get(idx)?;
            if value.is_empty() {
                return None;
            }
            params.push((name, decode(value)));
        } else {
            let value = segments.get(idx)?;
            let ok = if idx == 1 && *part == "latest" {
                *value == "latest" || *value == "1.0"
            } else {
                value == part
            };
            if !ok {
                return None;
            }
        }
    }
    (segments.len() == tpl.len()).then_some(params)
}

/// Finds the route for a path below `/rest` (e.g. `/api/1.0/projects/KEY`).
/// `HEAD` is answered like `GET` (hyper sends no body), as Jersey does.
pub(crate) fn find(method: &Method, rest_path: &str) -> Match {
    let method = if method == Method::HEAD {
        &Method::GET
    } else {
        method
    };
    let trimmed = rest_path.trim_start_matches('/');
    let trimmed = trimmed.strip_suffix('/').unwrap_or(trimmed);
    let segments: Vec<&str> = trimmed.split('/').collect();
    let mut allowed = Vec::new();
    for (m, template, handler) in ROUTES {
        if let Some(params) = match_template(template, &segments) {
            if *m == method.as_str() {
                return Match::Found(Found {
                    handler: *handler,
                    params,
                });
            }
            if !allowed.contains(m) {
                allowed.push(*m);
            }
        }
    }
    if allowed.is_empty() {
        Match::NotFound
    } else {
        Match::MethodNotAllowed(allowed)
    }
}

/// Runs a handler.
pub(crate) async fn call(handler: H, ctx: Ctx) -> ApiResult {
    use H::*;
    match handler {
        AppProps => server::application_properties(&ctx),
        Users => server::users(&ctx),
        User => server::user(&ctx),
        ReposSearch => server::repos(&ctx),
        Projects => server::projects(&ctx),
        Project => repos::project(&ctx),
        ProjectRepos => repos::project_repos(&ctx),
        Repo => repos::repo(&ctx),
        DefaultBranch => repos::default_branch(&ctx),
        SetDefaultBranch => repos::set_default_branch(&ctx).await,
        LegacyDefaultBranch => repos::legacy_default_branch(&ctx).await,
        Branches => branches::list(&ctx).await,
        CreateBranchCore => branches::create(&ctx, false).await,
        CreateBranch => branches::create(&ctx, true).await,
        DeleteBranch => branches::delete(&ctx).await,
        Raw => files::raw(&ctx).await,
        Browse => files::browse(&ctx).await,
        EditFile => files::edit(&ctx).await,
        Files => files::list(&ctx).await,
        Commits => commits::list(&ctx).await,
        Commit => commits::get(&ctx).await,
        CommitChanges => commits::changes(&ctx).await,
        CompareChanges => commits::compare_changes(&ctx).await,
        CompareCommits => commits::compare_commits(&ctx).await,
        PrList => pull_requests::list(&ctx),
        PrCreate => pull_requests::create(&ctx).await,
        PrGet => pull_requests::get(&ctx),
        PrUpdate => pull_requests::update(&ctx),
        PrDelete => pull_requests::delete(&ctx),
        PrDecline => pull_requests::decline(&ctx),
        PrReopen => pull_requests::reopen(&ctx),
        PrCanMerge => merging::can_merge(&ctx).await,
        PrMerge => merging::merge(&ctx).await,
        AutoMergeGet => merging::get_auto_merge(&ctx),
        AutoMergeTry => merging::try_auto_merge(&ctx).await,
        AutoMergeCancel => merging::cancel_auto_merge(&ctx),
        PrActivities => pr_contents::activities(&ctx),
        PrParticipants => participants::participants(&ctx),
        PrAddParticipant => participants::add_participant(&ctx),
        PrSetStatus => participants::set_status(&ctx),
        PrRemoveParticipant => participants::remove_participant(&ctx),
        PrCommits => pr_contents::commits(&ctx).await,
        PrChanges => pr_contents::changes(&ctx).await,
        CommentList => comments::list(&ctx, false),
        CommentAdd => comments::add(&ctx, false),
        CommentGet => comments::get(&ctx),
        CommentUpdate => comments::update(&ctx),
        CommentDelete => comments::delete(&ctx),
        BlockerList => comments::list(&ctx, true),
        BlockerAdd => comments::add(&ctx, true),
        BlockerGet => comments::get(&ctx),
        BlockerUpdate => comments::update(&ctx),
        BlockerDelete => comments::delete(&ctx),
        BuildAdd => builds::add(&ctx).await,
        BuildGet => builds::get(&ctx),
        BuildDelete => builds::delete(&ctx),
        LegacyBuildAdd => builds::legacy_add(&ctx),
        LegacyBuildList => builds::legacy_list(&ctx),
        RequiredBuilds => required_builds::list(&ctx),
        RequiredBuildCreate => required_builds::create(&ctx),
        BuildStats => builds::stats(&ctx),
        BuildStatsMany => builds::stats_many(&ctx),
        Reports => insights::list(&ctx),
        ReportPut => insights::put(&ctx).await,
        ReportGet => insights::get(&ctx),
        ReportDelete => insights::delete(&ctx),
        AnnotationsAdd => insights::add_annotations(&ctx),
        AnnotationsGet => insights::annotations(&ctx),
        AnnotationsDelete => insights::delete_annotations(&ctx),
        AnnotationPut => insights::put_annotation(&ctx),
        CommitAnnotations => insights::commit_annotations(&ctx),
        DefaultReviewers => repos::default_reviewers(&ctx),
        PrSettings => repos::pull_request_settings(&ctx),
        ProjectReviewerGroups => reviewer_groups::project_list(&ctx),
        ProjectReviewerGroupCreate => reviewer_groups::project_create(&ctx),
        RepoReviewerGroups => reviewer_groups::repo_list(&ctx),
        RepoReviewerGroupCreate => reviewer_groups::repo_create(&ctx),
    }
}

#[cfg(test)]
mod tests;
