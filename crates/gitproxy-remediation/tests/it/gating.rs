//! The CI gate of remediation pull requests against the simulator: no build yet is pending (not
//! green), a required build (the repository's required-builds merge check) keeps the gate pending
//! until it passes however many other builds passed, and a stopped build fails it and gets the
//! CI-failure comment.

use bitbucket_dc::{
    BuildState, NewBuildStatus, NewRequiredBuildCondition, RefMatcher, RefMatcherKind,
};
use gitproxy_remediation::host::{BitbucketDc, BitbucketHost};
use gitproxy_remediation::plan::PlanOptions;
use gitproxy_remediation::remediate::gate::GateState;
use gitproxy_remediation::remediate::{RemediationStatus, Remediator, State};

use crate::branches::{client, lodash_fixed_in, registry, simulator, BOT, LEAD};

fn only(status: &[RemediationStatus]) -> (State, GateState, String) {
    assert_eq!(status.len(), 1, "{status:?}");
    let gate = status[0]
        .gate
        .clone()
        .expect("an open pull request has a gate");
    (status[0].state, gate.state, gate.reason)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gate_is_pending_without_builds_honours_required_builds_and_fails_on_a_stopped_build() {
    let sim = simulator().await;
    let bot = client(&sim, BOT);
    let host = BitbucketDc::new(bot.clone());
    let (db, registry) = (lodash_fixed_in("4.17.21"), registry());
    let remediator = Remediator::new(&host, &db, &registry, PlanOptions::recommended());
    let outcome = remediator.remediate_repo("SEC", "web").await.unwrap();
    assert_eq!(outcome.opened.len(), 1, "{outcome:?}");
    let pr = &host.pull_requests("SEC", "web", "gitproxy/").await.unwrap()[0];
    let commit = pr.latest_commit.clone().unwrap();

    // No build has reported: pending, never green.
    let status = remediator.status("SEC").await.unwrap();
    assert_eq!(
        only(&status.remediations),
        (
            State::PrOpen,
            GateState::Pending,
            "no build has reported on the latest commit yet".to_owned()
        )
    );
    assert!(
        status
            .to_markdown()
            .contains("| pr-open | pending: no build has reported on the latest commit yet |"),
        "{}",
        status.to_markdown()
    );

    // The lead requires ci/integration on pull requests to main.
    client(&sim, LEAD)
        .repo("SEC", "web")
        .required_builds()
        .create(&NewRequiredBuildCondition::new(
            vec!["ci/integration".into()],
            RefMatcher::new(RefMatcherKind::Branch, "refs/heads/main"),
        ))
        .await
        .unwrap();
    let post = |key: &'static str, state: BuildState| {
        let bot = bot.clone();
        let commit = commit.clone();
        async move {
            let url = format!("https://ci.example.invalid/{key}/7");
            bot.build_status()
                .post(&commit, &NewBuildStatus::new(key, state, url))
                .await
                .unwrap();
        }
    };
    post("ci/unit", BuildState::Successful).await;
    let status = remediator.status("SEC").await.unwrap();
    assert_eq!(
        only(&status.remediations),
        (
            State::CiPending,
            GateState::Pending,
            "required build ci/integration not passed yet".to_owned()
        )
    );
    // The dry run's preview reads the same gate.
    let preview = remediator.preview_repo("SEC", "web").await.unwrap();
    assert_eq!(preview[0].gate, status.remediations[0].gate);

    post("ci/integration", BuildState::Successful).await;
    let status = remediator.status("SEC").await.unwrap();
    assert_eq!(
        only(&status.remediations),
        (
            State::CiPassed,
            GateState::Passed,
            "2 build(s) passed, required ci/integration among them".to_owned()
        )
    );

    // Re-run and stopped: a failure, reported once in the CI comment.
    post("ci/integration", BuildState::Cancelled).await;
    let status = remediator.status("SEC").await.unwrap();
    assert_eq!(
        only(&status.remediations),
        (
            State::CiFailed,
            GateState::Failed,
            "ci/integration was stopped".to_owned()
        )
    );
    assert_eq!(remediator.check_ci("SEC", "web").await.unwrap(), [pr.id]);
    let comments = host.comments("SEC", "web", pr.id).await.unwrap();
    assert!(
        comments.iter().any(|c| c.contains(
            "- [ci/integration](https://ci.example.invalid/ci/integration/7) was stopped"
        )),
        "{comments:?}"
    );
    sim.shutdown().await;
}
