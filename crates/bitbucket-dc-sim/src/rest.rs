//! REST plumbing shared by the route modules: the request context, the error envelope, JSON responses and paging.

use std::path::PathBuf;
use std::sync::{Arc, MutexGuard};

use bytes::Bytes;
use http::{HeaderMap, Response, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::{json, Map, Value};

use crate::shared::{full, Body, Shared};
use crate::state::{Caller, Level, State};

/// Bitbucket's content type for JSON bodies.
pub(crate) const JSON: &str = "application/json;charset=UTF-8";

/// The default and maximum page sizes of ordinary paged resources.
pub(crate) const DEFAULT_LIMIT: usize = 25;
pub(crate) const MAX_LIMIT: usize = 1000;

/// Exception names, in one place.
pub(crate) mod exc {
    pub(crate) const AUTHORISATION: &str = "com.atlassian.bitbucket.AuthorisationException";
    pub(crate) const NO_SUCH_PROJECT: &str =
        "com.atlassian.bitbucket.project.NoSuchProjectException";
    pub(crate) const NO_SUCH_REPOSITORY: &str =
        "com.atlassian.bitbucket.repository.NoSuchRepositoryException";
    pub(crate) const NO_SUCH_PULL_REQUEST: &str =
        "com.atlassian.bitbucket.pull.NoSuchPullRequestException";
    pub(crate) const NO_SUCH_PATH: &str = "com.atlassian.bitbucket.content.NoSuchPathException";
    pub(crate) const NO_SUCH_COMMIT: &str = "com.atlassian.bitbucket.commit.NoSuchCommitException";
    pub(crate) const NO_SUCH_BRANCH: &str =
        "com.atlassian.bitbucket.repository.NoSuchBranchException";
    pub(crate) const NO_SUCH_USER: &str = "com.atlassian.bitbucket.user.NoSuchUserException";
    pub(crate) const NO_SUCH_COMMENT: &str =
        "com.atlassian.bitbucket.comment.NoSuchCommentException";
    pub(crate) const NO_SUCH_BUILD: &str =
        "com.atlassian.bitbucket.build.status.NoSuchBuildStatusException";
    pub(crate) const NO_SUCH_REPORT: &str =
        "com.atlassian.bitbucket.codeinsights.report.NoSuchReportException";
    pub(crate) const ARCHIVED: &str =
        "com.atlassian.bitbucket.repository.RepositoryArchivedException";
    pub(crate) const PR_OUT_OF_DATE: &str =
        "com.atlassian.bitbucket.pull.PullRequestOutOfDateException";
    pub(crate) const PR_DUPLICATE: &str =
        "com.atlassian.bitbucket.pull.DuplicatePullRequestException";
    pub(crate) const PR_EMPTY: &str = "com.atlassian.bitbucket.pull.EmptyPullRequestException";
    pub(crate) const PR_SAME_BRANCH: &str =
        "com.atlassian.bitbucket.pull.InvalidPullRequestTargetException";
    pub(crate) const PR_REVIEWERS: &str =
        "com.atlassian.bitbucket.pull.InvalidPullRequestReviewersException";
    pub(crate) const PR_STATE: &str =
        "com.atlassian.bitbucket.pull.IllegalPullRequestStateException";
    pub(crate) const PR_MERGE_VETOED: &str =
        "com.atlassian.bitbucket.pull.PullRequestMergeVetoedException";
    /// The simulator's name for the 403 the spec documents when auto-merge is off (the real name is unverified).
    pub(crate) const AUTO_MERGE_DISABLED: &str =
        "com.atlassian.bitbucket.pull.automerge.AutoMergeDisabledException";
    /// The simulator's name for a duplicate reviewer group name (the real name is unverified).
    pub(crate) const REVIEWER_GROUP_EXISTS: &str =
        "com.atlassian.bitbucket.reviewer.DuplicateReviewerGroupException";
    pub(crate) const PR_PARTICIPANT: &str =
        "com.atlassian.bitbucket.pull.InvalidPullRequestParticipantException";
    pub(crate) const COMMENT_OUT_OF_DATE: &str =
        "com.atlassian.bitbucket.comment.CommentOutOfDateException";
    pub(crate) const COMMENT_DELETION: &str =
        "com.atlassian.bitbucket.comment.CommentDeletionException";
    pub(crate) const FILE_UNMODIFIED: &str =
        "com.atlassian.bitbucket.content.FileContentUnmodifiedException";
    pub(crate) const FILE_EXISTS: &str =
        "com.atlassian.bitbucket.content.FileAlreadyExistsException";
    pub(crate) const FILE_OUT_OF_DATE: &str =
        "com.atlassian.bitbucket.content.FileOutOfDateException";
    pub(crate) const BRANCH_EXISTS: &str =
        "com.atlassian.bitbucket.repository.DuplicateRefException";
    pub(crate) const BRANCH_OVERLAP: &str =
        "com.atlassian.bitbucket.repository.BranchNameConflictException";
    pub(crate) const INVALID_REF: &str =
        "com.atlassian.bitbucket.repository.InvalidRefNameException";
    pub(crate) const BRANCH_OUT_OF_DATE: &str =
        "com.atlassian.bitbucket.repository.RefOutOfDateException";
    pub(crate) const DEFAULT_BRANCH_DELETE: &str =
        "com.atlassian.bitbucket.repository.DefaultBranchDeletionException";
    pub(crate) const BAD_REQUEST: &str =
        "com.atlassian.bitbucket.rest.exception.BadRequestException";
    pub(crate) const INTERNAL: &str = "com.atlassian.bitbucket.ServerException";
}

/// An error answered in Bitbucket's `{errors:[{context,message,exceptionName}]}` envelope.
#[derive(Debug)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) errors: Vec<Map<String, Value>>,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, exception: &str, message: impl Into<String>) -> Self {
        let mut entry = Map::new();
        entry.insert("context".into(), Value::Null);
        entry.insert("message".into(), Value::String(message.into()));
        entry.insert("exceptionName".into(), Value::String(exception.into()));
        Self {
            status,
            errors: vec![entry],
        }
    }

    /// A field validation error (400, `context` = field, `exceptionName` null like the real server).
    pub(crate) fn validation(context: &str, message: impl Into<String>) -> Self {
        let mut entry = Map::new();
        entry.insert("context".into(), Value::String(context.into()));
        entry.insert("message".into(), Value::String(message.into()));
        entry.insert("exceptionName".into(), Value::Null);
        Self {
            status: StatusCode::BAD_REQUEST,
            errors: vec![entry],
        }
    }

    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, exc::BAD_REQUEST, message)
    }

    pub(crate) fn context(mut self, context: &str) -> Self {
        if let Some(first) = self.errors.first_mut() {
            first.insert("context".into(), Value::String(context.into()));
        }
        self
    }

    pub(crate) fn field(mut self, key: &str, value: Value) -> Self {
        if let Some(first) = self.errors.first_mut() {
            first.insert(key.into(), value);
        }
        self
    }

    pub(crate) fn unauthorised() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            exc::AUTHORISATION,
            "You are not permitted to access this resource",
        )
    }

    pub(crate) fn no_such_project(key: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            exc::NO_SUCH_PROJECT,
            format!("Project {key} does not exist."),
        )
    }

    pub(crate) fn no_such_repo(key: &str, slug: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            exc::NO_SUCH_REPOSITORY,
            format!("Repository {key}/{slug} does not exist."),
        )
    }

    pub(crate) fn no_such_pr(id: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            exc::NO_SUCH_PULL_REQUEST,
            format!("Pull request {id} does not exist in this repository."),
        )
    }

    pub(crate) fn no_such_commit(id: &str, slug: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            exc::NO_SUCH_COMMIT,
            format!("Commit '{id}' does not exist in repository '{slug}'."),
        )
    }

    pub(crate) fn no_such_path(path: &str, at: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            exc::NO_SUCH_PATH,
            format!("The path \"{path}\" does not exist at revision \"{at}\""),
        )
    }

    pub(crate) fn archived(key: &str, slug: &str) -> Self {
        Self::new(
            StatusCode::CONFLICT,
            exc::ARCHIVED,
            format!("Repository {key}/{slug} is archived and cannot be modified."),
        )
    }

    pub(crate) fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, exc::INTERNAL, message)
    }

    pub(crate) fn into_response(self) -> Response<Body> {
        let errors: Vec<Value> = self.errors.into_iter().map(Value::Object).collect();
        json_response(self.status, &json!({ "errors": errors }))
    }
}

