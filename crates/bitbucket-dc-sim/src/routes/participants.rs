//! Pull request participants: listing them, adding and removing reviewers, and setting one's own review
//! status.

use http::StatusCode;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::pull_requests::{check_reviewers, may_modify, pr_key, require_open, UserIn};
use crate::render;
use crate::rest::{
    exc, no_content, ok, ApiError, ApiResult, Ctx, PageReq, DEFAULT_LIMIT, MAX_LIMIT,
};
use crate::state::{now_ms, Level, Participant};

pub(crate) fn participants(ctx: &Ctx) -> ApiResult {
    let repo = ctx.repo(Level::Read)?;
    let key = pr_key(ctx, &repo)?;
    let page = PageReq::from_query(&ctx.query, DEFAULT_LIMIT, MAX_LIMIT);
    let state = ctx.state();
    let Some(pr) = state.pull_requests.get(&key) else {
        return Err(ApiError::no_such_pr(&key.1.to_string()));
    };
    ok(&page.page(render::participants(&state, pr, &ctx.shared.links)))
}

#[derive(Debug, Deserialize)]
struct ParticipantIn {
    user: Option<UserIn>,
    role: Option<String>,
}

pub(crate) fn add_participant(ctx: &Ctx) -> ApiResult {
    let user = ctx.require_user()?;
    let repo = ctx.writable_repo(Level::Read)?;
    let key = pr_key(ctx, &repo)?;
    let body: ParticipantIn = ctx.json()?;
    let role = body
        .role
        .as_deref()
        .unwrap_or("REVIEWER")
        .to_ascii_uppercase();
    if role == "AUTHOR" {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            exc::PR_PARTICIPANT,
            "The author role cannot be assigned.",
        ));
    }
    if role != "REVIEWER" && role != "PARTICIPANT" {
        return Err(ApiError::validation(
            "role",
            format!("{role} is not a valid role"),
        ));
    }
    let Some(name) = body.user.and_then(|u| u.name).filter(|n| !n.is_empty()) else {
        return Err(ApiError::validation("user", "The user to add is required."));
    };
    let mut state = ctx.state();
    let pr = state
        .pull_requests
        .get(&key)
        .ok_or_else(|| ApiError::no_such_pr(&key.1.to_string()))?;
    if !may_modify(&state, pr, &repo, &user) {
        return Err(ApiError::unauthorised());
    }
    require_open(pr, "updated")?;
    if state.user(&name).is_none() {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            exc::NO_SUCH_USER,
            format!("User {name} does not exist."),
        ));
    }
    if pr.author == name {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            exc::PR_PARTICIPANT,
            format!("{name} is the author of this pull request."),
        ));
    }
    if role == "REVIEWER" {
        check_reviewers(
            &state,
            repo.id,
            &pr.author,
            std::slice::from_ref(&name),
            &ctx.shared.links,
        )?;
    }
    let already = pr.reviewers.iter().any(|r| r.user == name);
    let mut added = false;
    if let Some(pr) = state.pull_requests.get_mut(&key) {
        if role == "REVIEWER" && !already {
            pr.participants.retain(|p| p.user != name);
            pr.reviewers.push(Participant {
                user: name.clone(),
                status: "UNAPPROVED",
                last_reviewed: None,
            });
            pr.version += 1;
            pr.updated = now_ms();
            added = true;
        } else if role == "PARTICIPANT"
            && !already
            && !pr.participants.iter().any(|p| p.user == name)
        {
            pr.participants.push(Participant {
                user: name.clone(),
                status: "UNAPPROVED",
                last_reviewed: None,
            });
        }
    }
    if added {
        let mut extra = Map::new();
        extra.insert(
            "addedReviewers".into(),
            json!([render::user_named(&state, &name, &ctx.shared.links)]),
        );
        extra.insert("removedReviewers".into(), json!([]));
        state.add_activity(key, &user, "UPDATED", extra);
    }
    let pr = state
        .pull_requests
        .get(&key)
        .ok_or_else(|| ApiError::no_such_pr(&key.1.to_string()))?;
    let participant = render::participants(&state, pr, &ctx.shared.links)
        .into_iter()
        .find(|p| p["user"]["name"] == json!(name))
        .unwrap_or(Value::Null);
    ok(&participant)
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StatusIn {
    status: Option<String>,
    last_reviewed_commit: Option<String>,
}

