//! Pull request handlers: create, list, get, update, decline, reopen, can-merge, merge,
//! activities, participants, and the entry to comments.

use crate::api::{CommentsApi, RepoApi};
use crate::client::Req;
use crate::encode::segment;
use crate::error::Error;
use crate::models::{
    Activity, Change, Commit, MergeOptions, Mergeability, NewPullRequest, Participant,
    ParticipantStatus, PullRequest, PullRequestQuery, PullRequestUpdate,
};
use crate::page::{Page, Paged};

/// Pull requests of a (target) repository.
///
/// ```no_run
/// # async fn demo(client: bitbucket_dc::Client) -> Result<(), bitbucket_dc::Error> {
/// use bitbucket_dc::{Error, NewPullRequest, PullRequestDirection, PullRequestQuery};
/// let prs = client.repo("PROJ", "app").pull_requests();
/// let new = NewPullRequest::new("Fix CVE-2021-44228", "fix/log4j", "main")
///     .description("Bumps log4j-core to 2.17.1")
///     .reviewers(["alice"]);
/// let pr = match prs.create(&new).await {
///     Ok(pr) => pr,
///     Err(Error::DuplicatePullRequest { existing: Some(existing), .. }) => *existing,
///     Err(err) => return Err(err),
/// };
/// let mine = prs
///     .list(&PullRequestQuery::new().direction(PullRequestDirection::Outgoing).at("fix/log4j"))
///     .collect_all()
///     .await?;
/// # let _ = (pr, mine); Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct PullRequestsApi {
    repo: RepoApi,
}

impl PullRequestsApi {
    pub(crate) fn new(repo: RepoApi) -> Self {
        PullRequestsApi { repo }
    }

    /// `POST …/pull-requests` → the new pull request (201). Conflicts map to
    /// [`Error::DuplicatePullRequest`] (with the existing one), [`Error::EmptyPullRequest`],
    /// [`Error::InvalidReviewers`] (with the offending names) or [`Error::Conflict`].
    pub async fn create(&self, pull_request: &NewPullRequest) -> Result<PullRequest, Error> {
        let body = pull_request.to_body(&self.repo.project_key, &self.repo.slug);
        let req = Req::post(format!("{}/pull-requests", self.repo.path)).json(&body)?;
        self.repo.client.json(req).await
    }

    /// `GET …/pull-requests?state=&direction=&at=&order=&filterText=&draft=` (paged).
    pub fn list(&self, query: &PullRequestQuery) -> Paged<PullRequest> {
        Paged::new(
            self.repo.client.clone(),
            format!("{}/pull-requests", self.repo.path),
            query.to_query(),
            Page::<PullRequest>::decode,
        )
    }

    /// `GET …/pull-requests/{id}`.
    pub async fn get(&self, id: i64) -> Result<PullRequest, Error> {
        PullRequestApi::new(self.repo.clone(), id).get().await
    }
}

/// One pull request.
///
/// Every mutation takes the current `version`; a stale one fails with
/// [`Error::PullRequestOutOfDate`] carrying the server's current version.
///
/// ```no_run
/// # async fn demo(client: bitbucket_dc::Client) -> Result<(), bitbucket_dc::Error> {
/// use bitbucket_dc::PullRequestUpdate;
/// let pr = client.repo("PROJ", "app").pull_request(7);
/// let current = pr.get().await?;
/// let updated = pr
///     .update(&PullRequestUpdate::from_pull_request(&current).title("Fix CVE-2021-44228 (v2)"))
///     .await?;
/// if !pr.can_merge().await?.can_merge {
///     pr.decline(updated.version).await?;
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct PullRequestApi {
    repo: RepoApi,
    id: i64,
    path: String,
}

impl PullRequestApi {
    pub(crate) fn new(repo: RepoApi, id: i64) -> Self {
        PullRequestApi {
            path: format!("{}/pull-requests/{id}", repo.path),
            repo,
            id,
        }
    }

    /// The pull request id.
    pub fn id(&self) -> i64 {
        self.id
    }

    /// `GET …/pull-requests/{id}`.
    pub async fn get(&self) -> Result<PullRequest, Error> {
        self.repo.client.json(Req::get(self.path.clone())).await
    }

    /// `PUT …/pull-requests/{id}` with `version` and the fields set in `update`.
    pub async fn update(&self, update: &PullRequestUpdate) -> Result<PullRequest, Error> {
        let req = Req::put(self.path.clone()).json(&update.to_body())?;
        self.repo.client.json(req).await
    }

