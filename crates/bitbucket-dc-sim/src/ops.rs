//! Operations that touch git and the model together, shared by REST handlers and the runtime handles:
//! lazy repository creation, ref refresh (with pull request rescoping), file edits, branches, merges and
//! pull request state changes.

use std::path::PathBuf;

use http::StatusCode;
use serde_json::{json, Map, Value};

use crate::error::SimError;
use crate::git::{CommitInfo, ImportCommit, ImportStream, MergeOutcome, Signature};
use crate::rest::{exc, ApiError, RepoRef};
use crate::server::Shared;
use crate::state::{display_ref, full_branch, now_ms, PrState, RefTip, State};

/// Creates the bare repository on first use (empty repositories are seeded lazily).
pub(crate) async fn ensure_git(shared: &Shared, repo_id: u64) -> Result<PathBuf, SimError> {
    let (path, lock, initialized, default_branch) = {
        let state = shared.state();
        let repo = state
            .repo(repo_id)
            .ok_or_else(|| SimError::NotFound(format!("repository {repo_id}")))?;
        (
            repo.path.clone(),
            repo.write_lock.clone(),
            repo.initialized,
            repo.default_branch.clone(),
        )
    };
    if initialized {
        return Ok(path);
    }
    let _guard = lock.lock().await;
    let initialized = shared.state().repo(repo_id).is_some_and(|r| r.initialized);
    if !initialized {
        if let Some(parent) = path.parent() {
            tokio::fs::create_dir_all(parent).await?;
        }
        shared.git.init_bare(&path, &default_branch).await?;
        if let Some(repo) = shared.state().repo_mut(repo_id) {
            repo.initialized = true;
        }
    }
    Ok(path)
}

/// Points HEAD (and the configured default) at `branch`, under the repository's write lock.
pub(crate) async fn set_default_branch(
    shared: &Shared,
    repo_id: u64,
    branch: &str,
) -> Result<(), SimError> {
    let path = ensure_git(shared, repo_id).await?;
    let lock = shared
        .state()
        .repo(repo_id)
        .map(|r| r.write_lock.clone())
        .ok_or_else(|| SimError::NotFound(format!("repository {repo_id}")))?;
    let _guard = lock.lock().await;
    shared.git.set_head(&path, branch).await?;
    if let Some(repo) = shared.state().repo_mut(repo_id) {
        repo.default_branch = branch.to_owned();
    }
    Ok(())
}

/// The signature of a simulator user (display name and e-mail) at the current time.
pub(crate) fn signature(state: &State, user: &str) -> Signature {
    let (name, email) = state
        .user(user)
        .map(|u| (u.display_name.clone(), u.email.clone()))
        .unwrap_or_else(|| (user.to_owned(), format!("{user}@example.invalid")));
    Signature {
        name,
        email,
        time: now_ms() / 1000,
    }
}

