//! Conformance with Atlassian's OpenAPI description of Bitbucket Data Center 9.4: every route the
//! simulator serves and every request the client sends during a full exercise of its API exists
//! in the spec (method and path template), and the JSON the simulator answers validates against
//! the spec's schemas, patched only for the defects listed in [`tolerated`].

mod tolerated;

use std::collections::{BTreeMap, BTreeSet};

use bitbucket_dc::{
    Anchor, AnnotationSeverity, BranchQuery, BuildState, CommentState, CommentUpdate, CommitQuery,
    DeleteBranch, FileEdit, FileType, LineType, MergeOptions, NewAnnotation, NewBranch,
    NewBuildStatus, NewComment, NewInsightReport, NewPullRequest, ParticipantStatus, Permission,
    ProjectSearch, PullRequestQuery, PullRequestUpdate, RepoSearch, UserQuery,
};
use bitbucket_dc_sim::{route_table, Simulator, TOLERATED_SPEC_DEFECTS};
use http::{Method, StatusCode};
use serde_json::{json, Value};

use self::tolerated::{Shape, Tolerance, TOLERATED};
use crate::support::{client, raw, rest_log, start, tip, ALICE, BOB, CAROL, ODD_FILES};

/// Atlassian's OpenAPI description, relative to this crate.
const SPEC: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/reference/bitbucket-dc-9.4-openapi.json"
);

fn spec() -> Value {
    let text = std::fs::read_to_string(SPEC)
        .unwrap_or_else(|err| panic!("the OpenAPI description is readable at {SPEC}: {err}"));
    serde_json::from_str(&text).expect("the OpenAPI description is JSON")
}

// === Path templates ===

/// One segment of a spec path template.
#[derive(Debug)]
enum Segment {
    Literal(String),
    /// `prefix{name}suffix` (usually bare `{name}`; also `diff{path}`, `{pullRequestId}.patch`):
    /// one segment with that prefix and suffix around a non-empty value.
    Param {
        prefix: String,
        suffix: String,
    },
    /// A trailing `{path}`: one or more segments.
    Rest,
}

/// A path of the spec with the methods it declares.
#[derive(Debug)]
struct Template {
    path: String,
    segments: Vec<Segment>,
    methods: BTreeSet<String>,
}

impl Template {
    fn new(path: &str, methods: BTreeSet<String>) -> Self {
        let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        let last = parts.len() - 1;
        let segments = parts
            .iter()
            .enumerate()
            .map(|(idx, part)| match (part.find('{'), part.find('}')) {
                (Some(0), _) if idx == last && *part == "{path}" => Segment::Rest,
                (Some(open), Some(close)) if open < close => Segment::Param {
                    prefix: part[..open].to_owned(),
                    suffix: part[close + 1..].to_owned(),
                },
                _ => Segment::Literal((*part).to_owned()),
            })
            .collect();
        Template {
            path: path.to_owned(),
            segments,
            methods,
        }
    }

    fn matches(&self, parts: &[&str]) -> bool {
        for (idx, segment) in self.segments.iter().enumerate() {
            let Some(part) = parts.get(idx) else {
                return false;
            };
            let ok = match segment {
                Segment::Literal(literal) => part == literal,
                Segment::Param { prefix, suffix } => {
                    part.len() > prefix.len() + suffix.len()
                        && part.starts_with(prefix.as_str())
                        && part.ends_with(suffix.as_str())
                }
                Segment::Rest => return parts[idx..].iter().all(|p| !p.is_empty()),
            };
            if !ok {
                return false;
            }
        }
        parts.len() == self.segments.len()
    }

    fn literals(&self) -> usize {
        self.segments
            .iter()
            .filter(|s| matches!(s, Segment::Literal(_)))
            .count()
    }
}

fn templates(spec: &Value) -> Vec<Template> {
    spec["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .map(|(path, item)| {
            let methods = item
                .as_object()
                .expect("a path item")
                .keys()
                .filter(|k| {
                    matches!(
                        k.as_str(),
                        "get" | "put" | "post" | "delete" | "patch" | "head" | "options"
                    )
                })
                .map(|k| k.to_ascii_uppercase())
                .collect();
            Template::new(path, methods)
        })
        .collect()
}