    /// `POST …/decline?version=N` (no body) → the declined pull request.
    pub async fn decline(&self, version: i64) -> Result<PullRequest, Error> {
        let req = Req::post(format!("{}/decline", self.path)).query("version", version.to_string());
        self.repo.client.json(req).await
    }

    /// `POST …/reopen?version=N` (no body) → the reopened pull request.
    pub async fn reopen(&self, version: i64) -> Result<PullRequest, Error> {
        let req = Req::post(format!("{}/reopen", self.path)).query("version", version.to_string());
        self.repo.client.json(req).await
    }

    /// `GET …/merge`: whether it can be merged now, with vetoes. The server answers 409
    /// ([`Error::Conflict`]) when the pull request is not open.
    pub async fn can_merge(&self) -> Result<Mergeability, Error> {
        self.repo
            .client
            .json(Req::get(format!("{}/merge", self.path)))
            .await
    }

    /// `POST …/merge?version=N` (with a JSON body only when `options` sets something) → the
    /// merged pull request. Vetoes map to [`Error::MergeVetoed`].
    pub async fn merge(&self, version: i64, options: &MergeOptions) -> Result<PullRequest, Error> {
        let mut req =
            Req::post(format!("{}/merge", self.path)).query("version", version.to_string());
        if !options.is_empty() {
            req = req.json(options)?;
        }
        self.repo.client.json(req).await
    }

    /// `GET …/activities` (paged, newest first); see [`Activity`] for how unknown kinds are kept.
    pub fn activities(&self) -> Paged<Activity> {
        Paged::new(
            self.repo.client.clone(),
            format!("{}/activities", self.path),
            Vec::new(),
            Page::<Activity>::decode,
        )
    }

    /// `GET …/participants` (paged).
    pub fn participants(&self) -> Paged<Participant> {
        Paged::new(
            self.repo.client.clone(),
            format!("{}/participants", self.path),
            Vec::new(),
            Page::<Participant>::decode,
        )
    }

    /// `DELETE …/pull-requests/{id}` with the JSON body `{version}` (204).
    pub async fn delete(&self, version: i64) -> Result<(), Error> {
        let req =
            Req::delete(self.path.clone()).json(&serde_json::json!({ "version": version }))?;
        self.repo.client.no_content(req).await
    }

    /// `POST …/participants` `{user:{name}, role:"REVIEWER"}`: adds a reviewer by user name.
    pub async fn add_reviewer(&self, user_name: &str) -> Result<Participant, Error> {
        let body = serde_json::json!({"user": {"name": user_name}, "role": "REVIEWER"});
        let req = Req::post(format!("{}/participants", self.path)).json(&body)?;
        self.repo.client.json(req).await
    }

    /// `PUT …/participants/{userSlug}` `{status, lastReviewedCommit?}`: sets the caller's own
    /// review status (approve, needs work, unapprove); the author cannot review.
    pub async fn set_review_status(
        &self,
        user_slug: &str,
        status: ParticipantStatus,
        last_reviewed_commit: Option<&str>,
    ) -> Result<Participant, Error> {
        let mut body = serde_json::json!({ "status": status });
        if let Some(commit) = last_reviewed_commit {
            body["lastReviewedCommit"] = serde_json::json!(commit);
        }
        let req =
            Req::put(format!("{}/participants/{}", self.path, segment(user_slug))).json(&body)?;
        self.repo.client.json(req).await
    }

    /// `DELETE …/participants/{userSlug}` (204): removes a reviewer or participant.
    pub async fn remove_participant(&self, user_slug: &str) -> Result<(), Error> {
        let req = Req::delete(format!("{}/participants/{}", self.path, segment(user_slug)));
        self.repo.client.no_content(req).await
    }

    /// `GET …/commits` (paged): the commits the pull request would merge.
    pub fn commits(&self) -> Paged<Commit> {
        Paged::new(
            self.repo.client.clone(),
            format!("{}/commits", self.path),
            Vec::new(),
            Page::<Commit>::decode,
        )
    }

    /// `GET …/changes` (paged): the files the pull request changes.
    pub fn changes(&self) -> Paged<Change> {
        Paged::new(
            self.repo.client.clone(),
            format!("{}/changes", self.path),
            Vec::new(),
            Page::<Change>::decode,
        )
    }

    /// Comments (`…/comments`).
    pub fn comments(&self) -> CommentsApi {
        CommentsApi::new(
            self.repo.client.clone(),
            format!("{}/comments", self.path),
            false,
        )
    }

    /// Blocker comments, i.e. tasks (`…/blocker-comments`, 7.x+).
    pub fn blocker_comments(&self) -> CommentsApi {
        CommentsApi::new(
            self.repo.client.clone(),
            format!("{}/blocker-comments", self.path),
            true,
        )
    }
}
