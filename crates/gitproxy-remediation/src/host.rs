//! Bitbucket access as the remediation engine needs it: a small async trait, so the engine is
//! tested against the simulator and could serve another host, and its implementation over the
//! `bitbucket-dc` client.

use async_trait::async_trait;
use bitbucket_dc::{
    Anchor, BuildState, Client, CommitQuery, DeleteBranch, FileEdit, FileType, LineType,
    NewComment, NewPullRequest, NotFoundKind, PullRequestQuery, PullRequestState,
    PullRequestStateFilter, PullRequestUpdate,
};

use crate::files::{Limited, RepoFiles};
use crate::remediate::gate::RequiredBuild;
use crate::Error;

/// The default branch of a repository and its head commit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BranchHead {
    /// Branch name without `refs/heads/`.
    pub branch: String,
    /// Latest commit id.
    pub commit: String,
}

/// One file commit on a branch (Bitbucket's file-edit API commits one file at a time).
#[derive(Clone, Debug)]
pub struct FileCommit {
    /// The branch to commit on (created from `source_branch` when it does not exist).
    pub branch: String,
    /// Repository path of the file.
    pub path: String,
    /// The complete new content.
    pub content: Vec<u8>,
    /// Commit message.
    pub message: String,
    /// The commit the edit is based on.
    pub source_commit: String,
    /// The branch to create `branch` from, for the first commit of a new branch.
    pub source_branch: Option<String>,
}

/// The Bitbucket user the host's credentials authenticate as.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    /// User name (what `X-AUSERNAME` says).
    pub name: String,
    /// The user's e-mail address, when the host gives it: the file-edit API writes it as the
    /// author's address of the agent's commits.
    pub email: Option<String>,
}

/// A commit of a branch and who made it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BranchCommit {
    /// Commit id.
    pub id: String,
    /// The Bitbucket user name of the author, when the host matched the author to a user.
    pub author_user: Option<String>,
    /// The author's e-mail address as git recorded it.
    pub author_email: Option<String>,
    /// The author as git recorded it (`Name <email>`), for messages.
    pub author: String,
    /// The first line of the commit message.
    pub subject: String,
}

/// The state of a pull request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PrState {
    /// Open.
    Open,
    /// Declined.
    Declined,
    /// Merged.
    Merged,
}

/// What the engine needs to know about a pull request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PullRequestInfo {
    /// Id within the repository.
    pub id: i64,
    /// Version, sent back with updates.
    pub version: i64,
    /// State.
    pub state: PrState,
    /// Title.
    pub title: String,
    /// Description.
    pub description: Option<String>,
    /// Source branch name without `refs/heads/`.
    pub from_branch: String,
    /// Target branch name without `refs/heads/`.
    pub to_branch: String,
    /// Latest commit of the source branch.
    pub latest_commit: Option<String>,
}

/// A pull request to open.
#[derive(Clone, Debug)]
pub struct NewPr {
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Source branch.
    pub from_branch: String,
    /// Target branch.
    pub to_branch: String,
}

/// The outcome of one build.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BuildOutcome {
    /// Passed.
    Successful,
    /// Failed.
    Failed,
    /// Running.
    InProgress,
    /// Stopped before it finished (Bitbucket's `CANCELLED`): it did not pass.
    Stopped,
    /// A state Bitbucket reports as `UNKNOWN`, or one this version does not know.
    Other,
}

/// One build status of a commit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuildInfo {
    /// The build's key.
    pub key: String,
    /// Display name.
    pub name: Option<String>,
    /// Outcome.
    pub outcome: BuildOutcome,
    /// Link to the build.
    pub url: String,
    /// The parent key the build reports, which required-builds checks may name instead of
    /// its key.
    pub parent: Option<String>,
}

/// Where a review comment is anchored: a line of a file in the pull request's new version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineAnchor {
    /// Repository path.
    pub path: String,
    /// One-based line in the new file.
    pub line: u32,
}

