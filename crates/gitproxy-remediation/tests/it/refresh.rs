//! Remediation pull requests kept current against the simulator: when the target branch moves
//! (or changes the very lines the fix touches), the fix is made again on the new tip and the same
//! pull request is reopened on it with exactly the fix as its diff; when the package gets fixed on
//! the target, the pull request is declined with a comment and its branch deleted; when a newer
//! fixing version appears, the same pull request is updated. (A branch carrying someone else's
//! commit is left alone and explained: `branches.rs`.)

use bitbucket_dc::{Client, CommitQuery, FileEdit};
use gitproxy_remediation::host::{BitbucketDc, BitbucketHost, PrState};
use gitproxy_remediation::plan::PlanOptions;
use gitproxy_remediation::remediate::Remediator;

use crate::branches::{
    client, lodash_fixed_in, pr_diff, registry, simulator, ALICE, BOT, BRANCH, LOCK, PACKAGE,
};

/// Alice commits `files` to `main` through the REST file edit, as herself; returns the new tip.
async fn alice_commits_to_main(alice: &Client, files: &[(&str, String)], message: &str) -> String {
    let repo = alice.repo("SEC", "web");
    let mut tip = None;
    for (path, text) in files {
        let mut edit = FileEdit::new("main", text.clone().into_bytes()).message(message);
        if let Some(parent) = &tip {
            edit = edit.source_commit_id(parent);
        } else {
            let main = repo.branches().find("main").await.unwrap().unwrap();
            edit = edit.source_commit_id(main.latest_commit.unwrap());
        }
        tip = Some(repo.files().edit(path, &edit).await.unwrap().id);
    }
    tip.unwrap()
}

async fn pr_state(host: &BitbucketDc, id: i64) -> PrState {
    host.pull_requests("SEC", "web", "gitproxy/")
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.id == id)
        .unwrap()
        .state
}