/// Re-reads the refs of a repository and rescopes (or closes) its open pull requests accordingly.
pub(crate) async fn refresh_refs(
    shared: &Shared,
    repo_id: u64,
    actor: Option<&str>,
) -> Result<(), SimError> {
    let (path, initialized) = {
        let state = shared.state();
        let Some(repo) = state.repo(repo_id) else {
            return Ok(());
        };
        (repo.path.clone(), repo.initialized)
    };
    if !initialized {
        return Ok(());
    }
    let refs = shared.git.refs(&path).await?;
    // (pr id, new from, new to, previous from, previous to)
    let mut moved: Vec<(u64, String, String, String, String)> = Vec::new();
    {
        let mut state = shared.state();
        let Some(repo) = state.repo_mut(repo_id) else {
            return Ok(());
        };
        repo.refs = refs
            .into_iter()
            .map(|r| {
                (
                    r.name,
                    RefTip {
                        sha: r.sha,
                        time: r.time,
                    },
                )
            })
            .collect();
        let tips = repo.refs.clone();
        let keys: Vec<(u64, u64)> = state
            .pull_requests
            .range((repo_id, 0)..=(repo_id, u64::MAX))
            .filter(|(_, pr)| pr.state == PrState::Open)
            .map(|(key, _)| *key)
            .collect();
        for key in keys {
            let Some(pr) = state.pull_requests.get(&key) else {
                continue;
            };
            let author = pr.author.clone();
            match (tips.get(&pr.from_ref), tips.get(&pr.to_ref)) {
                (Some(from), Some(to)) => {
                    if from.sha != pr.from_commit || to.sha != pr.to_commit {
                        moved.push((
                            key.1,
                            from.sha.clone(),
                            to.sha.clone(),
                            pr.from_commit.clone(),
                            pr.to_commit.clone(),
                        ));
                    }
                }
                _ => {
                    // Deleting either branch of an open pull request declines it.
                    let now = now_ms();
                    if let Some(pr) = state.pull_requests.get_mut(&key) {
                        pr.state = PrState::Declined;
                        pr.closed = Some(now);
                        pr.updated = now;
                        pr.version += 1;
                    }
                    state.add_activity(key, actor.unwrap_or(&author), "DECLINED", Map::new());
                }
            }
        }
    }
    for (pr_id, from, to, prev_from, prev_to) in moved {
        let merged = shared.git.is_ancestor(&path, &from, &to).await?;
        let added = if prev_from != from {
            shared
                .git
                .log(&path, &[&from], &[&prev_from], None, 0, 50)
                .await
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        let removed = if prev_from != from {
            shared
                .git
                .log(&path, &[&prev_from], &[&from], None, 0, 50)
                .await
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        let mut state = shared.state();
        let key = (repo_id, pr_id);
        let Some(pr) = state.pull_requests.get(&key) else {
            continue;
        };
        let who = actor
            .map(str::to_owned)
            .unwrap_or_else(|| pr.author.clone());
        let now = now_ms();
        if merged {
            let to_ref = pr.to_ref.clone();
            if let Some(pr) = state.pull_requests.get_mut(&key) {
                pr.state = PrState::Merged;
                pr.closed = Some(now);
                pr.updated = now;
                pr.version += 1;
                pr.from_commit = from.clone();
                pr.to_commit = to.clone();
            }
            let mut extra = Map::new();
            extra.insert(
                "commit".into(),
                json!({"id": to, "displayId": crate::render::short(&to)}),
            );
            extra.insert("mergedRef".into(), json!(to_ref));
            state.add_activity(key, &who, "MERGED", extra);
            continue;
        }
        let links = shared.links.clone();
        let render = |list: &[CommitInfo], state: &State| -> Value {
            json!({
                "commits": list.iter().map(|c| crate::render::commit(state, c, &links)).collect::<Vec<_>>(),
                "total": list.len(),
            })
        };
        let mut extra = Map::new();
        extra.insert("fromHash".into(), json!(from));
        extra.insert("previousFromHash".into(), json!(prev_from));
        extra.insert("toHash".into(), json!(to));
        extra.insert("previousToHash".into(), json!(prev_to));
        extra.insert("added".into(), render(&added, &state));
        extra.insert("removed".into(), render(&removed, &state));
        if let Some(pr) = state.pull_requests.get_mut(&key) {
            pr.from_commit = from.clone();
            pr.to_commit = to.clone();
            pr.updated = now;
            pr.version += 1;
        }
        state.add_activity(key, &who, "RESCOPED", extra);
    }
    Ok(())
}

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

/// Git's ref-name rules for a branch's short name.
pub(crate) fn valid_branch_name(name: &str) -> bool {
    !name.is_empty()
        && name != "@"
        && !name.starts_with('/')
        && !name.ends_with('/')
        && !name.ends_with('.')
        && !name.starts_with('-')
        && !name.contains("..")
        && !name.contains("//")
        && !name.contains("@{")
        && !name
            .chars()
            .any(|c| c.is_control() || matches!(c, ' ' | '~' | '^' | ':' | '?' | '*' | '[' | '\\'))
        && name
            .split('/')
            .all(|c| !c.starts_with('.') && !c.ends_with(".lock"))
}

/// Creates a branch at a commit or ref; returns (full ref, commit id).
pub(crate) async fn create_branch(
    shared: &Shared,
    repo: &RepoRef,
    name: &str,
    start_point: Option<&str>,
    actor: &str,
) -> Result<(String, String), ApiError> {
    let short = display_ref(name).to_owned();
    if !valid_branch_name(&short) || name.starts_with("refs/") && !name.starts_with("refs/heads/") {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            exc::INVALID_REF,
            format!("\"{name}\" is not a valid branch name."),
        )
        .context("name"));
    }
    let Some(start_point) = start_point.filter(|s| !s.trim().is_empty()) else {
        return Err(ApiError::validation(
            "startPoint",
            "A start point is required to create a branch.",
        ));
    };
    let path = ensure_git(shared, repo.id).await?;
    let lock = shared
        .state()
        .repo(repo.id)
        .map(|r| r.write_lock.clone())
        .ok_or_else(|| ApiError::no_such_repo(&repo.key, &repo.slug))?;
    let _guard = lock.lock().await;
    let Some(start) = shared.git.resolve_commit(&path, start_point).await? else {
        return Err(ApiError::validation(
            "startPoint",
            format!(
                "Start point \"{start_point}\" does not exist in repository \"{}\".",
                repo.slug
            ),
        ));
    };
    let full = full_branch(&short);
    let (exists, overlap) = {
        let state = shared.state();
        let refs = state
            .repo(repo.id)
            .map(|r| r.refs.clone())
            .unwrap_or_default();
        let exists = refs.contains_key(&full);
        let overlap = refs.keys().find(|existing| {
            existing.starts_with(&format!("{full}/")) || full.starts_with(&format!("{existing}/"))
        });
        (exists, overlap.cloned())
    };
    if exists {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            exc::BRANCH_EXISTS,
            format!(
                "Branch \"{short}\" already exists in repository \"{}\".",
                repo.slug
            ),
        )
        .context("name"));
    }
    if let Some(other) = overlap {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            exc::BRANCH_OVERLAP,
            format!(
                "Branch \"{short}\" cannot be created because it conflicts with the existing branch \"{}\".",
                display_ref(&other)
            ),
        ));
    }
    if !shared.git.update_ref(&path, &full, &start, None).await? {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            exc::BRANCH_OVERLAP,
            format!("Branch \"{short}\" could not be created; it conflicts with an existing ref."),
        ));
    }
    refresh_refs(shared, repo.id, Some(actor)).await?;
    Ok((full, start))
}

