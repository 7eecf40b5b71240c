//! Build status handlers: repository-scoped builds and the legacy global build-status API.

use std::collections::HashMap;

use crate::api::RepoApi;
use crate::client::{Client, Req};
use crate::encode::segment;
use crate::error::Error;
use crate::models::{BuildStats, BuildStatus, NewBuildStatus};
use crate::page::{Page, Paged};

/// `/rest/build-status/latest`.
const LEGACY: &str = "/rest/build-status/latest";

/// Repository-scoped build statuses (`…/commits/{sha}/builds`, 7.14+).
///
/// ```no_run
/// # async fn demo(client: bitbucket_dc::Client) -> Result<(), bitbucket_dc::Error> {
/// use bitbucket_dc::{BuildState, NewBuildStatus};
/// let builds = client.repo("PROJ", "app").builds();
/// let sha = "0123456789abcdef0123456789abcdef01234567";
/// builds
///     .post(sha, &NewBuildStatus::new("ci/unit", BuildState::InProgress, "https://ci.example.com/1")
///         .git_ref("fix/log4j"))
///     .await?;
/// let status = builds.get(sha, "ci/unit").await?;
/// # let _ = status; Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct BuildsApi {
    repo: RepoApi,
}

impl BuildsApi {
    pub(crate) fn new(repo: RepoApi) -> Self {
        BuildsApi { repo }
    }

    /// `POST …/commits/{sha}/builds` (204): creates or overwrites the status with this key.
    pub async fn post(&self, sha: &str, status: &NewBuildStatus) -> Result<(), Error> {
        let req = Req::post(self.path(sha)).json(status)?;
        self.repo.client.no_content(req).await
    }

    /// `GET …/commits/{sha}/builds?key=`: the status with this key.
    pub async fn get(&self, sha: &str, key: &str) -> Result<BuildStatus, Error> {
        self.repo
            .client
            .json(Req::get(self.path(sha)).query("key", key))
            .await
    }

    /// `DELETE …/commits/{sha}/builds?key=` (204; needs REPO_ADMIN).
    pub async fn delete(&self, sha: &str, key: &str) -> Result<(), Error> {
        self.repo
            .client
            .no_content(Req::delete(self.path(sha)).query("key", key))
            .await
    }

    fn path(&self, sha: &str) -> String {
        format!("{}/commits/{}/builds", self.repo.path, segment(sha))
    }
}

/// The legacy global build-status API (`/rest/build-status/latest/commits/…`, deprecated in
/// 7.14 but still served): statuses keyed by commit SHA only.
///
/// ```no_run
/// # async fn demo(client: bitbucket_dc::Client) -> Result<(), bitbucket_dc::Error> {
/// use bitbucket_dc::{BuildState, NewBuildStatus};
/// let sha = "0123456789abcdef0123456789abcdef01234567";
/// let legacy = client.build_status();
/// legacy.post(sha, &NewBuildStatus::new("ci", BuildState::Successful, "https://ci.example.com/2")).await?;
/// let all = legacy.list(sha).collect_all().await?; // at most the 100 newest
/// let stats = legacy.stats(sha).await?;
/// let many = legacy.stats_many(&[sha]).await?;
/// # let _ = (all, stats, many); Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct LegacyBuildStatusApi {
    client: Client,
}

impl LegacyBuildStatusApi {
    pub(crate) fn new(client: Client) -> Self {
        LegacyBuildStatusApi { client }
    }

    /// `POST …/commits/{sha}` (204). `sha` must be the full 40-hex id.
    pub async fn post(&self, sha: &str, status: &NewBuildStatus) -> Result<(), Error> {
        let req = Req::post(format!("{LEGACY}/commits/{}", segment(sha))).json(status)?;
        self.client.no_content(req).await
    }

    /// `GET …/commits/{sha}` (paged; the server returns at most the 100 newest).
    pub fn list(&self, sha: &str) -> Paged<BuildStatus> {
        Paged::new(
            self.client.clone(),
            format!("{LEGACY}/commits/{}", segment(sha)),
            Vec::new(),
            Page::<BuildStatus>::decode,
        )
    }

    /// `GET …/commits/stats/{sha}`: counts per state.
    pub async fn stats(&self, sha: &str) -> Result<BuildStats, Error> {
        self.client
            .json(Req::get(format!("{LEGACY}/commits/stats/{}", segment(sha))))
            .await
    }

    /// `POST …/commits/stats` with a JSON array of SHAs: counts per commit (commits without
    /// builds are omitted). Read-only, so retried like a `GET`.
    pub async fn stats_many(&self, shas: &[&str]) -> Result<HashMap<String, BuildStats>, Error> {
        if shas.is_empty() {
            return Ok(HashMap::new());
        }
        let req = Req::post(format!("{LEGACY}/commits/stats"))
            .json(shas)?
            .read_only();
        self.client.json(req).await
    }
}
