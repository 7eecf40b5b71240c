//! Seeding: the builder (users with tokens, projects, repositories with files and branches, permissions, TLS,
//! context path) and `start`, which validates the seed, writes the git repositories and binds the server.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::error::SimError;
use crate::git::{Git, ImportCommit, ImportStream, Signature};
use crate::render::Links;
use crate::server::Shared;
use crate::state::{Level, Permission, Project, RefTip, Repo, State, Token, User};
use crate::Simulator;

/// A user to seed. Tokens work as `Authorization: Bearer <token>` and as the password of Basic `name:token`.
#[derive(Clone)]
pub struct UserSeed {
    pub(crate) name: String,
    pub(crate) display_name: Option<String>,
    pub(crate) email: Option<String>,
    pub(crate) password: Option<String>,
    pub(crate) tokens: Vec<(String, Option<Permission>)>,
    pub(crate) admin: bool,
}

impl fmt::Debug for UserSeed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserSeed")
            .field("name", &self.name)
            .field("display_name", &self.display_name)
            .field("email", &self.email)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("tokens", &format_args!("<{} redacted>", self.tokens.len()))
            .field("admin", &self.admin)
            .finish()
    }
}

impl UserSeed {
    /// A user named `name` (also its slug), e-mail `name@example.com`, display name = name.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            display_name: None,
            email: None,
            password: None,
            tokens: Vec::new(),
            admin: false,
        }
    }

    /// The display name (also the git author name of its commits).
    pub fn display_name(mut self, name: impl Into<String>) -> Self {
        self.display_name = Some(name.into());
        self
    }

    /// The e-mail address.
    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.email = Some(email.into());
        self
    }

    /// A password for Basic `name:password`.
    pub fn password(mut self, password: impl Into<String>) -> Self {
        self.password = Some(password.into());
        self
    }

    /// An HTTP access token with the user's full permissions.
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.tokens.push((token.into(), None));
        self
    }

    /// An HTTP access token capped at `permission` (e.g. `RepoRead` for a read-only token).
    pub fn token_with_permission(
        mut self,
        token: impl Into<String>,
        permission: Permission,
    ) -> Self {
        self.tokens.push((token.into(), Some(permission)));
        self
    }

    /// Makes the user a system administrator (every permission everywhere).
    pub fn admin(mut self, admin: bool) -> Self {
        self.admin = admin;
        self
    }
}

/// A project to seed (repositories name their project; undeclared projects are created for them).
#[derive(Debug, Clone)]
pub struct ProjectSeed {
    pub(crate) key: String,
    pub(crate) name: Option<String>,
    pub(crate) description: Option<String>,
    pub(crate) public: bool,
}

impl ProjectSeed {
    /// A project with key `key` (upper case letters, digits and `_`, or `~user` for a personal project).
    pub fn new(key: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            name: None,
            description: None,
            public: false,
        }
    }

    /// The display name (defaults to the key).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// A description.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Public projects are readable anonymously.
    pub fn public(mut self, public: bool) -> Self {
        self.public = public;
        self
    }
}

/// Files as (path, exact bytes).
pub(crate) type Files = Vec<(String, Vec<u8>)>;

/// A repository to seed. Without files or branches it starts empty (created lazily on first git access).
#[derive(Debug, Clone)]
pub struct RepoSeed {
    pub(crate) project: String,
    pub(crate) slug: String,
    pub(crate) name: Option<String>,
    pub(crate) description: Option<String>,
    pub(crate) default_branch: String,
    pub(crate) files: Vec<(String, Vec<u8>)>,
    pub(crate) branches: Vec<(String, Files)>,
    pub(crate) archived: bool,
    pub(crate) public: bool,
}

impl RepoSeed {
    /// Repository `slug` (lower case letters, digits, `-`, `_`, `.`) in project `project`; default branch `main`.
    pub fn new(project: impl Into<String>, slug: impl Into<String>) -> Self {
        Self {
            project: project.into(),
            slug: slug.into(),
            name: None,
            description: None,
            default_branch: "main".into(),
            files: Vec::new(),
            branches: Vec::new(),
            archived: false,
            public: false,
        }
    }

