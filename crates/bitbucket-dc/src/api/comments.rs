//! Comments handler, shared by pull request comments and blocker comments (tasks).

use crate::client::{Client, Req};
use crate::error::Error;
use crate::models::{Comment, CommentUpdate, NewComment};
use crate::page::{Page, Paged};

/// Comments (`…/pull-requests/{id}/comments`) or blocker comments (`…/blocker-comments`) of a
/// pull request.
///
/// ```no_run
/// # async fn demo(client: bitbucket_dc::Client) -> Result<(), bitbucket_dc::Error> {
/// use bitbucket_dc::{Anchor, CommentUpdate, FileType, LineType, NewComment};
/// let pr = client.repo("PROJ", "app").pull_request(7);
/// let general = pr.comments().add(&NewComment::new("Fixes 2 vulnerabilities")).await?;
/// let on_line = pr
///     .comments()
///     .add(&NewComment::new("log4j-core 2.14.1 is vulnerable")
///         .anchor(Anchor::line("pom.xml", 42, LineType::Added, FileType::To)))
///     .await?;
/// let edited = pr
///     .comments()
///     .update(general.id, &CommentUpdate::new(general.version).text("Fixes 3 vulnerabilities"))
///     .await?;
/// pr.comments().delete(on_line.id, on_line.version).await?;
/// let task = pr.blocker_comments().add(&NewComment::new("Re-run the build")).await?;
/// let open_tasks = pr.blocker_comments().list().collect_all().await?;
/// # let _ = (edited, task, open_tasks); Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct CommentsApi {
    client: Client,
    path: String,
    blocker: bool,
}

impl CommentsApi {
    pub(crate) fn new(client: Client, path: String, blocker: bool) -> Self {
        CommentsApi {
            client,
            path,
            blocker,
        }
    }

    /// Whether this handler addresses blocker comments (tasks).
    pub fn is_blocker(&self) -> bool {
        self.blocker
    }

    /// `POST` a comment (general, reply or anchored) → the comment (201).
    pub async fn add(&self, comment: &NewComment) -> Result<Comment, Error> {
        let req = Req::post(self.path.clone()).json(&comment.to_body())?;
        self.client.json(req).await
    }

    /// `GET …/{commentId}`.
    pub async fn get(&self, id: i64) -> Result<Comment, Error> {
        self.client
            .json(Req::get(format!("{}/{id}", self.path)))
            .await
    }

    /// `PUT …/{commentId}` with `version` → the updated comment.
    pub async fn update(&self, id: i64, update: &CommentUpdate) -> Result<Comment, Error> {
        let req = Req::put(format!("{}/{id}", self.path)).json(update)?;
        self.client.json(req).await
    }

    /// `DELETE …/{commentId}?version=N` (204). 409 when it has replies or the version is stale.
    pub async fn delete(&self, id: i64, version: i64) -> Result<(), Error> {
        let req = Req::delete(format!("{}/{id}", self.path)).query("version", version.to_string());
        self.client.no_content(req).await
    }

    /// `GET` the list (paged). For blocker comments this lists the pull request's tasks; plain
    /// comments can only be listed per file (`path` is required by the server), so general
    /// comments are found through [`activities`](crate::PullRequestApi::activities).
    pub fn list(&self) -> Paged<Comment> {
        Paged::new(
            self.client.clone(),
            self.path.clone(),
            Vec::new(),
            Page::<Comment>::decode,
        )
    }

    /// `GET …/comments?path=` (paged): comments anchored to one file.
    pub fn list_for_path(&self, path: &str) -> Paged<Comment> {
        Paged::new(
            self.client.clone(),
            self.path.clone(),
            vec![("path".to_owned(), path.to_owned())],
            Page::<Comment>::decode,
        )
    }
}
