//! Unit tests of the CI gate: what counts as pending, passed and failed.

use super::{gate, GateState, RefRule, RequiredBuild};
use crate::host::{BuildInfo, BuildOutcome};

fn build(key: &str, outcome: BuildOutcome) -> BuildInfo {
    BuildInfo {
        key: key.into(),
        name: None,
        outcome,
        url: format!("https://ci.example.com/{key}"),
        parent: None,
    }
}

fn required(keys: &[&str], target: RefRule) -> RequiredBuild {
    RequiredBuild {
        keys: keys.iter().map(|k| k.to_string()).collect(),
        target,
        exempt: None,
    }
}

#[test]
fn no_build_yet_is_pending_not_green() {
    let g = gate(&[], &[], "main", "gitproxy/fix");
    assert_eq!(g.state, GateState::Pending);
    assert_eq!(g.reason, "no build has reported on the latest commit yet");
}

#[test]
fn a_stopped_or_failed_build_fails_the_gate() {
    let stopped = [
        build("ci/unit", BuildOutcome::Stopped),
        build("lint", BuildOutcome::Successful),
    ];
    let g = gate(&stopped, &[], "main", "x");
    assert_eq!(
        (g.state, g.reason.as_str()),
        (GateState::Failed, "ci/unit was stopped")
    );
    let failed = [
        build("ci/unit", BuildOutcome::Failed),
        build("e2e", BuildOutcome::InProgress),
    ];
    assert_eq!(gate(&failed, &[], "main", "x").state, GateState::Failed);
}

#[test]
fn running_or_unknown_builds_keep_it_pending() {
    for outcome in [BuildOutcome::InProgress, BuildOutcome::Other] {
        let builds = [build("ci", BuildOutcome::Successful), build("e2e", outcome)];
        let g = gate(&builds, &[], "main", "x");
        assert_eq!(
            (g.state, g.reason.as_str()),
            (GateState::Pending, "waiting for e2e")
        );
    }
}

#[test]
fn a_missing_required_build_keeps_it_pending_until_it_passes() {
    let checks = [required(
        &["ci/integration"],
        RefRule::Branch("main".into()),
    )];
    let only_unit = [build("ci/unit", BuildOutcome::Successful)];
    let g = gate(&only_unit, &checks, "main", "gitproxy/fix");
    assert_eq!(
        (g.state, g.reason.as_str()),
        (
            GateState::Pending,
            "required build ci/integration not passed yet"
        )
    );
    // Required only for main: a pull request to another branch is green without it.
    assert_eq!(
        gate(&only_unit, &checks, "develop", "x").state,
        GateState::Passed
    );
    // Passed by key, or by a build naming it as its parent.
    let both = [
        only_unit[0].clone(),
        build("ci/integration", BuildOutcome::Successful),
    ];
    let g = gate(&both, &checks, "main", "x");
    assert_eq!(
        (g.state, g.reason.as_str()),
        (
            GateState::Passed,
            "2 build(s) passed, required ci/integration among them"
        )
    );
    let mut child = build("ci/integration/linux", BuildOutcome::Successful);
    child.parent = Some("ci/integration".into());
    assert_eq!(
        gate(&[child], &checks, "main", "x").state,
        GateState::Passed
    );
    // Missing with no build at all is still pending, and says which.
    let g = gate(&[], &checks, "main", "x");
    assert!(g.reason.contains("ci/integration"), "{g:?}");
}

#[test]
fn exempt_sources_and_patterns_are_honoured() {
    let mut check = required(&["ci/full"], RefRule::Pattern("release/*".into()));
    check.exempt = Some(RefRule::Pattern("gitproxy/*".into()));
    let unit = [build("ci/unit", BuildOutcome::Successful)];
    assert_eq!(
        gate(&unit, &[check.clone()], "release/2.1", "feature/a").state,
        GateState::Pending
    );
    assert_eq!(
        gate(&unit, &[check.clone()], "release/2.1", "gitproxy/fix").state,
        GateState::Passed
    );
    assert_eq!(
        gate(&unit, &[check], "main", "feature/a").state,
        GateState::Passed
    );
    // A branching-model rule cannot be resolved here, so it is taken as applying.
    let model = required(&["ci/full"], RefRule::Model("production".into()));
    assert_eq!(gate(&unit, &[model], "main", "x").state, GateState::Pending);
}

#[test]
fn patterns_match_like_globs() {
    let p = |pat: &str, branch: &str| RefRule::Pattern(pat.into()).matches(branch);
    assert!(p("release/*", "release/1.0"));
    assert!(p("refs/heads/release/*", "release/1.0"));
    assert!(p("*", "anything/at/all"));
    assert!(p("rel*se/*x", "release/1x"));
    assert!(!p("release/*", "main"));
    assert!(!p("main", "main2"));
}
