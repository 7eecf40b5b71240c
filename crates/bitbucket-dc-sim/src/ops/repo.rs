//! Repository basics every operation needs: lazy creation of the bare repository, the default branch and
//! the git signature of a simulator user.

use std::path::PathBuf;

use crate::error::SimError;
use crate::git::Signature;
use crate::shared::Shared;
use crate::state::{now_ms, State};

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
