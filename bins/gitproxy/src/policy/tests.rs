//! Unit tests of the local policy.

use url::Url;

use super::{validate_branch_prefix, Policy};

fn policy() -> Policy {
    Policy::new(
        Url::parse("https://bitbucket.corp/context/").expect("url"),
        "PRJ",
        "gitproxy/",
    )
}

#[test]
fn only_the_configured_server_is_allowed() {
    let p = policy();
    assert!(p
        .check_server(&Url::parse("https://bitbucket.corp/context").expect("url"))
        .is_ok());
    assert!(p
        .check_server(&Url::parse("https://BITBUCKET.corp:443/context/").expect("url"))
        .is_ok());
    for other in [
        "https://evil.example/context",
        "https://bitbucket.corp:8443/context",
        "http://bitbucket.corp/context",
        "https://bitbucket.corp/other",
    ] {
        let err = p
            .check_server(&Url::parse(other).expect("url"))
            .expect_err(other);
        assert!(
            err.to_string()
                .contains("only contacts the configured Bitbucket server"),
            "{err}"
        );
    }
}

#[test]
fn only_the_configured_project_is_allowed() {
    let p = policy();
    assert!(p.check_project("PRJ").is_ok());
    assert!(p.check_project("prj").is_ok());
    let err = p.check_project("OTHER").expect_err("other project");
    assert!(err
        .to_string()
        .contains("Check that the repository is within the configured project"));
}

#[test]
fn writes_only_under_the_prefix_and_never_to_the_default_branch() {
    let p = policy();
    assert!(p
        .check_write_branch("gitproxy/security/npm-lodash", Some("main"))
        .is_ok());
    assert!(p
        .check_write_branch("refs/heads/gitproxy/security/x", Some("main"))
        .is_ok());
    let err = p
        .check_write_branch("main", Some("main"))
        .expect_err("default");
    assert!(
        err.to_string().contains("never pushes to a default branch"),
        "{err}"
    );
    let err = p
        .check_write_branch("refs/heads/main", Some("refs/heads/main"))
        .expect_err("default");
    assert!(err.to_string().contains("default branch"), "{err}");
    let err = p
        .check_write_branch("feature/x", Some("main"))
        .expect_err("outside");
    assert!(
        err.to_string().contains("outside the agent's prefix"),
        "{err}"
    );
    // A default branch that happens to live under the prefix is still refused.
    let err = p
        .check_write_branch("gitproxy/main", Some("gitproxy/main"))
        .expect_err("default under prefix");
    assert!(err.to_string().contains("default branch"), "{err}");
    assert!(p
        .check_write_branch("gitproxy/../main", Some("master"))
        .is_err());
}

#[test]
fn branch_prefixes_are_ref_paths_ending_in_a_slash() {
    assert!(validate_branch_prefix("gitproxy/").is_ok());
    assert!(validate_branch_prefix("gitproxy/security/").is_ok());
    assert!(validate_branch_prefix("bot/").is_ok());
    assert!(validate_branch_prefix("team.a/bot-1/").is_ok());
    assert!(validate_branch_prefix("bot//").is_err());
    assert!(validate_branch_prefix("../").is_err());
    assert!(validate_branch_prefix("a b/").is_err());
    assert!(validate_branch_prefix("gitproxy").is_err());
    assert!(validate_branch_prefix("").is_err());
}
