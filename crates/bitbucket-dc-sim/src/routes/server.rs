//! Server-wide resources: application properties, users (with permission filters), repository and project search.

use serde_json::json;

use crate::render;
use crate::rest::{ok, ApiError, ApiResult, Ctx, PageReq, DEFAULT_LIMIT, MAX_LIMIT};
use crate::state::{Level, Permission};

/// The Bitbucket Data Center version the simulator reports in `application-properties`.
pub const SIMULATED_VERSION: &str = "9.4.3";

pub(crate) fn application_properties(_ctx: &Ctx) -> ApiResult {
    ok(&json!({
        "version": SIMULATED_VERSION,
        "buildNumber": "9004003",
        "buildDate": "1733875200000",
        "displayName": "Bitbucket",
    }))
}

pub(crate) fn user(ctx: &Ctx) -> ApiResult {
    ctx.require_user()?;
    let slug = ctx.param("userSlug");
    let state = ctx.state();
    let user = state.user_by_slug(slug).ok_or_else(|| {
        ApiError::new(
            http::StatusCode::NOT_FOUND,
            crate::rest::exc::NO_SUCH_USER,
            format!("User {slug} does not exist."),
        )
    })?;
    ok(&render::user(user, &ctx.shared.links))
}

/// One `permission[.N]` filter of `GET /users`.
#[derive(Debug)]
enum UserFilter {
    Global(&'static str),
    Project(String, Level),
    Repo(u64, Level),
}

fn user_filters(ctx: &Ctx) -> Result<Vec<UserFilter>, ApiError> {
    let mut roots = Vec::new();
    if ctx.query.get("permission").is_some() {
        roots.push("permission".to_owned());
    }
    for n in 1..=50 {
        let root = format!("permission.{n}");
        if ctx.query.get(&root).is_none() {
            break;
        }
        roots.push(root);
    }
    let state = ctx.state();
    let mut filters = Vec::new();
    for root in roots {
        let value = ctx.query.get(&root).unwrap_or_default();
        let key = ctx.query.value(&format!("{root}.projectKey"));
        let slug = ctx.query.value(&format!("{root}.repositorySlug"));
        let filter = match value {
            "LICENSED_USER" => UserFilter::Global("LICENSED_USER"),
            "PROJECT_CREATE" | "ADMIN" | "SYS_ADMIN" => UserFilter::Global("ADMIN"),
            other => {
                let Some(permission) = Permission::parse(other) else {
                    return Err(ApiError::validation(
                        &root,
                        format!("{other} is not a valid permission"),
                    ));
                };
                if permission.is_project() {
                    let Some(key) = key else {
                        return Err(ApiError::validation(
                            &root,
                            format!("{root}.projectKey is required for {other}"),
                        ));
                    };
                    let Some(project) = state.project(key) else {
                        return Err(ApiError::validation(
                            &format!("{root}.projectKey"),
                            format!("Project {key} does not exist."),
                        ));
                    };
                    UserFilter::Project(project.key.clone(), permission.level())
                } else {
                    let (Some(key), Some(slug)) = (key, slug) else {
                        return Err(ApiError::validation(
                            &root,
                            format!("{root}.projectKey and {root}.repositorySlug are required for {other}"),
                        ));
                    };
                    let Some(id) = state.project(key).and_then(|p| state.repo_id(&p.key, slug))
                    else {
                        return Err(ApiError::validation(
                            &format!("{root}.repositorySlug"),
                            format!("Repository {key}/{slug} does not exist."),
                        ));
                    };
                    UserFilter::Repo(id, permission.level())
                }
            }
        };
        filters.push(filter);
    }
    Ok(filters)
}

pub(crate) fn users(ctx: &Ctx) -> ApiResult {
    ctx.require_user()?;
    let filters = user_filters(ctx)?;
    let needle = ctx.query.get("filter").unwrap_or("").to_lowercase();
    let page = PageReq::from_query(&ctx.query, DEFAULT_LIMIT, MAX_LIMIT);
    let state = ctx.state();
    let values = state
        .users
        .values()
        .filter(|u| u.active && !u.service)
        .filter(|u| {
            needle.is_empty()
                || u.name.to_lowercase().contains(&needle)
                || u.display_name.to_lowercase().contains(&needle)
                || u.email.to_lowercase().contains(&needle)
        })
        .filter(|u| {
            filters.iter().all(|f| match f {
                UserFilter::Global("LICENSED_USER") => true,
                UserFilter::Global(_) => u.admin,
                UserFilter::Project(key, level) => {
                    u.admin
                        || state
                            .project_perms
                            .get(&(u.name.clone(), key.clone()))
                            .is_some_and(|have| have >= level)
                }
                UserFilter::Repo(id, level) => state
                    .repo(*id)
                    .is_some_and(|repo| state.user_has(&u.name, repo, *level)),
            })
        })
        .map(|u| render::user(u, &ctx.shared.links))
        .collect();
    ok(&page.page(values))
}

pub(crate) fn repos(ctx: &Ctx) -> ApiResult {
    let permission = match ctx.query.value("permission") {
        None => Level::Read,
        Some(name) => match Permission::parse(name) {
            Some(p) if !p.is_project() => p.level(),
            _ => {
                return Err(ApiError::validation(
                    "permission",
                    format!("{name} is not a valid repository permission"),
                ))
            }
        },
    };
    let state_filter = ctx.query.value("state").map(str::to_ascii_uppercase);
    if let Some(s) = &state_filter {
        if !matches!(
            s.as_str(),
            "AVAILABLE" | "INITIALISING" | "INITIALISATION_FAILED" | "OFFLINE"
        ) {
            return Err(ApiError::validation(
                "state",
                format!("{s} is not a valid repository state"),
            ));
        }
    }
    let archived = ctx
        .query
        .value("archived")
        .map(str::to_ascii_uppercase)
        .unwrap_or_else(|| "ACTIVE".into());
    let visibility = ctx.query.value("visibility").map(str::to_ascii_lowercase);
    let project_key = ctx.query.value("projectkey");
    let project_name = ctx.query.value("projectname").map(str::to_lowercase);
    let name = ctx.query.value("name").map(|n| n.trim().to_lowercase());
    let page = PageReq::from_query(&ctx.query, DEFAULT_LIMIT, MAX_LIMIT);
    let state = ctx.state();
    let caller = ctx.caller.as_ref();
    let viewer = ctx.user();
    let mut matching: Vec<&crate::state::Repo> = state
        .repos
        .values()
        .filter(|_| state_filter.as_deref().is_none_or(|s| s == "AVAILABLE"))
        .filter(|r| match archived.as_str() {
            "ARCHIVED" => r.archived,
            "ALL" => true,
            _ => !r.archived,
        })
        .filter(|r| project_key.is_none_or(|k| r.project_key.eq_ignore_ascii_case(k)))
        .filter(|r| match visibility.as_deref() {
            Some("public") => r.public,
            Some("private") => !r.public,
            _ => true,
        })
        .filter(|r| {
            project_name.as_deref().is_none_or(|n| {
                state
                    .project(&r.project_key)
                    .is_some_and(|p| p.name.to_lowercase().contains(n))
            })
        })
        .filter(|r| {
            name.as_deref()
                .is_none_or(|n| r.name.to_lowercase().contains(n))
        })
        .filter(|r| {
            state
                .repo_level(caller, r)
                .is_some_and(|have| have >= permission)
        })
        .collect();
    matching.sort_by(|a, b| {
        (a.project_key.to_lowercase(), a.name.to_lowercase())
            .cmp(&(b.project_key.to_lowercase(), b.name.to_lowercase()))
    });
    let total = matching.len();
    let values = matching
        .into_iter()
        .skip(page.start)
        .take(page.limit)
        .map(|r| render::repo(&state, r, viewer, &ctx.shared.links))
        .collect::<Vec<_>>();
    ok(&page_of(page, values, total))
}

/// Renders a page when only the window was materialized.
pub(crate) fn page_of(
    page: PageReq,
    values: Vec<serde_json::Value>,
    total: usize,
) -> serde_json::Value {
    let last = page.start.saturating_add(values.len()) >= total;
    let mut out = json!({
        "size": values.len(),
        "limit": page.limit,
        "isLastPage": last,
        "start": page.start,
        "values": values,
    });
    if !last {
        out["nextPageStart"] = json!(page.start + page.limit);
    }
    out
}

pub(crate) fn projects(ctx: &Ctx) -> ApiResult {
    let permission = match ctx.query.value("permission") {
        None => None,
        Some(name) => match Permission::parse(name) {
            Some(p) if p.is_project() => Some(p.level()),
            _ => {
                return Err(ApiError::validation(
                    "permission",
                    format!("{name} is not a valid project permission"),
                ))
            }
        },
    };
    let name = ctx.query.value("name").map(str::to_lowercase);
    let page = PageReq::from_query(&ctx.query, DEFAULT_LIMIT, MAX_LIMIT);
    let state = ctx.state();
    let caller = ctx.caller.as_ref();
    let values = state
        .projects
        .values()
        .filter(|p| {
            name.as_deref()
                .is_none_or(|n| p.name.to_lowercase().contains(n))
        })
        .filter(|p| match permission {
            Some(level) => state
                .project_level(caller, &p.key)
                .is_some_and(|have| have >= level),
            None => state.project_visible(caller, &p.key),
        })
        .map(|p| render::project(p, &ctx.shared.links))
        .collect();
    ok(&page.page(values))
}
