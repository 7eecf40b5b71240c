//! Project and repository handlers: project, repository list, repository, default branch,
//! clone URL, and the entry points to the per-repository areas.

use http::StatusCode;

use crate::api::{
    repo_path, BranchesApi, BuildsApi, CommitsApi, FilesApi, InsightsApi, PullRequestApi,
    PullRequestsApi, RequiredBuildsApi, API,
};
use crate::client::{decode, Client, Req};
use crate::encode::{branch_ref, segment};
use crate::error::Error;
use crate::models::{Branch, MinimalRef, Project, Repository, User};
use crate::page::{Page, Paged};

/// One project.
///
/// ```no_run
/// # async fn demo(client: bitbucket_dc::Client) -> Result<(), bitbucket_dc::Error> {
/// use futures_util::TryStreamExt as _;
/// let project = client.project("PROJ").get().await?;
/// let mut repos = client.project("PROJ").repositories();
/// while let Some(repo) = repos.try_next().await? {
///     println!("{}/{} ({:?})", project.key, repo.slug, repo.state);
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct ProjectApi {
    client: Client,
    key: String,
    path: String,
}

impl ProjectApi {
    pub(crate) fn new(client: Client, key: &str) -> Self {
        ProjectApi {
            path: format!("{API}/projects/{}", segment(key)),
            key: key.to_owned(),
            client,
        }
    }

    /// `GET projects/{key}`.
    pub async fn get(&self) -> Result<Project, Error> {
        self.client.json(Req::get(self.path.clone())).await
    }

    /// `GET projects/{key}/repos` (paged). Needs PROJECT_READ; to list only repositories the
    /// credential can write, use [`RepositoriesApi::search`](crate::RepositoriesApi::search).
    pub fn repositories(&self) -> Paged<Repository> {
        Paged::new(
            self.client.clone(),
            format!("{}/repos", self.path),
            Vec::new(),
            Page::<Repository>::decode,
        )
    }

    /// One repository of this project.
    pub fn repo(&self, slug: &str) -> RepoApi {
        RepoApi::new(self.client.clone(), &self.key, slug)
    }
}

/// One repository, and the entry point to its branches, files, commits, pull requests,
/// builds and insights.
///
/// ```no_run
/// # async fn demo(client: bitbucket_dc::Client) -> Result<(), bitbucket_dc::Error> {
/// let repo = client.repo("PROJ", "app");
/// let info = repo.get().await?;
/// match repo.default_branch_legacy().await? {
///     None => println!("{} is empty", info.slug),
///     Some(branch) => println!("default {} at {:?}", branch.display_id, branch.latest_commit),
/// }
/// println!("clone with {}", client.http_clone_url(&info));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct RepoApi {
    pub(crate) client: Client,
    pub(crate) project_key: String,
    pub(crate) slug: String,
    /// `/rest/api/latest/projects/{key}/repos/{slug}`.
    pub(crate) path: String,
}

impl RepoApi {
    pub(crate) fn new(client: Client, project_key: &str, slug: &str) -> Self {
        RepoApi {
            path: repo_path("api", project_key, slug),
            project_key: project_key.to_owned(),
            slug: slug.to_owned(),
            client,
        }
    }

    /// The project key.
    pub fn project_key(&self) -> &str {
        &self.project_key
    }

    /// The repository slug.
    pub fn slug(&self) -> &str {
        &self.slug
    }

    /// `GET projects/{key}/repos/{slug}`.
    pub async fn get(&self) -> Result<Repository, Error> {
        self.client.json(Req::get(self.path.clone())).await
    }

    /// `GET …/default-branch`: the *configured* default branch, returned even when the
    /// repository is empty and the branch does not exist yet.
    pub async fn default_branch(&self) -> Result<MinimalRef, Error> {
        self.client
            .json(Req::get(format!("{}/default-branch", self.path)))
            .await
    }

    /// `GET …/branches/default` (deprecated endpoint): the default branch with its latest
    /// commit, or `None` when the server answers 204 — the repository is **empty**. A 404
    /// ([`NotFoundKind::Branch`](crate::NotFoundKind) or similar) means the configured default
    /// does not exist in a non-empty repository.
    pub async fn default_branch_legacy(&self) -> Result<Option<Branch>, Error> {
        let req = Req::get(format!("{}/branches/default", self.path));
        let method = req.method.clone();
        let path = req.path.clone();
        let raw = self.client.send(req).await?;
        if raw.status == StatusCode::NO_CONTENT || raw.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        decode(&method, &path, &raw.body).map(Some)
    }

    /// `PUT …/default-branch` `{id}` (204; needs REPO_ADMIN). A short name is qualified as
    /// `refs/heads/…`.
    pub async fn set_default_branch(&self, branch: &str) -> Result<(), Error> {
        let req = Req::put(format!("{}/default-branch", self.path))
            .json(&serde_json::json!({ "id": branch_ref(branch) }))?;
        self.client.no_content(req).await
    }

    /// `GET /rest/default-reviewers/latest/…/reviewers`: the users the repository's
    /// default-reviewer conditions add to a pull request from `source_branch` of repository
    /// `source_repo_id` into `target_branch` of repository `target_repo_id` (numeric ids).
    /// Bitbucket does **not** apply default reviewers to pull requests created over REST: pass
    /// these to [`NewPullRequest::reviewers`](crate::NewPullRequest::reviewers).
    pub async fn default_reviewers(
        &self,
        source_repo_id: i64,
        target_repo_id: i64,
        source_branch: &str,
        target_branch: &str,
    ) -> Result<Vec<User>, Error> {
        let req = Req::get(format!(
            "{}/reviewers",
            repo_path("default-reviewers", &self.project_key, &self.slug)
        ))
        .query("sourceRepoId", source_repo_id.to_string())
        .query("targetRepoId", target_repo_id.to_string())
        .query("sourceRefId", branch_ref(source_branch))
        .query("targetRefId", branch_ref(target_branch));
        self.client.json(req).await
    }

    /// The HTTP(S) clone URL, fetched with [`get`](Self::get); see
    /// [`Client::http_clone_url`] for the fallback rules.
    pub async fn http_clone_url(&self) -> Result<String, Error> {
        let repo = self.get().await?;
        Ok(self.client.http_clone_url(&repo))
    }

    /// Branches.
    pub fn branches(&self) -> BranchesApi {
        BranchesApi::new(self.clone())
    }

    /// Files: raw read, listing, browse, edit.
    pub fn files(&self) -> FilesApi {
        FilesApi::new(self.clone())
    }

    /// Commits and comparisons.
    pub fn commits(&self) -> CommitsApi {
        CommitsApi::new(self.clone())
    }

    /// Pull requests of this (target) repository: create, list, get.
    pub fn pull_requests(&self) -> PullRequestsApi {
        PullRequestsApi::new(self.clone())
    }

    /// One pull request: get, update, decline, reopen, merge, activities, comments.
    pub fn pull_request(&self, id: i64) -> PullRequestApi {
        PullRequestApi::new(self.clone(), id)
    }

    /// Repository-scoped build statuses (7.14+).
    pub fn builds(&self) -> BuildsApi {
        BuildsApi::new(self.clone())
    }

    /// Required-builds merge checks.
    pub fn required_builds(&self) -> RequiredBuildsApi {
        RequiredBuildsApi::new(self.clone())
    }

    /// Code Insights reports and annotations.
    pub fn insights(&self) -> InsightsApi {
        InsightsApi::new(self.clone())
    }
}