/// Everything the engine does on a Bitbucket-like host.
#[async_trait]
pub trait BitbucketHost: Send + Sync {
    /// Slugs of the repositories of a project.
    async fn repositories(&self, project: &str) -> Result<Vec<String>, Error>;
    /// The default branch and its head; `None` for an empty repository.
    async fn default_branch(&self, project: &str, repo: &str) -> Result<Option<BranchHead>, Error>;
    /// The head commit of a branch; `None` when it does not exist.
    async fn branch_head(
        &self,
        project: &str,
        repo: &str,
        branch: &str,
    ) -> Result<Option<String>, Error>;
    /// The user the host's credentials authenticate as; `None` when the host does not say.
    async fn current_user(&self) -> Result<Option<Identity>, Error>;
    /// Commits reachable from `branch` but not from `base` (both branch names), newest first.
    async fn commits_ahead(
        &self,
        project: &str,
        repo: &str,
        branch: &str,
        base: &str,
    ) -> Result<Vec<BranchCommit>, Error>;
    /// Deletes `branch` if it still points at `tip`.
    async fn delete_branch(
        &self,
        project: &str,
        repo: &str,
        branch: &str,
        tip: &str,
    ) -> Result<(), Error>;
    /// Every file path at a commit.
    async fn list_files(
        &self,
        project: &str,
        repo: &str,
        commit: &str,
    ) -> Result<Vec<String>, Error>;
    /// A file's bytes at a commit.
    async fn read_file(
        &self,
        project: &str,
        repo: &str,
        path: &str,
        commit: &str,
    ) -> Result<Vec<u8>, Error>;
    /// A file's bytes at a commit when it is at most `max_bytes`; hosts that can stop reading at
    /// the limit override this (the default reads the whole file).
    async fn read_file_at_most(
        &self,
        project: &str,
        repo: &str,
        path: &str,
        commit: &str,
        max_bytes: u64,
    ) -> Result<Limited, Error> {
        let bytes = self.read_file(project, repo, path, commit).await?;
        Ok(Limited::within(bytes, max_bytes))
    }
    /// Commits one file; returns the new commit id, or `None` when the content was unchanged.
    async fn commit_file(
        &self,
        project: &str,
        repo: &str,
        commit: &FileCommit,
    ) -> Result<Option<String>, Error>;
    /// Every pull request of the repository whose source branch starts with `branch_prefix`, in
    /// any state, newest first.
    async fn pull_requests(
        &self,
        project: &str,
        repo: &str,
        branch_prefix: &str,
    ) -> Result<Vec<PullRequestInfo>, Error>;
    /// Opens a pull request.
    async fn create_pull_request(
        &self,
        project: &str,
        repo: &str,
        pr: &NewPr,
    ) -> Result<PullRequestInfo, Error>;
    /// Updates the title and description of a pull request at `version`.
    async fn update_pull_request(
        &self,
        project: &str,
        repo: &str,
        id: i64,
        version: i64,
        title: &str,
        description: &str,
    ) -> Result<PullRequestInfo, Error>;
    /// Texts of the comments on a pull request.
    async fn comments(&self, project: &str, repo: &str, id: i64) -> Result<Vec<String>, Error>;
    /// Adds a comment, on a line when `anchor` is given.
    async fn add_comment(
        &self,
        project: &str,
        repo: &str,
        id: i64,
        text: &str,
        anchor: Option<&LineAnchor>,
    ) -> Result<(), Error>;
    /// Build statuses of a commit.
    async fn build_statuses(
        &self,
        project: &str,
        repo: &str,
        commit: &str,
    ) -> Result<Vec<BuildInfo>, Error>;
    /// Declines (`open: false`) or reopens (`open: true`) a pull request at `version`.
    async fn set_pull_request_open(
        &self,
        project: &str,
        repo: &str,
        id: i64,
        version: i64,
        open: bool,
    ) -> Result<PullRequestInfo, Error>;
    /// The repository's required-builds merge checks; none on a server without them (the
    /// default, for hosts that have no such notion).
    async fn required_builds(
        &self,
        _project: &str,
        _repo: &str,
    ) -> Result<Vec<RequiredBuild>, Error> {
        Ok(Vec::new())
    }
}

/// [`BitbucketHost`] over the `bitbucket-dc` client (which the caller builds with the egress
/// connector).
#[derive(Debug, Clone)]
pub struct BitbucketDc {
    client: Client,
}

