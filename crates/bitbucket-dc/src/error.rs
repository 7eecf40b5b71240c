//! The crate's one error type: Bitbucket's error envelope mapped to variants a caller can match,
//! plus transport, decoding, paging and configuration failures.

use std::fmt;
use std::time::Duration;

use http::{Method, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::models::{MergeVeto, PullRequest};

/// Everything that can go wrong talking to Bitbucket.
///
/// Errors the server reported carry the parsed [`ErrorResponse`] (status, the
/// `{errors:[{context,message,exceptionName,…}]}` envelope with every extra field kept raw, or a
/// snippet of a non-JSON body). The variants follow the exception names Bitbucket uses, so a
/// caller can match on meaning rather than on status codes, which Bitbucket overloads (401 is
/// both "bad credential" and "no permission"; 409 has a dozen meanings).
///
/// ```
/// # async fn demo(repo: bitbucket_dc::RepoApi, edit: bitbucket_dc::FileEdit) -> Result<(), bitbucket_dc::Error> {
/// use bitbucket_dc::Error;
/// match repo.files().edit("pom.xml", &edit).await {
///     Ok(commit) => println!("committed {}", commit.id),
///     Err(Error::FileContentUnmodified { .. }) => println!("already up to date"),
///     Err(err) if err.is_retryable() => println!("try again later: {err}"),
///     Err(err) => return Err(err),
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A value the request would place in its URL path (project key, repository slug, user
    /// slug, commit id, report key, …) is empty, `.` or `..`, or is a key or slug containing `/`
    /// or `\`: servers and proxies would resolve it to another path, so the request was refused
    /// before sending.
    #[error("refused to send {method} {path}: the {what} {value:?} is empty, `.` or `..`, or contains a slash, which would change the request path; pass the {what} exactly as Bitbucket shows it")]
    InvalidPathSegment {
        /// What the value is (`"repository slug"`, `"project key"`, … or `"path segment"`).
        what: &'static str,
        /// The offending value, decoded.
        value: String,
        /// Method of the refused request.
        method: Method,
        /// The refused request path (encoded).
        path: String,
    },

    /// The client configuration is invalid (base URL, credentials, limits).
    #[error("invalid bitbucket client configuration: {reason}")]
    Config {
        /// What is wrong and how to fix it.
        reason: String,
    },

    /// An argument of a call is invalid (e.g. a ref passed where a commit SHA is required).
    #[error("invalid argument: {reason}")]
    InvalidArgument {
        /// What is wrong and how to fix it.
        reason: String,
    },

    /// 401: the server did not accept the credential (wrong or expired token, wrong user name,
    /// CAPTCHA lock after failed logins).
    #[error(
        "bitbucket rejected the credential{} on {} {}: check the username and HTTP access token (expired tokens and CAPTCHA locks after failed logins also cause this)",
        for_user(.user), .response.method, .response.path
    )]
    BadCredential {
        /// The user name of the credential, when known.
        user: Option<String>,
        /// The server's answer.
        response: Box<ErrorResponse>,
    },

    /// 401: the credential is valid but lacks the permission (Bitbucket answers missing
    /// permissions with 401 and `AuthorisationException`, not 403).
    #[error(
        "{} is not permitted to {} {}{}: grant the user and its access token the needed project or repository permission",
        user_or_credential(.user), .response.method, .response.path, .response.detail()
    )]
    NoPermission {
        /// The authenticated user (`X-AUSERNAME`) or the credential's user name.
        user: Option<String>,
        /// The server's answer.
        response: Box<ErrorResponse>,
    },

    /// 403 with the text body `XSRF check failed`.
    #[error(
        "bitbucket refused {} {} with an XSRF check failure: make sure no proxy strips the X-Atlassian-Token header",
        .response.method, .response.path
    )]
    Xsrf {
        /// The server's answer.
        response: Box<ErrorResponse>,
    },

    /// 403 for another reason: project/repository tokens editing files or merging (no real
    /// user), auto-merge disabled, archiving with open pull requests.
    #[error(
        "bitbucket forbade {} {}{}: project and repository access tokens cannot edit files or merge, use a user's token or enable the feature",
        .response.method, .response.path, .response.detail()
    )]
    Forbidden {
        /// The server's answer.
        response: Box<ErrorResponse>,
    },

    /// 404: the object (or, without a JSON body, the route) does not exist.
    #[error("{kind} not found on {} {}{}: {}", .response.method, .response.path, .response.detail(), kind.advice())]
    NotFound {
        /// What was not found.
        kind: NotFoundKind,
        /// The server's answer.
        response: Box<ErrorResponse>,
    },

    /// 409 `PullRequestOutOfDateException`: the `version` sent is stale.
    #[error(
        "the pull request changed since version {} (now version {}) on {} {}: fetch it again and retry with its current version",
        opt(.expected_version), opt(.current_version), .response.method, .response.path
    )]
    PullRequestOutOfDate {
        /// The server's current version.
        current_version: Option<i64>,
        /// The version the request was based on (`-1` when none was sent).
        expected_version: Option<i64>,
        /// The server's answer.
        response: Box<ErrorResponse>,
    },

    /// 409 `DuplicatePullRequestException`: a pull request is already open for the branches.
    #[error(
        "a pull request is already open for these branches{}: update the existing pull request instead of creating one",
        existing_id(.existing)
    )]
    DuplicatePullRequest {
        /// The existing pull request, when the server sent it.
        existing: Option<Box<PullRequest>>,
        /// The server's answer.
        response: Box<ErrorResponse>,
    },

    /// 409 `EmptyPullRequestException`: the target already contains every source commit.
    #[error(
        "the source branch has no commits the target lacks on {} {}: nothing to merge, delete the branch or push a change first",
        .response.method, .response.path
    )]
    EmptyPullRequest {
        /// The server's answer.
        response: Box<ErrorResponse>,
    },

    /// 409 `InvalidPullRequestReviewersException`: some reviewers are not users (or cannot review).
    #[error(
        "bitbucket rejected the reviewers {:?}: remove them (reviewers are user names, not slugs) and retry",
        .names
    )]
    InvalidReviewers {
        /// The offending reviewer names (`reviewerErrors[].context`).
        names: Vec<String>,
        /// The server's answer.
        response: Box<ErrorResponse>,
    },

    /// 409 `FileContentUnmodifiedException`: the edit's content equals the current file, no
    /// commit was made. Usually a no-op for the caller.
    #[error("the file content is the same as on the branch, so no commit was made: treat it as already done")]
    FileContentUnmodified {
        /// The server's answer.
        response: Box<ErrorResponse>,
    },

    /// 409 `PullRequestMergeVetoedException`: merge checks vetoed the merge.
    #[error("merging was vetoed{}: resolve the merge checks first", vetoes_summary(.vetoes))]
    MergeVetoed {
        /// The vetoes.
        vetoes: Vec<MergeVeto>,
        /// Whether the pull request has conflicts.
        conflicted: bool,
        /// The server's answer.
        response: Box<ErrorResponse>,
    },

    /// Another 409: state conflict (not open, archived repository, stale `sourceCommitId`, …).
    #[error(
        "bitbucket reported a conflict on {} {}{}: refresh the object and retry",
        .response.method, .response.path, .response.detail()
    )]
    Conflict {
        /// The server's answer.
        response: Box<ErrorResponse>,
    },

    /// 400: the request was invalid.
    #[error(
        "bitbucket rejected {} {} as invalid{}: check the request parameters",
        .response.method, .response.path, .response.detail()
    )]
    BadRequest {
        /// The server's answer.
        response: Box<ErrorResponse>,
    },

    /// 429: the per-user rate limit was hit.
    #[error(
        "bitbucket rate-limited {} {}{}: slow down or ask an administrator to raise the user's rate limit",
        .response.method, .response.path, retry_hint(.retry_after)
    )]
    RateLimited {
        /// How long the server asked to wait (`Retry-After`, seconds or HTTP date).
        retry_after: Option<Duration>,
        /// The server's answer.
        response: Box<ErrorResponse>,
    },

    /// 503: the server is unavailable (maintenance, overload).
    #[error(
        "bitbucket is unavailable for {} {}{}: retry later, the server may be in maintenance",
        .response.method, .response.path, retry_hint(.retry_after)
    )]
    Unavailable {
        /// How long the server asked to wait.
        retry_after: Option<Duration>,
        /// The server's answer.
        response: Box<ErrorResponse>,
    },

    /// Another 5xx.
    #[error(
        "bitbucket failed with {} on {} {}{}: retry later or check the server logs",
        .response.status, .response.method, .response.path, .response.detail()
    )]
    Server {
        /// The server's answer.
        response: Box<ErrorResponse>,
    },

    /// A status this client does not expect (e.g. a redirect to a login page).
    #[error(
        "bitbucket answered {} {} with unexpected status {}{}: check the base URL and any proxy in between",
        .response.method, .response.path, .response.status, .response.detail()
    )]
    UnexpectedStatus {
        /// The server's answer.
        response: Box<ErrorResponse>,
    },

    /// The TCP connection could not be established.
    #[error("could not connect to bitbucket at {target} ({detail}): check the base URL, DNS and the network path")]
    Connect {
        /// `host:port`.
        target: String,
        /// The innermost cause.
        detail: String,
    },

    /// The TLS handshake failed (untrusted or mismatched certificate, protocol mismatch).
    #[error("the TLS handshake with bitbucket at {target} failed ({detail}): if the server uses an internal CA, trust that CA")]
    Tls {
        /// `host:port`.
        target: String,
        /// The innermost cause.
        detail: String,
    },

    /// No complete answer within the per-request timeout.
    #[error("bitbucket did not answer {method} {path} within {after:?}: check the network path or raise the request timeout")]
    Timeout {
        /// Method.
        method: Method,
        /// Path.
        path: String,
        /// The timeout.
        after: Duration,
    },

    /// The connection failed while sending the request or reading the response.
    #[error("the connection to bitbucket failed during {method} {path} ({detail}): retry later or check the network path")]
    Transport {
        /// Method.
        method: Method,
        /// Path.
        path: String,
        /// The innermost cause.
        detail: String,
    },

    /// The response body exceeded the configured limit.
    #[error("the response to {method} {path} exceeded {limit} bytes: raise the client's response size limit")]
    ResponseTooLarge {
        /// Method.
        method: Method,
        /// Path.
        path: String,
        /// The limit in bytes.
        limit: usize,
        /// The size the server announced (`Content-Length`), when it did.
        announced: Option<u64>,
    },

    /// A successful response could not be decoded into the expected type.
    #[error("could not decode the response to {method} {path} as {target} ({source}); the body starts with {snippet:?}: check that the base URL points at a Bitbucket Data Center server")]
    Decode {
        /// Method.
        method: Method,
        /// Path.
        path: String,
        /// The expected type.
        target: &'static str,
        /// The start of the body.
        snippet: String,
        /// The decoder error.
        source: serde_json::Error,
    },

    /// A paged listing hit the page cap while more pages were left.
    #[error("stopped paging {path} after {pages} pages although more results exist (next page starts at {next_page_start}): raise the page cap or narrow the query")]
    PageCapReached {
        /// Path.
        path: String,
        /// Pages fetched.
        pages: u32,
        /// Where the next page would start.
        next_page_start: u64,
    },

    /// The server returned an inconsistent page (not last, but no usable `nextPageStart`).
    #[error("bitbucket returned an inconsistent page for {path} ({reason}): paging stopped, report this server behaviour")]
    InvalidPage {
        /// Path.
        path: String,
        /// What is inconsistent.
        reason: String,
    },
}

