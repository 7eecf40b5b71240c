//! Ref refresh after any write: re-reads a repository's refs and rescopes, merges or declines its open pull
//! requests accordingly.

use serde_json::{json, Map, Value};

use crate::error::SimError;
use crate::git::CommitInfo;
use crate::shared::Shared;
use crate::state::{now_ms, PrState, RefTip, State};

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
        let gone: Vec<((u64, u64), String)> = state
            .pull_requests
            .range((repo_id, 0)..=(repo_id, u64::MAX))
            .filter(|(_, pr)| pr.state == PrState::Open)
            .filter(|(_, pr)| !(tips.contains_key(&pr.from_ref) && tips.contains_key(&pr.to_ref)))
            .map(|(key, pr)| (*key, pr.author.clone()))
            .collect();
        for (key, author) in gone {
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
    match shared.rescope_delay() {
        None => rescope(shared, repo_id, actor).await,
        Some(delay) => {
            let actor = actor.map(str::to_owned);
            shared.schedule(delay, move |shared| async move {
                if let Err(err) = rescope(&shared, repo_id, actor.as_deref()).await {
                    tracing::warn!(repo_id, error = %err, "delayed rescope failed");
                }
            });
            Ok(())
        }
    }
}

/// The most commits a rescope compares on each side.
const RESCOPE_SCAN: usize = 1000;
/// The most commits a RESCOPED activity lists under `added` and `removed`.
const RESCOPE_LISTED: usize = 50;

/// Brings the open pull requests of a repository in line with its cached refs: a source merged into its
/// target marks the pull request merged; otherwise a moved source or target rescopes it, listing the commits
/// that joined or left the pull request (its own commits, never the target's).
async fn rescope(shared: &Shared, repo_id: u64, actor: Option<&str>) -> Result<(), SimError> {
    let (path, moved) = {
        let state = shared.state();
        let Some(repo) = state.repo(repo_id) else {
            return Ok(());
        };
        // (pr id, new from, new to, previous from, previous to)
        let moved: Vec<(u64, String, String, String, String)> = state
            .pull_requests
            .range((repo_id, 0)..=(repo_id, u64::MAX))
            .filter(|(_, pr)| pr.state == PrState::Open)
            .filter_map(|(key, pr)| {
                let from = repo.refs.get(&pr.from_ref)?;
                let to = repo.refs.get(&pr.to_ref)?;
                (from.sha != pr.from_commit || to.sha != pr.to_commit).then(|| {
                    (
                        key.1,
                        from.sha.clone(),
                        to.sha.clone(),
                        pr.from_commit.clone(),
                        pr.to_commit.clone(),
                    )
                })
            })
            .collect();
        (repo.path.clone(), moved)
    };
    for (pr_id, from, to, prev_from, prev_to) in moved {
        let merged = shared.git.is_ancestor(&path, &from, &to).await?;
        let (added, removed) = if merged {
            (Vec::new(), Vec::new())
        } else {
            let git = &shared.git;
            let now_own = git
                .log(&path, &[&from], &[&to], None, 0, RESCOPE_SCAN)
                .await
                .unwrap_or_default();
            let before_own = git
                .log(&path, &[&prev_from], &[&prev_to], None, 0, RESCOPE_SCAN)
                .await
                .unwrap_or_default();
            let missing_from = |list: &[CommitInfo], other: &[CommitInfo]| -> Vec<CommitInfo> {
                list.iter()
                    .filter(|c| !other.iter().any(|o| o.id == c.id))
                    .cloned()
                    .collect()
            };
            (
                missing_from(&now_own, &before_own),
                missing_from(&before_own, &now_own),
            )
        };
        let mut state = shared.state();
        let key = (repo_id, pr_id);
        let Some(pr) = state.pull_requests.get(&key) else {
            continue;
        };
        // A concurrent pass (delayed rescopes overlap) already applied this change.
        if pr.state != PrState::Open || pr.from_commit != prev_from || pr.to_commit != prev_to {
            continue;
        }
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
                // Like a merge through REST, the target keeps its pre-merge tip.
                pr.to_commit = prev_to.clone();
                pr.auto_merge = None;
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
                "commits": list.iter().take(RESCOPE_LISTED).map(|c| crate::render::commit(state, c, &links)).collect::<Vec<_>>(),
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
        let mut retry_auto_merge = false;
        let mut cancelled_auto_merge = None;
        if let Some(pr) = state.pull_requests.get_mut(&key) {
            pr.from_commit = from.clone();
            pr.to_commit = to.clone();
            pr.updated = now;
            pr.version += 1;
            if pr.auto_merge.is_some() {
                if prev_from == from {
                    retry_auto_merge = true;
                } else {
                    // New source commits void an auto-merge request, as on the real server.
                    cancelled_auto_merge = pr.auto_merge.take().map(|request| request.user);
                }
            }
        }
        state.add_activity(key, &who, "RESCOPED", extra);
        if let Some(requester) = cancelled_auto_merge {
            state.add_activity(key, &requester, "AUTO_MERGE_CANCELLED", Map::new());
        }
        drop(state);
        if retry_auto_merge {
            shared.retry_auto_merge(repo_id, pr_id);
        }
    }
    Ok(())
}
