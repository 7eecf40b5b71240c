//! Mapping a non-success answer (status, headers, body) to an [`Error`] variant: the error
//! envelope, `X-AUSERNAME`, `Retry-After` and the exception names Bitbucket overloads statuses with.

use std::time::{Duration, SystemTime};

use http::{HeaderMap, Method, StatusCode};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::{Error, ErrorMessage, ErrorResponse, NotFoundKind};
use crate::models::{MergeVeto, PullRequest};

/// How many bytes of a non-JSON or undecodable body an error keeps.
pub(super) const SNIPPET_CHARS: usize = 512;

#[derive(Deserialize)]
struct Envelope {
    #[serde(default)]
    errors: Vec<ErrorMessage>,
}

/// The start of a body as text, for error messages.
pub(crate) fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    match text.char_indices().nth(SNIPPET_CHARS) {
        Some((idx, _)) => format!("{}…", &text[..idx]),
        None => text.to_owned(),
    }
}

/// Parses `Retry-After`: delay seconds or an HTTP date (relative to `now`, never negative).
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Context the client knows about a failed request.
pub(crate) struct RequestContext<'a> {
    pub(crate) method: &'a Method,
    pub(crate) path: &'a str,
    pub(crate) credential_user: Option<&'a str>,
}

/// Maps a non-success response to an [`Error`].
pub(crate) fn from_response(
    ctx: &RequestContext<'_>,
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
) -> Error {
    let envelope = serde_json::from_slice::<Envelope>(body)
        .ok()
        .filter(|envelope| !envelope.errors.is_empty());
    let has_envelope = envelope.is_some();
    let errors = envelope.map(|envelope| envelope.errors).unwrap_or_default();
    let authenticated_user = headers
        .get("x-ausername")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
        .filter(|user| !user.is_empty());
    let retry_after = headers
        .get(http::header::RETRY_AFTER)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| parse_retry_after(value, SystemTime::now()));
    let text_body = (!has_envelope).then(|| snippet(body));

    let response = Box::new(ErrorResponse {
        method: ctx.method.clone(),
        path: ctx.path.to_owned(),
        status,
        errors,
        body: text_body,
        authenticated_user,
        retry_after,
    });
    classify(response, ctx.credential_user, has_envelope)
}

fn classify(
    response: Box<ErrorResponse>,
    credential_user: Option<&str>,
    has_envelope: bool,
) -> Error {
    let first = response.errors.first().cloned();
    let short = first
        .as_ref()
        .and_then(ErrorMessage::exception_short_name)
        .unwrap_or("")
        .to_owned();
    let extra = first.map(|first| first.extra).unwrap_or_default();
    let status = response.status;

    // Exception names are authoritative where Bitbucket overloads a status code.
    match short.as_str() {
        "PullRequestOutOfDateException" => {
            return Error::PullRequestOutOfDate {
                current_version: extra.get("currentVersion").and_then(Value::as_i64),
                expected_version: extra.get("expectedVersion").and_then(Value::as_i64),
                response,
            };
        }
        "DuplicatePullRequestException" => {
            let existing = extra
                .get("existingPullRequest")
                .and_then(|value| serde_json::from_value::<PullRequest>(value.clone()).ok())
                .map(Box::new);
            return Error::DuplicatePullRequest { existing, response };
        }
        "EmptyPullRequestException" => return Error::EmptyPullRequest { response },
        "InvalidPullRequestReviewersException" => {
            let names = reviewer_names(&extra);
            return Error::InvalidReviewers { names, response };
        }
        "FileContentUnmodifiedException" => return Error::FileContentUnmodified { response },
        "PullRequestMergeVetoedException" => {
            let vetoes = extra
                .get("vetoes")
                .and_then(|value| serde_json::from_value::<Vec<MergeVeto>>(value.clone()).ok())
                .unwrap_or_default();
            let conflicted = extra
                .get("conflicted")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            return Error::MergeVetoed {
                vetoes,
                conflicted,
                response,
            };
        }
        _ => {}
    }

    match status.as_u16() {
        400 => Error::BadRequest { response },
        401 => {
            let user = response
                .authenticated_user
                .clone()
                .or_else(|| credential_user.map(str::to_owned));
            let no_permission = if short.contains("Authentication") {
                false
            } else if short.contains("Authorisation")
                || short.contains("Authorization")
                || short.contains("Permission")
            {
                true
            } else {
                // No telling exception name: the server names the user only when it
                // accepted the credential.
                response.authenticated_user.is_some()
            };
            if no_permission {
                Error::NoPermission { user, response }
            } else {
                Error::BadCredential { user, response }
            }
        }
        403 => {
            let xsrf = response
                .body
                .as_deref()
                .is_some_and(|body| body.contains("XSRF check failed"))
                || response
                    .errors
                    .iter()
                    .any(|error| error.message.contains("XSRF check failed"));
            if xsrf {
                Error::Xsrf { response }
            } else {
                Error::Forbidden { response }
            }
        }
        404 => Error::NotFound {
            kind: NotFoundKind::from_exception(
                response.exception_name().map(str::to_owned).as_deref(),
                has_envelope,
            ),
            response,
        },
        409 => Error::Conflict { response },
        429 => Error::RateLimited {
            retry_after: response.retry_after,
            response,
        },
        503 => Error::Unavailable {
            retry_after: response.retry_after,
            response,
        },
        500..=599 => Error::Server { response },
        _ => Error::UnexpectedStatus { response },
    }
}

fn reviewer_names(extra: &Map<String, Value>) -> Vec<String> {
    extra
        .get("reviewerErrors")
        .and_then(Value::as_array)
        .map(|errors| {
            errors
                .iter()
                .filter_map(|error| error.get("context").and_then(Value::as_str))
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}
