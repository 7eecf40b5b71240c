//! Local policy the cloud cannot override: which Bitbucket server, which project, which branches.
//!
//! [`Policy`] decides; [`PolicyHost`] wraps the remediation engine's Bitbucket host so every call
//! passes through it. The host trait has no merge and no push to arbitrary refs, so "never merge"
//! holds by construction; commits and pull requests are only allowed from branches under the
//! agent's prefix, never on the repository's default branch.

use async_trait::async_trait;
use gitproxy_remediation::host::{
    BitbucketHost, BranchHead, BuildInfo, FileCommit, LineAnchor, NewPr, PullRequestInfo,
};
use url::Url;

/// Checks a configured branch prefix: path segments of letters, digits, `.`, `_` and `-`, ending
/// in `/` (the chart's pattern). The remediation engine writes under `<prefix>security/`.
pub(crate) fn validate_branch_prefix(prefix: &str) -> Result<(), String> {
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

/// A refused action, with what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Denied(pub(crate) String);

impl std::fmt::Display for Denied {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "refused by local policy: {}", self.0)
    }
}

impl std::error::Error for Denied {}

/// The rules: one Bitbucket base URL, one project, writes under one branch prefix.
#[derive(Debug, Clone)]
pub(crate) struct Policy {
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
    pub(crate) fn new(base_url: Url, project: &str, branch_prefix: &str) -> Policy {
        Policy {
            base_url,
            project: project.to_owned(),
            branch_prefix: branch_prefix.to_owned(),
        }
    }

    /// The only server the agent may contact.
    pub(crate) fn check_server(&self, url: &Url) -> Result<(), Denied> {
        if normalized(url) == normalized(&self.base_url) {
            Ok(())
        } else {
            Err(Denied(format!(
                "the agent only contacts the configured Bitbucket server {}, not {}; change GITPROXY_BITBUCKET_URL to connect elsewhere",
                self.base_url, url
            )))
        }
    }

    /// Only repositories of the configured project.
    pub(crate) fn check_project(&self, project: &str) -> Result<(), Denied> {
        if project.eq_ignore_ascii_case(&self.project) {
            Ok(())
        } else {
            Err(Denied(format!(
                "project `{project}` is not the configured project `{}`; Check that the repository is within the configured project",
                self.project
            )))
        }
    }

    /// Writes only to branches under the prefix and never to the default branch.
    pub(crate) fn check_write_branch(
        &self,
        branch: &str,
        default_branch: Option<&str>,
    ) -> Result<(), Denied> {
        let branch = branch.strip_prefix("refs/heads/").unwrap_or(branch);
        if Some(branch) == default_branch.map(|d| d.strip_prefix("refs/heads/").unwrap_or(d)) {
            return Err(Denied(format!(
                "`{branch}` is the default branch; the agent never pushes to a default branch"
            )));
        }
        if !branch.starts_with(&self.branch_prefix) || branch.contains("..") {
            return Err(Denied(format!(
                "branch `{branch}` is outside the agent's prefix `{}`",
                self.branch_prefix
            )));
        }
        Ok(())
    }
}

fn denied(e: Denied) -> gitproxy_remediation::Error {
    gitproxy_remediation::Error::Host {
        operation: "checking the local policy".to_owned(),
        source: Box::new(e),
    }
}

/// A Bitbucket host that enforces [`Policy`] on every call.
pub(crate) struct PolicyHost<H> {
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
    pub(crate) fn new(inner: H, policy: Policy) -> PolicyHost<H> {
        PolicyHost { inner, policy }
    }

    fn project(&self, project: &str) -> Result<(), gitproxy_remediation::Error> {
        self.policy.check_project(project).map_err(denied)
    }

    async fn check_branch(
        &self,
        project: &str,
        repo: &str,
        branch: &str,
    ) -> Result<(), gitproxy_remediation::Error> {
        let default = self.inner.default_branch(project, repo).await?;
        self.policy
            .check_write_branch(branch, default.as_ref().map(|d| d.branch.as_str()))
            .map_err(denied)
    }
}

type R<T> = Result<T, gitproxy_remediation::Error>;

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

    async fn list_files(&self, project: &str, repo: &str, commit: &str) -> R<Vec<String>> {
        self.project(project)?;
        self.inner.list_files(project, repo, commit).await
    }

    async fn read_file(&self, project: &str, repo: &str, path: &str, commit: &str) -> R<Vec<u8>> {
        self.project(project)?;
        self.inner.read_file(project, repo, path, commit).await
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
        self.project(project)?;
        let own = self
            .inner
            .pull_requests(project, repo, &self.policy.branch_prefix)
            .await?
            .iter()
            .any(|p| p.id == id);
        if !own {
            return Err(denied(Denied(format!(
                "pull request #{id} was not opened from a branch under `{}`",
                self.policy.branch_prefix
            ))));
        }
        self.inner
            .update_pull_request(project, repo, id, version, title, description)
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
}

#[cfg(test)]
mod tests;
