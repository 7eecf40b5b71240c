//! Seed files (JSON or TOML) describing users, tokens, projects, repositories with files, and permissions,
//! plus the built-in demo seed the binary serves by default.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::builder::{ProjectSeed, RepoSeed, SimulatorBuilder, UserSeed};
use crate::error::SimError;
use crate::state::Permission;

/// A whole seed, as read from a file.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Seed {
    /// Optional context path such as `/bitbucket`.
    #[serde(default)]
    pub context_path: Option<String>,
    /// Users and their tokens.
    #[serde(default)]
    pub users: Vec<SeedUser>,
    /// Projects and their repositories.
    #[serde(default)]
    pub projects: Vec<SeedProject>,
    /// Permission grants.
    #[serde(default)]
    pub permissions: Vec<SeedPermission>,
}

/// A user of a seed file.
#[derive(Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedUser {
    /// User name (also the slug).
    pub name: String,
    /// Display name.
    #[serde(default)]
    pub display_name: Option<String>,
    /// E-mail address.
    #[serde(default)]
    pub email: Option<String>,
    /// Password for Basic auth.
    #[serde(default)]
    pub password: Option<String>,
    /// HTTP access tokens.
    #[serde(default)]
    pub tokens: Vec<String>,
    /// System administrator.
    #[serde(default)]
    pub admin: bool,
}

impl std::fmt::Debug for SeedUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SeedUser")
            .field("name", &self.name)
            .field("display_name", &self.display_name)
            .field("email", &self.email)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("tokens", &format_args!("<{} redacted>", self.tokens.len()))
            .field("admin", &self.admin)
            .finish()
    }
}

/// A project of a seed file.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedProject {
    /// Project key.
    pub key: String,
    /// Display name.
    #[serde(default)]
    pub name: Option<String>,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Anonymous read access.
    #[serde(default)]
    pub public: bool,
    /// Repositories of the project.
    #[serde(default)]
    pub repos: Vec<SeedRepo>,
}

/// A repository of a seed file.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedRepo {
    /// Repository slug.
    pub slug: String,
    /// Display name.
    #[serde(default)]
    pub name: Option<String>,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Default branch (default `main`).
    #[serde(default)]
    pub default_branch: Option<String>,
    /// Archived (read-only).
    #[serde(default)]
    pub archived: bool,
    /// Anonymous read access.
    #[serde(default)]
    pub public: bool,
    /// Files of the default branch: path -> text content.
    #[serde(default)]
    pub files: BTreeMap<String, String>,
    /// Other branches: name -> files committed on top of the default branch.
    #[serde(default)]
    pub branches: BTreeMap<String, SeedBranch>,
}

/// A branch of a seed file.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedBranch {
    /// Files changed on the branch: path -> text content.
    #[serde(default)]
    pub files: BTreeMap<String, String>,
}

/// A permission grant of a seed file (`repo` absent for `PROJECT_*` permissions).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedPermission {
    /// User name.
    pub user: String,
    /// `PROJECT_READ` ... `REPO_ADMIN`.
    pub permission: Permission,
    /// Project key.
    pub project: String,
    /// Repository slug, for `REPO_*` permissions.
    #[serde(default)]
    pub repo: Option<String>,
}