    /// The display name (defaults to the slug).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// A description.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// The default branch name (without `refs/heads/`).
    pub fn default_branch(mut self, branch: impl Into<String>) -> Self {
        self.default_branch = branch.into();
        self
    }

    /// A file in the initial commit of the default branch (exact bytes).
    pub fn file(mut self, path: impl Into<String>, content: impl Into<Vec<u8>>) -> Self {
        self.files.push((path.into(), content.into()));
        self
    }

    /// A branch at the default branch's initial commit.
    pub fn branch(mut self, name: impl Into<String>) -> Self {
        let name = name.into();
        if !self.branches.iter().any(|(b, _)| *b == name) {
            self.branches.push((name, Vec::new()));
        }
        self
    }

    /// A file committed on `branch` (one commit per branch, on top of the default branch).
    pub fn branch_file(
        mut self,
        branch: impl Into<String>,
        path: impl Into<String>,
        content: impl Into<Vec<u8>>,
    ) -> Self {
        let branch = branch.into();
        let entry = (path.into(), content.into());
        match self.branches.iter_mut().find(|(b, _)| *b == branch) {
            Some((_, files)) => files.push(entry),
            None => self.branches.push((branch, vec![entry])),
        }
        self
    }

    /// Archived repositories are read-only (writes answer 409).
    pub fn archived(mut self, archived: bool) -> Self {
        self.archived = archived;
        self
    }

    /// Public repositories are readable anonymously.
    pub fn public(mut self, public: bool) -> Self {
        self.public = public;
        self
    }

    pub(crate) fn has_content(&self) -> bool {
        !self.files.is_empty() || !self.branches.is_empty()
    }
}

/// Where a grant applies.
#[derive(Debug, Clone)]
pub(crate) struct Grant {
    pub(crate) user: String,
    pub(crate) permission: Permission,
    pub(crate) project: String,
    pub(crate) repo: Option<String>,
}

/// A project or repository HTTP access token (acts as a bot user, Bearer only).
#[derive(Clone)]
pub(crate) struct ScopedToken {
    pub(crate) token: String,
    pub(crate) project: String,
    pub(crate) repo: Option<String>,
    pub(crate) permission: Permission,
}

impl fmt::Debug for ScopedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScopedToken")
            .field("token", &"<redacted>")
            .field("project", &self.project)
            .field("repo", &self.repo)
            .field("permission", &self.permission)
            .finish()
    }
}

/// Certificate chain and private key, both PEM.
#[derive(Clone)]
pub(crate) struct TlsMaterial {
    pub(crate) cert_chain_pem: Vec<u8>,
    pub(crate) key_pem: Vec<u8>,
}

impl fmt::Debug for TlsMaterial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsMaterial")
            .field(
                "cert_chain_pem",
                &format_args!("{} bytes", self.cert_chain_pem.len()),
            )
            .field("key_pem", &"<redacted>")
            .finish()
    }
}

/// Seeds and starts a [`Simulator`].
#[derive(Debug, Clone)]
pub struct SimulatorBuilder {
    pub(crate) context_path: String,
    pub(crate) listen: SocketAddr,
    pub(crate) tls: Option<TlsMaterial>,
    pub(crate) users: Vec<UserSeed>,
    pub(crate) projects: Vec<ProjectSeed>,
    pub(crate) repos: Vec<RepoSeed>,
    pub(crate) grants: Vec<Grant>,
    pub(crate) scoped_tokens: Vec<ScopedToken>,
}

impl Default for SimulatorBuilder {
    fn default() -> Self {
        Self {
            context_path: String::new(),
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            tls: None,
            users: Vec::new(),
            projects: Vec::new(),
            repos: Vec::new(),
            grants: Vec::new(),
            scoped_tokens: Vec::new(),
        }
    }
}

impl SimulatorBuilder {
    /// Serves under a context path such as `/bitbucket` (base URL `http://host:port/bitbucket`).
    pub fn context_path(mut self, path: impl Into<String>) -> Self {
        let path = path.into();
        let trimmed = path.trim_matches('/');
        self.context_path = if trimmed.is_empty() {
            String::new()
        } else {
            format!("/{trimmed}")
        };
        self
    }

