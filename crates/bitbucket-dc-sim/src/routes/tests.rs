//! Unit tests for route matching, and the conformance check that every served template exists in
//! Atlassian's OpenAPI description.

use std::path::PathBuf;

use super::*;

fn found(method: Method, path: &str) -> Found {
    match find(&method, path) {
        Match::Found(found) => found,
        other => panic!("{method} {path} did not match: {other:?}"),
    }
}

#[test]
fn versions_1_0_and_latest_are_aliases() {
    let a = found(Method::GET, "/api/1.0/projects/PRJ/repos/r");
    let b = found(Method::GET, "/api/latest/projects/PRJ/repos/r");
    assert_eq!(a.handler, H::Repo);
    assert_eq!(b.handler, H::Repo);
    assert_eq!(
        a.params,
        vec![
            ("projectKey", "PRJ".to_owned()),
            ("repositorySlug", "r".to_owned())
        ]
    );
    assert_eq!(
        found(
            Method::POST,
            "/branch-utils/1.0/projects/P/repos/r/branches"
        )
        .handler,
        H::CreateBranch
    );
    assert!(matches!(
        find(&Method::GET, "/api/2.0/projects/PRJ"),
        Match::NotFound
    ));
}

#[test]
fn path_parameters_capture_the_rest_percent_decoded() {
    let raw = found(
        Method::GET,
        "/api/1.0/projects/P/repos/r/raw/dir%20a/b%23c.txt",
    );
    assert_eq!(raw.handler, H::Raw);
    assert_eq!(raw.params[2], ("path", "dir a/b#c.txt".to_owned()));
    assert_eq!(
        found(Method::GET, "/api/1.0/projects/P/repos/r/browse").handler,
        H::Browse
    );
    assert_eq!(
        found(Method::GET, "/api/1.0/projects/P/repos/r/browse/").handler,
        H::Browse
    );
    assert_eq!(
        found(Method::PUT, "/api/1.0/projects/P/repos/r/browse/a/b").handler,
        H::EditFile
    );
}

#[test]
fn head_is_answered_like_get() {
    assert_eq!(
        found(Method::HEAD, "/api/1.0/projects/P/repos/r/browse/README.md").handler,
        H::Browse
    );
}

#[test]
fn literal_segments_win_and_refs_with_slashes_do_not_route() {
    assert_eq!(
        found(Method::POST, "/build-status/1.0/commits/stats").handler,
        H::BuildStatsMany
    );
    assert_eq!(
        found(
            Method::POST,
            "/build-status/1.0/commits/0123456789012345678901234567890123456789"
        )
        .handler,
        H::LegacyBuildAdd
    );
    assert!(matches!(
        find(
            &Method::GET,
            "/api/1.0/projects/P/repos/r/commits/feature/x"
        ),
        Match::NotFound
    ));
    assert!(matches!(
        find(&Method::PATCH, "/api/1.0/projects/P/repos/r"),
        Match::MethodNotAllowed(allowed) if allowed == vec!["GET"]
    ));
}

fn spec_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/reference/bitbucket-dc-9.4-openapi.json")
}

#[test]
fn every_route_exists_in_the_openapi_description() {
    let text = std::fs::read_to_string(spec_path())
        .expect("the OpenAPI description is at ../shared/reference");
    let spec: serde_json::Value = serde_json::from_str(&text).expect("valid json");
    let paths = spec["paths"].as_object().expect("paths");
    let mut missing = Vec::new();
    for (method, template) in route_table() {
        let op = paths
            .get(template)
            .and_then(|p| p.get(method.to_ascii_lowercase()));
        if op.is_none() {
            missing.push(format!("{method} {template}"));
        }
    }
    assert!(
        missing.is_empty(),
        "routes missing from the spec: {missing:#?}"
    );
    assert!(route_table().len() >= 60);

    // Exempt: the admin endpoints (`crate::ADMIN_ROUTES`) are simulator-only, for operators of the binary, and
    // served outside `/rest`; they must stay out of the REST table and never shadow a spec path.
    for (method, path) in crate::ADMIN_ROUTES {
        assert!(path.starts_with("/_sim/"), "{method} {path}");
        assert!(!paths.contains_key(*path), "{path} is in the spec");
        assert!(
            !route_table().iter().any(|(_, t)| t == path),
            "{path} is in the REST route table"
        );
    }
}

#[test]
fn route_table_has_no_duplicates() {
    let table = route_table();
    let mut seen = std::collections::HashSet::new();
    for entry in &table {
        assert!(seen.insert(entry), "duplicate route {entry:?}");
    }
}
