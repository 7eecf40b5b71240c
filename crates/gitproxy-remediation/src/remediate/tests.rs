//! Unit tests for the helpers of the remediation run (the run itself is tested end to end
//! against the simulator in `tests/it/e2e.rs`).

use super::*;
use crate::advisories::AdvisoryDb;
use crate::host::LineAnchor;

#[test]
fn first_changed_line_and_anchors() {
    assert_eq!(first_changed_line("a\nb\nc\n", "a\nB\nc\n"), Some(2));
    assert_eq!(first_changed_line("a\nb\n", "a\nb\nc\n"), Some(3));
    assert_eq!(first_changed_line("a\n", "a\n"), None);
    let before = Snapshot::new()
        .with("package.json", "{\n  \"a\": \"1\"\n}\n")
        .with("package-lock.json", "{}\n");
    let mut after = BTreeMap::new();
    after.insert(
        "package.json".to_string(),
        "{\n  \"a\": \"2\"\n}\n".to_string(),
    );
    after.insert("package-lock.json".to_string(), "{ }\n".to_string());
    assert_eq!(
        anchors(&before, &after),
        [LineAnchor {
            path: "package.json".into(),
            line: 2
        }]
    );
    after.remove("package.json");
    assert_eq!(anchors(&before, &after)[0].path, "package-lock.json");
}

#[test]
fn status_report_renders_a_table() {
    let report = StatusReport {
        remediations: vec![RemediationStatus {
            repo: "web".into(),
            branch: "gitproxy/security/npm-lodash".into(),
            pull_request: Some(3),
            title: "Update dependency lodash to 4.17.21 [SECURITY]".into(),
            state: State::CiFailed,
            gate: Some(Gate {
                state: GateState::Failed,
                reason: "ci/unit failed".into(),
            }),
            notes: Vec::new(),
        }],
        ..StatusReport::default()
    };
    assert_eq!(
        report.to_markdown(),
        "| Repository | Remediation | Pull request | State | CI gate |\n|---|---|---|---|---|\n| web | Update dependency lodash to 4.17.21 [SECURITY] | #3 | ci-failed | failed: ci/unit failed |\n"
    );
    assert_eq!(report.in_state(State::CiFailed).count(), 1);
}

/// A host that only knows pull requests and builds, for the status derivation.
struct PrsOnly {
    prs: Vec<PullRequestInfo>,
    builds: Vec<(String, BuildOutcome)>,
    /// Commits on a branch that the default branch lacks.
    ahead: Vec<(String, crate::host::BranchCommit)>,
}

fn unused() -> Error {
    Error::Host {
        operation: "an operation this fake does not serve".into(),
        source: "not served".into(),
    }
}

