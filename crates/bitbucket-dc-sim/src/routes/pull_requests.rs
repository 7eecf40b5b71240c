//! Pull requests: create (with its four 409s), get, list, update with `version`, delete, and the
//! decline/reopen state machine; the shared lookups the other pull request modules use.

use http::StatusCode;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::render;
use crate::rest::{
    created, exc, no_content, ok, ApiError, ApiResult, Ctx, PageReq, RepoRef, DEFAULT_LIMIT,
    MAX_LIMIT,
};
use crate::state::{full_branch, now_ms, Level, Participant, PrState, PullRequest, State};

#[derive(Debug, Deserialize)]
struct ProjectIn {
    key: Option<String>,
}

#[derive(Debug, Deserialize)]
struct RepoIn {
    slug: Option<String>,
    project: Option<ProjectIn>,
}

#[derive(Debug, Deserialize)]
struct RefIn {
    id: Option<String>,
    repository: Option<RepoIn>,
}

#[derive(Debug, Deserialize)]
pub(super) struct UserIn {
    pub(super) name: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ReviewerIn {
    user: Option<UserIn>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PrIn {
    version: Option<i64>,
    title: Option<String>,
    description: Option<String>,
    from_ref: Option<RefIn>,
    to_ref: Option<RefIn>,
    reviewers: Option<Vec<ReviewerIn>>,
    draft: Option<bool>,
}

/// Looks up `{pullRequestId}` in the repository.
pub(super) fn pr_key(ctx: &Ctx, repo: &RepoRef) -> Result<(u64, u64), ApiError> {
    let raw = ctx.param("pullRequestId");
    let id: u64 = raw.parse().map_err(|_| ApiError::no_such_pr(raw))?;
    if ctx.state().pull_requests.contains_key(&(repo.id, id)) {
        Ok((repo.id, id))
    } else {
        Err(ApiError::no_such_pr(raw))
    }
}

pub(super) fn render_pr(ctx: &Ctx, state: &State, key: (u64, u64)) -> Value {
    state
        .pull_requests
        .get(&key)
        .map(|pr| render::pull_request(state, pr, ctx.user(), &ctx.shared.links))
        .unwrap_or(Value::Null)
}

/// Rejects refs into another repository (the simulator has no forks).
fn same_repo(reference: &RefIn, repo: &RepoRef, field: &str) -> Result<(), ApiError> {
    if let Some(r) = &reference.repository {
        let slug_ok = r
            .slug
            .as_deref()
            .is_none_or(|s| s.eq_ignore_ascii_case(&repo.slug));
        let key_ok = r
            .project
            .as_ref()
            .and_then(|p| p.key.as_deref())
            .is_none_or(|k| k.eq_ignore_ascii_case(&repo.key));
        if !(slug_ok && key_ok) {
            return Err(ApiError::bad_request(format!(
                "{field}.repository names another repository; the simulator only supports pull requests within one repository"
            )));
        }
    }
    Ok(())
}

/// Validates reviewer names: each must be a user with REPO_READ who is not the author.
pub(super) fn check_reviewers(
    state: &State,
    repo_id: u64,
    author: &str,
    names: &[String],
    links: &render::Links,
) -> Result<(), ApiError> {
    let Some(repo) = state.repo(repo_id) else {
        return Ok(());
    };
    let mut errors = Vec::new();
    let mut valid = Vec::new();
    for name in names {
        match state.user(name) {
            None => errors.push(json!({"context": name, "message": format!("{name} is not a user."), "exceptionName": null})),
            Some(_) if name == author => errors.push(json!({"context": name, "message": format!("{name} is the author and cannot be a reviewer."), "exceptionName": null})),
            Some(u) if !state.user_has(name, repo, Level::Read) => {
                errors.push(json!({"context": name, "message": format!("{} does not have permission to view this repository.", u.display_name), "exceptionName": null}));
            }
            Some(u) => valid.push(render::user(u, links)),
        }
    }
    if errors.is_empty() {
        return Ok(());
    }
    Err(ApiError::new(
        StatusCode::CONFLICT,
        exc::PR_REVIEWERS,
        "Errors encountered while adding some reviewers to this pull request.",
    )
    .context("reviewers")
    .field("reviewerErrors", Value::Array(errors))
    .field("validReviewers", Value::Array(valid)))
}

fn reviewer_names(reviewers: &[ReviewerIn]) -> Vec<String> {
    let mut names: Vec<String> = reviewers
        .iter()
        .filter_map(|r| r.user.as_ref().and_then(|u| u.name.clone()))
        .collect();
    names.dedup();
    names
}

pub(crate) async fn create(ctx: &Ctx) -> ApiResult {
    let user = ctx.require_user()?;
    let repo = ctx.writable_repo(Level::Read)?;
    let body: PrIn = ctx.json()?;
    let Some(title) = body.title.clone().filter(|t| !t.trim().is_empty()) else {
        return Err(ApiError::validation(
            "title",
            "A title is required to create a pull request.",
        ));
    };
    let (Some(from_in), Some(to_in)) = (&body.from_ref, &body.to_ref) else {
        return Err(ApiError::validation(
            "fromRef",
            "Both fromRef and toRef are required.",
        ));
    };
    same_repo(from_in, &repo, "fromRef")?;
    same_repo(to_in, &repo, "toRef")?;
    let (Some(from_id), Some(to_id)) = (from_in.id.as_deref(), to_in.id.as_deref()) else {
        return Err(ApiError::validation(
            "fromRef",
            "fromRef.id and toRef.id are required.",
        ));
    };
    let (from_ref, to_ref) = (full_branch(from_id), full_branch(to_id));
    let names = reviewer_names(body.reviewers.as_deref().unwrap_or_default());
    let (from_tip, to_tip) = {
        let state = ctx.state();
        let found = state
            .repo(repo.id)
            .ok_or_else(|| ApiError::no_such_repo(&repo.key, &repo.slug))?;
        let tip = |r: &str| found.refs.get(r).map(|t| t.sha.clone());
        let missing = |r: &str| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                exc::NO_SUCH_BRANCH,
                format!(
                    "Repository \"{}\" of project with key \"{}\" has no branch \"{}\".",
                    repo.slug,
                    repo.key,
                    crate::state::display_ref(r)
                ),
            )
        };
        let from_tip = tip(&from_ref).ok_or_else(|| missing(&from_ref))?;
        let to_tip = tip(&to_ref).ok_or_else(|| missing(&to_ref))?;
        if from_ref == to_ref {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                exc::PR_SAME_BRANCH,
                "You are attempting to create a pull request where the source and target branches are the same.",
            ));
        }
        if let Some(existing) = state.pull_requests.values().find(|pr| {
            pr.repo_id == repo.id
                && pr.state == PrState::Open
                && pr.from_ref == from_ref
                && pr.to_ref == to_ref
        }) {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                exc::PR_DUPLICATE,
                "Only one pull request may be open for a given source and target branch",
            )
            .field(
                "existingPullRequest",
                render::pull_request(&state, existing, Some(&user), &ctx.shared.links),
            ));
        }
        check_reviewers(&state, repo.id, &user, &names, &ctx.shared.links)?;
        (from_tip, to_tip)
    };
    if ctx
        .shared
        .git
        .is_ancestor(&repo.path, &from_tip, &to_tip)
        .await?
    {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            exc::PR_EMPTY,
            format!(
                "Pull request cannot be created because the source branch \"{}\" is already up-to-date with the target branch \"{}\".",
                crate::state::display_ref(&from_ref),
                crate::state::display_ref(&to_ref)
            ),
        ));
    }
    let mut state = ctx.state();
    let Some(found) = state.repo_mut(repo.id) else {
        return Err(ApiError::no_such_repo(&repo.key, &repo.slug));
    };
    found.next_pr_id += 1;
    let id = found.next_pr_id;
    let now = now_ms();
    let key = (repo.id, id);
    state.pull_requests.insert(
        key,
        PullRequest {
            id,
            repo_id: repo.id,
            version: 0,
            title,
            description: body.description.filter(|d| !d.is_empty()),
            state: PrState::Open,
            created: now,
            updated: now,
            closed: None,
            from_ref,
            to_ref,
            from_commit: from_tip,
            to_commit: to_tip,
            author: user.clone(),
            reviewers: names
                .into_iter()
                .map(|name| Participant {
                    user: name,
                    status: "UNAPPROVED",
                    last_reviewed: None,
                })
                .collect(),
            participants: Vec::new(),
            draft: body.draft.unwrap_or(false),
            merge_commit: None,
            auto_merge: None,
            activities: Vec::new(),
        },
    );
    state.add_activity(key, &user, "OPENED", Map::new());
    created(&render_pr(ctx, &state, key))
}

