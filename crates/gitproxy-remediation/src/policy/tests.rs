//! Unit tests of the local policy, and of [`PolicyHost`] refusing writes before they reach the host.

use std::sync::Mutex;

use async_trait::async_trait;
use url::Url;

use super::{validate_branch_prefix, validate_project_key, Policy, PolicyHost};
use crate::host::{
    BitbucketHost, BranchCommit, BranchHead, BuildInfo, FileCommit, LineAnchor, NewPr, PrState,
    PullRequestInfo,
};
use crate::Error;

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

#[test]
fn project_keys_are_bitbucket_keys() {
    for key in ["PROJ", "proj_2", "~alice", &"A".repeat(128)] {
        assert!(validate_project_key(key).is_ok(), "{key}");
    }
    for key in ["", "a b", "PROJ/REPO", "..", "caf\u{e9}", &"A".repeat(129)] {
        let err = validate_project_key(key).expect_err(key);
        assert!(
            err.ends_with(
                "is not a Bitbucket project key; use the key shown in Bitbucket, e.g. PROJ"
            ),
            "{err}"
        );
    }
}

#[test]
fn refusals_are_typed() {
    let p = policy();
    let err = p.check_project("OTHER").expect_err("other project");
    assert!(err.is_policy_refusal(), "{err:?}");
    assert!(!err.is_retryable());
    let err = p
        .check_write_branch("main", Some("main"))
        .expect_err("default");
    assert!(matches!(err, Error::PolicyRefused { .. }), "{err:?}");
}

#[test]
fn a_server_sent_by_the_cloud_must_use_https() {
    assert!(
        Policy::check_cloud_server(&Url::parse("https://bitbucket.corp").expect("url")).is_ok()
    );
    for url in [
        "http://bitbucket.corp",
        "http://127.0.0.1:7990/",
        "ftp://bitbucket.corp",
    ] {
        let err = Policy::check_cloud_server(&Url::parse(url).expect("url")).expect_err(url);
        assert!(err.is_policy_refusal(), "{err:?}");
        assert!(err.to_string().contains("must use https"), "{err}");
    }
}

/// A host that records every write it receives; reads answer a repository whose default branch
/// is `main` and which has one pull request (#7) from `gitproxy/security/x`.
#[derive(Default)]
struct Recording {
    writes: Mutex<Vec<String>>,
}

fn unused() -> Error {
    Error::Host {
        operation: "a call this fake does not serve".into(),
        source: "not served".into(),
    }
}

#[async_trait]
impl BitbucketHost for Recording {
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
        Ok(None)
    }
    async fn commits_ahead(
        &self,
        _: &str,
        _: &str,
        _: &str,
        _: &str,
    ) -> Result<Vec<BranchCommit>, Error> {
        Ok(Vec::new())
    }
    async fn delete_branch(&self, _: &str, _: &str, branch: &str, _: &str) -> Result<(), Error> {
        self.writes.lock().unwrap().push(format!("delete {branch}"));
        Ok(())
    }
    async fn list_files(&self, _: &str, _: &str, _: &str) -> Result<Vec<String>, Error> {
        Err(unused())
    }
    async fn read_file(&self, _: &str, _: &str, _: &str, _: &str) -> Result<Vec<u8>, Error> {
        Err(unused())
    }
    async fn commit_file(&self, _: &str, _: &str, c: &FileCommit) -> Result<Option<String>, Error> {
        self.writes
            .lock()
            .unwrap()
            .push(format!("commit {}", c.branch));
        Ok(Some("c1".into()))
    }
    async fn pull_requests(
        &self,
        _: &str,
        _: &str,
        _: &str,
    ) -> Result<Vec<PullRequestInfo>, Error> {
        Ok(vec![PullRequestInfo {
            id: 7,
            version: 0,
            state: PrState::Open,
            title: "t".into(),
            description: None,
            from_branch: "gitproxy/security/x".into(),
            to_branch: "main".into(),
            latest_commit: None,
        }])
    }
    async fn create_pull_request(
        &self,
        _: &str,
        _: &str,
        pr: &NewPr,
    ) -> Result<PullRequestInfo, Error> {
        self.writes
            .lock()
            .unwrap()
            .push(format!("pr {}", pr.from_branch));
        Err(unused())
    }
    async fn update_pull_request(
        &self,
        _: &str,
        _: &str,
        id: i64,
        _: i64,
        _: &str,
        _: &str,
    ) -> Result<PullRequestInfo, Error> {
        self.writes.lock().unwrap().push(format!("update #{id}"));
        Err(unused())
    }
    async fn set_pull_request_open(
        &self,
        _: &str,
        _: &str,
        id: i64,
        _: i64,
        open: bool,
    ) -> Result<PullRequestInfo, Error> {
        self.writes
            .lock()
            .unwrap()
            .push(format!("open={open} #{id}"));
        Err(unused())
    }
    async fn comments(&self, _: &str, _: &str, _: i64) -> Result<Vec<String>, Error> {
        Ok(Vec::new())
    }
    async fn add_comment(
        &self,
        _: &str,
        _: &str,
        id: i64,
        _: &str,
        _: Option<&LineAnchor>,
    ) -> Result<(), Error> {
        self.writes.lock().unwrap().push(format!("comment #{id}"));
        Ok(())
    }
    async fn build_statuses(&self, _: &str, _: &str, _: &str) -> Result<Vec<BuildInfo>, Error> {
        Ok(Vec::new())
    }
}