/// The spec-relative form of a path the simulator logged: without the context path and `/rest`,
/// with the `1.0` version alias written `latest` (`/rest/api/1.0/x` becomes `/api/latest/x`).
fn normalise(logged: &str) -> String {
    let rest = logged
        .split_once("/rest/")
        .map(|(_, rest)| rest)
        .unwrap_or_else(|| panic!("{logged} is not below /rest"));
    let mut parts: Vec<&str> = rest.split('/').collect();
    if parts.get(1) == Some(&"1.0") {
        parts[1] = "latest";
    }
    format!("/{}", parts.join("/"))
}

/// The most specific spec template matching a spec-relative path.
fn best_match<'a>(templates: &'a [Template], path: &str) -> Option<&'a Template> {
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    templates
        .iter()
        .filter(|t| t.matches(&parts))
        .max_by_key(|t| (t.literals(), t.segments.len()))
}

// === The full exercise ===

/// Calls every public method of the client once against the standard seed (success paths),
/// including the escape hatches for the two simulator routes without a typed method.
async fn exercise_every_call(sim: &Simulator) {
    let alice = client(sim, ALICE);
    let bob = client(sim, BOB);
    let main = tip(sim, "service", "main");
    let feature = tip(sim, "service", "feature");

    // Server, users, search.
    alice.server().properties().await.expect("properties");
    alice.server().info().await.expect("info");
    alice.server().whoami().await.expect("whoami");
    alice.whoami().await.expect("whoami");
    alice.users().get("bob").await.expect("user");
    alice
        .users()
        .list(&UserQuery::new().repo_permission(Permission::RepoRead, "PRJ", "service"))
        .collect_all()
        .await
        .expect("users");
    alice
        .repositories()
        .search(&RepoSearch::new().permission(Permission::RepoWrite))
        .collect_all()
        .await
        .expect("search");
    alice
        .repositories()
        .has_permission("PRJ", "service", Permission::RepoWrite)
        .await
        .expect("has permission");
    alice
        .projects(&ProjectSearch::new())
        .collect_all()
        .await
        .expect("projects");

    // Projects and repositories.
    alice.project("PRJ").get().await.expect("project");
    alice
        .project("PRJ")
        .repositories()
        .collect_all()
        .await
        .expect("repositories");
    let repo = alice.project("PRJ").repo("service");
    let repository = repo.get().await.expect("repository");
    let _ = alice.http_clone_url(&repository);
    repo.http_clone_url().await.expect("clone url");
    repo.default_branch().await.expect("default branch");
    repo.default_branch_legacy()
        .await
        .expect("legacy default branch");
    repo.set_default_branch("main")
        .await
        .expect("set default branch");
    repo.default_reviewers(repository.id, repository.id, "feature", "main")
        .await
        .expect("default reviewers");

    // Branches.
    let branches = repo.branches();
    branches
        .list(&BranchQuery::new())
        .collect_all()
        .await
        .expect("branches");
    branches.find("feature").await.expect("find");
    branches
        .create(&NewBranch::new("conf/core", &main))
        .await
        .expect("core create");
    branches
        .create_with_branch_utils(&NewBranch::new("conf/utils", &main))
        .await
        .expect("branch-utils create");
    branches
        .delete(&DeleteBranch::new("conf/core"))
        .await
        .expect("delete");

    // Files.
    let files = repo.files();
    files.raw("README.md", None).await.expect("raw");
    files.raw(ODD_FILES[0].0, Some(&main)).await.expect("raw");
    files.list("", None).collect_all().await.expect("files");
    files.list("docs", None).collect_all().await.expect("files");
    files
        .directory("", None)
        .collect_all()
        .await
        .expect("browse");
    files
        .directory("src", None)
        .collect_all()
        .await
        .expect("browse");
    files
        .lines("README.md", None)
        .collect_all()
        .await
        .expect("lines");
    files
        .edit(
            "conf.txt",
            &FileEdit::new("conf/utils", b"conformance\n".to_vec()).message("Conformance"),
        )
        .await
        .expect("edit");

    // Commits.
    let commits = repo.commits();
    commits.get(&main).await.expect("commit");
    commits
        .list(&CommitQuery::new().until("feature"))
        .collect_all()
        .await
        .expect("commits");
    commits
        .changes(&feature)
        .collect_all()
        .await
        .expect("changes");
    commits
        .compare_commits("feature", "main")
        .collect_all()
        .await
        .expect("compare commits");
    commits
        .compare_changes("feature", "main")
        .collect_all()
        .await
        .expect("compare changes");

    // Pull requests.
    let prs = repo.pull_requests();
    let pr = prs
        .create(&NewPullRequest::new("Conformance", "feature", "main").reviewers(["bob"]))
        .await
        .expect("create");
    prs.list(&PullRequestQuery::new())
        .collect_all()
        .await
        .expect("list");
    prs.get(pr.id).await.expect("get");
    let handle = repo.pull_request(pr.id);
    let pr = handle
        .update(
            &PullRequestUpdate::from_pull_request(&handle.get().await.expect("get"))
                .description("d"),
        )
        .await
        .expect("update");
    handle.can_merge().await.expect("can merge");
    handle.activities().collect_all().await.expect("activities");
    handle
        .participants()
        .collect_all()
        .await
        .expect("participants");
    handle.commits().collect_all().await.expect("commits");
    handle.changes().collect_all().await.expect("changes");
    handle.add_reviewer("admin").await.expect("add reviewer");
    handle
        .remove_participant("admin")
        .await
        .expect("remove participant");
    bob.repo("PRJ", "service")
        .pull_request(pr.id)
        .set_review_status("bob", ParticipantStatus::Approved, None)
        .await
        .expect("approve");

    // Comments and tasks.
    let comments = handle.comments();
    let general = comments
        .add(&NewComment::new("general"))
        .await
        .expect("comment");
    let line = comments
        .add(&NewComment::new("on a line").anchor(Anchor::line(
            "README.md",
            3,
            LineType::Added,
            FileType::To,
        )))
        .await
        .expect("line comment");
    let reply = comments
        .add(&NewComment::new("reply").reply_to(general.id))
        .await
        .expect("reply");
    comments.get(line.id).await.expect("get comment");
    comments
        .update(
            general.id,
            &CommentUpdate::new(general.version).text("edited"),
        )
        .await
        .expect("update comment");
    comments
        .list_for_path("README.md")
        .collect_all()
        .await
        .expect("comments on a file");
    comments
        .delete(reply.id, reply.version)
        .await
        .expect("delete comment");
    let tasks = handle.blocker_comments();
    let kept = tasks.add(&NewComment::new("task")).await.expect("task");
    let dropped = tasks
        .add(&NewComment::new("other task"))
        .await
        .expect("task");
    tasks.list().collect_all().await.expect("tasks");
    tasks.get(kept.id).await.expect("get task");
    tasks
        .update(
            kept.id,
            &CommentUpdate::new(kept.version).state(CommentState::Resolved),
        )
        .await
        .expect("resolve task");
    tasks
        .delete(dropped.id, dropped.version)
        .await
        .expect("delete task");

    // The state machine on a second pull request, and a third one deleted.
    let second = prs
        .create(&NewPullRequest::new("Deep", "fix/nested/deep", "main"))
        .await
        .expect("create");
    let second_handle = repo.pull_request(second.id);
    let declined = second_handle
        .decline(second.version)
        .await
        .expect("decline");
    let reopened = second_handle
        .reopen(declined.version)
        .await
        .expect("reopen");
    second_handle
        .merge(reopened.version, &MergeOptions::new())
        .await
        .expect("merge");
    let third = prs
        .create(&NewPullRequest::new("Gone", "conf/utils", "main"))
        .await
        .expect("create");
    repo.pull_request(third.id)
        .delete(third.version)
        .await
        .expect("delete");

    // Build statuses.
    let builds = repo.builds();
    let status = NewBuildStatus::new("conf/a", BuildState::Successful, "https://ci/1");
    builds.post(&feature, &status).await.expect("post build");
    builds.get(&feature, "conf/a").await.expect("get build");
    builds
        .post(
            &feature,
            &NewBuildStatus::new("conf/b", BuildState::Failed, "https://ci/2"),
        )
        .await
        .expect("post build");
    builds
        .delete(&feature, "conf/b")
        .await
        .expect("delete build");
    let legacy = alice.build_status();
    legacy.post(&feature, &status).await.expect("legacy post");
    legacy
        .list(&feature)
        .collect_all()
        .await
        .expect("legacy list");
    legacy.stats(&feature).await.expect("stats");
    legacy
        .stats_many(&[&feature])
        .await
        .expect("stats for many");

    // Required-builds merge checks.
    let checks = repo.required_builds();
    let created = checks
        .create(&bitbucket_dc::NewRequiredBuildCondition::new(
            vec!["conf/a".into()],
            bitbucket_dc::RefMatcher::new(bitbucket_dc::RefMatcherKind::Branch, "refs/heads/main"),
        ))
        .await
        .expect("create required build");
    assert_eq!(created.build_parent_keys, ["conf/a"]);
    let listed = checks
        .conditions()
        .collect_all()
        .await
        .expect("required builds");
    assert_eq!(listed, [created]);

    // Code Insights.
    let insights = repo.insights();
    let report = NewInsightReport::new("Conformance")
        .result(bitbucket_dc::ReportResult::Pass)
        .data(bitbucket_dc::ReportData::new(
            "Findings",
            bitbucket_dc::ReportDataType::Number,
            json!(1),
        ));
    insights
        .put_report(&feature, "conf.report", &report)
        .await
        .expect("put report");
    insights
        .get_report(&feature, "conf.report")
        .await
        .expect("get report");
    insights
        .reports(&feature)
        .collect_all()
        .await
        .expect("reports");
    insights
        .add_annotations(
            &feature,
            "conf.report",
            &[NewAnnotation::new("finding", AnnotationSeverity::High).at("README.md", 1)],
        )
        .await
        .expect("add annotations");
    insights
        .put_annotation(
            &feature,
            "conf.report",
            "conf-1",
            &NewAnnotation::new("one", AnnotationSeverity::Low),
        )
        .await
        .expect("put annotation");
    insights
        .annotations(&feature, "conf.report")
        .await
        .expect("annotations");
    insights
        .delete_annotations(&feature, "conf.report", Some("conf-1"))
        .await
        .expect("delete annotation");
    insights
        .put_report(&feature, "conf.gone", &report)
        .await
        .expect("put report");
    insights
        .delete_report(&feature, "conf.gone")
        .await
        .expect("delete report");

    // Escape hatches, for the routes without a typed method.
    alice
        .get_json::<Value>(
            "/api/latest/projects/PRJ/repos/service/settings/pull-requests",
            &[],
        )
        .await
        .expect("pull request settings");
    alice
        .get_json::<Value>(
            &format!("/insights/latest/projects/PRJ/repos/service/commits/{feature}/annotations"),
            &[],
        )
        .await
        .expect("annotations of a commit");
    alice
        .get_paged::<Value>("/api/latest/projects", &[("name", "Project")])
        .collect_all()
        .await
        .expect("paged");
}