pub(crate) fn get(ctx: &Ctx) -> ApiResult {
    let repo = ctx.repo(Level::Read)?;
    let key = pr_key(ctx, &repo)?;
    let state = ctx.state();
    ok(&render_pr(ctx, &state, key))
}

pub(crate) fn list(ctx: &Ctx) -> ApiResult {
    let repo = ctx.repo(Level::Read)?;
    let wanted = match ctx
        .query
        .value("state")
        .map(str::to_ascii_uppercase)
        .as_deref()
    {
        None | Some("OPEN") => Some(PrState::Open),
        Some("DECLINED") => Some(PrState::Declined),
        Some("MERGED") => Some(PrState::Merged),
        Some("ALL") => None,
        Some(other) => {
            return Err(ApiError::validation(
                "state",
                format!("{other} is not a valid pull request state"),
            ))
        }
    };
    let outgoing = match ctx
        .query
        .value("direction")
        .map(str::to_ascii_uppercase)
        .as_deref()
    {
        None | Some("INCOMING") => false,
        Some("OUTGOING") => true,
        Some(other) => {
            return Err(ApiError::validation(
                "direction",
                format!("{other} is not a valid direction"),
            ))
        }
    };
    let oldest_first = match ctx
        .query
        .value("order")
        .map(str::to_ascii_uppercase)
        .as_deref()
    {
        None | Some("NEWEST") => false,
        Some("OLDEST") => true,
        Some(other) => {
            return Err(ApiError::validation(
                "order",
                format!("{other} is not a valid order"),
            ))
        }
    };
    let at = ctx.query.value("at");
    let filter = ctx.query.value("filterText").map(str::to_lowercase);
    let draft = ctx
        .query
        .value("draft")
        .map(|d| d.eq_ignore_ascii_case("true"));
    let mut participant_filters = Vec::new();
    for n in 1..=10 {
        let Some(name) = ctx.query.value(&format!("username.{n}")) else {
            break;
        };
        let role = ctx
            .query
            .value(&format!("role.{n}"))
            .map(str::to_ascii_uppercase);
        let approved = ctx
            .query
            .value(&format!("approved.{n}"))
            .map(|a| a.eq_ignore_ascii_case("true"));
        participant_filters.push((name.to_owned(), role, approved));
    }
    let page = PageReq::from_query(&ctx.query, DEFAULT_LIMIT, MAX_LIMIT);
    let state = ctx.state();
    let mut prs: Vec<&PullRequest> = state
        .pull_requests
        .range((repo.id, 0)..=(repo.id, u64::MAX))
        .map(|(_, pr)| pr)
        .filter(|pr| wanted.is_none_or(|w| pr.state == w))
        .filter(|pr| {
            at.is_none_or(|at| {
                if outgoing {
                    pr.from_ref == at
                } else {
                    pr.to_ref == at
                }
            })
        })
        .filter(|pr| {
            filter.as_deref().is_none_or(|f| {
                pr.title.to_lowercase().contains(f)
                    || pr
                        .description
                        .as_deref()
                        .is_some_and(|d| d.to_lowercase().contains(f))
            })
        })
        .filter(|pr| draft.is_none_or(|d| pr.draft == d))
        .filter(|pr| {
            participant_filters.iter().all(|(name, role, approved)| {
                let mut roles: Vec<(&str, &str)> = vec![("AUTHOR", "UNAPPROVED")];
                if pr.author != *name {
                    roles.clear();
                }
                roles.extend(
                    pr.reviewers
                        .iter()
                        .filter(|r| r.user == *name)
                        .map(|r| ("REVIEWER", r.status)),
                );
                roles.extend(
                    pr.participants
                        .iter()
                        .filter(|p| p.user == *name)
                        .map(|p| ("PARTICIPANT", p.status)),
                );
                roles.iter().any(|(r, status)| {
                    role.as_deref().is_none_or(|want| want == *r)
                        && approved.is_none_or(|a| a == (*status == "APPROVED"))
                })
            })
        })
        .collect();
    if oldest_first {
        prs.sort_by_key(|pr| pr.id);
    } else {
        prs.sort_by_key(|pr| std::cmp::Reverse(pr.id));
    }
    let values = prs
        .into_iter()
        .map(|pr| render::pull_request(&state, pr, ctx.user(), &ctx.shared.links))
        .collect();
    ok(&page.page(values))
}