fn commit(branch: &str) -> FileCommit {
    FileCommit {
        branch: branch.into(),
        path: "package.json".into(),
        content: b"{}".to_vec(),
        message: "fix".into(),
        source_commit: "c0".into(),
        source_branch: Some("main".into()),
    }
}

fn pr(from: &str) -> NewPr {
    NewPr {
        title: "t".into(),
        description: "d".into(),
        from_branch: from.into(),
        to_branch: "main".into(),
    }
}

#[tokio::test]
async fn the_policy_host_refuses_writes_before_they_reach_bitbucket() {
    let host = PolicyHost::new(Recording::default(), policy());
    for branch in ["main", "refs/heads/main", "feature/x", "gitproxy/../main"] {
        let err = host
            .commit_file("PRJ", "web", &commit(branch))
            .await
            .expect_err(branch);
        assert!(err.is_policy_refusal(), "{branch}: {err:?}");
        let err = host
            .create_pull_request("PRJ", "web", &pr(branch))
            .await
            .expect_err(branch);
        assert!(err.is_policy_refusal(), "{branch}: {err:?}");
    }
    let err = host
        .commit_file("OTHER", "web", &commit("gitproxy/security/x"))
        .await
        .expect_err("other project");
    assert!(err.is_policy_refusal(), "{err:?}");
    let err = host
        .update_pull_request("PRJ", "web", 8, 0, "t", "d")
        .await
        .expect_err("not ours");
    assert!(err.is_policy_refusal(), "{err:?}");
    for open in [true, false] {
        let err = host
            .set_pull_request_open("PRJ", "web", 8, 0, open)
            .await
            .expect_err("not ours");
        assert!(err.is_policy_refusal(), "{err:?}");
    }
    assert!(
        host.inner.writes.lock().unwrap().is_empty(),
        "a refused write reached the host"
    );

    // Writes under the prefix pass through.
    host.commit_file("PRJ", "web", &commit("gitproxy/security/x"))
        .await
        .expect("allowed");
    host.add_comment("PRJ", "web", 7, "ci failed", None)
        .await
        .expect("allowed");
    assert_eq!(
        *host.inner.writes.lock().unwrap(),
        vec![
            "commit gitproxy/security/x".to_owned(),
            "comment #7".to_owned()
        ]
    );
}

#[tokio::test]
async fn the_policy_host_deletes_only_branches_under_the_prefix() {
    let host = PolicyHost::new(Recording::default(), policy());
    for branch in [
        "main",
        "refs/heads/main",
        "feature/x",
        "gitproxy",
        "gitproxy/../main",
        "release/gitproxy/security/x",
    ] {
        let err = host
            .delete_branch("PRJ", "web", branch, "c0")
            .await
            .expect_err(branch);
        assert!(err.is_policy_refusal(), "{branch}: {err:?}");
        assert!(
            err.to_string().contains("default branch") || err.to_string().contains("prefix"),
            "{branch}: {err}"
        );
    }
    let err = host
        .delete_branch("OTHER", "web", "gitproxy/security/x", "c0")
        .await
        .expect_err("other project");
    assert!(err.is_policy_refusal(), "{err:?}");
    assert!(
        host.inner.writes.lock().unwrap().is_empty(),
        "a refused delete reached the host"
    );
    host.delete_branch("PRJ", "web", "gitproxy/security/x", "c0")
        .await
        .expect("allowed");
    assert_eq!(
        *host.inner.writes.lock().unwrap(),
        vec!["delete gitproxy/security/x".to_owned()]
    );
}