    /// The address to bind (default `127.0.0.1:0`, an ephemeral loopback port).
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.listen = addr;
        self
    }

    /// Serves HTTPS with this PEM certificate chain (leaf first) and PEM private key.
    pub fn tls(mut self, cert_chain_pem: impl Into<Vec<u8>>, key_pem: impl Into<Vec<u8>>) -> Self {
        self.tls = Some(TlsMaterial {
            cert_chain_pem: cert_chain_pem.into(),
            key_pem: key_pem.into(),
        });
        self
    }

    /// Adds a user.
    pub fn user(mut self, user: UserSeed) -> Self {
        self.users.push(user);
        self
    }

    /// Adds a project.
    pub fn project(mut self, project: ProjectSeed) -> Self {
        self.projects.push(project);
        self
    }

    /// Adds a repository.
    pub fn repo(mut self, repo: RepoSeed) -> Self {
        self.repos.push(repo);
        self
    }

    /// Grants a `PROJECT_*` permission on a project.
    pub fn grant_project(
        mut self,
        user: impl Into<String>,
        project: impl Into<String>,
        permission: Permission,
    ) -> Self {
        self.grants.push(Grant {
            user: user.into(),
            permission,
            project: project.into(),
            repo: None,
        });
        self
    }

    /// Grants a `REPO_*` permission on one repository.
    pub fn grant_repo(
        mut self,
        user: impl Into<String>,
        project: impl Into<String>,
        repo: impl Into<String>,
        permission: Permission,
    ) -> Self {
        self.grants.push(Grant {
            user: user.into(),
            permission,
            project: project.into(),
            repo: Some(repo.into()),
        });
        self
    }

    /// A project HTTP access token (`PROJECT_*` permission): Bearer only, acting as a bot user without an
    /// e-mail address, so it cannot edit files or merge through REST (403), like the real server.
    pub fn project_token(
        mut self,
        project: impl Into<String>,
        token: impl Into<String>,
        permission: Permission,
    ) -> Self {
        self.scoped_tokens.push(ScopedToken {
            token: token.into(),
            project: project.into(),
            repo: None,
            permission,
        });
        self
    }

    /// A repository HTTP access token (`REPO_*` permission), with the same limits as [`Self::project_token`].
    pub fn repo_token(
        mut self,
        project: impl Into<String>,
        repo: impl Into<String>,
        token: impl Into<String>,
        permission: Permission,
    ) -> Self {
        self.scoped_tokens.push(ScopedToken {
            token: token.into(),
            project: project.into(),
            repo: Some(repo.into()),
            permission,
        });
        self
    }

    /// Validates the seed, writes the git repositories, binds the socket and starts serving.
    pub async fn start(self) -> Result<Simulator, SimError> {
        let tls = match &self.tls {
            Some(material) => Some(crate::tls::acceptor(material)?),
            None => None,
        };
        let mut state = build_state(&self)?;
        let dir = tempfile::Builder::new()
            .prefix("bitbucket-dc-sim-")
            .tempdir()?;
        let home = dir.path().join("home");
        let repos_root = dir.path().join("repos");
        std::fs::create_dir_all(&home)?;
        std::fs::create_dir_all(&repos_root)?;
        let git = Git::new(home);
        for repo in state.repos.values_mut() {
            repo.path = repo_dir(&repos_root, &repo.project_key, &repo.slug);
        }
        seed_git(&git, &self.repos, &mut state).await?;

        let listener = TcpListener::bind(self.listen).await?;
        let addr = listener.local_addr()?;
        let scheme = if tls.is_some() { "https" } else { "http" };
        let host = match addr {
            SocketAddr::V4(v4) => v4.ip().to_string(),
            SocketAddr::V6(v6) => format!("[{}]", v6.ip()),
        };
        let base = url::Url::parse(&format!(
            "{scheme}://{host}:{}{}/",
            addr.port(),
            self.context_path
        ))
        .map_err(|err| {
            SimError::InvalidSeed(format!("context path gives an invalid url: {err}"))
        })?;
        let shared = Arc::new(Shared::new(
            state,
            git,
            Links { base: base.clone() },
            self.context_path.clone(),
            repos_root,
            Some(dir),
        ));
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let task = tokio::spawn(crate::server::serve(
            shared.clone(),
            listener,
            tls,
            shutdown_rx,
        ));
        tracing::info!(%base, "bitbucket data center simulator started");
        Ok(Simulator {
            shared,
            base_url: base,
            addr,
            shutdown: shutdown_tx,
            task: Some(task),
        })
    }
}