/// Whether the history of `branch` contains `commit`.
async fn contains(bot: &Client, branch: &str, commit: &str) -> bool {
    bot.repo("SEC", "web")
        .commits()
        .list(&CommitQuery::new().until(branch))
        .collect_all()
        .await
        .unwrap()
        .iter()
        .any(|c| c.id == commit)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_moved_target_gets_the_fix_again_on_its_tip_in_the_same_pull_request() {
    let sim = simulator().await;
    let bot = client(&sim, BOT);
    let host = BitbucketDc::new(bot.clone());
    let (db, registry) = (lodash_fixed_in("4.17.21"), registry());
    let remediator = Remediator::new(&host, &db, &registry, PlanOptions::recommended());
    let first = remediator.remediate_repo("SEC", "web").await.unwrap();
    let id = first.opened[0];

    // Alice moves main on, changing the very line the fix changes (a conflict) and the README.
    let alice = client(&sim, ALICE);
    let tip = alice_commits_to_main(
        &alice,
        &[
            ("README.md", "# web\n\nThe storefront.\n".to_owned()),
            (
                "package.json",
                PACKAGE.replace(
                    "\"lodash\": \"4.17.20\"",
                    "\"lodash\": \"4.17.20\",\n    \"left-pad\": \"1.3.0\"",
                ),
            ),
        ],
        "Add left-pad",
    )
    .await;
    let before = bot
        .repo("SEC", "web")
        .pull_request(id)
        .can_merge()
        .await
        .unwrap();
    assert!(
        before.conflicted,
        "the fix now conflicts with main: {before:?}"
    );

    // The preview says what the run will do; the run does it.
    let preview = remediator.preview_repo("SEC", "web").await.unwrap();
    assert!(
        preview[0].notes[0].starts_with("`main` moved on"),
        "{:?}",
        preview[0].notes
    );
    // `remediation.refresh` (apply does the same on its way).
    let second = remediator.refresh_repo("SEC", "web").await.unwrap();
    assert!(second.problems.is_empty(), "{:?}", second.problems);
    assert_eq!(
        (second.opened.len(), second.updated.as_slice()),
        (0, &[id][..])
    );
    assert_eq!(pr_state(&host, id).await, PrState::Open);
    assert!(
        contains(&bot, BRANCH, &tip).await,
        "the branch starts from the new tip"
    );
    let (paths, authors) = pr_diff(&bot, id).await;
    assert_eq!(paths, ["package-lock.json", "package.json"]);
    assert!(authors.iter().all(|a| a == "bot"), "{authors:?}");
    let after = bot
        .repo("SEC", "web")
        .pull_request(id)
        .can_merge()
        .await
        .unwrap();
    assert!(!after.conflicted, "{after:?}");
    // The fix keeps alice's new line.
    let head = host
        .branch_head("SEC", "web", BRANCH)
        .await
        .unwrap()
        .unwrap();
    let package = host
        .read_file("SEC", "web", "package.json", &head)
        .await
        .unwrap();
    let package = String::from_utf8(package).unwrap();
    assert!(
        package.contains("\"lodash\": \"4.17.21\"") && package.contains("left-pad"),
        "{package}"
    );

    // Nothing moved since: the next run leaves it alone.
    let third = remediator.remediate_repo("SEC", "web").await.unwrap();
    assert_eq!(
        (third.updated.len(), third.unchanged.as_slice()),
        (0, &[id][..])
    );
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fix_already_on_the_target_declines_the_pull_request_and_deletes_its_branch() {
    let sim = simulator().await;
    let bot = client(&sim, BOT);
    let host = BitbucketDc::new(bot.clone());
    let (db, registry) = (lodash_fixed_in("4.17.21"), registry());
    let remediator = Remediator::new(&host, &db, &registry, PlanOptions::recommended());
    let id = remediator
        .remediate_repo("SEC", "web")
        .await
        .unwrap()
        .opened[0];

    // Alice fixes lodash on main herself.
    let alice = client(&sim, ALICE);
    alice_commits_to_main(
        &alice,
        &[
            ("package.json", PACKAGE.replace("4.17.20", "4.17.21")),
            (
                "package-lock.json",
                LOCK.replace("4.17.20", "4.17.21")
                    .replace("sha512-lodash-old", "sha512-new"),
            ),
        ],
        "Upgrade lodash",
    )
    .await;
    let outcome = remediator.remediate_repo("SEC", "web").await.unwrap();
    assert!(outcome.problems.is_empty(), "{:?}", outcome.problems);
    assert_eq!(outcome.closed, [id]);
    assert_eq!(pr_state(&host, id).await, PrState::Declined);
    let comments = host.comments("SEC", "web", id).await.unwrap();
    assert!(
        comments
            .iter()
            .any(|c| c.starts_with("**No longer needed:**") && c.contains("on `main`")),
        "{comments:?}"
    );
    assert!(
        host.branch_head("SEC", "web", BRANCH)
            .await
            .unwrap()
            .is_none(),
        "branch deleted"
    );
    // And it is not reopened or declined again.
    let again = remediator.remediate_repo("SEC", "web").await.unwrap();
    assert!(
        again.closed.is_empty() && again.opened.is_empty(),
        "{again:?}"
    );
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_newer_fixing_version_updates_the_same_pull_request() {
    let sim = simulator().await;
    let bot = client(&sim, BOT);
    let host = BitbucketDc::new(bot.clone());
    let registry = registry();
    let first_db = lodash_fixed_in("4.17.21");
    let first = Remediator::new(&host, &first_db, &registry, PlanOptions::recommended());
    let id = first.remediate_repo("SEC", "web").await.unwrap().opened[0];

    let later_db = lodash_fixed_in("4.17.22");
    let later = Remediator::new(&host, &later_db, &registry, PlanOptions::recommended());
    let outcome = later.remediate_repo("SEC", "web").await.unwrap();
    assert_eq!(
        (outcome.opened.len(), outcome.updated.as_slice()),
        (0, &[id][..])
    );
    let pr = host
        .pull_requests("SEC", "web", "gitproxy/")
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.id == id)
        .unwrap();
    assert_eq!(pr.state, PrState::Open);
    assert!(pr.title.contains("4.17.22"), "{}", pr.title);
    let head = host
        .branch_head("SEC", "web", BRANCH)
        .await
        .unwrap()
        .unwrap();
    let package = String::from_utf8(
        host.read_file("SEC", "web", "package.json", &head)
            .await
            .unwrap(),
    )
    .unwrap();
    assert!(package.contains("\"lodash\": \"4.17.22\""), "{package}");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_package_moved_into_an_unsupported_lockfile_is_not_taken_as_fixed() {
    let sim = simulator().await;
    let bot = client(&sim, BOT);
    let host = BitbucketDc::new(bot.clone());
    let (db, registry) = (lodash_fixed_in("4.17.21"), registry());
    let remediator = Remediator::new(&host, &db, &registry, PlanOptions::recommended());
    let id = remediator
        .remediate_repo("SEC", "web")
        .await
        .unwrap()
        .opened[0];

    // Alice moves the project to Bun: lodash 4.17.20 is now only in bun.lockb, which the engine
    // does not read, so nothing supported says lodash is vulnerable any more.
    let alice = client(&sim, ALICE);
    alice_commits_to_main(
        &alice,
        &[
            ("package.json", PACKAGE.replace("\"4.17.20\"", "\"^4.17.20\"")),
            (
                "package-lock.json",
                "{\n  \"name\": \"web\",\n  \"lockfileVersion\": 3,\n  \"packages\": {\n    \"\": {\n      \"name\": \"web\"\n    }\n  }\n}\n".to_string(),
            ),
            (
                "bun.lockb",
                "{\n  \"lockfileVersion\": 1,\n  \"packages\": {\n    \"lodash\": [\"lodash@4.17.20\", \"\", {}, \"sha512-x\"]\n  }\n}\n".to_string(),
            ),
        ],
        "Move to Bun (binary lockfile)",
    )
    .await;
    let outcome = remediator.remediate_repo("SEC", "web").await.unwrap();
    assert_eq!(outcome.unsupported.len(), 1, "{outcome:?}");
    assert_eq!(outcome.unsupported[0].file, "bun.lockb");
    assert!(outcome.closed.is_empty(), "{outcome:?}");
    assert_eq!(pr_state(&host, id).await, PrState::Open);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_status_report_lists_as_not_checked_exactly_what_the_scan_does_not_read() {
    let sim = simulator().await;
    let host = BitbucketDc::new(client(&sim, BOT));
    let (db, registry) = (lodash_fixed_in("4.17.21"), registry());
    let remediator = Remediator::new(&host, &db, &registry, PlanOptions::recommended());
    // A settings script with plugin management only and a Pipfile beside its lock are read (or
    // need no reading); a Bun binary lockfile and a settings script declaring a catalog are not.
    let alice = client(&sim, ALICE);
    alice_commits_to_main(
        &alice,
        &[
            (
                "settings.gradle",
                "pluginManagement { repositories { gradlePluginPortal() } }\ninclude 'app'\n"
                    .to_string(),
            ),
            (
                "tools/settings.gradle.kts",
                "dependencyResolutionManagement { versionCatalogs { create(\"libs\") { } } }\n"
                    .to_string(),
            ),
            ("py/Pipfile", "[packages]\nrequests = \"*\"\n".to_string()),
            (
                "py/Pipfile.lock",
                "{\"_meta\": {}, \"default\": {}, \"develop\": {}}\n".to_string(),
            ),
            ("bun.lockb", "{\n  \"lockfileVersion\": 1\n}\n".to_string()),
        ],
        "Add more build files",
    )
    .await;
    let status = remediator.status("SEC").await.unwrap();
    let listed: Vec<&str> = status
        .unsupported
        .iter()
        .map(|u| u.file.file.as_str())
        .collect();
    assert_eq!(
        listed,
        ["bun.lockb", "tools/settings.gradle.kts"],
        "{status:?}"
    );
    let scan = remediator.remediate_repo("SEC", "web").await.unwrap();
    let scanned: Vec<&str> = scan.unsupported.iter().map(|u| u.file.as_str()).collect();
    assert_eq!(scanned, listed, "{scan:?}");
    sim.shutdown().await;
}