impl BitbucketDc {
    /// Wraps a configured client.
    pub fn new(client: Client) -> BitbucketDc {
        BitbucketDc { client }
    }
}

fn host_error(operation: &str, err: bitbucket_dc::Error) -> Error {
    Error::Host {
        operation: operation.to_string(),
        source: Box::new(err),
    }
}

fn short_branch(id: &str) -> String {
    id.strip_prefix("refs/heads/").unwrap_or(id).to_string()
}

fn pr_info(pr: bitbucket_dc::PullRequest) -> PullRequestInfo {
    PullRequestInfo {
        id: pr.id,
        version: pr.version,
        state: match pr.state {
            PullRequestState::Merged => PrState::Merged,
            PullRequestState::Declined => PrState::Declined,
            _ => PrState::Open,
        },
        title: pr.title,
        description: pr.description,
        from_branch: short_branch(&pr.from_ref.id),
        to_branch: short_branch(&pr.to_ref.id),
        latest_commit: pr.from_ref.latest_commit,
    }
}

#[async_trait]
impl BitbucketHost for BitbucketDc {
    async fn repositories(&self, project: &str) -> Result<Vec<String>, Error> {
        let repos = self
            .client
            .project(project)
            .repositories()
            .collect_all()
            .await
            .map_err(|e| host_error("listing repositories", e))?;
        Ok(repos.into_iter().map(|r| r.slug).collect())
    }

    async fn default_branch(&self, project: &str, repo: &str) -> Result<Option<BranchHead>, Error> {
        let branch = self
            .client
            .repo(project, repo)
            .default_branch_legacy()
            .await
            .map_err(|e| host_error("reading the default branch", e))?;
        Ok(branch.and_then(|b| {
            Some(BranchHead {
                branch: b.display_id,
                commit: b.latest_commit?,
            })
        }))
    }

    async fn branch_head(
        &self,
        project: &str,
        repo: &str,
        branch: &str,
    ) -> Result<Option<String>, Error> {
        let found = self
            .client
            .repo(project, repo)
            .branches()
            .find(branch)
            .await
            .map_err(|e| host_error("looking up a branch", e))?;
        Ok(found.and_then(|b| b.latest_commit))
    }

    async fn current_user(&self) -> Result<Option<Identity>, Error> {
        let Some(name) = self
            .client
            .whoami()
            .await
            .map_err(|e| host_error("asking which user the token authenticates as", e))?
        else {
            return Ok(None);
        };
        // The address is a second way to recognise the agent's commits (an author the server
        // did not match to a user); a server that does not show the user leaves it unknown.
        let email = match self.client.users().get(&name.to_ascii_lowercase()).await {
            Ok(user) => user.email_address,
            Err(e) => {
                tracing::debug!(error = %e, "the authenticated user's profile is not readable");
                None
            }
        };
        Ok(Some(Identity { name, email }))
    }

    async fn commits_ahead(
        &self,
        project: &str,
        repo: &str,
        branch: &str,
        base: &str,
    ) -> Result<Vec<BranchCommit>, Error> {
        let query = CommitQuery::new()
            .until(format!("refs/heads/{branch}"))
            .since(format!("refs/heads/{base}"));
        let commits = self
            .client
            .repo(project, repo)
            .commits()
            .list(&query)
            .collect_all()
            .await
            .map_err(|e| host_error("listing the commits of a branch", e))?;
        Ok(commits
            .into_iter()
            .map(|c| BranchCommit {
                author_user: c.author.is_user().then(|| c.author.name.clone()),
                author_email: c.author.email_address.clone(),
                author: match &c.author.email_address {
                    Some(email) => format!("{} <{email}>", c.author.name),
                    None => c.author.name.clone(),
                },
                subject: c.message.lines().next().unwrap_or_default().to_string(),
                id: c.id,
            })
            .collect())
    }

    async fn delete_branch(
        &self,
        project: &str,
        repo: &str,
        branch: &str,
        tip: &str,
    ) -> Result<(), Error> {
        self.client
            .repo(project, repo)
            .branches()
            .delete(&DeleteBranch::new(branch).end_point(tip))
            .await
            .map_err(|e| host_error("deleting a branch", e))
    }