#[async_trait::async_trait]
impl BitbucketHost for PrsOnly {
    async fn repositories(&self, _: &str) -> Result<Vec<String>, Error> {
        Ok(vec!["web".into()])
    }
    async fn default_branch(&self, _: &str, _: &str) -> Result<Option<BranchHead>, Error> {
        Ok(Some(BranchHead {
            branch: "main".into(),
            commit: "c0".into(),
        }))
    }
    async fn branch_head(&self, _: &str, _: &str, _: &str) -> Result<Option<String>, Error> {
        Err(unused())
    }
    async fn current_user(&self) -> Result<Option<crate::host::Identity>, Error> {
        Ok(Some(crate::host::Identity {
            name: "bot".into(),
            email: None,
        }))
    }
    async fn commits_ahead(
        &self,
        _: &str,
        _: &str,
        branch: &str,
        base: &str,
    ) -> Result<Vec<crate::host::BranchCommit>, Error> {
        assert_eq!(base, "main");
        Ok(self
            .ahead
            .iter()
            .filter(|(b, _)| b == branch)
            .map(|(_, c)| c.clone())
            .collect())
    }
    async fn delete_branch(&self, _: &str, _: &str, _: &str, _: &str) -> Result<(), Error> {
        Err(unused())
    }
    async fn list_files(&self, _: &str, _: &str, commit: &str) -> Result<Vec<String>, Error> {
        // The default branch's files: one manifest, one lockfile of an unsupported format, and
        // one in a directory that is never scanned.
        assert_eq!(commit, "c0");
        Ok(vec![
            "package.json".into(),
            "app/pubspec.lock".into(),
            "node_modules/x/yarn.lock".into(),
        ])
    }
    async fn read_file(&self, _: &str, _: &str, _: &str, _: &str) -> Result<Vec<u8>, Error> {
        Err(unused())
    }
    async fn commit_file(&self, _: &str, _: &str, _: &FileCommit) -> Result<Option<String>, Error> {
        Err(unused())
    }
    async fn pull_requests(
        &self,
        _: &str,
        _: &str,
        prefix: &str,
    ) -> Result<Vec<PullRequestInfo>, Error> {
        Ok(self
            .prs
            .iter()
            .filter(|p| p.from_branch.starts_with(prefix))
            .cloned()
            .collect())
    }
    async fn create_pull_request(
        &self,
        _: &str,
        _: &str,
        _: &NewPr,
    ) -> Result<PullRequestInfo, Error> {
        Err(unused())
    }
    async fn update_pull_request(
        &self,
        _: &str,
        _: &str,
        _: i64,
        _: i64,
        _: &str,
        _: &str,
    ) -> Result<PullRequestInfo, Error> {
        Err(unused())
    }
    async fn set_pull_request_open(
        &self,
        _: &str,
        _: &str,
        _: i64,
        _: i64,
        _: bool,
    ) -> Result<PullRequestInfo, Error> {
        Err(unused())
    }
    async fn comments(&self, _: &str, _: &str, _: i64) -> Result<Vec<String>, Error> {
        Err(unused())
    }
    async fn add_comment(
        &self,
        _: &str,
        _: &str,
        _: i64,
        _: &str,
        _: Option<&LineAnchor>,
    ) -> Result<(), Error> {
        Err(unused())
    }
    async fn build_statuses(
        &self,
        _: &str,
        _: &str,
        commit: &str,
    ) -> Result<Vec<crate::host::BuildInfo>, Error> {
        Ok(self
            .builds
            .iter()
            .filter(|(c, _)| c == commit)
            .map(|(_, outcome)| crate::host::BuildInfo {
                key: "ci".into(),
                name: None,
                outcome: *outcome,
                url: "https://ci.example.invalid".into(),
                parent: None,
            })
            .collect())
    }
}

fn pr(id: i64, branch: &str, state: PrState, commit: &str) -> PullRequestInfo {
    PullRequestInfo {
        id,
        version: 0,
        state,
        title: format!("pr {id}"),
        description: None,
        from_branch: branch.into(),
        to_branch: "main".into(),
        latest_commit: Some(commit.into()),
    }
}

fn commit(user: &str, id: &str) -> crate::host::BranchCommit {
    crate::host::BranchCommit {
        id: id.into(),
        author_user: Some(user.into()),
        author_email: Some(format!("{user}@corp")),
        author: format!("{user} <{user}@corp>"),
        subject: "a change".into(),
    }
}