/// Deletes a branch with Bitbucket's branch-utils semantics (204 even when absent).
pub(crate) async fn delete_branch(
    shared: &Shared,
    repo: &RepoRef,
    name: &str,
    end_point: Option<&str>,
    dry_run: bool,
    actor: &str,
) -> Result<(), ApiError> {
    let short = display_ref(name).to_owned();
    let full = full_branch(name);
    if short == repo.default_branch {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            exc::DEFAULT_BRANCH_DELETE,
            format!("Branch \"{short}\" is the default branch and cannot be deleted."),
        ));
    }
    let path = ensure_git(shared, repo.id).await?;
    let lock = shared
        .state()
        .repo(repo.id)
        .map(|r| r.write_lock.clone())
        .ok_or_else(|| ApiError::no_such_repo(&repo.key, &repo.slug))?;
    let _guard = lock.lock().await;
    let Some(tip) = shared.git.resolve_commit(&path, &full).await? else {
        return Ok(());
    };
    if let Some(end) = end_point.filter(|e| !e.is_empty()) {
        if !(tip.starts_with(end) && end.len() >= 4) {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                exc::BRANCH_OUT_OF_DATE,
                format!(
                    "Branch \"{short}\" points at {} rather than the expected end point {end}.",
                    crate::render::short(&tip)
                ),
            ));
        }
    }
    if dry_run {
        return Ok(());
    }
    shared.git.delete_ref(&path, &full, &tip).await?;
    refresh_refs(shared, repo.id, Some(actor)).await?;
    Ok(())
}