impl Error {
    /// Whether retrying the same request later may succeed: rate limiting (429), unavailable
    /// (503), gateway errors (502/504), timeouts, connection failures. The client retries these
    /// itself for idempotent requests (see [`RetryPolicy`](crate::RetryPolicy)).
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::RateLimited { .. }
            | Error::Unavailable { .. }
            | Error::Timeout { .. }
            | Error::Connect { .. }
            | Error::Transport { .. } => true,
            Error::Server { response } => matches!(
                response.status,
                StatusCode::BAD_GATEWAY | StatusCode::GATEWAY_TIMEOUT
            ),
            _ => false,
        }
    }

    /// The server's answer, for errors the server reported.
    pub fn response(&self) -> Option<&ErrorResponse> {
        match self {
            Error::BadCredential { response, .. }
            | Error::NoPermission { response, .. }
            | Error::Xsrf { response }
            | Error::Forbidden { response }
            | Error::NotFound { response, .. }
            | Error::PullRequestOutOfDate { response, .. }
            | Error::DuplicatePullRequest { response, .. }
            | Error::EmptyPullRequest { response }
            | Error::InvalidReviewers { response, .. }
            | Error::FileContentUnmodified { response }
            | Error::MergeVetoed { response, .. }
            | Error::Conflict { response }
            | Error::BadRequest { response }
            | Error::RateLimited { response, .. }
            | Error::Unavailable { response, .. }
            | Error::Server { response }
            | Error::UnexpectedStatus { response } => Some(response),
            _ => None,
        }
    }

    /// The HTTP status, for errors the server reported.
    pub fn status(&self) -> Option<StatusCode> {
        self.response().map(|response| response.status)
    }

    /// The first `exceptionName` of the server's error envelope.
    pub fn exception_name(&self) -> Option<&str> {
        self.response().and_then(ErrorResponse::exception_name)
    }

    /// How long the server asked to wait (`Retry-After`) before retrying.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::RateLimited { retry_after, .. } | Error::Unavailable { retry_after, .. } => {
                *retry_after
            }
            _ => self.response().and_then(|response| response.retry_after),
        }
    }
}