#[tokio::test]
async fn states_come_from_pull_requests_and_builds() {
    let host = PrsOnly {
        prs: vec![
            pr(9, "gitproxy/security/npm-a", PrState::Open, "c9"),
            pr(7, "gitproxy/security/npm-a", PrState::Declined, "c7"),
            pr(6, "gitproxy/security/npm-a", PrState::Merged, "c6"),
            pr(5, "gitproxy/security/npm-b", PrState::Open, "c5"),
            pr(4, "gitproxy/security/npm-c", PrState::Open, "c4"),
            pr(3, "gitproxy/security/npm-d", PrState::Open, "c3"),
            pr(2, "gitproxy/security/npm-e", PrState::Merged, "c2"),
            pr(1, "feature/unrelated", PrState::Open, "c1"),
        ],
        builds: vec![
            ("c9".into(), BuildOutcome::Successful),
            ("c5".into(), BuildOutcome::Successful),
            ("c5".into(), BuildOutcome::InProgress),
            ("c4".into(), BuildOutcome::Failed),
            ("c4".into(), BuildOutcome::Successful),
        ],
        ahead: vec![
            ("gitproxy/security/npm-b".into(), commit("bot", "c5")),
            ("gitproxy/security/npm-d".into(), commit("bot", "c3")),
            ("gitproxy/security/npm-d".into(), commit("alice", "c3a")),
        ],
    };
    let db = AdvisoryDb::new();
    let registry = crate::registry::StaticRegistry::new();
    let remediator = Remediator::new(&host, &db, &registry, PlanOptions::recommended());
    let report = remediator.status("PRJ").await.unwrap();
    let states: Vec<(Option<i64>, State)> = report
        .remediations
        .iter()
        .map(|r| (r.pull_request, r.state))
        .collect();
    assert_eq!(
        states,
        [
            (Some(6), State::Merged),
            (Some(7), State::Superseded),
            (Some(9), State::CiPassed),
            (Some(5), State::CiPending),
            (Some(4), State::CiFailed),
            (Some(3), State::ForeignCommits),
            (Some(2), State::Merged),
        ]
    );
    // The agent's own commit on npm-b is no problem; alice's on npm-d is named with the way out.
    let d = &report.remediations[5];
    assert_eq!(
        d.notes,
        ["branch `gitproxy/security/npm-d` carries a commit the agent did not make (c3a \"a change\" by alice <alice@corp>), so the agent does not update pull request #3; remove that commit from the branch, or decline pull request #3 so that the next run recreates the branch from `main` and opens a new pull request"]
    );
    assert!(report
        .remediations
        .iter()
        .take(5)
        .all(|r| r.notes.is_empty()));
    let table = report.to_markdown();
    assert!(
        table.contains("| web | pr 3 | #3 | foreign-commits | pending: no build has reported on the latest commit yet |\n"),
        "{table}"
    );
    assert!(
        table.contains(&format!("\n\n- web: {}\n", d.notes[0])),
        "{table}"
    );
    // The status is not clean while the default branch holds a file no one checked.
    let files: Vec<&str> = report
        .unsupported
        .iter()
        .map(|u| u.file.file.as_str())
        .collect();
    assert_eq!(files, ["app/pubspec.lock"]);
    assert!(
        table.ends_with(&format!("\nNot checked (unsupported formats, so the report is partial):\n- web: app/pubspec.lock (Dart/Flutter pub lockfile, Pub); {}\n", crate::analysis::unsupported::UNTIL_SUPPORTED)),
        "{table}"
    );
}

#[tokio::test]
async fn a_custom_branch_prefix_is_where_remediations_are_found() {
    let host = PrsOnly {
        prs: vec![
            pr(2, "bot/security/npm-a", PrState::Open, "c2"),
            pr(1, "gitproxy/security/npm-b", PrState::Open, "c1"),
        ],
        builds: Vec::new(),
        ahead: Vec::new(),
    };
    let db = AdvisoryDb::new();
    let registry = crate::registry::StaticRegistry::new();
    let remediator = Remediator::new(&host, &db, &registry, PlanOptions::recommended())
        .with_branch_prefix("bot/security/");
    let report = remediator.status("PRJ").await.unwrap();
    let branches: Vec<&str> = report
        .remediations
        .iter()
        .map(|r| r.branch.as_str())
        .collect();
    assert_eq!(branches, ["bot/security/npm-a"]);
    assert_eq!(
        crate::pr::branch_name_under("bot/security/", crate::Ecosystem::Npm, "@babel/core"),
        "bot/security/npm-babel-core"
    );
}