impl From<crate::error::SimError> for ApiError {
    fn from(err: crate::error::SimError) -> Self {
        tracing::warn!(error = %err, "simulator internal failure");
        Self::internal(err.to_string())
    }
}

pub(crate) type ApiResult = Result<Response<Body>, ApiError>;

pub(crate) fn json_response(status: StatusCode, value: &Value) -> Response<Body> {
    let bytes = serde_json::to_vec(value).unwrap_or_default();
    Response::builder()
        .status(status)
        .header(http::header::CONTENT_TYPE, JSON)
        .body(full(bytes))
        .unwrap_or_else(|_| Response::new(full(Vec::new())))
}

pub(crate) fn ok(value: &Value) -> ApiResult {
    Ok(json_response(StatusCode::OK, value))
}

pub(crate) fn created(value: &Value) -> ApiResult {
    Ok(json_response(StatusCode::CREATED, value))
}

pub(crate) fn no_content() -> ApiResult {
    Ok(Response::builder()
        .status(StatusCode::NO_CONTENT)
        .body(full(Vec::new()))
        .unwrap_or_else(|_| Response::new(full(Vec::new()))))
}

/// Parsed query string (percent-decoded, repeated keys kept).
#[derive(Debug, Default, Clone)]
pub(crate) struct Query(pub(crate) Vec<(String, String)>);

