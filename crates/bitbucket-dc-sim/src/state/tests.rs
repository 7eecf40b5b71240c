//! Unit tests for the permission model.

use super::*;

fn state_with(public: bool) -> (State, u64) {
    let mut state = State::default();
    for (id, name, admin) in [(1, "alice", false), (2, "root", true)] {
        state.users.insert(
            name.into(),
            User {
                id,
                name: name.into(),
                slug: name.into(),
                display_name: name.into(),
                email: format!("{name}@x"),
                password: None,
                active: true,
                admin,
                service: false,
            },
        );
    }
    state.projects.insert(
        "PRJ".into(),
        Project {
            id: 1,
            key: "PRJ".into(),
            name: "PRJ".into(),
            description: None,
            public: false,
        },
    );
    state.repos.insert(
        7,
        Repo {
            id: 7,
            project_key: "PRJ".into(),
            slug: "r".into(),
            name: "r".into(),
            description: None,
            default_branch: "main".into(),
            archived: false,
            public,
            forkable: true,
            path: PathBuf::new(),
            initialized: false,
            refs: BTreeMap::new(),
            write_lock: Arc::default(),
            next_pr_id: 0,
            auto_merge: false,
        },
    );
    state.repo_index.insert(("PRJ".into(), "r".into()), 7);
    (state, 7)
}

fn caller(user: &str, cap: Option<Level>) -> Caller {
    Caller {
        user: user.into(),
        cap,
    }
}

#[test]
fn project_permission_implies_repository_access() {
    let (mut state, id) = state_with(false);
    let alice = caller("alice", None);
    assert_eq!(
        state.repo_level(Some(&alice), state.repo(id).expect("repo")),
        None
    );
    state
        .project_perms
        .insert(("alice".into(), "PRJ".into()), Level::Write);
    assert_eq!(
        state.repo_level(Some(&alice), state.repo(id).expect("repo")),
        Some(Level::Write)
    );
    assert!(state.project_visible(Some(&alice), "PRJ"));
}

#[test]
fn repository_permission_and_token_cap_combine() {
    let (mut state, id) = state_with(false);
    state.repo_perms.insert(("alice".into(), id), Level::Admin);
    let capped = caller("alice", Some(Level::Read));
    let repo = state.repo(id).expect("repo");
    assert_eq!(state.repo_level(Some(&capped), repo), Some(Level::Read));
    assert_eq!(
        state.repo_level(Some(&caller("alice", None)), repo),
        Some(Level::Admin)
    );
    assert!(state.project_visible(Some(&capped), "PRJ"));
    assert!(state.project_level(Some(&capped), "PRJ").is_none());
}

#[test]
fn public_repositories_are_readable_anonymously_and_admins_see_all() {
    let (state, id) = state_with(true);
    let repo = state.repo(id).expect("repo");
    assert_eq!(state.repo_level(None, repo), Some(Level::Read));
    assert_eq!(
        state.repo_level(Some(&caller("root", None)), repo),
        Some(Level::Admin)
    );
    let (private, id) = state_with(false);
    assert_eq!(
        private.repo_level(None, private.repo(id).expect("repo")),
        None
    );
}

#[test]
fn inactive_users_have_no_access() {
    let (mut state, id) = state_with(true);
    if let Some(u) = state.users.get_mut("alice") {
        u.active = false;
    }
    assert_eq!(
        state.repo_level(Some(&caller("alice", None)), state.repo(id).expect("repo")),
        None
    );
}

#[test]
fn permission_names_round_trip_and_lookups_ignore_case() {
    for p in [
        Permission::ProjectRead,
        Permission::ProjectWrite,
        Permission::ProjectAdmin,
        Permission::RepoRead,
        Permission::RepoWrite,
        Permission::RepoAdmin,
    ] {
        assert_eq!(Permission::parse(p.as_str()), Some(p));
    }
    assert_eq!(Permission::parse("REPO_EXECUTE"), None);
    let (state, id) = state_with(false);
    assert_eq!(state.repo_id("prj", "R"), Some(id));
    assert_eq!(full_branch("main"), "refs/heads/main");
    assert_eq!(full_branch("refs/heads/a/b"), "refs/heads/a/b");
    assert_eq!(display_ref("refs/heads/a/b"), "a/b");
}
