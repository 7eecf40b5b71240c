//! The seed description: the builder (users with tokens, projects, repositories with files and branches,
//! permissions, TLS, context path); `populate` turns it into state and git, `simulator` starts it.

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use crate::state::Permission;
use crate::tls::TlsMaterial;

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
    pub(crate) auto_merge: bool,
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
            auto_merge: false,
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

    /// The repository's auto-merge setting (off by default, like the real server's): while it is off,
    /// `POST .../merge` with `autoMerge` and `POST .../auto-merge` answer 403.
    pub fn auto_merge(mut self, enabled: bool) -> Self {
        self.auto_merge = enabled;
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

/// Seeds and starts a [`Simulator`](crate::Simulator).
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
    pub(crate) rescope_delay: Option<Duration>,
    pub(crate) admin_endpoints: bool,
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
            rescope_delay: None,
            admin_endpoints: false,
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

    /// Rescopes pull requests this long after a push instead of at once, like the real server's asynchronous
    /// rescope: meanwhile `fromRef`/`toRef` keep their old commits and version, so a client acting on the version
    /// it read before the rescope lands meets a 409. [`Simulator::settle_rescopes`](crate::Simulator::settle_rescopes)
    /// waits for pending ones.
    pub fn rescope_delay(mut self, delay: Duration) -> Self {
        self.rescope_delay = Some(delay);
        self
    }

    /// Serves the simulator-only admin endpoints under `<base>/_sim/` (fault switches and the request log) to
    /// loopback peers; off by default, on in the `bitbucket-dc-sim` binary.
    pub fn admin_endpoints(mut self, enabled: bool) -> Self {
        self.admin_endpoints = enabled;
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
}
