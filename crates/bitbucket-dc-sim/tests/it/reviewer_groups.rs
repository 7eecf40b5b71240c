//! Reviewer groups: created at project and repository scope by their administrators, listed per scope (a
//! repository's page includes its project's groups).

use http::Method;
use serde_json::{json, Value};

use crate::support::{call, get, repo_path, start, ALICE, BOB, CAROL};

const ADMIN: &str = "admin-token";
const PROJECT_GROUPS: &str = "rest/api/1.0/projects/PRJ/settings/reviewer-groups";

fn names(page: &Value) -> Vec<String> {
    page["values"]
        .as_array()
        .expect("values")
        .iter()
        .filter_map(|g| g["name"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn reviewer_groups_are_created_and_listed_per_scope() {
    let sim = start().await;
    let not_admin = call(Method::POST, PROJECT_GROUPS)
        .bearer(ALICE)
        .xsrf()
        .json(json!({"name": "leads"}))
        .send(&sim)
        .await;
    assert_eq!(not_admin.status, 401, "PROJECT_WRITE is not enough");

    let project_group = call(Method::POST, PROJECT_GROUPS)
        .bearer(ADMIN)
        .xsrf()
        .json(json!({"name": "leads", "description": "Team leads", "users": [{"name": "alice"}, {"name": "bob"}]}))
        .send(&sim)
        .await;
    assert_eq!(project_group.status, 201, "{}", project_group.text());
    let project_group = project_group.json();
    assert_eq!(project_group["scope"]["type"], "PROJECT");
    assert_eq!(project_group["description"], "Team leads");
    let members: Vec<&str> = project_group["users"]
        .as_array()
        .expect("users")
        .iter()
        .filter_map(|u| u["name"].as_str())
        .collect();
    assert_eq!(members, vec!["alice", "bob"]);

    let repo_group = call(
        Method::POST,
        &repo_path("service", "settings/reviewer-groups"),
    )
    .bearer(ADMIN)
    .xsrf()
    .json(json!({"name": "service-owners", "users": [{"name": "alice"}]}))
    .send(&sim)
    .await;
    assert_eq!(repo_group.status, 201, "{}", repo_group.text());
    let repo_group = repo_group.json();
    let service_id = get(&repo_path("service", ""))
        .bearer(ALICE)
        .send(&sim)
        .await
        .json()["id"]
        .clone();
    assert_eq!(
        repo_group["scope"],
        json!({"type": "REPOSITORY", "resourceId": service_id})
    );

    let repo_page = get(&repo_path("service", "settings/reviewer-groups"))
        .bearer(BOB)
        .send(&sim)
        .await;
    assert_eq!(repo_page.status, 200);
    assert_eq!(names(&repo_page.json()), vec!["leads", "service-owners"]);
    let project_page = get(PROJECT_GROUPS).bearer(ALICE).send(&sim).await.json();
    assert_eq!(names(&project_page), vec!["leads"]);
    let outsider = get(&repo_path("service", "settings/reviewer-groups"))
        .bearer(CAROL)
        .send(&sim)
        .await;
    assert_eq!(outsider.status, 401);
}

#[tokio::test]
async fn reviewer_group_creation_validates_name_and_users() {
    let sim = start().await;
    let post = |body: Value| {
        call(Method::POST, PROJECT_GROUPS)
            .bearer(ADMIN)
            .xsrf()
            .json(body)
    };
    assert_eq!(
        post(json!({"description": "x"})).send(&sim).await.status,
        400
    );
    assert_eq!(
        post(json!({"name": "g", "users": [{"name": "nobody"}]}))
            .send(&sim)
            .await
            .status,
        400
    );
    assert_eq!(post(json!({"name": "g"})).send(&sim).await.status, 201);
    assert_eq!(post(json!({"name": "G"})).send(&sim).await.status, 409);
    let missing = call(
        Method::POST,
        "rest/api/1.0/projects/NOPE/settings/reviewer-groups",
    )
    .bearer(ADMIN)
    .xsrf()
    .json(json!({"name": "g"}))
    .send(&sim)
    .await;
    assert_eq!(missing.status, 404);
}