    async fn list_files(
        &self,
        project: &str,
        repo: &str,
        commit: &str,
    ) -> Result<Vec<String>, Error> {
        self.client
            .repo(project, repo)
            .files()
            .list("", Some(commit))
            .collect_all()
            .await
            .map_err(|e| host_error("listing files", e))
    }

    async fn read_file(
        &self,
        project: &str,
        repo: &str,
        path: &str,
        commit: &str,
    ) -> Result<Vec<u8>, Error> {
        let bytes = self
            .client
            .repo(project, repo)
            .files()
            .raw(path, Some(commit))
            .await
            .map_err(|e| host_error("reading a file", e))?;
        // Takes over the body's buffer when it is not shared rather than copying it.
        Ok(Vec::from(bytes))
    }

    async fn read_file_at_most(
        &self,
        project: &str,
        repo: &str,
        path: &str,
        commit: &str,
        max_bytes: u64,
    ) -> Result<Limited, Error> {
        let limit = usize::try_from(max_bytes).unwrap_or(usize::MAX);
        match self
            .client
            .repo(project, repo)
            .files()
            .raw_at_most(path, Some(commit), limit)
            .await
        {
            Ok(bytes) => Ok(Limited::Read(Vec::from(bytes))),
            Err(bitbucket_dc::Error::ResponseTooLarge { announced, .. }) => {
                Ok(Limited::TooLarge { size: announced })
            }
            Err(e) => Err(host_error("reading a file", e)),
        }
    }

    async fn commit_file(
        &self,
        project: &str,
        repo: &str,
        commit: &FileCommit,
    ) -> Result<Option<String>, Error> {
        let mut edit = FileEdit::new(commit.branch.clone(), commit.content.clone())
            .message(commit.message.clone())
            .source_commit_id(commit.source_commit.clone());
        if let Some(source) = &commit.source_branch {
            edit = edit.source_branch(source.clone());
        }
        match self
            .client
            .repo(project, repo)
            .files()
            .edit(&commit.path, &edit)
            .await
        {
            Ok(c) => Ok(Some(c.id)),
            Err(bitbucket_dc::Error::FileContentUnmodified { .. }) => Ok(None),
            Err(e) => Err(host_error("committing a file", e)),
        }
    }

    async fn pull_requests(
        &self,
        project: &str,
        repo: &str,
        branch_prefix: &str,
    ) -> Result<Vec<PullRequestInfo>, Error> {
        let all = self
            .client
            .repo(project, repo)
            .pull_requests()
            .list(&PullRequestQuery::new().state(PullRequestStateFilter::All))
            .collect_all()
            .await
            .map_err(|e| host_error("listing pull requests", e))?;
        let mut out: Vec<PullRequestInfo> = all
            .into_iter()
            .map(pr_info)
            .filter(|p| p.from_branch.starts_with(branch_prefix))
            .collect();
        out.sort_by_key(|p| std::cmp::Reverse(p.id));
        Ok(out)
    }

    async fn create_pull_request(
        &self,
        project: &str,
        repo: &str,
        pr: &NewPr,
    ) -> Result<PullRequestInfo, Error> {
        let new = NewPullRequest::new(pr.title.clone(), &pr.from_branch, &pr.to_branch)
            .description(pr.description.clone());
        self.client
            .repo(project, repo)
            .pull_requests()
            .create(&new)
            .await
            .map(pr_info)
            .map_err(|e| host_error("opening a pull request", e))
    }

    async fn update_pull_request(
        &self,
        project: &str,
        repo: &str,
        id: i64,
        version: i64,
        title: &str,
        description: &str,
    ) -> Result<PullRequestInfo, Error> {
        let update = PullRequestUpdate::new(version)
            .title(title)
            .description(description);
        self.client
            .repo(project, repo)
            .pull_request(id)
            .update(&update)
            .await
            .map(pr_info)
            .map_err(|e| host_error("updating a pull request", e))
    }

