//! Handlers, one per API area, reached from [`Client`]:
//!
//! | area | handler | reached by |
//! |---|---|---|
//! | server, identity | [`ServerApi`] | `client.server()`, `client.whoami()` |
//! | users | [`UsersApi`] | `client.users()` |
//! | repository search / permission checks | [`RepositoriesApi`] | `client.repositories()` |
//! | projects | [`ProjectApi`] | `client.projects(&search)`, `client.project(key)` |
//! | one repository, default branch, clone URL | [`RepoApi`] | `client.repo(key, slug)` |
//! | branches | [`BranchesApi`] | `repo.branches()` |
//! | files | [`FilesApi`] | `repo.files()` |
//! | commits | [`CommitsApi`] | `repo.commits()` |
//! | pull requests | [`PullRequestsApi`], [`PullRequestApi`] | `repo.pull_requests()`, `repo.pull_request(id)` |
//! | comments and tasks | [`CommentsApi`] | `pr.comments()`, `pr.blocker_comments()` |
//! | repository-scoped builds | [`BuildsApi`] | `repo.builds()` |
//! | legacy build status | [`LegacyBuildStatusApi`] | `client.build_status()` |
//! | Code Insights | [`InsightsApi`] | `repo.insights()` |
//!
//! Handlers hold a clone of the client (cheap) and the encoded path prefix; they can be kept
//! and moved across tasks.

mod branches;
mod builds;
mod comments;
mod commits;
mod files;
mod insights;
mod projects;
mod pull_requests;
mod required_builds;
mod server;

pub use branches::BranchesApi;
pub use builds::{BuildsApi, LegacyBuildStatusApi};
pub use comments::CommentsApi;
pub use commits::CommitsApi;
pub use files::FilesApi;
pub use insights::InsightsApi;
pub use projects::{ProjectApi, RepoApi};
pub use pull_requests::{PullRequestApi, PullRequestsApi};
pub use required_builds::RequiredBuildsApi;
pub use server::{RepositoriesApi, ServerApi, UsersApi};

use crate::client::Client;
use crate::encode::segment;
use crate::models::{Project, ProjectSearch};
use crate::page::{Page, Paged};

/// `/rest/api/latest`.
pub(crate) const API: &str = "/rest/api/latest";

impl Client {
    /// Server-level calls: version, identity.
    pub fn server(&self) -> ServerApi {
        ServerApi::new(self.clone())
    }

    /// User lookup.
    pub fn users(&self) -> UsersApi {
        UsersApi::new(self.clone())
    }

    /// Repository search across projects (permission checks).
    pub fn repositories(&self) -> RepositoriesApi {
        RepositoriesApi::new(self.clone())
    }

    /// `GET /rest/api/latest/projects?name=&permission=` (paged): projects visible to the
    /// credential.
    pub fn projects(&self, search: &ProjectSearch) -> Paged<Project> {
        Paged::new(
            self.clone(),
            format!("{API}/projects"),
            search.to_query(),
            Page::<Project>::decode,
        )
    }

    /// One project.
    pub fn project(&self, key: &str) -> ProjectApi {
        ProjectApi::new(self.clone(), key)
    }

    /// One repository.
    pub fn repo(&self, project_key: &str, slug: &str) -> RepoApi {
        RepoApi::new(self.clone(), project_key, slug)
    }

    /// The legacy global build-status API (`/rest/build-status/latest`).
    pub fn build_status(&self) -> LegacyBuildStatusApi {
        LegacyBuildStatusApi::new(self.clone())
    }

    /// The user name the server authenticates the credential as (the `X-AUSERNAME` header of
    /// `GET application-properties`); `None` for anonymous access. A rejected credential gives
    /// [`Error::BadCredential`](crate::Error::BadCredential), so this doubles as a credential check.
    pub async fn whoami(&self) -> Result<Option<String>, crate::Error> {
        self.server().whoami().await
    }
}

/// `/rest/{api}/latest/projects/{key}/repos/{slug}` with encoded segments.
pub(crate) fn repo_path(api: &str, project_key: &str, slug: &str) -> String {
    format!(
        "/rest/{api}/latest/projects/{}/repos/{}",
        segment(project_key),
        segment(slug)
    )
}

#[cfg(test)]
mod tests;
