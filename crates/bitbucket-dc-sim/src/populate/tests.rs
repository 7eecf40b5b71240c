//! Unit tests for seed validation.

use super::*;
use crate::builder::{RepoSeed, SimulatorBuilder, UserSeed};

fn check(builder: SimulatorBuilder) -> Result<State, SimError> {
    build_state(&builder)
}

#[test]
fn a_consistent_seed_builds_and_creates_missing_projects() {
    let state = check(
        SimulatorBuilder::default()
            .user(
                UserSeed::new("alice")
                    .token("t1")
                    .token_with_permission("t2", Permission::RepoRead),
            )
            .repo(RepoSeed::new("PRJ", "r").file("a", "b"))
            .grant_project("alice", "PRJ", Permission::ProjectWrite)
            .grant_repo("alice", "PRJ", "r", Permission::RepoAdmin),
    )
    .expect("valid seed");
    assert!(state.projects.contains_key("PRJ"));
    assert_eq!(state.tokens["t2"].cap, Some(Level::Read));
    assert_eq!(state.tokens["t1"].cap, None);
    assert_eq!(
        state.project_perms[&("alice".to_owned(), "PRJ".to_owned())],
        Level::Write
    );
}

#[test]
fn inconsistent_seeds_are_rejected_with_a_reason() {
    let cases = [
        SimulatorBuilder::default().repo(RepoSeed::new("bad key", "r")),
        SimulatorBuilder::default().repo(RepoSeed::new("PRJ", "Upper")),
        SimulatorBuilder::default()
            .repo(RepoSeed::new("PRJ", "r"))
            .repo(RepoSeed::new("PRJ", "r")),
        SimulatorBuilder::default()
            .user(UserSeed::new("a").token("x"))
            .user(UserSeed::new("b").token("x")),
        SimulatorBuilder::default().user(UserSeed::new("a b")),
        SimulatorBuilder::default()
            .repo(RepoSeed::new("PRJ", "r"))
            .grant_project("ghost", "PRJ", Permission::ProjectRead),
        SimulatorBuilder::default()
            .user(UserSeed::new("a"))
            .repo(RepoSeed::new("PRJ", "r"))
            .grant_project("a", "PRJ", Permission::RepoRead),
        SimulatorBuilder::default()
            .user(UserSeed::new("a"))
            .repo(RepoSeed::new("PRJ", "r"))
            .grant_repo("a", "PRJ", "r", Permission::ProjectRead),
        SimulatorBuilder::default()
            .user(UserSeed::new("a"))
            .repo(RepoSeed::new("PRJ", "r"))
            .grant_repo("a", "PRJ", "nope", Permission::RepoRead),
        SimulatorBuilder::default().repo(RepoSeed::new("PRJ", "r").default_branch("a..b")),
        SimulatorBuilder::default().repo(RepoSeed::new("PRJ", "r").file("../x", "y")),
    ];
    for builder in cases {
        let err = check(builder).expect_err("seed must be rejected");
        assert!(matches!(err, SimError::InvalidSeed(_)), "{err}");
    }
}

#[test]
fn secrets_stay_out_of_debug_output() {
    let user = UserSeed::new("alice").password("hunter2").token("s3cr3t");
    let text = format!("{user:?}");
    assert!(
        !text.contains("hunter2") && !text.contains("s3cr3t"),
        "{text}"
    );
    let builder = SimulatorBuilder::default()
        .tls("CERT", "PRIVATE KEY MATERIAL")
        .user(user);
    let text = format!("{builder:?}");
    assert!(
        !text.contains("PRIVATE KEY MATERIAL") && !text.contains("s3cr3t"),
        "{text}"
    );
}

#[test]
fn context_paths_are_normalized() {
    assert_eq!(
        SimulatorBuilder::default()
            .context_path("bitbucket/")
            .context_path,
        "/bitbucket"
    );
    assert_eq!(
        SimulatorBuilder::default().context_path("/").context_path,
        ""
    );
}
