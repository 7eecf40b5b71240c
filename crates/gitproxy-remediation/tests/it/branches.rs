//! Remediation branches the agent owns, and only those, against the simulator with real git: a
//! branch under the agent's prefix that carries another user's commit is recreated from the
//! default branch tip when no pull request is open on it (the pull request's diff is then exactly
//! the fix), and left alone with a clear status when one is; the agent's own earlier commits are
//! reused (with or without a pull request); and the policy never lets the agent delete a branch
//! outside its prefix.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use bitbucket_dc::{Client, CommitQuery, Credentials, FileEdit};
use bitbucket_dc_sim::{Permission, ProjectSeed, RepoSeed, Simulator, UserSeed};
use gitproxy_remediation::advisories::AdvisoryDb;
use gitproxy_remediation::host::{BitbucketDc, BitbucketHost, FileCommit, Identity};
use gitproxy_remediation::plan::PlanOptions;
use gitproxy_remediation::policy::{Policy, PolicyHost};
use gitproxy_remediation::registry::StaticRegistry;
use gitproxy_remediation::remediate::{Remediator, State};
use gitproxy_remediation::Ecosystem;

pub(crate) const BOT: &str = "bot-token";
pub(crate) const ALICE: &str = "alice-token";
/// A project administrator (sets up merge checks).
pub(crate) const LEAD: &str = "lead-token";
pub(crate) const BRANCH: &str = "gitproxy/security/npm-lodash";
const README: &str = "# web\n";

pub(crate) const PACKAGE: &str = "{\n  \"name\": \"web\",\n  \"version\": \"1.0.0\",\n  \"dependencies\": {\n    \"lodash\": \"4.17.20\"\n  }\n}\n";

pub(crate) const LOCK: &str = r#"{
  "name": "web",
  "version": "1.0.0",
  "lockfileVersion": 3,
  "requires": true,
  "packages": {
    "": {
      "name": "web",
      "version": "1.0.0",
      "dependencies": {
        "lodash": "4.17.20"
      }
    },
    "node_modules/lodash": {
      "version": "4.17.20",
      "resolved": "https://registry.npmjs.org/lodash/-/lodash-4.17.20.tgz",
      "integrity": "sha512-lodash-old"
    }
  }
}
"#;

pub(crate) fn lodash_fixed_in(fixed: &str) -> AdvisoryDb {
    crate::fixed_in_db(
        "branches",
        &[("GHSA-35jh-r3h4-6jhm", "npm", "lodash", fixed)],
    )
}

pub(crate) fn registry() -> StaticRegistry {
    StaticRegistry::new()
        .publish(Ecosystem::Npm, "lodash", "4.17.21", &[(None, "sha512-new")])
        .publish(
            Ecosystem::Npm,
            "lodash",
            "4.17.22",
            &[(None, "sha512-newer")],
        )
}

pub(crate) async fn simulator() -> Simulator {
    Simulator::builder()
        .user(UserSeed::new("bot").token(BOT))
        .user(UserSeed::new("alice").token(ALICE))
        .user(UserSeed::new("lead").token(LEAD))
        .project(ProjectSeed::new("SEC"))
        .repo(
            RepoSeed::new("SEC", "web")
                .file("README.md", README)
                .file("package.json", PACKAGE)
                .file("package-lock.json", LOCK),
        )
        .grant_project("bot", "SEC", Permission::ProjectWrite)
        .grant_project("alice", "SEC", Permission::ProjectWrite)
        .grant_project("lead", "SEC", Permission::ProjectAdmin)
        .start()
        .await
        .expect("the simulator starts")
}

