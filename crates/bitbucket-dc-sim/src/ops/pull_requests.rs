//! Pull request state changes that need no git: version checks, decline, reopen and comments.

use http::StatusCode;
use serde_json::{json, Map, Value};

use crate::rest::{exc, ApiError};
use crate::state::{now_ms, PrState, State};

/// 409 `PullRequestOutOfDateException` unless `expected` is the current version.
pub(crate) fn check_pr_version(
    state: &State,
    key: (u64, u64),
    expected: Option<i64>,
    viewer: Option<&str>,
    links: &crate::render::Links,
) -> Result<(), ApiError> {
    let Some(pr) = state.pull_requests.get(&key) else {
        return Err(ApiError::no_such_pr(&key.1.to_string()));
    };
    let expected = expected.unwrap_or(-1);
    if pr.version != expected {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            exc::PR_OUT_OF_DATE,
            format!(
                "You are attempting to modify a pull request based on out-of-date information. The current version is {} but you supplied {}.",
                pr.version, expected
            ),
        )
        .field("currentVersion", json!(pr.version))
        .field("expectedVersion", json!(expected))
        .field("pullRequest", crate::render::pull_request(state, pr, viewer, links)));
    }
    Ok(())
}

pub(super) fn illegal_state(id: u64, state: PrState, action: &str) -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        exc::PR_STATE,
        format!(
            "Pull request {id} is {} and cannot be {action}.",
            state.as_str().to_ascii_lowercase()
        ),
    )
}

/// Whether `user` (holding `level` on the repository) may act on a pull request: its author, or REPO_WRITE.
fn may_modify(state: &State, key: (u64, u64), user: &str, level: crate::state::Level) -> bool {
    state
        .pull_requests
        .get(&key)
        .is_some_and(|pr| pr.author == user || level >= crate::state::Level::Write)
}

/// Declines an open pull request.
pub(crate) fn decline(
    state: &mut State,
    key: (u64, u64),
    (user, level): (&str, crate::state::Level),
    version: Option<i64>,
    links: &crate::render::Links,
    comment: Option<&str>,
) -> Result<(), ApiError> {
    let pr = state
        .pull_requests
        .get(&key)
        .ok_or_else(|| ApiError::no_such_pr(&key.1.to_string()))?;
    if !may_modify(state, key, user, level) {
        return Err(ApiError::unauthorised());
    }
    if pr.state != PrState::Open {
        return Err(illegal_state(key.1, pr.state, "declined"));
    }
    check_pr_version(state, key, version, Some(user), links)?;
    let now = now_ms();
    if let Some(pr) = state.pull_requests.get_mut(&key) {
        pr.state = PrState::Declined;
        pr.closed = Some(now);
        pr.updated = now;
        pr.version += 1;
    }
    state.add_activity(key, user, "DECLINED", Map::new());
    if let Some(text) = comment.filter(|t| !t.trim().is_empty()) {
        add_comment(
            state,
            key,
            user,
            text.to_owned(),
            None,
            None,
            "NORMAL",
            "OPEN",
        );
    }
    Ok(())
}

/// Reopens a declined pull request.
pub(crate) fn reopen(
    state: &mut State,
    key: (u64, u64),
    (user, level): (&str, crate::state::Level),
    version: Option<i64>,
    links: &crate::render::Links,
) -> Result<(), ApiError> {
    let pr = state
        .pull_requests
        .get(&key)
        .ok_or_else(|| ApiError::no_such_pr(&key.1.to_string()))?;
    if !may_modify(state, key, user, level) {
        return Err(ApiError::unauthorised());
    }
    if pr.state != PrState::Declined {
        return Err(illegal_state(key.1, pr.state, "reopened"));
    }
    check_pr_version(state, key, version, Some(user), links)?;
    let (from_ref, to_ref) = (pr.from_ref.clone(), pr.to_ref.clone());
    let tips = state
        .repo(key.0)
        .map(|r| r.refs.clone())
        .unwrap_or_default();
    let (Some(from), Some(to)) = (tips.get(&from_ref), tips.get(&to_ref)) else {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            exc::PR_STATE,
            "The pull request cannot be reopened because its source or target branch no longer exists.",
        ));
    };
    let duplicate = state.pull_requests.values().find(|other| {
        other.repo_id == key.0
            && other.id != key.1
            && other.state == PrState::Open
            && other.from_ref == from_ref
            && other.to_ref == to_ref
    });
    if let Some(dup) = duplicate {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            exc::PR_DUPLICATE,
            "Only one pull request may be open for a given source and target branch",
        )
        .field(
            "existingPullRequest",
            crate::render::pull_request(state, dup, Some(user), links),
        ));
    }
    let (from, to) = (from.sha.clone(), to.sha.clone());
    let now = now_ms();
    if let Some(pr) = state.pull_requests.get_mut(&key) {
        pr.state = PrState::Open;
        pr.closed = None;
        pr.updated = now;
        pr.version += 1;
        pr.from_commit = from;
        pr.to_commit = to;
    }
    state.add_activity(key, user, "REOPENED", Map::new());
    Ok(())
}

/// Adds a comment (or reply) and its COMMENTED activity; returns the comment id.
#[allow(clippy::too_many_arguments)]
pub(crate) fn add_comment(
    state: &mut State,
    key: (u64, u64),
    user: &str,
    text: String,
    parent: Option<u64>,
    anchor: Option<Value>,
    severity: &str,
    comment_state: &str,
) -> u64 {
    let id = state.next_comment();
    let now = now_ms();
    state.comments.insert(
        id,
        crate::state::Comment {
            id,
            repo_id: key.0,
            pr_id: key.1,
            version: 0,
            text,
            author: user.to_owned(),
            created: now,
            updated: now,
            parent,
            replies: Vec::new(),
            anchor,
            severity: severity.to_owned(),
            state: comment_state.to_owned(),
            resolved: None,
        },
    );
    if let Some(parent) = parent.and_then(|p| state.comments.get_mut(&p)) {
        parent.replies.push(id);
    }
    let activity_id = state.next_activity();
    if let Some(pr) = state.pull_requests.get_mut(&key) {
        pr.activities.push(crate::state::Activity {
            id: activity_id,
            created: now,
            user: user.to_owned(),
            action: "COMMENTED",
            comment_id: Some(id),
            comment_action: Some(if parent.is_some() { "REPLIED" } else { "ADDED" }),
            extra: Map::new(),
        });
        let is_participant = pr.author == user
            || pr.reviewers.iter().any(|r| r.user == user)
            || pr.participants.iter().any(|p| p.user == user);
        if !is_participant {
            pr.participants.push(crate::state::Participant {
                user: user.to_owned(),
                status: "UNAPPROVED",
                last_reviewed: None,
            });
        }
    }
    id
}
