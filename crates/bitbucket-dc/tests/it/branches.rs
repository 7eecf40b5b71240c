//! Branches: list with filters, exact find (the server's `filterText` is a substring match),
//! create through the core API and branch-utils, and delete with a JSON body on `DELETE`.

use bitbucket_dc::{BranchOrder, BranchQuery, DeleteBranch, Error, NewBranch};

use crate::support::{client, rest_log, start, tip, ALICE, BOB};

#[tokio::test]
async fn list_and_find_exact_names() {
    let sim = start().await;
    let alice = client(&sim, ALICE);
    let branches = alice.repo("PRJ", "service").branches();

    let all = branches
        .list(&BranchQuery::new())
        .collect_all()
        .await
        .expect("branches");
    let names: Vec<&str> = all.iter().map(|b| b.display_id.as_str()).collect();
    assert_eq!(
        names,
        ["feature", "fix/nested/deep", "main", "same-as-main"]
    );
    for branch in &all {
        assert_eq!(branch.id, format!("refs/heads/{}", branch.display_id));
        assert_eq!(
            branch.latest_commit.as_deref(),
            Some(tip(&sim, "service", &branch.display_id).as_str())
        );
        assert_eq!(branch.is_default, branch.display_id == "main");
    }

    // A second branch containing "feature" shows why find() compares exactly.
    branches
        .create(&NewBranch::new("old-feature", "refs/heads/main"))
        .await
        .expect("create");
    let substring = branches
        .list(&BranchQuery::new().filter_text("feature"))
        .collect_all()
        .await
        .expect("filtered");
    assert_eq!(substring.len(), 2);
    let found = branches
        .find("feature")
        .await
        .expect("find")
        .expect("exists");
    assert_eq!(found.display_id, "feature");
    let by_ref = branches
        .find("refs/heads/feature")
        .await
        .expect("find")
        .expect("exists");
    assert_eq!(by_ref, found);
    assert_eq!(branches.find("featur").await.expect("find"), None);
    let nested = branches
        .find("fix/nested/deep")
        .await
        .expect("find")
        .expect("exists");
    assert_eq!(nested.id, "refs/heads/fix/nested/deep");

    let boosted = branches
        .list(&BranchQuery::new().filter_text("main").boost_matches(true))
        .collect_all()
        .await
        .expect("boosted");
    let boosted: Vec<&str> = boosted.iter().map(|b| b.display_id.as_str()).collect();
    assert_eq!(boosted, ["main", "same-as-main"]);
    let by_modification = branches
        .list(&BranchQuery::new().order_by(BranchOrder::Modification))
        .collect_all()
        .await
        .expect("ordered");
    assert_eq!(by_modification.len(), 5);

    let logged = rest_log(&sim);
    let find = logged
        .iter()
        .find(|r| r.query_param("filterText").as_deref() == Some("fix/nested/deep"))
        .expect("find sent the name as filterText");
    assert_eq!(find.query_param("boostMatches").as_deref(), Some("true"));
    assert!(find
        .query
        .as_deref()
        .is_some_and(|q| q.contains("filterText=fix%2Fnested%2Fdeep")));
    assert!(logged
        .iter()
        .any(|r| r.query_param("orderBy").as_deref() == Some("MODIFICATION")));
}