/// The simulator routes the client has no method for (the deprecated `PUT branches/default`;
/// the client sets the default branch through `PUT default-branch`; auto-merge and reviewer
/// groups, which the simulator serves for other clients' sake).
const ROUTES_WITHOUT_A_CLIENT_METHOD: &[(&str, &str)] = &[
    (
        "PUT",
        "/api/latest/projects/{projectKey}/repos/{repositorySlug}/branches/default",
    ),
    (
        "GET",
        "/api/latest/projects/{projectKey}/repos/{repositorySlug}/pull-requests/{pullRequestId}/auto-merge",
    ),
    (
        "POST",
        "/api/latest/projects/{projectKey}/repos/{repositorySlug}/pull-requests/{pullRequestId}/auto-merge",
    ),
    (
        "DELETE",
        "/api/latest/projects/{projectKey}/repos/{repositorySlug}/pull-requests/{pullRequestId}/auto-merge",
    ),
    (
        "GET",
        "/api/latest/projects/{projectKey}/settings/reviewer-groups",
    ),
    (
        "POST",
        "/api/latest/projects/{projectKey}/settings/reviewer-groups",
    ),
    (
        "GET",
        "/api/latest/projects/{projectKey}/repos/{repositorySlug}/settings/reviewer-groups",
    ),
    (
        "POST",
        "/api/latest/projects/{projectKey}/repos/{repositorySlug}/settings/reviewer-groups",
    ),
];