pub(crate) fn client(sim: &Simulator, token: &str) -> Client {
    Client::builder(sim.base_url().as_str())
        .credentials(Credentials::bearer(token).unwrap())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

/// Runs git with a private configuration, as `alice` (the author the server matches to her).
pub(crate) fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("HOME", dir)
        .env("XDG_CONFIG_HOME", dir)
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_AUTHOR_NAME", "Alice")
        .env("GIT_AUTHOR_EMAIL", "alice@example.com")
        .env("GIT_COMMITTER_NAME", "Alice")
        .env("GIT_COMMITTER_EMAIL", "alice@example.com")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Alice clones the repository, creates the agent's branch with a README change and pushes it.
async fn alice_pushes_a_readme_commit(sim: &Simulator) {
    let mut url = sim.clone_url("SEC", "web");
    url.set_username("alice").unwrap();
    url.set_password(Some(ALICE)).unwrap();
    let url = url.to_string();
    tokio::task::spawn_blocking(move || {
        let dir = tempfile::tempdir().unwrap();
        git(dir.path(), &["clone", "--quiet", &url, "web"]);
        let work = dir.path().join("web");
        git(&work, &["checkout", "--quiet", "-b", BRANCH]);
        std::fs::write(work.join("README.md"), "# web\n\nAlice's notes.\n").unwrap();
        git(&work, &["commit", "--quiet", "-am", "Update README"]);
        git(&work, &["push", "--quiet", "origin", BRANCH]);
    })
    .await
    .unwrap();
}

/// The paths a pull request changes and the authors of its commits.
pub(crate) async fn pr_diff(client: &Client, id: i64) -> (Vec<String>, Vec<String>) {
    let pr = client.repo("SEC", "web").pull_request(id);
    let mut paths: Vec<String> = pr
        .changes()
        .collect_all()
        .await
        .unwrap()
        .into_iter()
        .filter_map(|c| c.path.full)
        .collect();
    paths.sort();
    let authors = pr
        .commits()
        .collect_all()
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.author.name)
        .collect();
    (paths, authors)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_foreign_commit_on_a_branch_without_a_pull_request_is_dropped() {
    let sim = simulator().await;
    alice_pushes_a_readme_commit(&sim).await;
    let bot = client(&sim, BOT);
    // Through the local policy, as the agent runs: the delete under its prefix is allowed.
    let host = PolicyHost::new(
        BitbucketDc::new(bot.clone()),
        Policy::new(sim.base_url().clone(), "SEC", "gitproxy/"),
    );
    let pushed = host.branch_head("SEC", "web", BRANCH).await.unwrap();
    assert!(pushed.is_some(), "alice's push created the branch");

    let (db, registry) = (lodash_fixed_in("4.17.21"), registry());
    let remediator = Remediator::new(&host, &db, &registry, PlanOptions::recommended());
    // The dry run says so first.
    let preview = remediator.preview_repo("SEC", "web").await.unwrap();
    assert_eq!(preview[0].state, State::Planned);
    assert!(
        preview[0].notes[0].starts_with(&format!(
            "branch `{BRANCH}` will be recreated from `main` because it carried commits by alice <alice@example.com>"
        )),
        "{:?}",
        preview[0].notes
    );
    let outcome = remediator.remediate_repo("SEC", "web").await.unwrap();
    assert!(outcome.problems.is_empty(), "{:?}", outcome.problems);
    assert_eq!(outcome.opened.len(), 1);

    // The branch was recreated from the default tip: alice's commit is gone and the pull
    // request's diff is exactly the fix.
    let (paths, authors) = pr_diff(&bot, outcome.opened[0]).await;
    assert_eq!(paths, ["package-lock.json", "package.json"]);
    assert!(authors.iter().all(|a| a == "bot"), "{authors:?}");
    let head = host
        .branch_head("SEC", "web", BRANCH)
        .await
        .unwrap()
        .unwrap();
    let readme = host
        .read_file("SEC", "web", "README.md", &head)
        .await
        .unwrap();
    assert_eq!(readme, README.as_bytes());
    let history = bot
        .repo("SEC", "web")
        .commits()
        .list(&CommitQuery::new().until(head.as_str()))
        .collect_all()
        .await
        .unwrap();
    assert!(
        history.iter().all(|c| Some(&c.id) != pushed.as_ref()),
        "alice's commit is not in the branch's history"
    );
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_foreign_commit_on_an_open_pull_request_is_refused_until_it_is_declined() {
    let sim = simulator().await;
    let bot = client(&sim, BOT);
    let host = BitbucketDc::new(bot.clone());
    let registry = registry();
    let db = lodash_fixed_in("4.17.21");
    let remediator = Remediator::new(&host, &db, &registry, PlanOptions::recommended());
    let first = remediator.remediate_repo("SEC", "web").await.unwrap();
    assert_eq!(first.opened.len(), 1);
    let id = first.opened[0];

    // Alice edits the README on the agent's branch through the REST file edit, as herself.
    let head = host
        .branch_head("SEC", "web", BRANCH)
        .await
        .unwrap()
        .unwrap();
    let alice = client(&sim, ALICE);
    let foreign = alice
        .repo("SEC", "web")
        .files()
        .edit(
            "README.md",
            &FileEdit::new(BRANCH, b"# web\n\nAlice's notes.\n".to_vec())
                .message("Update README")
                .source_commit_id(head),
        )
        .await
        .unwrap();

    // A later advisory needs 4.17.22: the agent would update the branch, but refuses.
    let later = lodash_fixed_in("4.17.22");
    let next = Remediator::new(&host, &later, &registry, PlanOptions::recommended());
    for _ in 0..2 {
        let outcome = next.remediate_repo("SEC", "web").await.unwrap();
        assert!(outcome.opened.is_empty() && outcome.updated.is_empty());
        assert_eq!(outcome.problems.len(), 1, "{:?}", outcome.problems);
        let problem = &outcome.problems[0];
        for expected in [
            format!("branch `{BRANCH}`"),
            format!("{} \"Update README\" by alice", &foreign.id[..11]),
            format!("decline pull request #{id}"),
            "remove that commit".into(),
        ] {
            assert!(problem.contains(&expected), "{expected}: {problem}");
        }
        assert_eq!(
            host.branch_head("SEC", "web", BRANCH).await.unwrap(),
            Some(foreign.id.clone()),
            "nothing was pushed"
        );
    }
    let comments = host.comments("SEC", "web", id).await.unwrap();
    let refusals: Vec<&String> = comments
        .iter()
        .filter(|c| c.starts_with("**gitproxy did not update this pull request.**"))
        .collect();
    assert_eq!(
        refusals.len(),
        1,
        "one comment per branch head: {comments:?}"
    );
    let pr = host.pull_requests("SEC", "web", BRANCH).await.unwrap();
    assert!(pr[0].title.contains("4.17.21"), "the title was not updated");

    let preview = next.preview_repo("SEC", "web").await.unwrap();
    assert_eq!(preview[0].state, State::ForeignCommits);
    assert!(
        preview[0].notes[0].contains("by alice"),
        "{:?}",
        preview[0].notes
    );
    let status = next.status("SEC").await.unwrap();
    assert_eq!(status.remediations.len(), 1);
    assert_eq!(status.remediations[0].state, State::ForeignCommits);
    assert!(status.remediations[0].notes[0].contains("by alice"));
    assert!(status.to_markdown().contains("| #1 | foreign-commits |"));

    // Declining the refused pull request asks for a fresh branch: the next run recreates it and
    // opens a new pull request whose diff is exactly the fix.
    alice
        .repo("SEC", "web")
        .pull_request(id)
        .decline(pr[0].version)
        .await
        .unwrap();
    let outcome = next.remediate_repo("SEC", "web").await.unwrap();
    assert!(outcome.problems.is_empty(), "{:?}", outcome.problems);
    assert!(outcome.declined.is_empty());
    assert_eq!(outcome.opened.len(), 1);
    let (paths, authors) = pr_diff(&bot, outcome.opened[0]).await;
    assert_eq!(paths, ["package-lock.json", "package.json"]);
    assert!(authors.iter().all(|a| a == "bot"), "{authors:?}");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_agents_own_earlier_commits_are_reused() {
    let sim = simulator().await;
    let bot = client(&sim, BOT);
    let host = BitbucketDc::new(bot.clone());
    // The agent knows itself by the token's user name and that user's address.
    assert_eq!(
        host.current_user().await.unwrap(),
        Some(Identity {
            name: "bot".into(),
            email: Some("bot@example.com".into())
        })
    );
    let registry = registry();
    let db = lodash_fixed_in("4.17.21");
    let remediator = Remediator::new(&host, &db, &registry, PlanOptions::recommended());
    let id = remediator
        .remediate_repo("SEC", "web")
        .await
        .unwrap()
        .opened[0];
    let (_, earlier) = pr_diff(&bot, id).await;
    let first_head = host
        .branch_head("SEC", "web", BRANCH)
        .await
        .unwrap()
        .unwrap();

    let later = lodash_fixed_in("4.17.22");
    let next = Remediator::new(&host, &later, &registry, PlanOptions::recommended());
    let outcome = next.remediate_repo("SEC", "web").await.unwrap();
    assert!(outcome.problems.is_empty(), "{:?}", outcome.problems);
    assert_eq!(outcome.updated, [id], "the same pull request is updated");
    let commits = bot
        .repo("SEC", "web")
        .pull_request(id)
        .commits()
        .collect_all()
        .await
        .unwrap();
    assert!(
        commits.len() > earlier.len(),
        "new commits on top of the earlier ones"
    );
    assert!(
        commits.iter().any(|c| c.id == first_head),
        "the earlier commit is kept"
    );
    assert!(commits.iter().all(|c| c.author.name == "bot"));
    let package = host
        .read_file(
            "SEC",
            "web",
            "package.json",
            &host
                .branch_head("SEC", "web", BRANCH)
                .await
                .unwrap()
                .unwrap(),
        )
        .await
        .unwrap();
    assert!(String::from_utf8(package).unwrap().contains("4.17.22"));
    sim.shutdown().await;
}

#[tokio::test]
async fn the_policy_never_deletes_a_branch_outside_the_prefix() {
    let sim = simulator().await;
    let host = PolicyHost::new(
        BitbucketDc::new(client(&sim, BOT)),
        Policy::new(sim.base_url().clone(), "SEC", "gitproxy/"),
    );
    let default = host.default_branch("SEC", "web").await.unwrap().unwrap();
    let tip = default.commit.clone();
    for branch in ["feature/x", BRANCH] {
        sim.create_branch("SEC", "web", branch, &default.branch)
            .await
            .unwrap();
    }
    for branch in ["feature/x", default.branch.as_str()] {
        let err = host
            .delete_branch("SEC", "web", branch, &tip)
            .await
            .expect_err(branch);
        assert!(err.is_policy_refusal(), "{branch}: {err}");
        assert!(host
            .branch_head("SEC", "web", branch)
            .await
            .unwrap()
            .is_some());
    }
    host.delete_branch("SEC", "web", BRANCH, &tip)
        .await
        .unwrap();
    assert_eq!(host.branch_head("SEC", "web", BRANCH).await.unwrap(), None);
    sim.shutdown().await;
}

#[tokio::test]
async fn an_unfinished_branch_of_the_agent_is_reused_without_a_pull_request() {
    // A run that committed to the branch but stopped before opening the pull request.
    let sim = simulator().await;
    let bot = client(&sim, BOT);
    let host = BitbucketDc::new(bot.clone());
    let default = host.default_branch("SEC", "web").await.unwrap().unwrap();
    let earlier = host
        .commit_file(
            "SEC",
            "web",
            &FileCommit {
                branch: BRANCH.into(),
                path: "package.json".into(),
                content: PACKAGE.replace("4.17.20", "4.17.21").into_bytes(),
                message: "Update dependency lodash to 4.17.21 [SECURITY]".into(),
                source_commit: default.commit.clone(),
                source_branch: Some(default.branch.clone()),
            },
        )
        .await
        .unwrap()
        .unwrap();

    let (db, registry) = (lodash_fixed_in("4.17.21"), registry());
    let remediator = Remediator::new(&host, &db, &registry, PlanOptions::recommended());
    let outcome = remediator.remediate_repo("SEC", "web").await.unwrap();
    assert!(outcome.problems.is_empty(), "{:?}", outcome.problems);
    assert_eq!(outcome.opened.len(), 1);
    let commits = bot
        .repo("SEC", "web")
        .pull_request(outcome.opened[0])
        .commits()
        .collect_all()
        .await
        .unwrap();
    assert_eq!(commits.len(), 2, "the earlier commit and the lockfile's");
    assert!(commits.iter().any(|c| c.id == earlier));
    let (paths, _) = pr_diff(&bot, outcome.opened[0]).await;
    assert_eq!(paths, ["package-lock.json", "package.json"]);
    sim.shutdown().await;
}
