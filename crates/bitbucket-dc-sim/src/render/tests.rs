//! Unit tests for JSON renderings.

use super::*;

#[test]
fn clone_urls_embed_the_user_and_lower_case_the_key() {
    let links = Links {
        base: url::Url::parse("http://127.0.0.1:7990/bitbucket/").expect("url"),
    };
    assert_eq!(
        links.clone_url(Some("alice"), "PRJ", "repo"),
        "http://alice@127.0.0.1:7990/bitbucket/scm/prj/repo.git"
    );
    assert_eq!(
        links.clone_url(None, "PRJ", "repo"),
        "http://127.0.0.1:7990/bitbucket/scm/prj/repo.git"
    );
    assert_eq!(links.base(), "http://127.0.0.1:7990/bitbucket");
}

#[test]
fn paths_split_into_components() {
    let value = path("a/b/c.tar.gz");
    assert_eq!(value["components"], json!(["a", "b", "c.tar.gz"]));
    assert_eq!(value["parent"], "a/b");
    assert_eq!(value["name"], "c.tar.gz");
    assert_eq!(value["extension"], "gz");
    assert_eq!(value["toString"], "a/b/c.tar.gz");
    assert!(path(".gitignore").get("extension").is_none());
    assert_eq!(path("")["components"], json!([]));
}

#[test]
fn branches_carry_both_default_flags() {
    let value = branch("refs/heads/feature/x", "abc", false);
    assert_eq!(value["displayId"], "feature/x");
    assert_eq!(value["isDefault"], false);
    assert_eq!(value["default"], false);
    assert_eq!(value["latestChangeset"], "abc");
    assert_eq!(minimal_ref("refs/tags/v1")["type"], "TAG");
    assert_eq!(short("0123456789abcdef"), "0123456789a");
}