#[tokio::test]
async fn every_route_and_every_client_request_exists_in_the_spec() {
    let spec = spec();
    let templates = templates(&spec);

    // Every route the simulator serves is written as a spec template with that method.
    let by_path: BTreeMap<&str, &Template> =
        templates.iter().map(|t| (t.path.as_str(), t)).collect();
    let routes = route_table();
    let mut missing = Vec::new();
    for (method, template) in &routes {
        match by_path.get(template) {
            Some(found) if found.methods.contains(*method) => {}
            _ => missing.push(format!("{method} {template}")),
        }
    }
    assert!(
        missing.is_empty(),
        "simulator routes missing from the spec:\n{}",
        missing.join("\n")
    );

    // Every request the client sent, normalised to its template.
    let sim = start().await;
    exercise_every_call(&sim).await;
    let logged = rest_log(&sim);
    let mut unknown = Vec::new();
    let mut hit = BTreeSet::new();
    for request in &logged {
        assert!(
            request.status < 400,
            "the exercise only takes success paths: {} {} answered {}",
            request.method,
            request.path,
            request.status
        );
        let path = normalise(&request.path);
        match best_match(&templates, &path) {
            Some(template) if template.methods.contains(&request.method) => {
                hit.insert((request.method.clone(), template.path.clone()));
            }
            Some(template) => unknown.push(format!(
                "{} {path}: the spec's {} has only {:?}",
                request.method, template.path, template.methods
            )),
            None => unknown.push(format!("{} {path}: no spec path matches", request.method)),
        }
    }
    assert!(
        unknown.is_empty(),
        "client requests missing from the spec:\n{}",
        unknown.join("\n")
    );

    // The exercise reached every simulator route but the ones the client has no method for,
    // and nothing the simulator does not serve.
    let served: BTreeSet<(String, String)> = routes
        .iter()
        .map(|(m, t)| ((*m).to_owned(), (*t).to_owned()))
        .collect();
    let not_hit: Vec<(String, String)> = served.difference(&hit).cloned().collect();
    let mut expected: Vec<(String, String)> = ROUTES_WITHOUT_A_CLIENT_METHOD
        .iter()
        .map(|(m, t)| ((*m).to_owned(), (*t).to_owned()))
        .collect();
    expected.sort();
    assert_eq!(
        not_hit, expected,
        "simulator routes the exercise did not reach"
    );
    let beyond: Vec<_> = hit.difference(&served).collect();
    assert!(
        beyond.is_empty(),
        "requests to routes the simulator does not serve: {beyond:?}"
    );
    // The client writes `latest`, as the spec does.
    assert!(logged.iter().all(|r| !r.path.contains("/1.0/")));
}

