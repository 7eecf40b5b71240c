//! Server-level calls (application properties, identity, users, repository and project search,
//! escape hatches), context-path base URLs, and HTTPS through a caller-supplied connector.

use std::collections::BTreeSet;

use bitbucket_dc::{
    encode, Client, Credentials, Error, NotFoundKind, Permission, ProjectSearch, RepoSearch,
    UserQuery,
};
use bitbucket_dc_sim::{AuthScheme, SIMULATED_VERSION};
use gitproxy_test_support::Pki;
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::Value;

use crate::support::{
    base, builder, client, rest_log, seed, start, tip, ALICE, ALICE_PASSWORD, BOB, CAROL,
};

fn names<T>(items: &[T], name: impl Fn(&T) -> &str) -> BTreeSet<String> {
    items.iter().map(|item| name(item).to_owned()).collect()
}

fn set(values: &[&str]) -> BTreeSet<String> {
    values.iter().map(|v| (*v).to_owned()).collect()
}

#[tokio::test]
async fn properties_and_identity_for_every_credential_form() {
    let sim = start().await;
    let anonymous = Client::new(base(&sim), Credentials::anonymous()).expect("client");
    assert!(anonymous.credentials().is_anonymous());
    assert_eq!(anonymous.credentials().username(), None);
    let props = anonymous.server().properties().await.expect("properties");
    assert_eq!(props.version, SIMULATED_VERSION);
    assert_eq!(props.display_name, "Bitbucket");
    assert!(!props.build_number.is_empty());
    assert_eq!(props.version_triple(), Some((9, 4, 3)));
    assert!(props.is_at_least(9, 4, 0) && !props.is_at_least(9, 5, 0));
    assert_eq!(anonymous.whoami().await.expect("anonymous whoami"), None);

    let bearer = client(&sim, ALICE);
    // A Bearer token names no user: ask the server who it is.
    assert_eq!(bearer.credentials().username(), None);
    let info = bearer.server().info().await.expect("info");
    assert_eq!(info.authenticated_user.as_deref(), Some("alice"));
    assert_eq!(info.properties, props);
    assert_eq!(
        bearer.server().whoami().await.expect("whoami").as_deref(),
        Some("alice")
    );

    for secret in [BOB, "bob-password-is-not-set"] {
        let basic = Client::new(
            base(&sim),
            Credentials::basic("bob", secret).expect("credentials"),
        )
        .expect("client");
        assert_eq!(basic.credentials().username(), Some("bob"));
        assert!(!basic.credentials().is_anonymous());
        let answer = basic.whoami().await;
        if secret == BOB {
            assert_eq!(answer.expect("basic with a token").as_deref(), Some("bob"));
        } else {
            assert!(
                matches!(answer, Err(Error::BadCredential { ref user, .. }) if user.as_deref() == Some("bob")),
                "{answer:?}"
            );
        }
    }
    let password = Client::new(
        base(&sim),
        Credentials::basic("alice", ALICE_PASSWORD).expect("credentials"),
    )
    .expect("client");
    assert_eq!(
        password
            .whoami()
            .await
            .expect("basic with a password")
            .as_deref(),
        Some("alice")
    );

    let schemes: Vec<AuthScheme> = rest_log(&sim).iter().map(|r| r.auth).collect();
    assert_eq!(
        schemes,
        vec![
            AuthScheme::None,
            AuthScheme::None,
            AuthScheme::Bearer,
            AuthScheme::Bearer,
            AuthScheme::Basic,
            AuthScheme::Basic,
            AuthScheme::Basic,
        ]
    );
    assert!(rest_log(&sim)
        .iter()
        .all(|r| r.path == "/rest/api/latest/application-properties"));
}