    async fn set_pull_request_open(
        &self,
        project: &str,
        repo: &str,
        id: i64,
        version: i64,
        open: bool,
    ) -> Result<PullRequestInfo, Error> {
        let pr = self.client.repo(project, repo).pull_request(id);
        let (res, what) = match open {
            true => (pr.reopen(version).await, "reopening a pull request"),
            false => (pr.decline(version).await, "declining a pull request"),
        };
        res.map(pr_info).map_err(|e| host_error(what, e))
    }

    async fn comments(&self, project: &str, repo: &str, id: i64) -> Result<Vec<String>, Error> {
        let activities = self
            .client
            .repo(project, repo)
            .pull_request(id)
            .activities()
            .collect_all()
            .await
            .map_err(|e| host_error("reading pull request comments", e))?;
        Ok(activities
            .into_iter()
            .filter_map(|a| a.comment.map(|c| c.text))
            .collect())
    }

    async fn add_comment(
        &self,
        project: &str,
        repo: &str,
        id: i64,
        text: &str,
        anchor: Option<&LineAnchor>,
    ) -> Result<(), Error> {
        let mut comment = NewComment::new(text);
        if let Some(a) = anchor {
            comment = comment.anchor(Anchor::line(
                a.path.clone(),
                i64::from(a.line),
                LineType::Added,
                FileType::To,
            ));
        }
        self.client
            .repo(project, repo)
            .pull_request(id)
            .comments()
            .add(&comment)
            .await
            .map(|_| ())
            .map_err(|e| host_error("commenting on a pull request", e))
    }

    async fn build_statuses(
        &self,
        _project: &str,
        _repo: &str,
        commit: &str,
    ) -> Result<Vec<BuildInfo>, Error> {
        // Bitbucket lists a commit's statuses through the global build-status API only.
        let builds = self
            .client
            .build_status()
            .list(commit)
            .collect_all()
            .await
            .map_err(|e| host_error("reading build statuses", e))?;
        Ok(builds
            .into_iter()
            .map(|b| BuildInfo {
                key: b.key,
                name: b.name,
                outcome: match b.state {
                    BuildState::Successful => BuildOutcome::Successful,
                    BuildState::Failed => BuildOutcome::Failed,
                    BuildState::InProgress => BuildOutcome::InProgress,
                    BuildState::Cancelled => BuildOutcome::Stopped,
                    _ => BuildOutcome::Other,
                },
                url: b.url,
                parent: b.parent,
            })
            .collect())
    }

    async fn required_builds(
        &self,
        project: &str,
        repo: &str,
    ) -> Result<Vec<RequiredBuild>, Error> {
        let conditions = self
            .client
            .repo(project, repo)
            .required_builds()
            .conditions()
            .collect_all()
            .await;
        match conditions {
            Ok(conditions) => Ok(conditions.into_iter().map(RequiredBuild::from).collect()),
            // A server without required builds (before 7.14, or with the feature off) has no
            // such resource: nothing is required beyond the builds themselves.
            Err(bitbucket_dc::Error::NotFound {
                kind: NotFoundKind::Route | NotFoundKind::Other(_),
                ..
            }) => Ok(Vec::new()),
            Err(e) => Err(host_error("reading required builds", e)),
        }
    }
}

/// One repository at one commit as a [`RepoFiles`] source, for [`crate::files::Snapshot::from_repo`].
#[derive(Debug)]
pub struct RepoAt<'a, H: ?Sized> {
    /// The host.
    pub host: &'a H,
    /// Project key.
    pub project: &'a str,
    /// Repository slug.
    pub repo: &'a str,
    /// Commit id.
    pub commit: &'a str,
}

#[async_trait]
impl<H: BitbucketHost + ?Sized> RepoFiles for RepoAt<'_, H> {
    async fn list_paths(&self) -> Result<Vec<String>, Error> {
        self.host
            .list_files(self.project, self.repo, self.commit)
            .await
    }

    async fn read(&self, path: &str) -> Result<Vec<u8>, Error> {
        self.host
            .read_file(self.project, self.repo, path, self.commit)
            .await
    }

    async fn read_at_most(&self, path: &str, max_bytes: u64) -> Result<Limited, Error> {
        self.host
            .read_file_at_most(self.project, self.repo, path, self.commit, max_bytes)
            .await
    }
}
