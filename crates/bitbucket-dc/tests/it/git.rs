//! Real git over `/scm`: clone a simulator repository with Bearer (`http.extraHeader`) and with
//! Basic auth, commit, push, and see the push through the REST API (branch tip, commits, raw file,
//! comparison, a pull request from the pushed branch).

use bitbucket_dc::{CommitQuery, NewPullRequest};
use bitbucket_dc_sim::AuthScheme;

use crate::support::{client, git, git_output, start, ALICE, BOB};

/// The pushed file: CRLF line endings and non-ASCII text, which `raw` must return unchanged.
const PUSHED: &[u8] = "pushed over HTTP\r\nwith \u{00e9}l\u{00e8}ve\r\n".as_bytes();

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clone_commit_push_and_see_it_through_rest() {
    let sim = start().await;
    let alice = client(&sim, ALICE);
    let repo = alice.repo("PRJ", "service");
    // The clone URL comes from the REST API, without the user name the server embeds.
    let clone_url = repo.http_clone_url().await.expect("clone url");
    assert!(!clone_url.contains('@'), "{clone_url}");
    let main_before = repo
        .default_branch_legacy()
        .await
        .expect("default branch")
        .and_then(|b| b.latest_commit)
        .expect("a tip");

    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().to_path_buf();
    let bearer_url = clone_url.clone();
    let mut basic = url::Url::parse(&clone_url).expect("url");
    basic.set_username("alice").expect("user");
    basic.set_password(Some(ALICE)).expect("password");
    let basic_url = basic.to_string();
    let (cloned_head, pushed_branch, pushed_main) = tokio::task::spawn_blocking(move || {
        // Bearer, the way Renovate passes a token to git.
        let header = format!("http.extraHeader=Authorization: Bearer {ALICE}");
        git(
            &root,
            &["-c", &header, "clone", "--quiet", &bearer_url, "bearer"],
        );
        let bearer = root.join("bearer");
        let cloned_head = git(&bearer, &["rev-parse", "HEAD"]);
        assert_eq!(
            std::fs::read(bearer.join("README.md")).expect("readme"),
            b"# service\n"
        );

        // Basic with user name and token: a branch with a commit, pushed.
        git(&root, &["clone", "--quiet", &basic_url, "basic"]);
        let work = root.join("basic");
        git(&work, &["checkout", "--quiet", "-b", "fix/from-git"]);
        std::fs::write(work.join("pushed.txt"), PUSHED).expect("write");
        git(&work, &["add", "pushed.txt"]);
        git(
            &work,
            &[
                "-c",
                "core.autocrlf=false",
                "commit",
                "--quiet",
                "-m",
                "Pushed over HTTP",
            ],
        );
        git(&work, &["push", "--quiet", "origin", "fix/from-git"]);
        let pushed_branch = git(&work, &["rev-parse", "HEAD"]);

        // Bearer again: a fast-forward of main.
        std::fs::write(bearer.join("NOTES.md"), "notes\n").expect("write");
        git(&bearer, &["add", "NOTES.md"]);
        git(&bearer, &["commit", "--quiet", "-m", "Notes on main"]);
        git(
            &bearer,
            &["-c", &header, "push", "--quiet", "origin", "main"],
        );
        let pushed_main = git(&bearer, &["rev-parse", "HEAD"]);
        (cloned_head, pushed_branch, pushed_main)
    })
    .await
    .expect("git ran");
    assert_eq!(cloned_head, main_before);

    // The pushed branch, its commit and its file, through REST, as soon as the push returned.
    let branch = repo
        .branches()
        .find("fix/from-git")
        .await
        .expect("find")
        .expect("the pushed branch exists");
    assert_eq!(
        branch.latest_commit.as_deref(),
        Some(pushed_branch.as_str())
    );
    let commits = repo
        .commits()
        .list(
            &CommitQuery::new()
                .until("refs/heads/fix/from-git")
                .since("main"),
        )
        .collect_all()
        .await
        .expect("commits");
    assert_eq!(commits.len(), 1);
    assert_eq!(commits[0].id, pushed_branch);
    assert_eq!(commits[0].message, "Pushed over HTTP");
    assert_eq!(commits[0].author.name, "Git Tester");
    assert_eq!(
        commits[0].author.email_address.as_deref(),
        Some("git-tester@example.com")
    );
    let commit = repo.commits().get(&pushed_branch).await.expect("commit");
    assert_eq!(commit.parents[0].id, main_before);
    assert_eq!(
        &repo
            .files()
            .raw("pushed.txt", Some("refs/heads/fix/from-git"))
            .await
            .expect("raw")[..],
        PUSHED
    );
    let changes = repo
        .commits()
        .compare_changes("fix/from-git", &main_before)
        .collect_all()
        .await
        .expect("compare");
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].path.as_string(), "pushed.txt");
    let pr = repo
        .pull_requests()
        .create(&NewPullRequest::new("From git", "fix/from-git", "main"))
        .await
        .expect("a pull request from the pushed branch");
    assert_eq!(
        pr.from_ref.latest_commit.as_deref(),
        Some(pushed_branch.as_str())
    );

    // The push to main moved the default branch.
    let main = repo
        .default_branch_legacy()
        .await
        .expect("default branch")
        .expect("a tip");
    assert_eq!(main.latest_commit.as_deref(), Some(pushed_main.as_str()));
    let on_main = repo
        .commits()
        .list(&CommitQuery::new())
        .limit(1)
        .first_page()
        .await
        .expect("commits");
    assert_eq!(on_main.values[0].message, "Notes on main");

    // Git traffic went through /scm as alice, with both schemes.
    let scm: Vec<_> = sim
        .requests()
        .into_iter()
        .filter(|r| r.path.starts_with("/scm/prj/service.git/"))
        .collect();
    // git asks anonymously first and sends the URL's credentials after the 401 challenge.
    assert!(scm
        .iter()
        .all(|r| r.user.as_deref() == Some("alice")
            || (r.auth == AuthScheme::None && r.status == 401)));
    assert!(scm.iter().any(|r| r.auth == AuthScheme::Bearer));
    assert!(scm.iter().any(|r| r.auth == AuthScheme::Basic));
    assert!(scm.iter().any(|r| r.path.ends_with("/git-receive-pack")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_clones_but_cannot_push() {
    let sim = start().await;
    let bob = client(&sim, BOB);
    let mut url = url::Url::parse(
        &bob.repo("PRJ", "service")
            .http_clone_url()
            .await
            .expect("url"),
    )
    .expect("url");
    url.set_username("bob").expect("user");
    url.set_password(Some(BOB)).expect("password");
    let url = url.to_string();
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().to_path_buf();
    let push = tokio::task::spawn_blocking(move || {
        git(&root, &["clone", "--quiet", &url, "reader"]);
        let work = root.join("reader");
        git(&work, &["checkout", "--quiet", "-b", "bob/change"]);
        std::fs::write(work.join("bob.txt"), "bob\n").expect("write");
        git(&work, &["add", "bob.txt"]);
        git(&work, &["commit", "--quiet", "-m", "bob"]);
        git_output(&work, &["push", "--quiet", "origin", "bob/change"])
    })
    .await
    .expect("git ran");
    assert!(!push.status.success(), "a reader cannot push");
    assert_eq!(
        bob.repo("PRJ", "service")
            .branches()
            .find("bob/change")
            .await
            .expect("find"),
        None
    );
}