#[tokio::test]
async fn users_by_slug_and_by_permission_filters() {
    let sim = start().await;
    let alice = client(&sim, ALICE);
    let bob = alice.users().get("bob").await.expect("bob");
    assert_eq!(bob.name, "bob");
    assert_eq!(bob.slug, "bob");
    assert_eq!(bob.display_name, "Bob Reviewer");
    assert_eq!(bob.email_address.as_deref(), Some("bob@example.com"));
    assert!(bob.active);
    assert!(bob.id > 0);

    let missing = alice.users().get("nobody").await;
    assert!(
        matches!(
            missing,
            Err(Error::NotFound {
                kind: NotFoundKind::User,
                ..
            })
        ),
        "{missing:?}"
    );

    let by_text = alice
        .users()
        .list(&UserQuery::new().filter("ALICE@example"))
        .collect_all()
        .await
        .expect("filter");
    assert_eq!(names(&by_text, |u| &u.name), set(&["alice"]));

    let list = |query: UserQuery| {
        let alice = alice.clone();
        async move {
            let users = alice
                .users()
                .list(&query)
                .collect_all()
                .await
                .expect("list");
            names(&users, |u| &u.name)
        }
    };
    assert_eq!(
        list(UserQuery::new().repo_permission(Permission::RepoRead, "PRJ", "service")).await,
        set(&["admin", "alice", "bob"])
    );
    assert_eq!(
        list(UserQuery::new().repo_permission(Permission::RepoWrite, "PRJ", "service")).await,
        set(&["admin", "alice"])
    );
    assert_eq!(
        list(UserQuery::new().project_permission(Permission::ProjectAdmin, "PRJ")).await,
        set(&["admin", "alice"])
    );
    assert_eq!(
        list(UserQuery::new().global_permission(Permission::LicensedUser)).await,
        set(&["admin", "alice", "bob", "carol"])
    );
    assert_eq!(
        list(UserQuery::new().global_permission(Permission::SysAdmin)).await,
        set(&["admin"])
    );

    let logged = rest_log(&sim);
    let filtered = logged
        .iter()
        .find(|r| r.query_param("permission.1") == Some("REPO_WRITE".into()))
        .expect("the permission filter was sent");
    assert_eq!(filtered.path, "/rest/api/latest/users");
    assert_eq!(
        filtered.query_param("permission.1.projectKey").as_deref(),
        Some("PRJ")
    );
    assert_eq!(
        filtered
            .query_param("permission.1.repositorySlug")
            .as_deref(),
        Some("service")
    );
}

#[tokio::test]
async fn repository_search_and_permission_checks() {
    let sim = start().await;
    let alice = client(&sim, ALICE);
    let bob = client(&sim, BOB);
    let carol = client(&sim, CAROL);

    let writable = alice
        .repositories()
        .search(
            &RepoSearch::new()
                .permission(Permission::RepoWrite)
                .project_key("PRJ"),
        )
        .collect_all()
        .await
        .expect("search");
    // Archived repositories are left out by default, like the real server's `archived=ACTIVE`.
    assert_eq!(names(&writable, |r| &r.slug), set(&["empty", "service"]));
    assert!(writable.iter().all(|r| r.project.key == "PRJ"));

    let bob_writes = bob
        .repositories()
        .search(&RepoSearch::new().permission(Permission::RepoWrite))
        .collect_all()
        .await
        .expect("search");
    assert!(bob_writes.is_empty());
    let bob_reads = bob
        .repositories()
        .search(&RepoSearch::new())
        .collect_all()
        .await
        .expect("search");
    assert_eq!(names(&bob_reads, |r| &r.slug), set(&["service", "tools"]));
    let by_name = alice
        .repositories()
        .search(&RepoSearch::new().name("SERV"))
        .collect_all()
        .await
        .expect("search");
    assert_eq!(names(&by_name, |r| &r.slug), set(&["service"]));

    let repos = alice.repositories();
    assert!(repos
        .has_permission("PRJ", "service", Permission::RepoWrite)
        .await
        .expect("check"));
    assert!(repos
        .has_permission("PRJ", "service", Permission::RepoAdmin)
        .await
        .expect("check"));
    assert!(bob
        .repositories()
        .has_permission("PRJ", "service", Permission::RepoRead)
        .await
        .expect("check"));
    assert!(!bob
        .repositories()
        .has_permission("PRJ", "service", Permission::RepoWrite)
        .await
        .expect("check"));
    assert!(!carol
        .repositories()
        .has_permission("PRJ", "service", Permission::RepoRead)
        .await
        .expect("check"));
    // Archived repositories are still readable: the check must not miss them.
    assert!(repos
        .has_permission("PRJ", "archived", Permission::RepoRead)
        .await
        .expect("check"));
    assert!(!carol
        .repositories()
        .has_permission("PRJ", "archived", Permission::RepoRead)
        .await
        .expect("check"));

    let searches: Vec<_> = rest_log(&sim)
        .into_iter()
        .filter(|r| r.path == "/rest/api/latest/repos")
        .collect();
    assert_eq!(
        searches[0].query_param("permission").as_deref(),
        Some("REPO_WRITE")
    );
    assert_eq!(
        searches[0].query_param("projectkey").as_deref(),
        Some("PRJ")
    );
    assert_eq!(
        searches[0].query_param("state").as_deref(),
        Some("AVAILABLE")
    );
    // has_permission looks at repositories in any state, archived ones included.
    let check = searches.last().expect("search");
    assert!(check.query_param("state").is_none());
    assert_eq!(check.query_param("archived").as_deref(), Some("ALL"));
}