/// 409 `PullRequestOutOfDateException` unless `expected` is the current version.
pub(crate) fn check_pr_version(
    state: &State,
    key: (u64, u64),
    expected: Option<i64>,
    viewer: Option<&str>,
    links: &crate::render::Links,
) -> Result<(), ApiError> {
    let Some(pr) = state.pull_requests.get(&key) else {
        return Err(ApiError::no_such_pr(&key.1.to_string()));
    };
    let expected = expected.unwrap_or(-1);
    if pr.version != expected {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            exc::PR_OUT_OF_DATE,
            format!(
                "You are attempting to modify a pull request based on out-of-date information. The current version is {} but you supplied {}.",
                pr.version, expected
            ),
        )
        .field("currentVersion", json!(pr.version))
        .field("expectedVersion", json!(expected))
        .field("pullRequest", crate::render::pull_request(state, pr, viewer, links)));
    }
    Ok(())
}

fn illegal_state(id: u64, state: PrState, action: &str) -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        exc::PR_STATE,
        format!(
            "Pull request {id} is {} and cannot be {action}.",
            state.as_str().to_ascii_lowercase()
        ),
    )
}

/// Whether `user` (holding `level` on the repository) may act on a pull request: its author, or REPO_WRITE.
fn may_modify(state: &State, key: (u64, u64), user: &str, level: crate::state::Level) -> bool {
    state
        .pull_requests
        .get(&key)
        .is_some_and(|pr| pr.author == user || level >= crate::state::Level::Write)
}

/// Declines an open pull request.
pub(crate) fn decline(
    state: &mut State,
    key: (u64, u64),
    (user, level): (&str, crate::state::Level),
    version: Option<i64>,
    links: &crate::render::Links,
    comment: Option<&str>,
) -> Result<(), ApiError> {
    let pr = state
        .pull_requests
        .get(&key)
        .ok_or_else(|| ApiError::no_such_pr(&key.1.to_string()))?;
    if !may_modify(state, key, user, level) {
        return Err(ApiError::unauthorised());
    }
    if pr.state != PrState::Open {
        return Err(illegal_state(key.1, pr.state, "declined"));
    }
    check_pr_version(state, key, version, Some(user), links)?;
    let now = now_ms();
    if let Some(pr) = state.pull_requests.get_mut(&key) {
        pr.state = PrState::Declined;
        pr.closed = Some(now);
        pr.updated = now;
        pr.version += 1;
    }
    state.add_activity(key, user, "DECLINED", Map::new());
    if let Some(text) = comment.filter(|t| !t.trim().is_empty()) {
        add_comment(
            state,
            key,
            user,
            text.to_owned(),
            None,
            None,
            "NORMAL",
            "OPEN",
        );
    }
    Ok(())
}