/// What a 404 was about, from the exception name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NotFoundKind {
    /// `NoSuchProjectException`.
    Project,
    /// `NoSuchRepositoryException`.
    Repository,
    /// `NoSuchPullRequestException`.
    PullRequest,
    /// `NoSuchPathException`: a file or directory at a revision.
    Path,
    /// `NoSuchCommitException` / `NoSuchChangesetException`.
    Commit,
    /// `NoSuchBranchException` / a missing ref.
    Branch,
    /// `NoSuchUserException`.
    User,
    /// `NoSuchCommentException`.
    Comment,
    /// A build status.
    BuildStatus,
    /// A Code Insights report.
    InsightReport,
    /// No JSON error envelope: an unknown route (wrong base URL or context path, badly encoded
    /// path) or an intermediary answering.
    Route,
    /// Another exception name, kept verbatim (empty when none was sent).
    Other(String),
}

impl NotFoundKind {
    fn from_exception(name: Option<&str>, has_envelope: bool) -> Self {
        let Some(name) = name else {
            return if has_envelope {
                NotFoundKind::Other(String::new())
            } else {
                NotFoundKind::Route
            };
        };
        let short = short_name(name);
        match short {
            "NoSuchProjectException" => NotFoundKind::Project,
            "NoSuchRepositoryException" => NotFoundKind::Repository,
            "NoSuchPullRequestException" => NotFoundKind::PullRequest,
            "NoSuchPathException" => NotFoundKind::Path,
            "NoSuchCommitException" | "NoSuchChangesetException" => NotFoundKind::Commit,
            "NoSuchBranchException" | "NoSuchRefException" => NotFoundKind::Branch,
            "NoSuchUserException" => NotFoundKind::User,
            "NoSuchCommentException" => NotFoundKind::Comment,
            _ if short.contains("BuildStatus") => NotFoundKind::BuildStatus,
            _ if short.contains("Insight") || short.contains("Report") => {
                NotFoundKind::InsightReport
            }
            _ => NotFoundKind::Other(name.to_owned()),
        }
    }