/// `<root>/<key lower-cased>/<slug>.git`.
pub(crate) fn repo_dir(root: &std::path::Path, key: &str, slug: &str) -> PathBuf {
    root.join(key.to_ascii_lowercase())
        .join(format!("{slug}.git"))
}

pub(crate) fn valid_project_key(key: &str) -> bool {
    if let Some(user) = key.strip_prefix('~') {
        return !user.is_empty()
            && user
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
    }
    !key.is_empty()
        && key.len() <= 128
        && key.starts_with(|c: char| c.is_ascii_alphabetic())
        && key
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

pub(crate) fn valid_slug(slug: &str) -> bool {
    !slug.is_empty()
        && slug.len() <= 128
        && slug != "."
        && slug != ".."
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c))
}

pub(crate) fn new_user(id: u64, seed: &UserSeed) -> User {
    User {
        id,
        name: seed.name.clone(),
        slug: seed.name.to_ascii_lowercase(),
        display_name: seed
            .display_name
            .clone()
            .unwrap_or_else(|| seed.name.clone()),
        email: seed
            .email
            .clone()
            .unwrap_or_else(|| format!("{}@example.com", seed.name.to_ascii_lowercase())),
        password: seed.password.clone(),
        active: true,
        admin: seed.admin,
        service: false,
    }
}

pub(crate) fn validate_user(seed: &UserSeed) -> Result<(), SimError> {
    let ok = !seed.name.is_empty()
        && seed
            .name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-@".contains(c));
    if !ok {
        return Err(SimError::InvalidSeed(format!(
            "user name \"{}\" must be non-empty ascii letters, digits, '.', '_', '-' or '@'",
            seed.name
        )));
    }
    Ok(())
}

fn build_state(b: &SimulatorBuilder) -> Result<State, SimError> {
    let mut state = State::default();
    let mut tokens_seen = HashSet::new();
    for seed in &b.users {
        validate_user(seed)?;
        if state.users.contains_key(&seed.name) {
            return Err(SimError::InvalidSeed(format!(
                "user \"{}\" is seeded twice",
                seed.name
            )));
        }
        state.next_user_id += 1;
        state
            .users
            .insert(seed.name.clone(), new_user(state.next_user_id, seed));
        for (token, cap) in &seed.tokens {
            if token.is_empty() || !tokens_seen.insert(token.clone()) {
                return Err(SimError::InvalidSeed(format!(
                    "user \"{}\" has an empty or duplicate token; every token must be unique",
                    seed.name
                )));
            }
            state.tokens.insert(
                token.clone(),
                Token {
                    user: seed.name.clone(),
                    cap: cap.map(Permission::level),
                    bearer_only: false,
                },
            );
        }
    }
    for seed in &b.projects {
        insert_project(&mut state, seed)?;
    }
    for seed in &b.repos {
        insert_repo(&mut state, seed)?;
    }
    for grant in &b.grants {
        apply_grant(&mut state, grant)?;
    }
    for (idx, scoped) in b.scoped_tokens.iter().enumerate() {
        if scoped.token.is_empty() || !tokens_seen.insert(scoped.token.clone()) {
            return Err(SimError::InvalidSeed(
                "a project or repository token is empty or duplicates another token".into(),
            ));
        }
        let bot = format!("bot-{}", idx + 1);
        state.next_user_id += 1;
        state.users.insert(
            bot.clone(),
            User {
                id: state.next_user_id,
                name: bot.clone(),
                slug: bot.clone(),
                display_name: format!(
                    "{} access token",
                    scoped.repo.as_deref().unwrap_or(&scoped.project)
                ),
                email: String::new(),
                password: None,
                active: true,
                admin: false,
                service: true,
            },
        );
        apply_grant(
            &mut state,
            &Grant {
                user: bot.clone(),
                permission: scoped.permission,
                project: scoped.project.clone(),
                repo: scoped.repo.clone(),
            },
        )?;
        state.tokens.insert(
            scoped.token.clone(),
            Token {
                user: bot,
                cap: Some(scoped.permission.level()),
                bearer_only: true,
            },
        );
    }
    Ok(state)
}

