//! Local policy the cloud cannot override: which Bitbucket server, which project, which branches.
//!
//! [`Policy`] decides; [`PolicyHost`] wraps a [`BitbucketHost`] so every call the engine makes
//! passes through it, right where the writing happens. The host trait has no merge and no push to
//! arbitrary refs, so "never merge" holds by construction; commits, pull requests and branch
//! deletions are only allowed on branches under the agent's prefix, never on the repository's
//! default branch. Refusals are [`Error::PolicyRefused`]. [`resolve_connection`]
//! (`policy/connection.rs`) decides which server, project and credentials an operation uses:
//! local settings win over the cloud's.

use async_trait::async_trait;
use url::Url;

use crate::files::Limited;
use crate::host::{
    BitbucketHost, BranchCommit, BranchHead, BuildInfo, FileCommit, Identity, LineAnchor, NewPr,
    PullRequestInfo,
};
use crate::remediate::gate::RequiredBuild;
use crate::Error;

mod connection;

pub use connection::{resolve_connection, Connection, LocalConnection, Token};

/// Checks a configured branch prefix: path segments of letters, digits, `.`, `_` and `-`, ending
/// in `/` (the chart's pattern). The remediation engine writes under `<prefix>security/`.
pub fn validate_branch_prefix(prefix: &str) -> Result<(), String> {
    let valid = prefix.strip_suffix('/').is_some_and(|path| {
        path.split('/').all(|segment| {
            !segment.is_empty()
                && !segment.starts_with('.')
                && !segment.ends_with(".lock")
                && !segment.contains("..")
                && segment
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        })
    });
    if !valid {
        return Err(format!(
            "`{prefix}` is not a branch prefix; use path segments of letters, digits, `.`, `_` and `-` ending in `/`, e.g. gitproxy/"
        ));
    }
    Ok(())
}

/// Checks a configured Bitbucket project key: 1 to 128 letters, digits, `_` or `~` (the key
/// Bitbucket shows, e.g. `PROJ`; personal projects are `~user`).
pub fn validate_project_key(key: &str) -> Result<(), String> {
    let valid = !key.is_empty()
        && key.len() <= 128
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '~');
    if !valid {
        return Err(format!(
            "`{key}` is not a Bitbucket project key; use the key shown in Bitbucket, e.g. PROJ"
        ));
    }
    Ok(())
}

/// The rules: one Bitbucket base URL, one project, writes under one branch prefix.
#[derive(Debug, Clone)]
pub struct Policy {
    base_url: Url,
    project: String,
    branch_prefix: String,
}

fn normalized(url: &Url) -> String {
    let mut s = format!(
        "{}://{}:{}{}",
        url.scheme(),
        url.host_str().unwrap_or_default().to_ascii_lowercase(),
        url.port_or_known_default().unwrap_or_default(),
        url.path()
    );
    while s.ends_with('/') {
        s.pop();
    }
    s
}

impl Policy {
    /// The policy for one configured server and project.
    pub fn new(base_url: Url, project: &str, branch_prefix: &str) -> Policy {
        Policy {
            base_url,
            project: project.to_owned(),
            branch_prefix: branch_prefix.to_owned(),
        }
    }

    /// A server the cloud names when none is configured locally: https only, so the token the
    /// cloud sends never crosses the network in clear and a cloud cannot point the agent at a
    /// plain-http listener. To use an http server, configure GITPROXY_BITBUCKET_URL locally.
    pub fn check_cloud_server(url: &Url) -> Result<(), Error> {
        if url.scheme() == "https" && url.host_str().is_some() {
            Ok(())
        } else {
            Err(Error::policy_refused(format!(
                "the cloud sent the Bitbucket server {url}, but a server URL from the cloud must use https; enter an https Server URL, or set GITPROXY_BITBUCKET_URL on the agent to use another scheme"
            )))
        }
    }

    /// The only server the agent may contact.
    pub fn check_server(&self, url: &Url) -> Result<(), Error> {
        if normalized(url) == normalized(&self.base_url) {
            Ok(())
        } else {
            Err(Error::policy_refused(format!(
                "the agent only contacts the configured Bitbucket server {}, not {}; change GITPROXY_BITBUCKET_URL to connect elsewhere",
                self.base_url, url
            )))
        }
    }

    /// Only repositories of the configured project.
    pub fn check_project(&self, project: &str) -> Result<(), Error> {
        if project.eq_ignore_ascii_case(&self.project) {
            Ok(())
        } else {
            Err(Error::policy_refused(format!(
                "project `{project}` is not the configured project `{}`; Check that the repository is within the configured project",
                self.project
            )))
        }
    }

    /// Writes only to branches under the prefix and never to the default branch.
    pub fn check_write_branch(
        &self,
        branch: &str,
        default_branch: Option<&str>,
    ) -> Result<(), Error> {
        let branch = branch.strip_prefix("refs/heads/").unwrap_or(branch);
        if Some(branch) == default_branch.map(|d| d.strip_prefix("refs/heads/").unwrap_or(d)) {
            return Err(Error::policy_refused(format!(
                "`{branch}` is the default branch; the agent never pushes to a default branch"
            )));
        }
        if !branch.starts_with(&self.branch_prefix) || branch.contains("..") {
            return Err(Error::policy_refused(format!(
                "branch `{branch}` is outside the agent's prefix `{}`",
                self.branch_prefix
            )));
        }
        Ok(())
    }
}

/// A Bitbucket host that enforces [`Policy`] on every call.
pub struct PolicyHost<H> {
    inner: H,
    policy: Policy,
}