    fn advice(&self) -> &'static str {
        match self {
            NotFoundKind::Route => {
                "check that the base URL (including any context path) points at Bitbucket Data Center"
            }
            NotFoundKind::Path => "check the file path and the `at` revision",
            NotFoundKind::Commit => "check the commit id (only full or abbreviated SHAs are accepted)",
            _ => "check the project key, repository slug and ids",
        }
    }
}

impl fmt::Display for NotFoundKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            NotFoundKind::Project => "project",
            NotFoundKind::Repository => "repository",
            NotFoundKind::PullRequest => "pull request",
            NotFoundKind::Path => "path",
            NotFoundKind::Commit => "commit",
            NotFoundKind::Branch => "branch",
            NotFoundKind::User => "user",
            NotFoundKind::Comment => "comment",
            NotFoundKind::BuildStatus => "build status",
            NotFoundKind::InsightReport => "insight report",
            NotFoundKind::Route => "route",
            NotFoundKind::Other(name) if name.is_empty() => "object",
            NotFoundKind::Other(name) => return write!(f, "object ({})", short_name(name)),
        };
        f.write_str(text)
    }
}

/// One entry of Bitbucket's `{errors:[…]}` envelope (`RestErrorMessage`), with every extra
/// field (e.g. `currentVersion`, `existingPullRequest`, `reviewerErrors`, `vetoes`) kept raw.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct ErrorMessage {
    /// The field or object the error is about.
    pub context: Option<String>,
    /// Human-readable message.
    #[serde(deserialize_with = "crate::models::de::null_default")]
    pub message: String,
    /// Fully-qualified Java exception name.
    pub exception_name: Option<String>,
    /// Every other field, raw.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ErrorMessage {
    /// The exception name without its package (`com.atlassian.bitbucket.pull.X` → `X`).
    pub fn exception_short_name(&self) -> Option<&str> {
        self.exception_name.as_deref().map(short_name)
    }
}

