//! Required-builds merge check handlers (`/rest/required-builds/latest/…/conditions`).

use crate::api::RepoApi;
use crate::client::Req;
use crate::encode::segment;
use crate::error::Error;
use crate::models::{NewRequiredBuildCondition, RequiredBuildCondition};
use crate::page::{Page, Paged};

/// A repository's required-builds merge checks. A server without them (before 7.14, or with
/// the feature's app disabled) answers 404.
///
/// ```no_run
/// # async fn demo(client: bitbucket_dc::Client) -> Result<(), bitbucket_dc::Error> {
/// use bitbucket_dc::{NewRequiredBuildCondition, RefMatcher, RefMatcherKind};
/// let checks = client.repo("PROJ", "app").required_builds();
/// let main = RefMatcher::new(RefMatcherKind::Branch, "refs/heads/main");
/// checks.create(&NewRequiredBuildCondition::new(vec!["ci/unit".into()], main)).await?;
/// let all = checks.conditions().collect_all().await?;
/// # let _ = all; Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct RequiredBuildsApi {
    repo: RepoApi,
}

impl RequiredBuildsApi {
    pub(crate) fn new(repo: RepoApi) -> Self {
        RequiredBuildsApi { repo }
    }

    /// `GET …/conditions` (paged).
    pub fn conditions(&self) -> Paged<RequiredBuildCondition> {
        Paged::new(
            self.repo.client.clone(),
            format!("{}s", self.path()),
            Vec::new(),
            Page::<RequiredBuildCondition>::decode,
        )
    }

    /// `POST …/condition` (needs REPO_ADMIN): creates a condition.
    pub async fn create(
        &self,
        condition: &NewRequiredBuildCondition,
    ) -> Result<RequiredBuildCondition, Error> {
        let req = Req::post(self.path()).json(condition)?;
        self.repo.client.json(req).await
    }

    /// `/rest/required-builds/latest/projects/{key}/repos/{slug}/condition`.
    fn path(&self) -> String {
        format!(
            "/rest/required-builds/latest/projects/{}/repos/{}/condition",
            segment(&self.repo.project_key),
            segment(&self.repo.slug)
        )
    }
}
