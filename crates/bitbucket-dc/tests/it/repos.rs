//! Projects and repositories: get project, list its repositories, get repository, default branch
//! (current and deprecated endpoints, and setting it), default reviewers and clone URLs.

use std::collections::BTreeSet;

use bitbucket_dc::{Error, NotFoundKind, ProjectType, RefType, RepositoryState};

use crate::support::{client, rest_log, start, tip, ALICE, BOB, CAROL};

#[tokio::test]
async fn project_and_its_repositories() {
    let sim = start().await;
    let alice = client(&sim, ALICE);

    let project = alice.project("PRJ").get().await.expect("project");
    assert_eq!(project.key, "PRJ");
    assert_eq!(project.name, "Project");
    assert_eq!(
        project.description.as_deref(),
        Some("Where the services live")
    );
    assert!(!project.public);
    assert_eq!(project.project_type, ProjectType::Normal);
    assert!(project.id > 0);
    assert!(project
        .links
        .web_url()
        .is_some_and(|url| url.ends_with("/projects/PRJ")));

    let repos = alice
        .project("PRJ")
        .repositories()
        .collect_all()
        .await
        .expect("repositories");
    let slugs: BTreeSet<&str> = repos.iter().map(|r| r.slug.as_str()).collect();
    assert_eq!(slugs, BTreeSet::from(["archived", "empty", "service"]));
    let service = repos.iter().find(|r| r.slug == "service").expect("service");
    assert_eq!(service.name, "Service");
    assert_eq!(service.description.as_deref(), Some("The service"));
    assert_eq!(service.scm_id, "git");
    assert_eq!(service.state, RepositoryState::Available);
    assert_eq!(service.project.key, "PRJ");
    assert!(service.is_writable_state());
    // The server's clone link embeds the requesting user; the client's helper strips it.
    let href = service.http_clone_href().expect("http clone link");
    assert!(href.starts_with("http://alice@127.0.0.1:"), "{href}");
    assert_eq!(service.ssh_clone_href(), None);
    assert_eq!(service.clone_link("http"), Some(href));
    assert_eq!(
        alice.http_clone_url(service),
        sim.clone_url("PRJ", "service").as_str()
    );
    let archived = repos
        .iter()
        .find(|r| r.slug == "archived")
        .expect("archived");
    assert!(archived.archived && !archived.is_writable_state());

    let handle = alice.project("PRJ").repo("service");
    assert_eq!((handle.project_key(), handle.slug()), ("PRJ", "service"));
    let fetched = handle.get().await.expect("repository");
    assert_eq!(&fetched, service);
    assert_eq!(
        handle.http_clone_url().await.expect("clone url"),
        sim.clone_url("PRJ", "service").as_str()
    );

    let carol = client(&sim, CAROL);
    let hidden = carol.project("PRJ").get().await;
    assert!(
        matches!(hidden, Err(Error::NoPermission { ref user, .. }) if user.as_deref() == Some("carol")),
        "{hidden:?}"
    );
    let missing = alice.project("NOPE").get().await;
    assert!(
        matches!(
            missing,
            Err(Error::NotFound {
                kind: NotFoundKind::Project,
                ..
            })
        ),
        "{missing:?}"
    );
    let missing_repo = alice.repo("PRJ", "nope").get().await;
    assert!(
        matches!(
            missing_repo,
            Err(Error::NotFound {
                kind: NotFoundKind::Repository,
                ..
            })
        ),
        "{missing_repo:?}"
    );
    let no_repos = alice.project("NOPE").repositories().collect_all().await;
    assert!(
        matches!(
            no_repos,
            Err(Error::NotFound {
                kind: NotFoundKind::Project,
                ..
            })
        ),
        "{no_repos:?}"
    );
}

#[tokio::test]
async fn default_branch_current_and_deprecated_endpoints() {
    let sim = start().await;
    let alice = client(&sim, ALICE);
    let service = alice.repo("PRJ", "service");

    let current = service.default_branch().await.expect("default branch");
    assert_eq!(current.id, "refs/heads/main");
    assert_eq!(current.display_id, "main");
    assert_eq!(current.ref_type, RefType::Branch);
    let legacy = service
        .default_branch_legacy()
        .await
        .expect("legacy default branch")
        .expect("a non-empty repository has one");
    assert_eq!(legacy.display_id, "main");
    assert!(legacy.is_default);
    assert_eq!(legacy.latest_commit, Some(tip(&sim, "service", "main")));

    // An empty repository: the current endpoint names the configured branch, the deprecated
    // one answers 204.
    let empty = alice.repo("PRJ", "empty");
    assert_eq!(
        empty.default_branch().await.expect("configured").id,
        "refs/heads/main"
    );
    assert_eq!(empty.default_branch_legacy().await.expect("204"), None);
    let statuses: Vec<u16> = rest_log(&sim).iter().map(|r| r.status).collect();
    assert_eq!(statuses, vec![200, 200, 200, 204]);

    service
        .set_default_branch("feature")
        .await
        .expect("set default branch");
    assert_eq!(
        service.default_branch().await.expect("default").display_id,
        "feature"
    );
    let feature = service
        .default_branch_legacy()
        .await
        .expect("legacy")
        .expect("exists");
    assert_eq!(feature.latest_commit, Some(tip(&sim, "service", "feature")));
    let put = rest_log(&sim)
        .into_iter()
        .find(|r| r.method == "PUT")
        .expect("the PUT was sent");
    assert_eq!(
        put.path,
        "/rest/api/latest/projects/PRJ/repos/service/default-branch"
    );
    assert_eq!(put.status, 204);

    // A configured default that does not exist in a non-empty repository is a 404.
    service
        .set_default_branch("refs/heads/not-yet")
        .await
        .expect("set");
    let absent = service.default_branch_legacy().await;
    assert!(
        matches!(
            absent,
            Err(Error::NotFound {
                kind: NotFoundKind::Branch,
                ..
            })
        ),
        "{absent:?}"
    );

    // Changing it needs REPO_ADMIN.
    let denied = client(&sim, BOB)
        .repo("PRJ", "service")
        .set_default_branch("main")
        .await;
    assert!(
        matches!(denied, Err(Error::NoPermission { ref user, .. }) if user.as_deref() == Some("bob")),
        "{denied:?}"
    );
}

#[tokio::test]
async fn default_reviewers_are_asked_for_with_ids_and_full_refs() {
    let sim = start().await;
    let alice = client(&sim, ALICE);
    let service = alice.repo("PRJ", "service");
    let repo = service.get().await.expect("repository");
    let reviewers = service
        .default_reviewers(repo.id, repo.id, "fix/nested/deep", "main")
        .await
        .expect("default reviewers");
    // The simulator has no default-reviewer conditions, so the list is empty.
    assert!(reviewers.is_empty());
    let asked = rest_log(&sim).pop().expect("logged");
    assert_eq!(
        asked.path,
        "/rest/default-reviewers/latest/projects/PRJ/repos/service/reviewers"
    );
    assert_eq!(asked.query_param("sourceRepoId"), Some(repo.id.to_string()));
    assert_eq!(asked.query_param("targetRepoId"), Some(repo.id.to_string()));
    assert_eq!(
        asked.query_param("sourceRefId").as_deref(),
        Some("refs/heads/fix/nested/deep")
    );
    assert_eq!(
        asked.query_param("targetRefId").as_deref(),
        Some("refs/heads/main")
    );
    let query = asked.query.expect("a query");
    assert!(
        query.contains("sourceRefId=refs%2Fheads%2Ffix%2Fnested%2Fdeep"),
        "{query}"
    );
}
