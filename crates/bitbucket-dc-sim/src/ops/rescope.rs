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