#[tokio::test]
async fn create_with_core_and_branch_utils_then_delete() {
    let sim = start().await;
    let alice = client(&sim, ALICE);
    let branches = alice.repo("PRJ", "service").branches();
    let main = tip(&sim, "service", "main");
    let feature = tip(&sim, "service", "feature");

    let core = branches
        .create(&NewBranch::new("release/1.0", &main).message("Cut release 1.0"))
        .await
        .expect("core create");
    assert_eq!(core.id, "refs/heads/release/1.0");
    assert_eq!(core.latest_commit.as_deref(), Some(main.as_str()));
    assert!(!core.is_default);
    let utils = branches
        .create_with_branch_utils(&NewBranch::new("hotfix/x", "refs/heads/feature"))
        .await
        .expect("branch-utils create");
    assert_eq!(utils.display_id, "hotfix/x");
    assert_eq!(utils.latest_commit.as_deref(), Some(feature.as_str()));
    assert_eq!(sim.branch_tip("PRJ", "service", "hotfix/x"), Some(feature));
    let statuses: Vec<(String, u16)> = rest_log(&sim)
        .iter()
        .map(|r| (r.path.clone(), r.status))
        .collect();
    assert_eq!(
        statuses,
        [
            (
                "/rest/api/latest/projects/PRJ/repos/service/branches".to_owned(),
                200
            ),
            (
                "/rest/branch-utils/latest/projects/PRJ/repos/service/branches".to_owned(),
                201
            ),
        ]
    );

    let duplicate = branches
        .create_with_branch_utils(&NewBranch::new("hotfix/x", &main))
        .await;
    assert!(
        matches!(duplicate, Err(Error::BadRequest { .. }))
            && duplicate
                .as_ref()
                .err()
                .and_then(Error::exception_name)
                .is_some_and(|n| n.ends_with("DuplicateRefException")),
        "{duplicate:?}"
    );
    let overlapping = branches
        .create_with_branch_utils(&NewBranch::new("hotfix", &main))
        .await;
    assert!(
        matches!(overlapping, Err(Error::Conflict { .. })),
        "{overlapping:?}"
    );
    let invalid = branches.create(&NewBranch::new("bad..name", &main)).await;
    assert!(
        matches!(invalid, Err(Error::BadRequest { .. })),
        "{invalid:?}"
    );
    let reader = client(&sim, BOB)
        .repo("PRJ", "service")
        .branches()
        .create(&NewBranch::new("bob", &main))
        .await;
    assert!(
        matches!(reader, Err(Error::NoPermission { .. })),
        "{reader:?}"
    );

    // Dry run: allowed, nothing deleted.
    branches
        .delete(&DeleteBranch::new("release/1.0").dry_run(true))
        .await
        .expect("dry run");
    assert!(sim.branch_tip("PRJ", "service", "release/1.0").is_some());
    // Optimistic delete with a stale end point is refused.
    let stale = branches
        .delete(&DeleteBranch::new("release/1.0").end_point(tip(&sim, "service", "feature")))
        .await;
    assert!(matches!(stale, Err(Error::BadRequest { .. })), "{stale:?}");
    assert!(sim.branch_tip("PRJ", "service", "release/1.0").is_some());
    branches
        .delete(&DeleteBranch::new("release/1.0").end_point(main.clone()))
        .await
        .expect("delete");
    assert_eq!(sim.branch_tip("PRJ", "service", "release/1.0"), None);
    // Deleting a missing branch succeeds (204), like the real server.
    branches
        .delete(&DeleteBranch::new("refs/heads/release/1.0"))
        .await
        .expect("idempotent delete");
    let default = branches.delete(&DeleteBranch::new("main")).await;
    assert!(
        matches!(default, Err(Error::BadRequest { .. })),
        "{default:?}"
    );
    assert_eq!(sim.branch_tip("PRJ", "service", "main"), Some(main));

    let deletes: Vec<_> = rest_log(&sim)
        .into_iter()
        .filter(|r| r.method == "DELETE")
        .collect();
    assert_eq!(deletes.len(), 5);
    for delete in &deletes {
        assert_eq!(
            delete.path,
            "/rest/branch-utils/latest/projects/PRJ/repos/service/branches"
        );
        // The body travels as JSON on the DELETE.
        assert_eq!(delete.header("content-type"), Some("application/json"));
    }
    assert_eq!(
        deletes.iter().map(|d| d.status).collect::<Vec<_>>(),
        [204, 400, 204, 204, 400]
    );
}
