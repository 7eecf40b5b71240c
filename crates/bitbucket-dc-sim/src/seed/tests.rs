//! Unit tests for seed files.

use super::*;

#[test]
fn json_and_toml_seed_files_parse_and_reject_unknown_fields() {
    let dir = tempfile::tempdir().expect("tempdir");
    let json_path = dir.path().join("seed.json");
    std::fs::write(
        &json_path,
        r#"{"users":[{"name":"alice","tokens":["t"]}],
            "projects":[{"key":"PRJ","repos":[{"slug":"r","files":{"a.txt":"hi\n"},"branches":{"b":{"files":{"a.txt":"bye\n"}}}}]}],
            "permissions":[{"user":"alice","permission":"REPO_WRITE","project":"PRJ","repo":"r"}]}"#,
    )
    .expect("write");
    let seed = Seed::from_path(&json_path).expect("json seed");
    assert_eq!(seed.users[0].tokens, vec!["t"]);
    assert_eq!(seed.permissions[0].permission, Permission::RepoWrite);
    assert_eq!(
        seed.projects[0].repos[0].branches["b"].files["a.txt"],
        "bye\n"
    );

    let toml_path = dir.path().join("seed.toml");
    std::fs::write(
        &toml_path,
        "contextPath = \"/bitbucket\"\n[[users]]\nname = \"bob\"\n[[projects]]\nkey = \"P\"\n[[projects.repos]]\nslug = \"x\"\n",
    )
    .expect("write");
    let seed = Seed::from_path(&toml_path).expect("toml seed");
    assert_eq!(seed.context_path.as_deref(), Some("/bitbucket"));
    assert_eq!(seed.projects[0].repos[0].slug, "x");

    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, r#"{"userz":[]}"#).expect("write");
    assert!(matches!(
        Seed::from_path(&bad),
        Err(SimError::SeedFile { .. })
    ));
}

#[test]
fn the_demo_seed_is_consistent_and_redacts_secrets() {
    let builder = Seed::demo().apply(SimulatorBuilder::default());
    assert_eq!(builder.users.len(), 3);
    assert_eq!(builder.repos.len(), 4);
    assert_eq!(builder.grants.len(), 2);
    let text = format!("{:?}", Seed::demo());
    assert!(
        !text.contains("alice-token") && !text.contains("alice-password"),
        "{text}"
    );
}