#[tokio::test]
async fn project_search_by_name_and_permission() {
    let sim = start().await;
    let alice = client(&sim, ALICE);
    let carol = client(&sim, CAROL);
    let all = alice
        .projects(&ProjectSearch::new())
        .collect_all()
        .await
        .expect("projects");
    assert_eq!(names(&all, |p| &p.key), set(&["OTHER", "PRJ"]));
    let administered = alice
        .projects(&ProjectSearch::new().permission(Permission::ProjectAdmin))
        .collect_all()
        .await
        .expect("projects");
    assert_eq!(names(&administered, |p| &p.key), set(&["PRJ"]));
    let by_name = alice
        .projects(&ProjectSearch::new().name("oth"))
        .collect_all()
        .await
        .expect("projects");
    assert_eq!(names(&by_name, |p| &p.key), set(&["OTHER"]));
    // carol sees only the public project.
    let visible = carol
        .projects(&ProjectSearch::new())
        .collect_all()
        .await
        .expect("projects");
    assert_eq!(names(&visible, |p| &p.key), set(&["OTHER"]));
    assert!(visible[0].public);
}

#[tokio::test]
async fn escape_hatches_reach_endpoints_without_typed_methods() {
    let sim = start().await;
    let alice = client(&sim, ALICE);
    let settings: Value = alice
        .get_json(
            "/api/latest/projects/PRJ/repos/service/settings/pull-requests",
            &[],
        )
        .await
        .expect("settings");
    assert_eq!(settings["mergeConfig"]["defaultStrategy"]["id"], "no-ff");
    let repos: Vec<Value> = alice
        .get_paged("/api/latest/repos", &[("projectkey", "PRJ")])
        .limit(1)
        .collect_all()
        .await
        .expect("paged");
    let slugs: BTreeSet<String> = repos
        .iter()
        .filter_map(|r| r["slug"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(slugs, set(&["empty", "service"]));
    // Path segments and file paths are encoded with the crate's own rules.
    let bob: Value = alice
        .get_json(
            &format!("/api/latest/users/{}", encode::segment("bob")),
            &[],
        )
        .await
        .expect("user");
    assert_eq!(bob["emailAddress"], "bob@example.com");
    let main = tip(&sim, "service", "main");
    assert!(encode::is_commit_sha(&main) && !encode::is_commit_sha("main"));
    let lines: Value = alice
        .get_json(
            &format!(
                "/api/latest/projects/PRJ/repos/service/browse/{}",
                encode::file_path("docs/hash#tag.md").expect("a file path")
            ),
            &[("at", &encode::branch_ref("main"))],
        )
        .await
        .expect("browse");
    assert_eq!(lines["lines"][0]["text"], "hash");
    assert_eq!(
        encode::query_value("refs/heads/a+b"),
        "refs%2Fheads%2Fa%2Bb"
    );
    let missing = alice
        .get_json::<Value>("/api/latest/no-such-resource", &[])
        .await;
    assert!(
        matches!(
            missing,
            Err(Error::NotFound {
                kind: NotFoundKind::Route,
                ..
            })
        ),
        "{missing:?}"
    );
}

#[tokio::test]
async fn context_path_base_urls_are_joined_not_replaced() {
    let sim = seed()
        .context_path("/bitbucket")
        .start()
        .await
        .expect("simulator");
    let with_slash = base(&sim);
    assert!(with_slash.ends_with("/bitbucket/"), "{with_slash}");
    let without_slash = with_slash.trim_end_matches('/').to_owned();
    for url in [&with_slash, &without_slash] {
        let alice = Client::builder(url.as_str())
            .credentials(Credentials::bearer(ALICE).expect("token"))
            .build()
            .expect("client");
        assert_eq!(alice.base_url(), without_slash);
        let repo = alice
            .repo("PRJ", "service")
            .get()
            .await
            .expect("repository");
        assert_eq!(repo.slug, "service");
        assert_eq!(
            alice.http_clone_url(&repo),
            format!("{without_slash}/scm/prj/service.git")
        );
        assert_eq!(
            alice
                .repo("PRJ", "service")
                .http_clone_url()
                .await
                .expect("clone url"),
            sim.clone_url("PRJ", "service").as_str()
        );
    }
    let logged = rest_log(&sim);
    assert_eq!(logged.len(), 4);
    assert!(logged
        .iter()
        .all(|r| r.path == "/bitbucket/rest/api/latest/projects/PRJ/repos/service"));

    // Forgetting the context path reaches the server's router, not Bitbucket's REST API.
    let origin_only = Client::builder(format!("http://{}", sim.addr()))
        .credentials(Credentials::bearer(ALICE).expect("token"))
        .build()
        .expect("client");
    let lost = origin_only.repo("PRJ", "service").get().await;
    assert!(
        matches!(
            lost,
            Err(Error::NotFound {
                kind: NotFoundKind::Route,
                ..
            })
        ),
        "{lost:?}"
    );
}

#[tokio::test]
async fn https_through_a_caller_supplied_connector_with_a_private_ca() {
    let pki = Pki::new("bitbucket-dc test CA").expect("ca");
    let leaf = pki.issue(&["127.0.0.1", "localhost"]).expect("leaf");
    let sim = seed()
        .tls(leaf.chain_pem(), leaf.key_pem())
        .start()
        .await
        .expect("simulator");
    assert_eq!(sim.base_url().scheme(), "https");

    // The caller builds its own connector (here hyper-rustls trusting only the test CA) and
    // hands it in; the client never builds a trust store of its own for it.
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(pki.client_config().expect("client tls"))
        .https_only()
        .enable_http1()
        .enable_http2()
        .wrap_connector(http);
    let alice = builder(&sim, ALICE)
        .connector(connector)
        .build()
        .expect("client");
    assert_eq!(
        alice.whoami().await.expect("whoami").as_deref(),
        Some("alice")
    );
    let repo = alice
        .repo("PRJ", "service")
        .get()
        .await
        .expect("repository");
    assert!(alice
        .http_clone_url(&repo)
        .starts_with("https://127.0.0.1:"));
    let readme = alice
        .repo("PRJ", "service")
        .files()
        .raw("README.md", None)
        .await
        .expect("raw");
    assert_eq!(&readme[..], b"# service\n");
    assert_eq!(rest_log(&sim).len(), 3);
}

/// The built-in HTTPS support (the `rustls` feature): a private CA through `tls_config`, and a
/// handshake with an untrusted certificate reported as `Error::Tls`.
#[cfg(feature = "rustls")]
#[tokio::test]
async fn https_through_tls_config_with_a_private_ca() {
    let pki = Pki::new("bitbucket-dc test CA").expect("ca");
    let leaf = pki.issue(&["127.0.0.1", "localhost"]).expect("leaf");
    let sim = seed()
        .tls(leaf.chain_pem(), leaf.key_pem())
        .start()
        .await
        .expect("simulator");

    let via_config = builder(&sim, ALICE)
        .tls_config(pki.client_config().expect("client tls"))
        .build()
        .expect("client");
    assert_eq!(
        via_config.whoami().await.expect("whoami").as_deref(),
        Some("alice")
    );

    // A client trusting another CA fails the handshake with a TLS error, not a retry loop.
    let stranger = Pki::new("some other CA").expect("ca");
    let untrusting = builder(&sim, ALICE)
        .tls_config(stranger.client_config().expect("client tls"))
        .build()
        .expect("client");
    let failed = untrusting.whoami().await;
    match failed {
        Err(Error::Tls { target, detail }) => {
            assert_eq!(target, format!("127.0.0.1:{}", sim.addr().port()));
            assert!(detail.to_lowercase().contains("certificate"), "{detail}");
        }
        other => panic!("expected a TLS error, got {other:?}"),
    }
    assert_eq!(rest_log(&sim).len(), 1, "the failed handshake sent nothing");
}
