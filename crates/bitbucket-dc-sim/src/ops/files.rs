//! File edits (`PUT /browse/{path}` and the runtime `commit_file` lever): path validation and one commit per
//! edit.

use http::StatusCode;

use super::branches::valid_branch_name;
use super::repo::{ensure_git, signature};
use super::rescope::refresh_refs;
use crate::git::{CommitInfo, ImportCommit, ImportStream};
use crate::rest::{exc, ApiError, RepoRef};
use crate::shared::Shared;
use crate::state::{display_ref, full_branch};

/// A REST (or runtime-handle) file edit.
#[derive(Debug, Clone)]
pub(crate) struct FileEdit {
    pub(crate) path: String,
    pub(crate) content: Vec<u8>,
    pub(crate) branch: String,
    pub(crate) message: Option<String>,
    pub(crate) source_commit: Option<String>,
    pub(crate) source_branch: Option<String>,
}

/// Checks a repository path for an edit: relative, no empty, `.` or `..` components.
pub(crate) fn valid_file_path(path: &str) -> bool {
    !path.is_empty()
        && !path.starts_with('/')
        && !path.ends_with('/')
        && path
            .split('/')
            .all(|c| !c.is_empty() && c != "." && c != ".." && c != ".git")
        && !path.chars().any(|c| c == '\0' || c == '\n')
}

/// Commits one file on a branch, Bitbucket's `PUT /browse/{path}` semantics.
pub(crate) async fn edit_file(
    shared: &Shared,
    repo: &RepoRef,
    author: &str,
    edit: FileEdit,
) -> Result<CommitInfo, ApiError> {
    if !valid_file_path(&edit.path) {
        return Err(ApiError::validation(
            "path",
            format!("\"{}\" is not a valid file path", edit.path),
        ));
    }
    let path = ensure_git(shared, repo.id).await?;
    let lock = shared
        .state()
        .repo(repo.id)
        .map(|r| r.write_lock.clone())
        .ok_or_else(|| ApiError::no_such_repo(&repo.key, &repo.slug))?;
    let _guard = lock.lock().await;
    let git = &shared.git;
    let branch = display_ref(&edit.branch).to_owned();
    if !valid_branch_name(&branch) {
        return Err(ApiError::validation(
            "branch",
            format!("\"{branch}\" is not a valid branch name"),
        ));
    }
    let branch_ref = full_branch(&branch);
    let tip = git.resolve_commit(&path, &branch_ref).await?;
    let source_branch = edit
        .source_branch
        .as_deref()
        .map(|s| display_ref(s).to_owned())
        .filter(|s| !s.is_empty() && *s != branch);
    let base = match (tip, source_branch) {
        (Some(_), Some(_)) => {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                exc::BRANCH_EXISTS,
                format!("Branch \"{branch}\" already exists in repository \"{}\"; omit sourceBranch to commit on it.", repo.slug),
            ))
        }
        (Some(tip), None) => Some(tip),
        (None, Some(source)) => match git.resolve_commit(&path, &full_branch(&source)).await? {
            Some(sha) => Some(sha),
            None => {
                return Err(ApiError::new(
                    StatusCode::NOT_FOUND,
                    exc::NO_SUCH_BRANCH,
                    format!("Branch \"{source}\" does not exist in repository \"{}\".", repo.slug),
                )
                .context("sourceBranch"))
            }
        },
        (None, None) => {
            let empty = shared.state().repo(repo.id).is_none_or(|r| r.is_empty());
            if !empty {
                return Err(ApiError::new(
                    StatusCode::NOT_FOUND,
                    exc::NO_SUCH_BRANCH,
                    format!("Branch \"{branch}\" does not exist in repository \"{}\"; pass sourceBranch to create it.", repo.slug),
                )
                .context("branch"));
            }
            None
        }
    };
    let existing = match &base {
        Some(base) => git.entry(&path, base, &edit.path).await?,
        None => None,
    };
    if let Some(entry) = &existing {
        if entry.kind != crate::git::EntryKind::File {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                exc::FILE_EXISTS,
                format!(
                    "\"{}\" is a directory and cannot be edited as a file.",
                    edit.path
                ),
            ));
        }
        let Some(source_commit) = edit.source_commit.as_deref() else {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                exc::FILE_EXISTS,
                format!(
                    "The file \"{}\" already exists on branch \"{branch}\"; provide sourceCommitId to update it.",
                    edit.path
                ),
            ));
        };
        let Some(source) = git.resolve_commit(&path, source_commit).await? else {
            return Err(
                ApiError::no_such_commit(source_commit, &repo.slug).context("sourceCommitId")
            );
        };
        let at_source = git.entry(&path, &source, &edit.path).await?;
        if at_source.as_ref().map(|e| &e.oid) != Some(&entry.oid) {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                exc::FILE_OUT_OF_DATE,
                format!(
                    "The file \"{}\" has been modified since commit {}; fetch the latest version and retry.",
                    edit.path,
                    crate::render::short(&source)
                ),
            ));
        }
        let current = git
            .read_blob(&path, &source, &edit.path)
            .await?
            .unwrap_or_default();
        if current == edit.content {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                exc::FILE_UNMODIFIED,
                "The content provided is the same as what already exists. No change was committed.",
            ));
        }
    }
    let signature = signature(&shared.state(), author);
    let message = edit
        .message
        .filter(|m| !m.trim().is_empty())
        .unwrap_or_else(|| {
            if existing.is_some() {
                format!("Edited {} online with Bitbucket", edit.path)
            } else {
                format!("Added {} online with Bitbucket", edit.path)
            }
        });
    let mut stream = ImportStream::default();
    let files = vec![(edit.path.clone(), edit.content)];
    stream.commit(&ImportCommit {
        git_ref: &branch_ref,
        author: &signature,
        message: &message,
        from: base.as_deref(),
        files: &files,
    });
    git.fast_import(&path, &stream.into_bytes())
        .await
        .map_err(|err| {
            ApiError::new(
                StatusCode::CONFLICT,
                exc::FILE_OUT_OF_DATE,
                format!("the branch moved while committing: {err}"),
            )
        })?;
    let sha = git
        .resolve_commit(&path, &branch_ref)
        .await?
        .ok_or_else(|| ApiError::internal("the new commit could not be resolved"))?;
    refresh_refs(shared, repo.id, Some(author)).await?;
    git.commit(&path, &sha)
        .await?
        .ok_or_else(|| ApiError::internal("the new commit could not be read"))
}
