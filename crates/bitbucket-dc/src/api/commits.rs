//! Commits handler: get by SHA, list with `until`/`since`/`path`, compare changes.

use crate::api::RepoApi;
use crate::client::Req;
use crate::encode::{is_commit_sha, segment};
use crate::error::Error;
use crate::models::{Change, Commit, CommitQuery};
use crate::page::{Page, Paged};

/// Commits of a repository.
///
/// ```no_run
/// # async fn demo(client: bitbucket_dc::Client) -> Result<(), bitbucket_dc::Error> {
/// use bitbucket_dc::CommitQuery;
/// let commits = client.repo("PROJ", "app").commits();
/// // Resolve a branch tip (GET commits/{id} accepts SHAs only):
/// let tip = commits.list(&CommitQuery::new().until("refs/heads/main")).limit(1).first_page().await?;
/// let sha = &tip.values[0].id;
/// let commit = commits.get(sha).await?;
/// let changes = commits.compare_changes("refs/heads/fix", sha).collect_all().await?;
/// # let _ = (commit, changes); Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct CommitsApi {
    repo: RepoApi,
}

impl CommitsApi {
    pub(crate) fn new(repo: RepoApi) -> Self {
        CommitsApi { repo }
    }

    /// `GET …/commits/{sha}`. Only SHAs are accepted (refs were rejected by the server since
    /// 2.11, and refs with `/` hit an XML 404): anything else fails with
    /// [`Error::InvalidArgument`] before a request is sent.
    pub async fn get(&self, sha: &str) -> Result<Commit, Error> {
        if !is_commit_sha(sha) {
            return Err(Error::InvalidArgument {
                reason: format!(
                    "{sha:?} is not a commit SHA: resolve refs with commits().list(CommitQuery::new().until(ref)) first"
                ),
            });
        }
        self.repo
            .client
            .json(Req::get(format!(
                "{}/commits/{}",
                self.repo.path,
                segment(sha)
            )))
            .await
    }

    /// `GET …/commits?until=&since=&path=` (paged, newest first).
    pub fn list(&self, query: &CommitQuery) -> Paged<Commit> {
        Paged::new(
            self.repo.client.clone(),
            format!("{}/commits", self.repo.path),
            query.to_query(),
            Page::<Commit>::decode,
        )
    }

    /// `GET …/commits/{sha}/changes` (paged): the files a commit changed.
    pub fn changes(&self, sha: &str) -> Paged<Change> {
        Paged::new(
            self.repo.client.clone(),
            format!("{}/commits/{}/changes", self.repo.path, segment(sha)),
            Vec::new(),
            Page::<Change>::decode,
        )
    }

    /// `GET …/compare/commits?from=&to=`: commits reachable from `from` but not from `to`
    /// (refs or SHAs), paged.
    pub fn compare_commits(&self, from: &str, to: &str) -> Paged<Commit> {
        Paged::new(
            self.repo.client.clone(),
            format!("{}/compare/commits", self.repo.path),
            vec![
                ("from".to_owned(), from.to_owned()),
                ("to".to_owned(), to.to_owned()),
            ],
            Page::<Commit>::decode,
        )
    }

    /// `GET …/compare/changes?from=&to=`: paths changed on `from` relative to `to` (refs or
    /// SHAs), paged.
    pub fn compare_changes(&self, from: &str, to: &str) -> Paged<Change> {
        Paged::new(
            self.repo.client.clone(),
            format!("{}/compare/changes", self.repo.path),
            vec![
                ("from".to_owned(), from.to_owned()),
                ("to".to_owned(), to.to_owned()),
            ],
            Page::<Change>::decode,
        )
    }
}
