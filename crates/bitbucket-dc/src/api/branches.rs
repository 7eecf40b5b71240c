//! Branch handler: list, exact find, create (core and branch-utils), delete (branch-utils).

use futures_util::TryStreamExt as _;

use crate::api::{repo_path, RepoApi};
use crate::client::Req;
use crate::error::Error;
use crate::models::{Branch, BranchQuery, DeleteBranch, NewBranch};
use crate::page::{Page, Paged};

/// Branches of a repository.
///
/// ```no_run
/// # async fn demo(client: bitbucket_dc::Client) -> Result<(), bitbucket_dc::Error> {
/// use bitbucket_dc::{DeleteBranch, NewBranch};
/// let branches = client.repo("PROJ", "app").branches();
/// if branches.find("fix/cve-1").await?.is_none() {
///     branches.create(&NewBranch::new("fix/cve-1", "refs/heads/main")).await?;
/// }
/// branches.delete(&DeleteBranch::new("fix/cve-1")).await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct BranchesApi {
    repo: RepoApi,
}

impl BranchesApi {
    pub(crate) fn new(repo: RepoApi) -> Self {
        BranchesApi { repo }
    }

    /// `GET …/branches` (paged). `filter_text` is a substring filter.
    pub fn list(&self, query: &BranchQuery) -> Paged<Branch> {
        Paged::new(
            self.repo.client.clone(),
            format!("{}/branches", self.repo.path),
            query.to_query(),
            Page::<Branch>::decode,
        )
    }

    /// The branch whose `displayId` (or full id) is exactly `name`: the server's `filterText`
    /// is a substring match, so results are compared client-side.
    pub async fn find(&self, name: &str) -> Result<Option<Branch>, Error> {
        let short = name.strip_prefix("refs/heads/").unwrap_or(name);
        let query = BranchQuery::new().filter_text(short).boost_matches(true);
        let mut branches = self.list(&query);
        while let Some(branch) = branches.try_next().await? {
            if branch.display_id == short || branch.id == name {
                return Ok(Some(branch));
            }
        }
        Ok(None)
    }

    /// Core `POST …/branches` `{name, startPoint, message?}` → the branch (200).
    pub async fn create(&self, branch: &NewBranch) -> Result<Branch, Error> {
        let req = Req::post(format!("{}/branches", self.repo.path)).json(branch)?;
        self.repo.client.json(req).await
    }

    /// branch-utils `POST …/branches` `{name, startPoint}` → the branch (201). Subject to
    /// branch permissions (401), 400 when the name is invalid or exists, 409 when it overlaps
    /// an existing branch (`a` vs `a/b`).
    pub async fn create_with_branch_utils(&self, branch: &NewBranch) -> Result<Branch, Error> {
        let body = serde_json::json!({"name": branch.name, "startPoint": branch.start_point});
        let req = Req::post(format!("{}/branches", self.branch_utils())).json(&body)?;
        self.repo.client.json(req).await
    }

    /// branch-utils `DELETE …/branches` with the JSON body `{name, endPoint?, dryRun?}` (204,
    /// also when the branch did not exist). 400 when `endPoint` is not the current tip or the
    /// branch is the default.
    pub async fn delete(&self, delete: &DeleteBranch) -> Result<(), Error> {
        let req = Req::delete(format!("{}/branches", self.branch_utils())).json(delete)?;
        self.repo.client.no_content(req).await
    }

    fn branch_utils(&self) -> String {
        repo_path("branch-utils", &self.repo.project_key, &self.repo.slug)
    }
}