/// An error answer of the server.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ErrorResponse {
    /// Request method.
    pub method: Method,
    /// Request path (without the query).
    pub path: String,
    /// Response status.
    pub status: StatusCode,
    /// The parsed error envelope; empty when the body was not one.
    pub errors: Vec<ErrorMessage>,
    /// The start of the body when it was not a JSON error envelope (XML/HTML/plain text).
    pub body: Option<String>,
    /// The `X-AUSERNAME` header: who the server authenticated the request as.
    pub authenticated_user: Option<String>,
    /// The `Retry-After` header, parsed.
    pub retry_after: Option<Duration>,
}

impl ErrorResponse {
    /// The first error message.
    pub fn message(&self) -> Option<&str> {
        self.errors
            .first()
            .map(|error| error.message.as_str())
            .filter(|message| !message.is_empty())
    }

    /// The first exception name.
    pub fn exception_name(&self) -> Option<&str> {
        self.errors
            .iter()
            .find_map(|error| error.exception_name.as_deref())
    }

    /// ` (server message)` for error displays, or the body snippet, or nothing.
    fn detail(&self) -> String {
        if let Some(message) = self.message() {
            format!(" ({message})")
        } else if let Some(body) = self.body.as_deref().filter(|body| !body.is_empty()) {
            format!(" (body: {body:?})")
        } else {
            String::new()
        }
    }
}

fn short_name(name: &str) -> &str {
    name.rsplit('.').next().unwrap_or(name)
}

fn for_user(user: &Option<String>) -> String {
    match user {
        Some(user) => format!(" for user {user}"),
        None => String::new(),
    }
}

fn user_or_credential(user: &Option<String>) -> String {
    match user {
        Some(user) => format!("user {user}"),
        None => "the credential".to_owned(),
    }
}

fn opt(value: &Option<i64>) -> String {
    value.map_or_else(|| "unknown".to_owned(), |value| value.to_string())
}

fn existing_id(existing: &Option<Box<PullRequest>>) -> String {
    match existing {
        Some(pr) => format!(" (#{} version {})", pr.id, pr.version),
        None => String::new(),
    }
}

fn vetoes_summary(vetoes: &[MergeVeto]) -> String {
    if vetoes.is_empty() {
        return String::new();
    }
    let reasons: Vec<&str> = vetoes
        .iter()
        .map(|veto| veto.summary_message.as_str())
        .collect();
    format!(" ({})", reasons.join("; "))
}

fn retry_hint(retry_after: &Option<Duration>) -> String {
    match retry_after {
        Some(after) => format!(" (retry after {}s)", after.as_secs()),
        None => String::new(),
    }
}

mod response;

pub(crate) use response::{from_response, snippet, RequestContext};
#[cfg(test)]
use response::{parse_retry_after, SNIPPET_CHARS};

#[cfg(test)]
mod tests;
