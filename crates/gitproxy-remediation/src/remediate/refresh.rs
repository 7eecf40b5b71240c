//! Keeping remediation pull requests current: a fix whose target branch moved is made again on
//! the new tip (the agent's own branch is replaced and its pull request reopened and updated,
//! re-reading its version when someone changed it meanwhile), and a pull request whose package is
//! no longer vulnerable on the target is declined with a comment and its branch deleted. A branch
//! carrying someone else's commit is never touched (see `branch`).

use super::branch;
use super::{Remediator, RepoCtx};
use crate::host::{PrState, PullRequestInfo};
use crate::pr;
use crate::Error;

/// How many times a pull request change is retried after a stale `version`.
const ATTEMPTS: usize = 3;

impl Remediator<'_> {
    /// The pull request `id` as Bitbucket has it now.
    async fn reread(&self, project: &str, repo: &str, id: i64) -> Result<PullRequestInfo, Error> {
        self.host
            .pull_requests(project, repo, &self.branch_prefix)
            .await?
            .into_iter()
            .find(|p| p.id == id)
            .ok_or_else(|| Error::Host {
                operation: format!("re-reading pull request #{id}"),
                source: format!("pull request #{id} is gone").into(),
            })
    }

    /// After the branch of pull request `id` was made again on the new tip (which declines it on
    /// Bitbucket): reopens it if it was declined and gives it `title` and `description`.
    pub(super) async fn reopen_refreshed(
        &self,
        project: &str,
        repo: &str,
        id: i64,
        title: &str,
        description: &str,
    ) -> Result<(), Error> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result = async {
                let mut current = self.reread(project, repo, id).await?;
                if current.state == PrState::Declined {
                    current = self
                        .host
                        .set_pull_request_open(project, repo, id, current.version, true)
                        .await?;
                }
                if current.title != title || current.description.as_deref() != Some(description) {
                    self.host
                        .update_pull_request(project, repo, id, current.version, title, description)
                        .await?;
                }
                Ok::<(), Error>(())
            }
            .await;
            match result {
                Err(e) if e.is_out_of_date() && attempt < ATTEMPTS => {
                    tracing::info!(
                        repo,
                        pull_request = id,
                        "pull request changed meanwhile; re-reading it"
                    );
                }
                other => return other,
            }
        }
    }

    /// Declines the agent's open pull requests whose package has no advisory left on the default
    /// branch (fixed there by someone else), with a comment saying so, and deletes their branches;
    /// returns the pull requests declined. Skipped when some file could not be analysed or is of
    /// an unsupported format, since a package may then only look fixed.
    pub(super) async fn close_fixed_on_target(
        &self,
        ctx: &RepoCtx<'_>,
        open: &[&PullRequestInfo],
    ) -> Result<Vec<i64>, Error> {
        if !ctx.analysis.problems.is_empty() || !ctx.analysis.unsupported.is_empty() {
            return Ok(Vec::new());
        }
        let vulnerable: Vec<String> = ctx
            .findings
            .iter()
            .filter_map(|f| ctx.analysis.dependencies.get(f.dependency))
            .map(|d| pr::branch_name_under(&self.branch_prefix, d.ecosystem, &d.name))
            .collect();
        let me = self.me().await?;
        let mut closed = Vec::new();
        for p in open.iter().filter(|p| !vulnerable.contains(&p.from_branch)) {
            let (project, repo) = (ctx.project, ctx.repo);
            let start = branch::start(
                self.host,
                project,
                repo,
                ctx.head,
                &p.from_branch,
                Some(p),
                me,
            )
            .await?;
            let head = match start {
                branch::Start::Refuse(_) => continue,
                branch::Start::Create => None,
                branch::Start::Reuse(head)
                | branch::Start::Refresh { head }
                | branch::Start::Recreate { head, .. } => Some(head),
            };
            let text = format!(
                "**No longer needed:** `{}` has no known vulnerability on `{}` any more (it was fixed there), so gitproxy declines this pull request and deletes its branch.",
                p.title, ctx.head.branch
            );
            self.host
                .add_comment(project, repo, p.id, &text, None)
                .await?;
            let mut attempt = 0;
            loop {
                attempt += 1;
                let current = self.reread(project, repo, p.id).await?;
                if current.state != PrState::Open {
                    break;
                }
                match self
                    .host
                    .set_pull_request_open(project, repo, p.id, current.version, false)
                    .await
                {
                    Err(e) if e.is_out_of_date() && attempt < ATTEMPTS => continue,
                    other => {
                        other?;
                        break;
                    }
                }
            }
            if let Some(head) = head {
                self.host
                    .delete_branch(project, repo, &p.from_branch, &head)
                    .await?;
            }
            tracing::info!(
                repo,
                pull_request = p.id,
                "declined a remediation already fixed on the target branch"
            );
            closed.push(p.id);
        }
        Ok(closed)
    }
}
