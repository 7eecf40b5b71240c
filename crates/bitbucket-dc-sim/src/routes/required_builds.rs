//! Required-builds merge checks (`/rest/required-builds/latest/…/conditions`): conditions stored
//! per repository, listed and created as Bitbucket 7.14+ does.

use serde_json::{json, Value};

use crate::rest::{ok, ApiError, ApiResult, Ctx, PageReq, DEFAULT_LIMIT};
use crate::state::Level;

const KINDS: &[&str] = &[
    "ANY_REF",
    "BRANCH",
    "PATTERN",
    "MODEL_CATEGORY",
    "MODEL_BRANCH",
];

/// A ref matcher as given, checked and completed with its display id and type name.
fn matcher(field: &str, value: &Value) -> Result<Value, ApiError> {
    let id = value["id"].as_str().unwrap_or_default();
    let kind = value["type"]["id"].as_str().unwrap_or_default();
    if !KINDS.contains(&kind) {
        return Err(ApiError::validation(
            field,
            format!(
                "{kind:?} is not a ref matcher type; use one of {}",
                KINDS.join(", ")
            ),
        ));
    }
    if id.is_empty() && kind != "ANY_REF" {
        return Err(ApiError::validation(
            field,
            "The ref matcher id is required.",
        ));
    }
    let display = id.strip_prefix("refs/heads/").unwrap_or(id);
    let name = match kind {
        "ANY_REF" => "Any branch",
        "BRANCH" => "Branch",
        "PATTERN" => "Pattern",
        "MODEL_CATEGORY" => "Branching model category",
        _ => "Branching model branch",
    };
    Ok(json!({"id": id, "displayId": display, "type": {"id": kind, "name": name}}))
}

pub(crate) fn list(ctx: &Ctx) -> ApiResult {
    let repo = ctx.repo(Level::Read)?;
    let page = PageReq::from_query(&ctx.query, DEFAULT_LIMIT, 1000);
    let state = ctx.state();
    let values = state
        .required_builds
        .get(&repo.id)
        .cloned()
        .unwrap_or_default();
    ok(&page.page(values))
}

pub(crate) fn create(ctx: &Ctx) -> ApiResult {
    let repo = ctx.repo(Level::Admin)?;
    let body: Value = ctx.json()?;
    let keys: Vec<String> = body["buildParentKeys"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|k| k.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    if keys.is_empty() || keys.iter().any(|k| k.trim().is_empty()) {
        return Err(ApiError::validation(
            "buildParentKeys",
            "At least one build key is required, and none may be blank.",
        ));
    }
    let ref_matcher = matcher("refMatcher", &body["refMatcher"])?;
    let exempt = match &body["exemptRefMatcher"] {
        Value::Null => Value::Null,
        value => matcher("exemptRefMatcher", value)?,
    };
    let mut state = ctx.state();
    state.next_required_build_id += 1;
    let mut condition = json!({
        "id": state.next_required_build_id,
        "buildParentKeys": keys,
        "refMatcher": ref_matcher,
    });
    if !exempt.is_null() {
        condition["exemptRefMatcher"] = exempt;
    }
    state
        .required_builds
        .entry(repo.id)
        .or_default()
        .push(condition.clone());
    ok(&condition)
}