// === Schemas ===

/// Converts OpenAPI 3.0 schema objects to JSON Schema where they differ for this document:
/// `nullable: true` becomes a `null` alternative of `type`. (This 9.4 description declares no
/// `nullable`, `exclusiveMinimum` or `discriminator`, so the conversion stays this small.)
fn openapi_to_json_schema(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if map.remove("nullable") == Some(Value::Bool(true)) {
                if let Some(Value::String(ty)) = map.get("type").cloned() {
                    map.insert("type".into(), json!([ty, "null"]));
                }
            }
            map.values_mut().for_each(openapi_to_json_schema);
        }
        Value::Array(items) => items.iter_mut().for_each(openapi_to_json_schema),
        _ => {}
    }
}

/// The spec's components with the tolerated patches applied, except the one for `skip`.
fn patched_components(spec: &Value, skip: Option<&str>) -> Value {
    let mut components = spec["components"].clone();
    for tolerated in TOLERATED {
        if skip == Some(tolerated.defect) {
            continue;
        }
        if let Tolerance::Patch(patches) = &tolerated.tolerance {
            for (schema, pointer, replacement) in *patches {
                let target = components["schemas"]
                    .get_mut(*schema)
                    .and_then(|s| s.pointer_mut(pointer))
                    .unwrap_or_else(|| {
                        panic!("tolerated patch {schema}{pointer} names nothing in the spec")
                    });
                *target = serde_json::from_str(replacement).expect("a JSON replacement");
            }
        }
    }
    openapi_to_json_schema(&mut components);
    components
}

