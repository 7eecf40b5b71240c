//! Reviewer groups (`settings/reviewer-groups`) at project and repository scope: a page of groups (a
//! repository's page includes its project's, the inherited scope) and creating one.

use http::StatusCode;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::render::{self, Links};
use crate::rest::{created, exc, ok, ApiError, ApiResult, Ctx, PageReq, DEFAULT_LIMIT, MAX_LIMIT};
use crate::state::{GroupScope, Level, ReviewerGroup, State};

/// `RestReviewerGroup` as a request body.
#[derive(Debug, Deserialize)]
struct GroupIn {
    name: Option<String>,
    description: Option<String>,
    users: Option<Vec<UserIn>>,
}

/// An `ApplicationUser`: the simulator reads `name`, or `slug` when the name is absent.
#[derive(Debug, Deserialize)]
struct UserIn {
    name: Option<String>,
    slug: Option<String>,
}

/// The project of `{projectKey}` (id, key) once the caller may see it, or administer it when `admin`.
fn project_scope(ctx: &Ctx, admin: bool) -> Result<(u64, String), ApiError> {
    let key = ctx.param("projectKey");
    let state = ctx.state();
    let project = state
        .project(key)
        .ok_or_else(|| ApiError::no_such_project(key))?;
    let allowed = if admin {
        state.project_level(ctx.caller.as_ref(), &project.key) >= Some(Level::Admin)
    } else {
        state.project_visible(ctx.caller.as_ref(), &project.key)
    };
    if !allowed {
        return Err(ApiError::unauthorised());
    }
    Ok((project.id, project.key.clone()))
}

fn project_id(state: &State, key: &str) -> Option<u64> {
    state.project(key).map(|p| p.id)
}

/// `RestReviewerGroup`.
fn render_group(state: &State, group: &ReviewerGroup, links: &Links) -> Value {
    let (kind, resource) = match group.scope {
        GroupScope::Project(id) => ("PROJECT", id),
        GroupScope::Repository(id) => ("REPOSITORY", id),
    };
    let users: Vec<Value> = group
        .users
        .iter()
        .filter_map(|name| state.user(name))
        .map(|u| render::user(u, links))
        .collect();
    let mut value = json!({
        "id": group.id,
        "name": group.name,
        "scope": {"type": kind, "resourceId": resource},
        "users": users,
    });
    if let Some(description) = &group.description {
        value["description"] = json!(description);
    }
    value
}

fn list(ctx: &Ctx, scopes: &[GroupScope]) -> ApiResult {
    let page = PageReq::from_query(&ctx.query, DEFAULT_LIMIT, MAX_LIMIT);
    let state = ctx.state();
    let values = state
        .reviewer_groups
        .values()
        .filter(|g| scopes.contains(&g.scope))
        .map(|g| render_group(&state, g, &ctx.shared.links))
        .collect();
    ok(&page.page(values))
}

fn create(ctx: &Ctx, scope: GroupScope) -> ApiResult {
    let body: GroupIn = ctx.json()?;
    let name = body
        .name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .ok_or_else(|| ApiError::validation("name", "A reviewer group needs a name."))?
        .to_owned();
    let mut state = ctx.state();
    let mut users = Vec::new();
    for user in body.users.unwrap_or_default() {
        let wanted = user.name.or(user.slug).unwrap_or_default();
        let found = state
            .user(&wanted)
            .or_else(|| state.user_by_slug(&wanted))
            .ok_or_else(|| ApiError::validation("users", format!("{wanted} is not a user.")))?;
        if !users.contains(&found.name) {
            users.push(found.name.clone());
        }
    }
    let taken = state
        .reviewer_groups
        .values()
        .any(|g| g.scope == scope && g.name.eq_ignore_ascii_case(&name));
    if taken {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            exc::REVIEWER_GROUP_EXISTS,
            format!("A reviewer group named \"{name}\" already exists here; choose another name."),
        )
        .context("name"));
    }
    state.next_reviewer_group_id += 1;
    let group = ReviewerGroup {
        id: state.next_reviewer_group_id,
        name,
        description: body.description.filter(|d| !d.is_empty()),
        scope,
        users,
    };
    let value = render_group(&state, &group, &ctx.shared.links);
    state.reviewer_groups.insert(group.id, group);
    created(&value)
}

pub(crate) fn project_list(ctx: &Ctx) -> ApiResult {
    let (id, _) = project_scope(ctx, false)?;
    list(ctx, &[GroupScope::Project(id)])
}

pub(crate) fn project_create(ctx: &Ctx) -> ApiResult {
    ctx.require_user()?;
    let (id, _) = project_scope(ctx, true)?;
    create(ctx, GroupScope::Project(id))
}

pub(crate) fn repo_list(ctx: &Ctx) -> ApiResult {
    let repo = ctx.repo(Level::Read)?;
    let project = project_id(&ctx.state(), &repo.key);
    let mut scopes = vec![GroupScope::Repository(repo.id)];
    scopes.extend(project.map(GroupScope::Project));
    list(ctx, &scopes)
}

pub(crate) fn repo_create(ctx: &Ctx) -> ApiResult {
    ctx.require_user()?;
    let repo = ctx.repo(Level::Admin)?;
    create(ctx, GroupScope::Repository(repo.id))
}