impl<H> std::fmt::Debug for PolicyHost<H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PolicyHost")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl<H: BitbucketHost> PolicyHost<H> {
    /// Wraps `inner` (already built for the checked server).
    pub fn new(inner: H, policy: Policy) -> PolicyHost<H> {
        PolicyHost { inner, policy }
    }

    fn project(&self, project: &str) -> Result<(), Error> {
        self.policy.check_project(project)
    }

    /// Refuses a pull request not opened from a branch under the prefix (in the project).
    async fn own_pull_request(&self, project: &str, repo: &str, id: i64) -> R<()> {
        self.project(project)?;
        let own = self
            .inner
            .pull_requests(project, repo, &self.policy.branch_prefix)
            .await?
            .iter()
            .any(|p| p.id == id);
        if !own {
            return Err(Error::policy_refused(format!(
                "pull request #{id} was not opened from a branch under `{}`",
                self.policy.branch_prefix
            )));
        }
        Ok(())
    }

    async fn check_branch(&self, project: &str, repo: &str, branch: &str) -> Result<(), Error> {
        let default = self.inner.default_branch(project, repo).await?;
        self.policy
            .check_write_branch(branch, default.as_ref().map(|d| d.branch.as_str()))
    }
}

type R<T> = Result<T, Error>;

#[async_trait]
impl<H: BitbucketHost> BitbucketHost for PolicyHost<H> {
    async fn repositories(&self, project: &str) -> R<Vec<String>> {
        self.project(project)?;
        self.inner.repositories(project).await
    }

    async fn default_branch(&self, project: &str, repo: &str) -> R<Option<BranchHead>> {
        self.project(project)?;
        self.inner.default_branch(project, repo).await
    }

    async fn branch_head(&self, project: &str, repo: &str, branch: &str) -> R<Option<String>> {
        self.project(project)?;
        self.inner.branch_head(project, repo, branch).await
    }

    async fn current_user(&self) -> R<Option<Identity>> {
        self.inner.current_user().await
    }

    async fn commits_ahead(
        &self,
        project: &str,
        repo: &str,
        branch: &str,
        base: &str,
    ) -> R<Vec<BranchCommit>> {
        self.project(project)?;
        self.inner.commits_ahead(project, repo, branch, base).await
    }

    async fn delete_branch(&self, project: &str, repo: &str, branch: &str, tip: &str) -> R<()> {
        self.project(project)?;
        self.check_branch(project, repo, branch).await?;
        self.inner.delete_branch(project, repo, branch, tip).await
    }

    async fn list_files(&self, project: &str, repo: &str, commit: &str) -> R<Vec<String>> {
        self.project(project)?;
        self.inner.list_files(project, repo, commit).await
    }

    async fn read_file(&self, project: &str, repo: &str, path: &str, commit: &str) -> R<Vec<u8>> {
        self.project(project)?;
        self.inner.read_file(project, repo, path, commit).await
    }

    async fn read_file_at_most(
        &self,
        project: &str,
        repo: &str,
        path: &str,
        commit: &str,
        max_bytes: u64,
    ) -> R<Limited> {
        self.project(project)?;
        self.inner
            .read_file_at_most(project, repo, path, commit, max_bytes)
            .await
    }

    async fn commit_file(
        &self,
        project: &str,
        repo: &str,
        commit: &FileCommit,
    ) -> R<Option<String>> {
        self.project(project)?;
        self.check_branch(project, repo, &commit.branch).await?;
        self.inner.commit_file(project, repo, commit).await
    }

    async fn pull_requests(
        &self,
        project: &str,
        repo: &str,
        branch_prefix: &str,
    ) -> R<Vec<PullRequestInfo>> {
        self.project(project)?;
        self.inner.pull_requests(project, repo, branch_prefix).await
    }

    async fn create_pull_request(
        &self,
        project: &str,
        repo: &str,
        pr: &NewPr,
    ) -> R<PullRequestInfo> {
        self.project(project)?;
        self.check_branch(project, repo, &pr.from_branch).await?;
        self.inner.create_pull_request(project, repo, pr).await
    }

    async fn update_pull_request(
        &self,
        project: &str,
        repo: &str,
        id: i64,
        version: i64,
        title: &str,
        description: &str,
    ) -> R<PullRequestInfo> {
        self.own_pull_request(project, repo, id).await?;
        self.inner
            .update_pull_request(project, repo, id, version, title, description)
            .await
    }

    async fn set_pull_request_open(
        &self,
        project: &str,
        repo: &str,
        id: i64,
        version: i64,
        open: bool,
    ) -> R<PullRequestInfo> {
        self.own_pull_request(project, repo, id).await?;
        self.inner
            .set_pull_request_open(project, repo, id, version, open)
            .await
    }

    async fn comments(&self, project: &str, repo: &str, id: i64) -> R<Vec<String>> {
        self.project(project)?;
        self.inner.comments(project, repo, id).await
    }

    async fn add_comment(
        &self,
        project: &str,
        repo: &str,
        id: i64,
        text: &str,
        anchor: Option<&LineAnchor>,
    ) -> R<()> {
        self.project(project)?;
        self.inner
            .add_comment(project, repo, id, text, anchor)
            .await
    }

    async fn build_statuses(&self, project: &str, repo: &str, commit: &str) -> R<Vec<BuildInfo>> {
        self.project(project)?;
        self.inner.build_statuses(project, repo, commit).await
    }

    async fn required_builds(&self, project: &str, repo: &str) -> R<Vec<RequiredBuild>> {
        self.project(project)?;
        self.inner.required_builds(project, repo).await
    }
}

#[cfg(test)]
mod tests;