fn shape_schema(shape: Shape) -> Value {
    let item = |name: &str| json!({"$ref": format!("#/components/schemas/{name}")});
    match shape {
        Shape::PageOf(name) => json!({
            "type": "object",
            "properties": {
                "isLastPage": {"type": "boolean"},
                "limit": {"type": "number"},
                "nextPageStart": {"type": "integer"},
                "size": {"type": "number"},
                "start": {"type": "integer"},
                "values": {"type": "array", "items": item(name)},
            },
            "required": ["isLastPage", "limit", "size", "start", "values"],
        }),
        Shape::ArrayOf(name) => json!({"type": "array", "items": item(name)}),
    }
}

/// What to validate the 200 answers of `method template` against.
enum Expect {
    Schema(Value),
    Unchecked,
}

fn expected_200(spec: &Value, method: &str, template: &str) -> Expect {
    for tolerated in TOLERATED {
        match &tolerated.tolerance {
            Tolerance::Respond {
                method: m,
                template: t,
                shape,
            } if *m == method && *t == template => return Expect::Schema(shape_schema(*shape)),
            Tolerance::Unchecked {
                method: m,
                templates,
            } if *m == method && templates.contains(&template) => return Expect::Unchecked,
            _ => {}
        }
    }
    let content =
        &spec["paths"][template][method.to_ascii_lowercase()]["responses"]["200"]["content"];
    let schema = content
        .as_object()
        .and_then(|c| c.values().find_map(|media| media.get("schema")))
        .unwrap_or_else(|| {
            panic!(
                "the spec declares no 200 schema for {method} {template}: list it in tolerated.rs"
            )
        });
    let mut schema = schema.clone();
    openapi_to_json_schema(&mut schema);
    Expect::Schema(schema)
}

/// Validates `instance` against `schema` (whose `$ref`s point into `components`) as JSON Schema
/// draft 4, the dialect OpenAPI 3.0 schema objects derive from.
fn violations(components: &Value, schema: &Value, instance: &Value) -> Vec<String> {
    let mut root = schema.clone();
    root.as_object_mut()
        .expect("an object schema")
        .insert("components".into(), components.clone());
    let validator = jsonschema::draft4::options()
        .build(&root)
        .expect("the schema compiles");
    validator
        .iter_errors(instance)
        .map(|err| format!("at {}: {err}", err.instance_path))
        .collect()
}