/// Reopens a declined pull request.
pub(crate) fn reopen(
    state: &mut State,
    key: (u64, u64),
    (user, level): (&str, crate::state::Level),
    version: Option<i64>,
    links: &crate::render::Links,
) -> Result<(), ApiError> {
    let pr = state
        .pull_requests
        .get(&key)
        .ok_or_else(|| ApiError::no_such_pr(&key.1.to_string()))?;
    if !may_modify(state, key, user, level) {
        return Err(ApiError::unauthorised());
    }
    if pr.state != PrState::Declined {
        return Err(illegal_state(key.1, pr.state, "reopened"));
    }
    check_pr_version(state, key, version, Some(user), links)?;
    let (from_ref, to_ref) = (pr.from_ref.clone(), pr.to_ref.clone());
    let tips = state
        .repo(key.0)
        .map(|r| r.refs.clone())
        .unwrap_or_default();
    let (Some(from), Some(to)) = (tips.get(&from_ref), tips.get(&to_ref)) else {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            exc::PR_STATE,
            "The pull request cannot be reopened because its source or target branch no longer exists.",
        ));
    };
    let duplicate = state.pull_requests.values().find(|other| {
        other.repo_id == key.0
            && other.id != key.1
            && other.state == PrState::Open
            && other.from_ref == from_ref
            && other.to_ref == to_ref
    });
    if let Some(dup) = duplicate {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            exc::PR_DUPLICATE,
            "Only one pull request may be open for a given source and target branch",
        )
        .field(
            "existingPullRequest",
            crate::render::pull_request(state, dup, Some(user), links),
        ));
    }
    let (from, to) = (from.sha.clone(), to.sha.clone());
    let now = now_ms();
    if let Some(pr) = state.pull_requests.get_mut(&key) {
        pr.state = PrState::Open;
        pr.closed = None;
        pr.updated = now;
        pr.version += 1;
        pr.from_commit = from;
        pr.to_commit = to;
    }
    state.add_activity(key, user, "REOPENED", Map::new());
    Ok(())
}

/// Adds a comment (or reply) and its COMMENTED activity; returns the comment id.
#[allow(clippy::too_many_arguments)]
pub(crate) fn add_comment(
    state: &mut State,
    key: (u64, u64),
    user: &str,
    text: String,
    parent: Option<u64>,
    anchor: Option<Value>,
    severity: &str,
    comment_state: &str,
) -> u64 {
    let id = state.next_comment();
    let now = now_ms();
    state.comments.insert(
        id,
        crate::state::Comment {
            id,
            repo_id: key.0,
            pr_id: key.1,
            version: 0,
            text,
            author: user.to_owned(),
            created: now,
            updated: now,
            parent,
            replies: Vec::new(),
            anchor,
            severity: severity.to_owned(),
            state: comment_state.to_owned(),
            resolved: None,
        },
    );
    if let Some(parent) = parent.and_then(|p| state.comments.get_mut(&p)) {
        parent.replies.push(id);
    }
    let activity_id = state.next_activity();
    if let Some(pr) = state.pull_requests.get_mut(&key) {
        pr.activities.push(crate::state::Activity {
            id: activity_id,
            created: now,
            user: user.to_owned(),
            action: "COMMENTED",
            comment_id: Some(id),
            comment_action: Some(if parent.is_some() { "REPLIED" } else { "ADDED" }),
            extra: Map::new(),
        });
        let is_participant = pr.author == user
            || pr.reviewers.iter().any(|r| r.user == user)
            || pr.participants.iter().any(|p| p.user == user);
        if !is_participant {
            pr.participants.push(crate::state::Participant {
                user: user.to_owned(),
                status: "UNAPPROVED",
                last_reviewed: None,
            });
        }
    }
    id
}

