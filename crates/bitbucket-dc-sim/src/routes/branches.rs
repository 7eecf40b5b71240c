//! Branches: list/find, create (core API: 200; branch-utils: 201) and delete (branch-utils, JSON body on DELETE).

use serde::Deserialize;

use crate::render;
use crate::rest::{created, no_content, ok, ApiResult, Ctx, PageReq, DEFAULT_LIMIT, MAX_LIMIT};
use crate::state::{display_ref, full_branch, Level};

pub(crate) async fn list(ctx: &Ctx) -> ApiResult {
    let repo = ctx.repo(Level::Read)?;
    let filter = ctx.query.get("filterText").unwrap_or("").to_lowercase();
    let boost = ctx.query.flag("boostMatches");
    let by_modification = ctx
        .query
        .get("orderBy")
        .is_some_and(|o| o.eq_ignore_ascii_case("MODIFICATION"));
    let page = PageReq::from_query(&ctx.query, DEFAULT_LIMIT, MAX_LIMIT);
    let state = ctx.state();
    let Some(found) = state.repo(repo.id) else {
        return ok(&page.page(Vec::new()));
    };
    let default_ref = full_branch(&found.default_branch);
    let mut branches: Vec<(&String, &crate::state::RefTip)> = found
        .refs
        .iter()
        .filter(|(name, _)| name.starts_with("refs/heads/"))
        .filter(|(name, _)| display_ref(name).to_lowercase().contains(&filter))
        .collect();
    if by_modification {
        branches.sort_by(|a, b| b.1.time.cmp(&a.1.time).then_with(|| a.0.cmp(b.0)));
    } else {
        branches.sort_by_key(|(name, _)| display_ref(name).to_lowercase());
    }
    if boost && !filter.is_empty() {
        // Exact matches first, then prefix matches, then the rest (stable within each group).
        branches.sort_by_key(|(name, _)| {
            let short = display_ref(name).to_lowercase();
            if short == filter {
                0
            } else if short.starts_with(&filter) {
                1
            } else {
                2
            }
        });
    }
    let values = branches
        .into_iter()
        .map(|(name, tip)| render::branch(name, &tip.sha, *name == default_ref))
        .collect();
    ok(&page.page(values))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateRequest {
    name: Option<String>,
    start_point: Option<String>,
}

/// `branch_utils` selects the branch-utils flavour (201) over the core API (200).
pub(crate) async fn create(ctx: &Ctx, branch_utils: bool) -> ApiResult {
    let user = ctx.require_user()?;
    let repo = ctx.writable_repo(Level::Write)?;
    let body: CreateRequest = ctx.json()?;
    let Some(name) = body.name.filter(|n| !n.trim().is_empty()) else {
        return Err(crate::rest::ApiError::validation(
            "name",
            "A branch name is required.",
        ));
    };
    let (full, sha) = crate::ops::create_branch(
        &ctx.shared,
        &repo,
        &name,
        body.start_point.as_deref(),
        &user,
    )
    .await?;
    let is_default = display_ref(&full) == repo.default_branch;
    let value = render::branch(&full, &sha, is_default);
    if branch_utils {
        created(&value)
    } else {
        ok(&value)
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeleteRequest {
    name: Option<String>,
    end_point: Option<String>,
    #[serde(default)]
    dry_run: bool,
}

pub(crate) async fn delete(ctx: &Ctx) -> ApiResult {
    let user = ctx.require_user()?;
    let repo = ctx.writable_repo(Level::Write)?;
    let body: DeleteRequest = ctx.json()?;
    let Some(name) = body.name.filter(|n| !n.trim().is_empty()) else {
        return Err(crate::rest::ApiError::validation(
            "name",
            "The name of the branch to delete is required.",
        ));
    };
    crate::ops::delete_branch(
        &ctx.shared,
        &repo,
        &name,
        body.end_point.as_deref(),
        body.dry_run,
        &user,
    )
    .await?;
    no_content()
}