/// Adds a project to the model.
pub(crate) fn insert_project(state: &mut State, seed: &ProjectSeed) -> Result<(), SimError> {
    if !valid_project_key(&seed.key) {
        return Err(SimError::InvalidSeed(format!(
            "project key \"{}\" must be upper-case letters, digits and '_' starting with a letter (or ~user)",
            seed.key
        )));
    }
    if state.project(&seed.key).is_some() {
        return Err(SimError::InvalidSeed(format!(
            "project \"{}\" is seeded twice",
            seed.key
        )));
    }
    state.next_project_id += 1;
    state.projects.insert(
        seed.key.clone(),
        Project {
            id: state.next_project_id,
            key: seed.key.clone(),
            name: seed.name.clone().unwrap_or_else(|| seed.key.clone()),
            description: seed.description.clone(),
            public: seed.public,
        },
    );
    Ok(())
}

/// Adds a repository (and its project, when undeclared) to the model; returns its id.
pub(crate) fn insert_repo(state: &mut State, seed: &RepoSeed) -> Result<u64, SimError> {
    if state.project(&seed.project).is_none() {
        insert_project(state, &ProjectSeed::new(seed.project.clone()))?;
    }
    let project_key = state
        .project(&seed.project)
        .map(|p| p.key.clone())
        .unwrap_or_else(|| seed.project.clone());
    if !valid_slug(&seed.slug) {
        return Err(SimError::InvalidSeed(format!(
            "repository slug \"{}\" must be lower-case letters, digits, '-', '_' or '.'",
            seed.slug
        )));
    }
    if !crate::ops::valid_branch_name(&seed.default_branch) {
        return Err(SimError::InvalidSeed(format!(
            "default branch \"{}\" of {}/{} is not a valid branch name",
            seed.default_branch, seed.project, seed.slug
        )));
    }
    for (branch, files) in &seed.branches {
        if !crate::ops::valid_branch_name(branch) {
            return Err(SimError::InvalidSeed(format!(
                "branch \"{branch}\" is not a valid branch name"
            )));
        }
        if let Some((path, _)) = files.iter().find(|(p, _)| !crate::ops::valid_file_path(p)) {
            return Err(SimError::InvalidSeed(format!(
                "file path \"{path}\" is not valid"
            )));
        }
    }
    if let Some((path, _)) = seed
        .files
        .iter()
        .find(|(p, _)| !crate::ops::valid_file_path(p))
    {
        return Err(SimError::InvalidSeed(format!(
            "file path \"{path}\" is not valid"
        )));
    }
    let index_key = (project_key.to_ascii_uppercase(), seed.slug.clone());
    if state.repo_index.contains_key(&index_key) {
        return Err(SimError::InvalidSeed(format!(
            "repository {}/{} is seeded twice",
            seed.project, seed.slug
        )));
    }
    state.next_repo_id += 1;
    let id = state.next_repo_id;
    state.repo_index.insert(index_key, id);
    state.repos.insert(
        id,
        Repo {
            id,
            project_key,
            slug: seed.slug.clone(),
            name: seed.name.clone().unwrap_or_else(|| seed.slug.clone()),
            description: seed.description.clone(),
            default_branch: seed.default_branch.clone(),
            archived: seed.archived,
            public: seed.public,
            forkable: true,
            path: PathBuf::new(),
            initialized: false,
            refs: BTreeMap::new(),
            write_lock: Arc::new(tokio::sync::Mutex::new(())),
            next_pr_id: 0,
        },
    );
    Ok(id)
}

