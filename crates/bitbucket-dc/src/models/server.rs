//! Server-level models: application properties, users, permissions.

use serde::{Deserialize, Serialize};

use super::common::Links;
use super::string_enum;

/// `GET /rest/api/latest/application-properties`: the server's version and build.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct ApplicationProperties {
    /// Product version, e.g. `9.4.3`.
    pub version: String,
    /// Build number.
    pub build_number: String,
    /// Build date as epoch milliseconds, in a string.
    pub build_date: String,
    /// Product name, normally `Bitbucket`.
    pub display_name: String,
}

impl ApplicationProperties {
    /// The numeric `major.minor.patch` of [`version`](Self::version), missing parts as 0;
    /// `None` when the version does not start with a number.
    pub fn version_triple(&self) -> Option<(u32, u32, u32)> {
        let mut parts = self
            .version
            .split(['.', '-'])
            .map(|part| part.parse::<u32>());
        let major = parts.next()?.ok()?;
        let minor = parts.next().and_then(Result::ok).unwrap_or(0);
        let patch = parts.next().and_then(Result::ok).unwrap_or(0);
        Some((major, minor, patch))
    }

    /// Whether the server version is at least `major.minor.patch` (false when unparsable), for
    /// feature gates such as repository-scoped builds (7.14), auto-merge (8.15), drafts (8.18).
    pub fn is_at_least(&self, major: u32, minor: u32, patch: u32) -> bool {
        self.version_triple()
            .is_some_and(|version| version >= (major, minor, patch))
    }
}

/// Application properties together with the identity of the credential.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerInfo {
    /// The server's version and build.
    pub properties: ApplicationProperties,
    /// The user name the server authenticated the credential as (the `X-AUSERNAME` response
    /// header); `None` for anonymous access.
    pub authenticated_user: Option<String>,
}

string_enum! {
    /// `RestApplicationUser.type`.
    UserType {
        /// A regular user.
        Normal = "NORMAL",
        /// A service user (e.g. behind a project or repository access token).
        Service = "SERVICE",
    }
}

/// `RestApplicationUser`: a Bitbucket user.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct User {
    /// The user name: what reviewers, `X-AUSERNAME` and Basic auth use.
    pub name: String,
    /// The e-mail address; absent for users without one.
    pub email_address: Option<String>,
    /// Numeric id.
    pub id: i64,
    /// Display name.
    pub display_name: String,
    /// Whether the account is active.
    pub active: bool,
    /// The URL slug (differs from `name` in general).
    pub slug: String,
    /// Normal or service user.
    #[serde(rename = "type")]
    pub user_type: UserType,
    /// Links.
    pub links: Links,
}

string_enum! {
    /// A permission, as used by `/repos?permission=` and `/users?permission.N=`.
    Permission {
        /// Any licensed user.
        LicensedUser = "LICENSED_USER",
        /// May create projects.
        ProjectCreate = "PROJECT_CREATE",
        /// Administrator.
        Admin = "ADMIN",
        /// System administrator.
        SysAdmin = "SYS_ADMIN",
        /// Project read.
        ProjectRead = "PROJECT_READ",
        /// Project write.
        ProjectWrite = "PROJECT_WRITE",
        /// Project admin.
        ProjectAdmin = "PROJECT_ADMIN",
        /// Repository read.
        RepoRead = "REPO_READ",
        /// Repository write: push and pull request actions.
        RepoWrite = "REPO_WRITE",
        /// Repository admin.
        RepoAdmin = "REPO_ADMIN",
    }
}

/// Filter for `GET /rest/api/latest/users`: a substring `filter` on user name, display name and
/// e-mail, and up to 50 permission filters (`permission.N`, `permission.N.projectKey`,
/// `permission.N.repositorySlug`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct UserQuery {
    /// Substring filter on user name, display name and e-mail.
    pub filter: Option<String>,
    /// Permission filters; each is `(permission, project key, repository slug)`.
    pub permissions: Vec<(Permission, Option<String>, Option<String>)>,
}

impl UserQuery {
    /// An empty query (all users visible to the caller).
    pub fn new() -> Self {
        Self::default()
    }

    /// Only users whose name, display name or e-mail contains `text`.
    pub fn filter(mut self, text: impl Into<String>) -> Self {
        self.filter = Some(text.into());
        self
    }

    /// Only users holding a global permission (e.g. [`Permission::LicensedUser`]).
    pub fn global_permission(mut self, permission: Permission) -> Self {
        self.permissions.push((permission, None, None));
        self
    }

    /// Only users holding `permission` on a project.
    pub fn project_permission(
        mut self,
        permission: Permission,
        project_key: impl Into<String>,
    ) -> Self {
        self.permissions
            .push((permission, Some(project_key.into()), None));
        self
    }

    /// Only users holding `permission` on a repository.
    pub fn repo_permission(
        mut self,
        permission: Permission,
        project_key: impl Into<String>,
        slug: impl Into<String>,
    ) -> Self {
        self.permissions
            .push((permission, Some(project_key.into()), Some(slug.into())));
        self
    }

    pub(crate) fn to_query(&self) -> Vec<(String, String)> {
        let mut query = Vec::new();
        if let Some(filter) = &self.filter {
            query.push(("filter".to_owned(), filter.clone()));
        }
        for (idx, (permission, project, slug)) in self.permissions.iter().enumerate() {
            let n = idx + 1;
            query.push((format!("permission.{n}"), permission.as_str().to_owned()));
            if let Some(project) = project {
                query.push((format!("permission.{n}.projectKey"), project.clone()));
            }
            if let Some(slug) = slug {
                query.push((format!("permission.{n}.repositorySlug"), slug.clone()));
            }
        }
        query
    }
}