#[tokio::test]
async fn simulator_answers_validate_against_the_spec_schemas() {
    let spec = spec();
    let templates = templates(&spec);
    let components = patched_components(&spec, None);
    let sim = start().await;
    exercise_every_call(&sim).await;

    // Every GET of the exercise, asked again, answers JSON that fits its declared schema.
    let alice = client(&sim, ALICE);
    let mut gets: Vec<(String, Option<String>)> = rest_log(&sim)
        .into_iter()
        .filter(|r| r.method == "GET")
        .map(|r| (r.path, r.query))
        .collect();
    gets.sort();
    gets.dedup();
    let mut failures = Vec::new();
    let mut validated = BTreeSet::new();
    let mut unchecked = BTreeSet::new();
    let mut checked = Vec::new();
    for (path, query) in &gets {
        let template = best_match(&templates, &normalise(path)).expect("a spec path");
        let schema = match expected_200(&spec, "GET", &template.path) {
            Expect::Unchecked => {
                unchecked.insert(template.path.clone());
                continue;
            }
            Expect::Schema(schema) => schema,
        };
        let pairs: Vec<(String, String)> = query
            .as_deref()
            .map(|q| {
                url::form_urlencoded::parse(q.as_bytes())
                    .into_owned()
                    .collect()
            })
            .unwrap_or_default();
        let pairs: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let rest_path = path.split_once("/rest").expect("below /rest").1;
        let body: Value = alice
            .get_json(rest_path, &pairs)
            .await
            .unwrap_or_else(|err| panic!("GET {path} again: {err}"));
        for violation in violations(&components, &schema, &body) {
            failures.push(format!("GET {path} ({}) {violation}", template.path));
        }
        validated.insert(template.path.clone());
        checked.push((schema, body));
    }
    assert!(
        failures.is_empty(),
        "answers deviate from the spec:\n{}",
        failures.join("\n")
    );
    // The answers that matter most were among them.
    for must in [
        "/api/latest/application-properties",
        "/api/latest/projects/{projectKey}",
        "/api/latest/projects/{projectKey}/repos",
        "/api/latest/projects/{projectKey}/repos/{repositorySlug}",
        "/api/latest/projects/{projectKey}/repos/{repositorySlug}/branches",
        "/api/latest/projects/{projectKey}/repos/{repositorySlug}/commits/{commitId}",
        "/api/latest/projects/{projectKey}/repos/{repositorySlug}/pull-requests/{pullRequestId}",
        "/api/latest/projects/{projectKey}/repos/{repositorySlug}/pull-requests/{pullRequestId}/comments/{commentId}",
        "/api/latest/projects/{projectKey}/repos/{repositorySlug}/pull-requests/{pullRequestId}/activities",
        "/api/latest/projects/{projectKey}/repos/{repositorySlug}/commits/{commitId}/builds",
        "/build-status/latest/commits/stats/{commitId}",
        "/insights/latest/projects/{projectKey}/repos/{repositorySlug}/commits/{commitId}/reports/{key}",
        "/api/latest/users",
    ] {
        assert!(validated.contains(must), "{must} was not validated");
    }
    assert_eq!(
        unchecked,
        BTreeSet::from([
            "/api/latest/projects/{projectKey}/repos/{repositorySlug}/browse".to_owned(),
            "/api/latest/projects/{projectKey}/repos/{repositorySlug}/browse/{path}".to_owned(),
            "/api/latest/projects/{projectKey}/repos/{repositorySlug}/raw/{path}".to_owned(),
        ])
    );

    // Error answers carry the {errors:[…]} envelope, whatever the error.
    let pr = format!(
        "rest/api/latest/projects/PRJ/repos/service/pull-requests/{}",
        alice
            .repo("PRJ", "service")
            .pull_requests()
            .list(&PullRequestQuery::new())
            .collect_all()
            .await
            .expect("list")[0]
            .id
    );
    let bearer = |token: &str| format!("Bearer {token}");
    let json = |value: Value| Some(("application/json", value.to_string().into_bytes()));
    let errors = [
        (
            raw(&sim, Method::GET, "rest/api/latest/projects/PRJ/repos/nope", &[("authorization", &bearer(ALICE))], None).await,
            StatusCode::NOT_FOUND,
        ),
        (
            raw(&sim, Method::GET, "rest/api/latest/projects/PRJ", &[("authorization", &bearer("not-a-token"))], None).await,
            StatusCode::UNAUTHORIZED,
        ),
        (
            raw(&sim, Method::GET, "rest/api/latest/projects/PRJ/repos/service", &[("authorization", &bearer(CAROL))], None).await,
            StatusCode::UNAUTHORIZED,
        ),
        (
            raw(
                &sim,
                Method::POST,
                "rest/api/latest/projects/PRJ/repos/service/pull-requests",
                &[("authorization", &bearer(ALICE))],
                json(json!({"title": "again", "fromRef": {"id": "refs/heads/feature"}, "toRef": {"id": "refs/heads/main"}})),
            )
            .await,
            StatusCode::CONFLICT,
        ),
        (
            raw(
                &sim,
                Method::PUT,
                &pr,
                &[("authorization", &bearer(ALICE))],
                json(json!({"version": 0, "title": "stale"})),
            )
            .await,
            StatusCode::CONFLICT,
        ),
        (
            raw(
                &sim,
                Method::POST,
                "rest/api/latest/projects/PRJ/repos/service/branches",
                &[("authorization", &bearer(ALICE))],
                json(json!({"name": "bad..name", "startPoint": "refs/heads/main"})),
            )
            .await,
            StatusCode::BAD_REQUEST,
        ),
    ];
    let envelope = json!({"$ref": "#/components/schemas/RestErrors"});
    for (answer, status) in errors {
        assert_eq!(answer.status, status);
        let body: Value = serde_json::from_slice(&answer.body).expect("a JSON error body");
        assert!(
            body["errors"].as_array().is_some_and(|e| !e.is_empty()),
            "{body}"
        );
        let problems = violations(&components, &envelope, &body);
        assert!(problems.is_empty(), "{status}: {problems:?}");
        checked.push((envelope.clone(), body));
    }

    // The validator bites: a repository with a numeric slug and an unknown state fails.
    let repository = json!({"$ref": "#/components/schemas/RestRepository"});
    assert_eq!(
        violations(
            &components,
            &repository,
            &json!({"slug": 5, "state": "LOST"})
        )
        .len(),
        2
    );
    // Every patch is needed: without it, some answer above fails validation.
    for tolerated in TOLERATED {
        if !matches!(tolerated.tolerance, Tolerance::Patch(_)) {
            continue;
        }
        let without = patched_components(&spec, Some(tolerated.defect));
        let fails = checked
            .iter()
            .any(|(schema, body)| !violations(&without, schema, body).is_empty());
        assert!(
            fails,
            "nothing needs the tolerated patch for: {}",
            tolerated.defect
        );
    }
}