pub(crate) fn set_status(ctx: &Ctx) -> ApiResult {
    let user = ctx.require_user()?;
    let repo = ctx.writable_repo(Level::Read)?;
    let key = pr_key(ctx, &repo)?;
    let slug = ctx.param("userSlug");
    let body: StatusIn = ctx.json()?;
    let mut state = ctx.state();
    let me = state
        .user(&user)
        .map(|u| u.slug.clone())
        .unwrap_or_default();
    if !me.eq_ignore_ascii_case(slug) {
        return Err(ApiError::unauthorised());
    }
    let status: &'static str = match body
        .status
        .as_deref()
        .map(str::to_ascii_uppercase)
        .as_deref()
    {
        Some("APPROVED") => "APPROVED",
        Some("NEEDS_WORK") => "NEEDS_WORK",
        Some("UNAPPROVED") => "UNAPPROVED",
        _ => {
            return Err(ApiError::validation(
                "status",
                "status must be APPROVED, NEEDS_WORK or UNAPPROVED",
            ))
        }
    };
    let pr = state
        .pull_requests
        .get(&key)
        .ok_or_else(|| ApiError::no_such_pr(&key.1.to_string()))?;
    require_open(pr, "reviewed")?;
    if pr.author == user {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            exc::PR_PARTICIPANT,
            "The author of a pull request cannot review it.",
        ));
    }
    if let Some(pr) = state.pull_requests.get_mut(&key) {
        let last = body
            .last_reviewed_commit
            .or_else(|| Some(pr.from_commit.clone()));
        if let Some(r) = pr.reviewers.iter_mut().find(|r| r.user == user) {
            r.status = status;
            r.last_reviewed = last;
        } else if let Some(p) = pr.participants.iter_mut().find(|p| p.user == user) {
            p.status = status;
            p.last_reviewed = last;
        } else {
            pr.participants.push(Participant {
                user: user.clone(),
                status,
                last_reviewed: last,
            });
        }
    }
    let action = match status {
        "APPROVED" => "APPROVED",
        "UNAPPROVED" => "UNAPPROVED",
        _ => "REVIEWED",
    };
    state.add_activity(key, &user, action, Map::new());
    let pr = state
        .pull_requests
        .get(&key)
        .ok_or_else(|| ApiError::no_such_pr(&key.1.to_string()))?;
    let participant = render::participants(&state, pr, &ctx.shared.links)
        .into_iter()
        .find(|p| p["user"]["name"] == json!(user))
        .unwrap_or(Value::Null);
    ok(&participant)
}

pub(crate) fn remove_participant(ctx: &Ctx) -> ApiResult {
    let user = ctx.require_user()?;
    let repo = ctx.writable_repo(Level::Read)?;
    let key = pr_key(ctx, &repo)?;
    let slug = ctx.param("userSlug").to_owned();
    let mut state = ctx.state();
    let Some(target) = state.user_by_slug(&slug).map(|u| u.name.clone()) else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            exc::NO_SUCH_USER,
            format!("User {slug} does not exist."),
        ));
    };
    let pr = state
        .pull_requests
        .get(&key)
        .ok_or_else(|| ApiError::no_such_pr(&key.1.to_string()))?;
    if !(may_modify(&state, pr, &repo, &user) || target == user) {
        return Err(ApiError::unauthorised());
    }
    if pr.author == target {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            exc::PR_PARTICIPANT,
            "The author cannot be removed from a pull request.",
        ));
    }
    let was_reviewer = pr.reviewers.iter().any(|r| r.user == target);
    if let Some(pr) = state.pull_requests.get_mut(&key) {
        pr.reviewers.retain(|r| r.user != target);
        pr.participants.retain(|p| p.user != target);
        if was_reviewer {
            pr.version += 1;
            pr.updated = now_ms();
        }
    }
    if was_reviewer {
        let mut extra = Map::new();
        extra.insert("addedReviewers".into(), json!([]));
        extra.insert(
            "removedReviewers".into(),
            json!([render::user_named(&state, &target, &ctx.shared.links)]),
        );
        state.add_activity(key, &user, "UPDATED", extra);
    }
    no_content()
}