impl Seed {
    /// Reads a seed file: TOML when the name ends in `.toml`, JSON otherwise.
    pub fn from_path(path: &Path) -> Result<Self, SimError> {
        let fail = |reason: String| SimError::SeedFile {
            path: path.display().to_string(),
            reason,
        };
        let text = std::fs::read_to_string(path).map_err(|err| fail(err.to_string()))?;
        if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("toml"))
        {
            toml::from_str(&text).map_err(|err| fail(err.to_string()))
        } else {
            serde_json::from_str(&text).map_err(|err| fail(err.to_string()))
        }
    }

    /// The built-in demo: project `DEMO` with a Cargo, an npm and a Python repository and an empty one; users
    /// `admin` (system admin), `alice` (PROJECT_WRITE), `bob` (REPO_READ on `demo-service`).
    pub fn demo() -> Self {
        let user = |name: &str, display: &str, token: &str, admin: bool| SeedUser {
            name: name.into(),
            display_name: Some(display.into()),
            email: Some(format!("{name}@example.com")),
            password: Some(format!("{name}-password")),
            tokens: vec![token.into()],
            admin,
        };
        let files = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(p, c)| ((*p).to_owned(), (*c).to_owned()))
                .collect::<BTreeMap<_, _>>()
        };
        Self {
            context_path: None,
            users: vec![
                user("admin", "Administrator", "admin-token", true),
                user("alice", "Alice Developer", "alice-token", false),
                user("bob", "Bob Reviewer", "bob-token", false),
            ],
            projects: vec![SeedProject {
                key: "DEMO".into(),
                name: Some("Demo project".into()),
                description: Some("Repositories served by the simulator's demo seed".into()),
                public: false,
                repos: vec![
                    SeedRepo {
                        slug: "demo-service".into(),
                        name: Some("demo-service".into()),
                        files: files(&[
                            ("README.md", "# demo-service\n\nA Rust service with a vulnerable dependency.\n"),
                            ("Cargo.toml", "[package]\nname = \"demo-service\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\ntime = \"0.1.45\"\n"),
                            ("src/main.rs", "fn main() {\n    println!(\"hello\");\n}\n"),
                        ]),
                        branches: BTreeMap::from([(
                            "feature/readme".to_owned(),
                            SeedBranch {
                                files: files(&[("README.md", "# demo-service\n\nBetter docs.\n")]),
                            },
                        )]),
                        ..SeedRepo::default()
                    },
                    SeedRepo {
                        slug: "demo-web".into(),
                        name: Some("demo-web".into()),
                        files: files(&[
                            ("package.json", "{\n  \"name\": \"demo-web\",\n  \"version\": \"1.0.0\",\n  \"dependencies\": {\n    \"lodash\": \"4.17.15\"\n  }\n}\n"),
                            ("index.js", "console.log('hello');\n"),
                        ]),
                        ..SeedRepo::default()
                    },
                    SeedRepo {
                        slug: "demo-python".into(),
                        name: Some("demo-python".into()),
                        files: files(&[("requirements.txt", "requests==2.19.0\n")]),
                        ..SeedRepo::default()
                    },
                    SeedRepo {
                        slug: "empty".into(),
                        name: Some("empty".into()),
                        ..SeedRepo::default()
                    },
                ],
            }],
            permissions: vec![
                SeedPermission {
                    user: "alice".into(),
                    permission: Permission::ProjectWrite,
                    project: "DEMO".into(),
                    repo: None,
                },
                SeedPermission {
                    user: "bob".into(),
                    permission: Permission::RepoRead,
                    project: "DEMO".into(),
                    repo: Some("demo-service".into()),
                },
            ],
        }
    }

    /// Adds everything in this seed to a builder.
    pub fn apply(self, mut builder: SimulatorBuilder) -> SimulatorBuilder {
        if let Some(path) = self.context_path {
            builder = builder.context_path(path);
        }
        for u in self.users {
            let mut seed = UserSeed::new(u.name).admin(u.admin);
            if let Some(d) = u.display_name {
                seed = seed.display_name(d);
            }
            if let Some(e) = u.email {
                seed = seed.email(e);
            }
            if let Some(p) = u.password {
                seed = seed.password(p);
            }
            for t in u.tokens {
                seed = seed.token(t);
            }
            builder = builder.user(seed);
        }
        for p in self.projects {
            let mut project = ProjectSeed::new(p.key.clone()).public(p.public);
            if let Some(n) = p.name {
                project = project.name(n);
            }
            if let Some(d) = p.description {
                project = project.description(d);
            }
            builder = builder.project(project);
            for r in p.repos {
                let mut repo = RepoSeed::new(p.key.clone(), r.slug)
                    .archived(r.archived)
                    .public(r.public);
                if let Some(n) = r.name {
                    repo = repo.name(n);
                }
                if let Some(d) = r.description {
                    repo = repo.description(d);
                }
                if let Some(b) = r.default_branch {
                    repo = repo.default_branch(b);
                }
                for (path, content) in r.files {
                    repo = repo.file(path, content);
                }
                for (branch, b) in r.branches {
                    repo = repo.branch(branch.clone());
                    for (path, content) in b.files {
                        repo = repo.branch_file(branch.clone(), path, content);
                    }
                }
                builder = builder.repo(repo);
            }
        }
        for g in self.permissions {
            builder = match g.repo {
                Some(repo) => builder.grant_repo(g.user, g.project, repo, g.permission),
                None => builder.grant_project(g.user, g.project, g.permission),
            };
        }
        builder
    }
}

#[cfg(test)]
mod tests;
