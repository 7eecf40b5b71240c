//! Which remediation branches the agent may write to: a fix branch starts from the default
//! branch tip and carries only commits the agent made, so a pull request's diff is exactly the
//! fix. A branch with someone else's commit is recreated from the tip when no pull request is
//! open on it, and left alone (with a status and a comment saying why and what to do) when one
//! is. A pull request declined after such a refusal counts as a request to start over.

use crate::host::{BitbucketHost, BranchCommit, BranchHead, Identity, PullRequestInfo};
use crate::Error;

/// What to do with a remediation branch before committing a fix to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Start {
    /// The branch does not exist: create it from the default branch tip.
    Create,
    /// Commit on top of the branch at this head: it carries only the agent's commits.
    Reuse(String),
    /// Delete the branch at `head` and create it again from the default branch tip.
    Recreate {
        /// The head the branch is deleted at (a concurrent push makes the delete fail).
        head: String,
        /// Why, for the log.
        reason: String,
    },
    /// The branch of an open pull request carries only the agent's commits but the default
    /// branch moved on: delete it at `head` and make the fix again on the tip (Bitbucket declines
    /// the pull request when its branch goes; the caller reopens it).
    Refresh {
        /// The head the branch is deleted at.
        head: String,
    },
    /// Write nothing: an open pull request's branch carries commits the agent did not make.
    Refuse(Foreign),
}

/// Commits on a remediation branch that the agent did not make.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Foreign {
    /// The branch.
    pub(crate) branch: String,
    /// Its head commit.
    pub(crate) head: String,
    /// The default branch it should be based on.
    pub(crate) base: String,
    /// The foreign commits, newest first.
    pub(crate) commits: Vec<BranchCommit>,
    /// The open pull request from the branch.
    pub(crate) pull_request: Option<i64>,
}

impl Foreign {
    /// One line for a repository outcome or a status report: the branch, each foreign commit
    /// with its author, and what the user can do.
    pub(crate) fn message(&self) -> String {
        let commits: Vec<String> = self
            .commits
            .iter()
            .map(|c| {
                let short = &c.id[..c.id.len().min(11)];
                format!("{short} \"{}\" by {}", c.subject, c.author)
            })
            .collect();
        let pr = self
            .pull_request
            .map(|id| format!("pull request #{id}"))
            .unwrap_or_else(|| "the pull request".into());
        format!(
            "branch `{}` carries {} the agent did not make ({}), so the agent does not update {pr}; remove {} from the branch, or decline {pr} so that the next run recreates the branch from `{}` and opens a new pull request",
            self.branch,
            if commits.len() == 1 { "a commit" } else { "commits" },
            commits.join(", "),
            if commits.len() == 1 { "that commit" } else { "those commits" },
            self.base,
        )
    }
}

/// The start of the marker that ends the agent's refusal comment on a pull request.
const REFUSAL_MARKER: &str = "<!-- gitproxy:foreign-commits:";

/// The comment the agent leaves (once per branch head) on a pull request it refuses to update.
pub(crate) fn refusal_comment(foreign: &Foreign, head: &str) -> String {
    format!(
        "**gitproxy did not update this pull request.** The {}.\n{REFUSAL_MARKER}{head} -->",
        foreign.message()
    )
}

/// Whether the comments hold the refusal comment for `head`.
pub(crate) fn refused_at(comments: &[String], head: &str) -> bool {
    let marker = format!("{REFUSAL_MARKER}{head} -->");
    comments.iter().any(|c| c.contains(&marker))
}

/// Whether the comments hold a refusal comment for any head: a pull request declined after
/// the agent refused it was declined to have the branch recreated, not to reject the fix.
pub(crate) fn was_refused(comments: &[String]) -> bool {
    comments.iter().any(|c| c.contains(REFUSAL_MARKER))
}

/// Whether `commit` was made by `me` (the user the agent authenticates as): the file-edit API
/// records that user as the author, and the server shows an author whose address belongs to a
/// user as that user. An author the server did not match to a user counts only when its
/// address is the user's own; with no identity known, no commit is the agent's.
pub(crate) fn is_own(commit: &BranchCommit, me: Option<&Identity>) -> bool {
    let Some(me) = me else {
        return false;
    };
    if let Some(author) = &commit.author_user {
        return author.eq_ignore_ascii_case(&me.name);
    }
    match (&commit.author_email, &me.email) {
        (Some(author), Some(mine)) => author.eq_ignore_ascii_case(mine),
        _ => false,
    }
}

/// The commits on `branch` that are not on the default branch and that `me` did not make.
pub(crate) async fn foreign_commits(
    host: &dyn BitbucketHost,
    project: &str,
    repo: &str,
    base: &str,
    branch: &str,
    me: Option<&Identity>,
) -> Result<Vec<BranchCommit>, Error> {
    let ahead = host.commits_ahead(project, repo, branch, base).await?;
    Ok(ahead.into_iter().filter(|c| !is_own(c, me)).collect())
}

/// Decides how a fix reaches `branch`; `open` is the open pull request from it, if any.
pub(crate) async fn start(
    host: &dyn BitbucketHost,
    project: &str,
    repo: &str,
    base: &BranchHead,
    branch: &str,
    open: Option<&PullRequestInfo>,
    me: Option<&Identity>,
) -> Result<Start, Error> {
    let Some(head) = host.branch_head(project, repo, branch).await? else {
        return Ok(Start::Create);
    };
    let ahead = host
        .commits_ahead(project, repo, branch, &base.branch)
        .await?;
    let foreign: Vec<BranchCommit> = ahead.iter().filter(|c| !is_own(c, me)).cloned().collect();
    if !foreign.is_empty() {
        if let Some(pr) = open {
            return Ok(Start::Refuse(Foreign {
                head,
                branch: branch.to_string(),
                base: base.branch.clone(),
                commits: foreign,
                pull_request: Some(pr.id),
            }));
        }
        let who: Vec<&str> = foreign.iter().map(|c| c.author.as_str()).collect();
        return Ok(Start::Recreate {
            head,
            reason: format!("it carried commits by {}", who.join(", ")),
        });
    }
    // The default branch has commits the branch lacks: the fix is made again on its tip, so the
    // pull request is never behind its target and never conflicts with it.
    let behind = !ahead.is_empty()
        && !host
            .commits_ahead(project, repo, &base.branch, branch)
            .await?
            .is_empty();
    if behind {
        return Ok(match open {
            Some(_) => Start::Refresh { head },
            None => Start::Recreate {
                head,
                reason: format!("`{}` moved on since it was made", base.branch),
            },
        });
    }
    if ahead.is_empty() && open.is_none() && head != base.commit {
        // Everything on it is on the default branch already (a merged fix): start again from
        // the tip so the new pull request's diff is only the new fix.
        return Ok(Start::Recreate {
            head,
            reason: "it holds no commit the default branch lacks".into(),
        });
    }
    Ok(Start::Reuse(head))
}

#[cfg(test)]
mod tests;