impl Query {
    pub(crate) fn parse(raw: Option<&str>) -> Self {
        Self(
            raw.map(|q| {
                url::form_urlencoded::parse(q.as_bytes())
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect()
            })
            .unwrap_or_default(),
        )
    }

    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// A non-empty value.
    pub(crate) fn value(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|v| !v.trim().is_empty())
    }

    pub(crate) fn flag(&self, name: &str) -> bool {
        self.get(name)
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    }
}

/// A requested page window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PageReq {
    pub(crate) start: usize,
    pub(crate) limit: usize,
}

impl PageReq {
    pub(crate) fn from_query(query: &Query, default: usize, max: usize) -> Self {
        let start = query
            .get("start")
            .and_then(|v| v.trim().parse::<usize>().ok())
            .unwrap_or(0);
        let limit = query
            .get("limit")
            .and_then(|v| v.trim().parse::<usize>().ok())
            .filter(|l| *l > 0)
            .unwrap_or(default)
            .min(max);
        Self { start, limit }
    }

    /// Pages over a fully materialized list.
    pub(crate) fn page(&self, all: Vec<Value>) -> Value {
        let total = all.len();
        let values: Vec<Value> = all.into_iter().skip(self.start).take(self.limit).collect();
        let last = self.start.saturating_add(values.len()) >= total;
        self.render(values, last)
    }

    /// Pages over a window fetched as `limit + 1` items starting at `start`.
    pub(crate) fn page_window(&self, mut fetched: Vec<Value>) -> Value {
        let last = fetched.len() <= self.limit;
        fetched.truncate(self.limit);
        self.render(fetched, last)
    }

    fn render(&self, values: Vec<Value>, last: bool) -> Value {
        let mut page = json!({
            "size": values.len(),
            "limit": self.limit,
            "isLastPage": last,
            "start": self.start,
            "values": values,
        });
        if !last {
            page["nextPageStart"] = json!(self.start + self.limit);
        }
        page
    }
}

/// A repository the caller may access, snapshotted out of the state lock.
#[derive(Debug, Clone)]
pub(crate) struct RepoRef {
    pub(crate) id: u64,
    pub(crate) key: String,
    pub(crate) slug: String,
    pub(crate) path: PathBuf,
    pub(crate) default_branch: String,
    pub(crate) archived: bool,
    pub(crate) level: Level,
}