pub(crate) fn apply_grant(state: &mut State, grant: &Grant) -> Result<(), SimError> {
    if state.user(&grant.user).is_none() {
        return Err(SimError::InvalidSeed(format!(
            "grant names unknown user \"{}\"",
            grant.user
        )));
    }
    let Some(project) = state.project(&grant.project).map(|p| p.key.clone()) else {
        return Err(SimError::InvalidSeed(format!(
            "grant names unknown project \"{}\"",
            grant.project
        )));
    };
    let level: Level = grant.permission.level();
    match &grant.repo {
        None => {
            if !grant.permission.is_project() {
                return Err(SimError::InvalidSeed(format!(
                    "{} is a repository permission; use grant_repo",
                    grant.permission.as_str()
                )));
            }
            state
                .project_perms
                .insert((grant.user.clone(), project), level);
        }
        Some(slug) => {
            if grant.permission.is_project() {
                return Err(SimError::InvalidSeed(format!(
                    "{} is a project permission; use grant_project",
                    grant.permission.as_str()
                )));
            }
            let Some(id) = state.repo_id(&project, slug) else {
                return Err(SimError::InvalidSeed(format!(
                    "grant names unknown repository {project}/{slug}"
                )));
            };
            state.repo_perms.insert((grant.user.clone(), id), level);
        }
    }
    Ok(())
}

/// Writes every repository that has content with one `git fast-import` each (a few at a time).
async fn seed_git(git: &Git, seeds: &[RepoSeed], state: &mut State) -> Result<(), SimError> {
    let mut jobs = Vec::new();
    for seed in seeds.iter().filter(|s| s.has_content()) {
        let Some(id) = state.repo_id(&seed.project, &seed.slug) else {
            continue;
        };
        let Some(repo) = state.repo(id) else { continue };
        jobs.push((id, repo.path.clone(), seed.clone()));
    }
    let mut results: HashMap<u64, Vec<crate::git::RefEntry>> = HashMap::new();
    for chunk in jobs.chunks(4) {
        let mut set = tokio::task::JoinSet::new();
        for (id, path, seed) in chunk.iter().cloned() {
            let git = git.clone();
            set.spawn(async move {
                let refs = seed_one(&git, &path, &seed).await?;
                Ok::<_, SimError>((id, refs))
            });
        }
        while let Some(joined) = set.join_next().await {
            let (id, refs) = joined
                .map_err(|err| SimError::InvalidSeed(format!("seeding task failed: {err}")))??;
            results.insert(id, refs);
        }
    }
    for (id, refs) in results {
        if let Some(repo) = state.repo_mut(id) {
            repo.initialized = true;
            repo.refs = refs
                .into_iter()
                .map(|r| {
                    (
                        r.name,
                        RefTip {
                            sha: r.sha,
                            time: r.time,
                        },
                    )
                })
                .collect();
        }
    }
    Ok(())
}

pub(crate) async fn seed_one(
    git: &Git,
    path: &std::path::Path,
    seed: &RepoSeed,
) -> Result<Vec<crate::git::RefEntry>, SimError> {
    if let Some(parent) = path.parent() {
        tokio::fs::create_dir_all(parent).await?;
    }
    git.init_bare(path, &seed.default_branch).await?;
    let signature = Signature {
        name: "Bitbucket Simulator".into(),
        email: "simulator@example.invalid".into(),
        time: crate::state::now_ms() / 1000,
    };
    let default_ref = format!("refs/heads/{}", seed.default_branch);
    let mut stream = ImportStream::default();
    stream.commit(&ImportCommit {
        git_ref: &default_ref,
        author: &signature,
        message: "Initial commit",
        from: None,
        files: &seed.files,
    });
    for (branch, files) in &seed.branches {
        if *branch == seed.default_branch {
            continue;
        }
        let branch_ref = format!("refs/heads/{branch}");
        if files.is_empty() {
            stream.reset(&branch_ref, &default_ref);
        } else {
            let message = format!("Changes on {branch}");
            stream.commit(&ImportCommit {
                git_ref: &branch_ref,
                author: &signature,
                message: &message,
                from: Some(&default_ref),
                files,
            });
        }
    }
    if !stream.is_empty() {
        git.fast_import(path, &stream.into_bytes()).await?;
    }
    git.refs(path).await
}

#[cfg(test)]
mod tests;