#[tokio::test]
async fn the_tolerated_defects_are_listed_once_and_name_real_spec_parts() {
    let spec = spec();
    let mut defects = BTreeSet::new();
    for tolerated in TOLERATED {
        assert!(!tolerated.defect.is_empty() && !tolerated.source.is_empty());
        assert!(
            defects.insert(tolerated.defect),
            "listed twice: {}",
            tolerated.defect
        );
        match &tolerated.tolerance {
            Tolerance::Patch(patches) => {
                for (schema, pointer, _) in *patches {
                    assert!(
                        spec["components"]["schemas"][schema]
                            .pointer(pointer)
                            .is_some(),
                        "{}: {schema}{pointer} is not in the spec",
                        tolerated.defect
                    );
                }
            }
            Tolerance::Respond {
                method, template, ..
            } => {
                assert!(
                    spec["paths"][template][method.to_ascii_lowercase()].is_object(),
                    "{}: {method} {template} is not in the spec",
                    tolerated.defect
                );
            }
            Tolerance::Unchecked { method, templates } => {
                for template in *templates {
                    let content = &spec["paths"][template][method.to_ascii_lowercase()]
                        ["responses"]["200"]["content"];
                    let has_schema = content
                        .as_object()
                        .is_some_and(|c| c.values().any(|media| media.get("schema").is_some()));
                    assert!(
                        content.is_object() && !has_schema,
                        "{}: {method} {template} does declare a schema",
                        tolerated.defect
                    );
                }
            }
            Tolerance::Nothing => {}
        }
    }
    // The simulator's own list and this one agree: each of its entries is tolerated here.
    for entry in TOLERATED_SPEC_DEFECTS {
        let matching = TOLERATED
            .iter()
            .filter(|t| {
                t.simulator_entry
                    .is_some_and(|start| entry.starts_with(start))
            })
            .count();
        assert_eq!(
            matching, 1,
            "the simulator tolerates {entry:?}; list it here once"
        );
    }
    for tolerated in TOLERATED {
        if let Some(start) = tolerated.simulator_entry {
            assert!(
                TOLERATED_SPEC_DEFECTS.iter().any(|e| e.starts_with(start)),
                "{start:?} is not an entry of the simulator's list"
            );
        }
    }
}