/// Everything a REST handler gets.
pub(crate) struct Ctx {
    pub(crate) shared: Arc<Shared>,
    pub(crate) caller: Option<Caller>,
    pub(crate) params: Vec<(&'static str, String)>,
    pub(crate) query: Query,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

impl std::fmt::Debug for Ctx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Headers carry the credential; they stay out of Debug output.
        f.debug_struct("Ctx")
            .field("caller", &self.caller)
            .field("params", &self.params)
            .field("query", &self.query)
            .field("body_len", &self.body.len())
            .finish_non_exhaustive()
    }
}

impl Ctx {
    pub(crate) fn param(&self, name: &str) -> &str {
        self.params
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.as_str())
            .unwrap_or("")
    }

    pub(crate) fn state(&self) -> MutexGuard<'_, State> {
        self.shared.state()
    }

    pub(crate) fn user(&self) -> Option<&str> {
        self.caller.as_ref().map(|c| c.user.as_str())
    }

    /// The authenticated user's name, or 401 for anonymous requests.
    pub(crate) fn require_user(&self) -> Result<String, ApiError> {
        self.user()
            .map(str::to_owned)
            .ok_or_else(ApiError::unauthorised)
    }

    /// Like [`Ctx::require_user`] for operations that write a commit as the user: project and repository
    /// access tokens have no user with an e-mail address, so they get 403.
    pub(crate) fn require_committer(&self) -> Result<String, ApiError> {
        let user = self.require_user()?;
        if self.state().user(&user).is_some_and(|u| u.service) {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                exc::AUTHORISATION,
                "This operation creates a commit, which needs a user with a valid e-mail address; project and repository access tokens have none. Use a personal access token.",
            ));
        }
        Ok(user)
    }

    /// Parses the JSON body; 400 when it is missing or malformed.
    pub(crate) fn json<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        if self.body.is_empty() {
            return Err(ApiError::bad_request(
                "A request body is required for this resource.",
            ));
        }
        serde_json::from_slice(&self.body).map_err(|err| {
            ApiError::bad_request(format!("The request body is not valid JSON: {err}"))
        })
    }

    /// Parses an optional JSON body (an empty body yields `None`).
    pub(crate) fn json_opt<T: DeserializeOwned>(&self) -> Result<Option<T>, ApiError> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        self.json().map(Some)
    }

    /// Looks up `{projectKey}/{repositorySlug}` and checks the caller holds `level` on it:
    /// 404 for a missing project or repository, 401 for a missing permission.
    pub(crate) fn repo(&self, level: Level) -> Result<RepoRef, ApiError> {
        let key = self.param("projectKey");
        let slug = self.param("repositorySlug");
        let state = self.state();
        let Some(project) = state.project(key) else {
            return Err(ApiError::no_such_project(key));
        };
        let Some(repo) = state
            .repo_id(&project.key, slug)
            .and_then(|id| state.repo(id))
        else {
            return Err(ApiError::no_such_repo(&project.key, slug));
        };
        let have = state.repo_level(self.caller.as_ref(), repo);
        match have {
            Some(have) if have >= level => Ok(RepoRef {
                id: repo.id,
                key: repo.project_key.clone(),
                slug: repo.slug.clone(),
                path: repo.path.clone(),
                default_branch: repo.default_branch.clone(),
                archived: repo.archived,
                level: have,
            }),
            _ => Err(ApiError::unauthorised()),
        }
    }

    /// Like [`Ctx::repo`] for a write, also refusing archived repositories (409).
    pub(crate) fn writable_repo(&self, level: Level) -> Result<RepoRef, ApiError> {
        let repo = self.repo(level)?;
        if repo.archived {
            return Err(ApiError::archived(&repo.key, &repo.slug));
        }
        Ok(repo)
    }
}

/// Validates a string field's length (400 with the field as context).
pub(crate) fn check_len(field: &str, value: Option<&str>, max: usize) -> Result<(), ApiError> {
    if let Some(value) = value {
        if value.chars().count() > max {
            return Err(ApiError::validation(
                field,
                format!("{field} must be {max} characters or fewer"),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