pub(super) fn require_open(pr: &PullRequest, action: &str) -> Result<(), ApiError> {
    if pr.state == PrState::Open {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::CONFLICT,
            exc::PR_STATE,
            format!(
                "Pull request {} is {} and cannot be {action}.",
                pr.id,
                pr.state.as_str().to_ascii_lowercase()
            ),
        ))
    }
}

pub(super) fn may_modify(state: &State, pr: &PullRequest, repo: &RepoRef, user: &str) -> bool {
    pr.author == user
        || repo.level >= Level::Write
        || state.users.get(user).is_some_and(|u| u.admin)
}

pub(crate) fn update(ctx: &Ctx) -> ApiResult {
    let user = ctx.require_user()?;
    let repo = ctx.writable_repo(Level::Read)?;
    let key = pr_key(ctx, &repo)?;
    let body: PrIn = ctx.json()?;
    let mut state = ctx.state();
    let pr = state
        .pull_requests
        .get(&key)
        .ok_or_else(|| ApiError::no_such_pr(&key.1.to_string()))?;
    if !may_modify(&state, pr, &repo, &user) {
        return Err(ApiError::unauthorised());
    }
    crate::ops::check_pr_version(&state, key, body.version, Some(&user), &ctx.shared.links)?;
    require_open(pr, "updated")?;
    if let Some(title) = &body.title {
        if title.trim().is_empty() {
            return Err(ApiError::validation(
                "title",
                "The title of a pull request cannot be blank.",
            ));
        }
    }
    let names = reviewer_names(body.reviewers.as_deref().unwrap_or_default());
    check_reviewers(&state, repo.id, &pr.author, &names, &ctx.shared.links)?;
    let new_to = match body.to_ref.as_ref().and_then(|r| r.id.as_deref()) {
        Some(id) if id.trim().is_empty() => {
            return Err(ApiError::validation("toRef", "toRef.id cannot be blank."));
        }
        Some(id) => {
            let full = full_branch(id);
            if full == pr.from_ref {
                return Err(ApiError::new(
                    StatusCode::CONFLICT,
                    exc::PR_SAME_BRANCH,
                    "The source and target branches of a pull request must differ.",
                ));
            }
            let tip = state
                .repo(repo.id)
                .and_then(|r| r.refs.get(&full))
                .map(|t| t.sha.clone())
                .ok_or_else(|| {
                    ApiError::new(
                        StatusCode::NOT_FOUND,
                        exc::NO_SUCH_BRANCH,
                        format!("Branch \"{id}\" does not exist."),
                    )
                })?;
            Some((full, tip))
        }
        None => None,
    };
    let old_reviewers: Vec<String> = pr.reviewers.iter().map(|r| r.user.clone()).collect();
    let added: Vec<String> = names
        .iter()
        .filter(|n| !old_reviewers.contains(n))
        .cloned()
        .collect();
    let removed: Vec<String> = old_reviewers
        .iter()
        .filter(|n| !names.contains(n))
        .cloned()
        .collect();
    let previous_title = pr.title.clone();
    let previous_description = pr.description.clone();
    let previous_to = pr.to_ref.clone();
    let title_changed = body.title.as_ref().is_some_and(|t| *t != pr.title);
    let description_changed = body
        .description
        .as_ref()
        .is_some_and(|d| Some(d) != pr.description.as_ref());
    let to_changed = new_to.as_ref().is_some_and(|(full, _)| *full != pr.to_ref);
    let draft_changed = body.draft.is_some_and(|d| d != pr.draft);
    let changed = title_changed
        || description_changed
        || to_changed
        || draft_changed
        || !added.is_empty()
        || !removed.is_empty();
    if changed {
        let links = ctx.shared.links.clone();
        let render_users = |state: &State, names: &[String]| -> Value {
            Value::Array(
                names
                    .iter()
                    .map(|n| render::user_named(state, n, &links))
                    .collect(),
            )
        };
        let mut extra = Map::new();
        if !added.is_empty() || !removed.is_empty() {
            extra.insert("addedReviewers".into(), render_users(&state, &added));
            extra.insert("removedReviewers".into(), render_users(&state, &removed));
        }
        if title_changed {
            extra.insert("previousTitle".into(), json!(previous_title));
        }
        if description_changed {
            extra.insert("previousDescription".into(), json!(previous_description));
        }
        if to_changed {
            extra.insert("previousToRef".into(), render::minimal_ref(&previous_to));
        }
        if let Some(pr) = state.pull_requests.get_mut(&key) {
            if let Some(title) = body.title {
                pr.title = title;
            }
            if let Some(description) = body.description {
                pr.description = Some(description).filter(|d| !d.is_empty());
            }
            if let Some((full, tip)) = new_to {
                pr.to_ref = full;
                pr.to_commit = tip;
            }
            if let Some(draft) = body.draft {
                pr.draft = draft;
            }
            let kept: Vec<Participant> = pr
                .reviewers
                .iter()
                .filter(|r| names.contains(&r.user))
                .cloned()
                .collect();
            pr.reviewers = kept;
            for name in &added {
                pr.reviewers.push(Participant {
                    user: name.clone(),
                    status: "UNAPPROVED",
                    last_reviewed: None,
                });
            }
            pr.version += 1;
            pr.updated = now_ms();
        }
        state.add_activity(key, &user, "UPDATED", extra);
    }
    ok(&render_pr(ctx, &state, key))
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct VersionIn {
    pub(super) version: Option<i64>,
    pub(super) comment: Option<String>,
    pub(super) message: Option<String>,
    #[serde(rename = "strategyId")]
    pub(super) strategy_id: Option<String>,
    #[serde(rename = "autoMerge")]
    pub(super) auto_merge: Option<bool>,
    /// A boolean, though the spec's example writes it as a string.
    #[serde(rename = "autoSubject")]
    pub(super) auto_subject: Option<serde_json::Value>,
}

/// `?version=` wins over a body `version`.
pub(super) fn version_of(ctx: &Ctx) -> Result<(Option<i64>, VersionIn), ApiError> {
    let body: VersionIn = ctx.json_opt()?.unwrap_or_default();
    let query =
        match ctx.query.value("version") {
            Some(v) => Some(v.trim().parse::<i64>().map_err(|_| {
                ApiError::validation("version", format!("{v} is not a valid version"))
            })?),
            None => None,
        };
    Ok((query.or(body.version), body))
}

pub(crate) fn delete(ctx: &Ctx) -> ApiResult {
    let user = ctx.require_user()?;
    let repo = ctx.writable_repo(Level::Read)?;
    let key = pr_key(ctx, &repo)?;
    let (version, _) = version_of(ctx)?;
    let mut state = ctx.state();
    let pr = state
        .pull_requests
        .get(&key)
        .ok_or_else(|| ApiError::no_such_pr(&key.1.to_string()))?;
    if !(pr.author == user || repo.level >= Level::Admin) {
        return Err(ApiError::unauthorised());
    }
    crate::ops::check_pr_version(&state, key, version, Some(&user), &ctx.shared.links)?;
    state.pull_requests.remove(&key);
    state
        .comments
        .retain(|_, c| !(c.repo_id == key.0 && c.pr_id == key.1));
    no_content()
}

pub(crate) fn decline(ctx: &Ctx) -> ApiResult {
    let user = ctx.require_user()?;
    let repo = ctx.writable_repo(Level::Read)?;
    let key = pr_key(ctx, &repo)?;
    let (version, body) = version_of(ctx)?;
    let mut state = ctx.state();
    crate::ops::decline(
        &mut state,
        key,
        (&user, repo.level),
        version,
        &ctx.shared.links,
        body.comment.as_deref(),
    )?;
    ok(&render_pr(ctx, &state, key))
}

pub(crate) fn reopen(ctx: &Ctx) -> ApiResult {
    let user = ctx.require_user()?;
    let repo = ctx.writable_repo(Level::Read)?;
    let key = pr_key(ctx, &repo)?;
    let (version, _) = version_of(ctx)?;
    let mut state = ctx.state();
    crate::ops::reopen(
        &mut state,
        key,
        (&user, repo.level),
        version,
        &ctx.shared.links,
    )?;
    ok(&render_pr(ctx, &state, key))
}