/// Merges a pull request into its target branch with a real merge commit.
pub(crate) async fn merge(
    shared: &Shared,
    repo: &RepoRef,
    pr_id: u64,
    user: &str,
    version: Option<i64>,
    message: Option<String>,
    strategy: Option<&str>,
) -> Result<(), ApiError> {
    let key = (repo.id, pr_id);
    let path = ensure_git(shared, repo.id).await?;
    let lock = shared
        .state()
        .repo(repo.id)
        .map(|r| r.write_lock.clone())
        .ok_or_else(|| ApiError::no_such_repo(&repo.key, &repo.slug))?;
    let _guard = lock.lock().await;
    let (from_ref, to_ref, from_commit, title) = {
        let state = shared.state();
        let pr = state
            .pull_requests
            .get(&key)
            .ok_or_else(|| ApiError::no_such_pr(&pr_id.to_string()))?;
        if pr.state != PrState::Open {
            return Err(illegal_state(pr_id, pr.state, "merged"));
        }
        check_pr_version(&state, key, version, Some(user), &shared.links)?;
        (
            pr.from_ref.clone(),
            pr.to_ref.clone(),
            pr.from_commit.clone(),
            pr.title.clone(),
        )
    };
    let Some(to_tip) = shared.git.resolve_commit(&path, &to_ref).await? else {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            exc::PR_STATE,
            "The target branch no longer exists.",
        ));
    };
    let strategy = strategy
        .map(str::to_ascii_lowercase)
        .unwrap_or_else(|| "no-ff".to_owned());
    if !matches!(
        strategy.as_str(),
        "no-ff" | "ff" | "ff-only" | "squash" | "squash-ff-only"
    ) {
        return Err(ApiError::validation(
            "strategyId",
            format!("The merge strategy \"{strategy}\" is not enabled for this repository; use no-ff, ff, ff-only, squash or squash-ff-only."),
        ));
    }
    let fast_forward = shared.git.is_ancestor(&path, &to_tip, &from_commit).await?;
    if strategy.ends_with("ff-only") && !fast_forward {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            exc::PR_MERGE_VETOED,
            "Merging the pull request has been vetoed.",
        )
        .field("conflicted", json!(false))
        .field(
            "vetoes",
            json!([{
                "summaryMessage": "Fast-forward is not possible",
                "detailedMessage": format!("{} is not based on the tip of {}; rebase it first.", display_ref(&from_ref), display_ref(&to_ref)),
            }]),
        ));
    }
    let header = format!(
        "Merge pull request #{pr_id} in {}/{} from {} to {}",
        repo.key,
        repo.slug,
        display_ref(&from_ref),
        display_ref(&to_ref)
    );
    let body = message
        .filter(|m| !m.trim().is_empty())
        .unwrap_or_else(|| format!("* commit '{from_commit}':\n  {title}"));
    let signature = signature(&shared.state(), user);
    let merge_commit = if fast_forward && (strategy == "ff" || strategy == "ff-only") {
        from_commit.clone()
    } else {
        let tree = match shared.git.merge_tree(&path, &to_tip, &from_commit).await? {
            MergeOutcome::Clean { tree } => tree,
            MergeOutcome::Conflicted { paths } => {
                return Err(ApiError::new(
                    StatusCode::CONFLICT,
                    exc::PR_MERGE_VETOED,
                    "Merging the pull request has been vetoed.",
                )
                .field("conflicted", json!(true))
                .field(
                    "vetoes",
                    json!([{
                        "summaryMessage": "The pull request has conflicts",
                        "detailedMessage": format!("Resolve the conflicts in {} before merging.", paths.join(", ")),
                    }]),
                ))
            }
        };
        let (parents, text): (Vec<&str>, String) = if strategy.starts_with("squash") {
            (vec![&to_tip], format!("{title}\n\n{body}\n"))
        } else {
            (vec![&to_tip, &from_commit], format!("{header}\n\n{body}\n"))
        };
        shared
            .git
            .commit_tree(&path, &tree, &parents, &text, &signature)
            .await?
    };
    if !shared
        .git
        .update_ref(&path, &to_ref, &merge_commit, Some(&to_tip))
        .await?
    {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            exc::PR_OUT_OF_DATE,
            "The target branch moved while merging; fetch the pull request and retry.",
        ));
    }
    let info = shared.git.commit(&path, &merge_commit).await?;
    {
        let mut state = shared.state();
        let now = now_ms();
        if let Some(pr) = state.pull_requests.get_mut(&key) {
            pr.state = PrState::Merged;
            pr.closed = Some(now);
            pr.updated = now;
            pr.version += 1;
            pr.merge_commit = Some(merge_commit.clone());
            pr.to_commit = merge_commit.clone();
        }
        let mut extra = Map::new();
        if let Some(info) = &info {
            extra.insert(
                "commit".into(),
                crate::render::commit(&state, info, &shared.links),
            );
        }
        state.add_activity(key, user, "MERGED", extra);
    }
    refresh_refs(shared, repo.id, Some(user)).await?;
    Ok(())
}

#[cfg(test)]
mod tests;
