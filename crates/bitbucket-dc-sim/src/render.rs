//! JSON renderings of the model, shaped like the spec's Rest* schemas (users, projects, repositories, refs,
//! commits, pull requests, participants, comments).

use serde_json::{json, Map, Value};

use crate::git::CommitInfo;
use crate::state::{display_ref, Comment, Participant, Project, PullRequest, Repo, State, User};

/// Absolute links into the simulator (its base URL, context path included, no trailing slash).
#[derive(Debug, Clone)]
pub(crate) struct Links {
    pub(crate) base: url::Url,
}

impl Links {
    pub(crate) fn base(&self) -> String {
        self.base.as_str().trim_end_matches('/').to_owned()
    }

    /// `http://user@host:port/ctx/scm/key/slug.git` (user omitted for anonymous callers).
    pub(crate) fn clone_url(&self, user: Option<&str>, key: &str, slug: &str) -> String {
        let mut url = self.base.clone();
        if let Some(user) = user {
            let _ = url.set_username(user);
        }
        let path = format!(
            "{}/scm/{}/{}.git",
            url.path().trim_end_matches('/'),
            key.to_ascii_lowercase(),
            slug
        );
        url.set_path(&path);
        url.to_string()
    }
}

pub(crate) fn user(user: &User, links: &Links) -> Value {
    json!({
        "name": user.name,
        "emailAddress": user.email,
        "id": user.id,
        "displayName": user.display_name,
        "active": user.active,
        "slug": user.slug,
        "type": if user.service { "SERVICE" } else { "NORMAL" },
        "links": {"self": [{"href": format!("{}/users/{}", links.base(), user.slug)}]},
    })
}

/// A user by name, or a minimal stand-in when the user was removed.
pub(crate) fn user_named(state: &State, name: &str, links: &Links) -> Value {
    match state.user(name) {
        Some(u) => user(u, links),
        None => {
            json!({"name": name, "slug": name, "displayName": name, "active": false, "type": "NORMAL"})
        }
    }
}

pub(crate) fn project(project: &Project, links: &Links) -> Value {
    let mut value = json!({
        "key": project.key,
        "id": project.id,
        "name": project.name,
        "public": project.public,
        "type": if project.key.starts_with('~') { "PERSONAL" } else { "NORMAL" },
        "links": {"self": [{"href": format!("{}/projects/{}", links.base(), project.key)}]},
    });
    if let Some(description) = &project.description {
        value["description"] = json!(description);
    }
    value
}

pub(crate) fn repo(state: &State, repo: &Repo, viewer: Option<&str>, links: &Links) -> Value {
    let project_json = state
        .project(&repo.project_key)
        .map(|p| project(p, links))
        .unwrap_or_else(|| json!({"key": repo.project_key}));
    let mut value = json!({
        "slug": repo.slug,
        "id": repo.id,
        "name": repo.name,
        "hierarchyId": format!("{:020x}", repo.id.wrapping_mul(0x9e37_79b9_7f4a_7c15)),
        "scmId": "git",
        "state": "AVAILABLE",
        "statusMessage": "Available",
        "forkable": repo.forkable,
        "project": project_json,
        "public": repo.public,
        "archived": repo.archived,
        "links": {
            "clone": [{"href": links.clone_url(viewer, &repo.project_key, &repo.slug), "name": "http"}],
            "self": [{"href": format!("{}/projects/{}/repos/{}/browse", links.base(), repo.project_key, repo.slug)}],
        },
    });
    if let Some(description) = &repo.description {
        value["description"] = json!(description);
    }
    value
}

pub(crate) fn minimal_ref(full: &str) -> Value {
    json!({
        "id": full,
        "displayId": display_ref(full),
        "type": if full.starts_with("refs/tags/") { "TAG" } else { "BRANCH" },
    })
}

/// `RestBranch`: both `isDefault` (what the real server sends) and `default` (what the spec declares).
pub(crate) fn branch(full: &str, sha: &str, is_default: bool) -> Value {
    json!({
        "id": full,
        "displayId": display_ref(full),
        "type": if full.starts_with("refs/tags/") { "TAG" } else { "BRANCH" },
        "latestCommit": sha,
        "latestChangeset": sha,
        "isDefault": is_default,
        "default": is_default,
    })
}

fn person(state: &State, name: &str, email: &str, links: &Links) -> Value {
    match state.user_by_email(email) {
        Some(u) => user(u, links),
        None => json!({"name": name, "emailAddress": email}),
    }
}

pub(crate) fn commit(state: &State, info: &CommitInfo, links: &Links) -> Value {
    json!({
        "id": info.id,
        "displayId": short(&info.id),
        "author": person(state, &info.author_name, &info.author_email, links),
        "authorTimestamp": info.author_time * 1000,
        "committer": person(state, &info.committer_name, &info.committer_email, links),
        "committerTimestamp": info.committer_time * 1000,
        "message": info.message,
        "parents": info.parents.iter().map(|p| json!({"id": p, "displayId": short(p)})).collect::<Vec<_>>(),
    })
}

pub(crate) fn short(sha: &str) -> &str {
    &sha[..sha.len().min(11)]
}

/// `RestPath`.
pub(crate) fn path(path: &str) -> Value {
    let components: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let name = components.last().copied().unwrap_or("");
    let mut value = json!({
        "components": components,
        "parent": components[..components.len().saturating_sub(1)].join("/"),
        "name": name,
        "toString": components.join("/"),
    });
    if let Some((_, ext)) = name.rsplit_once('.') {
        if !ext.is_empty() && !name.starts_with('.') {
            value["extension"] = json!(ext);
        }
    }
    value
}

pub(crate) fn change(change: &crate::git::Change) -> Value {
    let kind = match change.kind {
        'A' => "ADD",
        'D' => "DELETE",
        'R' => "MOVE",
        'C' => "COPY",
        'M' | 'T' => "MODIFY",
        _ => "UNKNOWN",
    };
    let mut value = json!({
        "contentId": change.content_id,
        "fromContentId": change.from_content_id,
        "path": path(&change.path),
        "executable": change.executable,
        "percentUnchanged": change.percent.map_or(-1, i64::from),
        "type": kind,
        "nodeType": "FILE",
        "srcExecutable": change.src_executable,
        "properties": {"gitChangeType": kind},
    });
    if let Some(src) = &change.src_path {
        value["srcPath"] = path(src);
    }
    value
}

fn participant(state: &State, p: &Participant, role: &str, links: &Links) -> Value {
    let mut value = json!({
        "user": user_named(state, &p.user, links),
        "role": role,
        "approved": p.status == "APPROVED",
        "status": p.status,
    });
    if let Some(commit) = &p.last_reviewed {
        value["lastReviewedCommit"] = json!(commit);
    }
    value
}

pub(crate) fn participants(state: &State, pr: &PullRequest, links: &Links) -> Vec<Value> {
    let author = Participant {
        user: pr.author.clone(),
        status: "UNAPPROVED",
        last_reviewed: None,
    };
    let mut out = vec![participant(state, &author, "AUTHOR", links)];
    out.extend(
        pr.reviewers
            .iter()
            .map(|r| participant(state, r, "REVIEWER", links)),
    );
    out.extend(
        pr.participants
            .iter()
            .map(|p| participant(state, p, "PARTICIPANT", links)),
    );
    out
}

fn pr_ref(
    state: &State,
    full: &str,
    sha: &str,
    repo_id: u64,
    viewer: Option<&str>,
    links: &Links,
) -> Value {
    let repository = state
        .repo(repo_id)
        .map(|r| repo(state, r, viewer, links))
        .unwrap_or(Value::Null);
    json!({
        "id": full,
        "displayId": display_ref(full),
        "latestCommit": sha,
        "type": "BRANCH",
        "repository": repository,
    })
}

pub(crate) fn pull_request(
    state: &State,
    pr: &PullRequest,
    viewer: Option<&str>,
    links: &Links,
) -> Value {
    let (key, slug) = state
        .repo(pr.repo_id)
        .map(|r| (r.project_key.clone(), r.slug.clone()))
        .unwrap_or_default();
    let comments = state
        .comments
        .values()
        .filter(|c| c.repo_id == pr.repo_id && c.pr_id == pr.id)
        .collect::<Vec<_>>();
    let open_tasks = comments
        .iter()
        .filter(|c| c.severity == "BLOCKER" && c.state == "OPEN")
        .count();
    let resolved_tasks = comments
        .iter()
        .filter(|c| c.severity == "BLOCKER" && c.state == "RESOLVED")
        .count();
    let mut properties = json!({
        "commentCount": comments.len(),
        "openTaskCount": open_tasks,
        "resolvedTaskCount": resolved_tasks,
    });
    if let Some(merge) = &pr.merge_commit {
        properties["mergeCommit"] = json!({"id": merge, "displayId": short(merge)});
    }
    let all = participants(state, pr, links);
    let mut value = json!({
        "id": pr.id,
        "version": pr.version,
        "title": pr.title,
        "state": pr.state.as_str(),
        "open": pr.state == crate::state::PrState::Open,
        "closed": pr.state != crate::state::PrState::Open,
        "createdDate": pr.created,
        "updatedDate": pr.updated,
        "fromRef": pr_ref(state, &pr.from_ref, &pr.from_commit, pr.repo_id, viewer, links),
        "toRef": pr_ref(state, &pr.to_ref, &pr.to_commit, pr.repo_id, viewer, links),
        "locked": false,
        "draft": pr.draft,
        "author": all[0].clone(),
        "reviewers": all[1..=pr.reviewers.len()].to_vec(),
        "participants": all[pr.reviewers.len() + 1..].to_vec(),
        "properties": properties,
        "links": {"self": [{"href": format!("{}/projects/{}/repos/{}/pull-requests/{}", links.base(), key, slug, pr.id)}]},
    });
    if let Some(description) = &pr.description {
        value["description"] = json!(description);
    }
    if let Some(closed) = pr.closed {
        value["closedDate"] = json!(closed);
    }
    value
}

pub(crate) fn comment(state: &State, c: &Comment, viewer: Option<&str>, links: &Links) -> Value {
    let replies: Vec<Value> = c
        .replies
        .iter()
        .filter_map(|id| state.comments.get(id))
        .map(|reply| comment(state, reply, viewer, links))
        .collect();
    let mine = viewer == Some(c.author.as_str());
    let mut value = json!({
        "id": c.id,
        "version": c.version,
        "text": c.text,
        "author": user_named(state, &c.author, links),
        "createdDate": c.created,
        "updatedDate": c.updated,
        "comments": replies,
        "severity": c.severity,
        "state": c.state,
        "threadResolved": false,
        "reply": c.parent.is_some(),
        "pending": c.state == "PENDING",
        "properties": {"repositoryId": c.repo_id},
        "permittedOperations": {
            "editable": mine,
            "transitionable": true,
            "deletable": mine && c.replies.is_empty(),
        },
    });
    if let Some(anchor) = &c.anchor {
        value["anchor"] = anchor.clone();
        value["anchored"] = json!(true);
    }
    if let Some(parent) = c.parent {
        value["parent"] = json!({"id": parent});
    }
    if let Some((when, who)) = &c.resolved {
        value["resolvedDate"] = json!(when);
        value["resolver"] = user_named(state, who, links);
    }
    value
}

/// A pull request activity with its action-specific fields.
pub(crate) fn activity(
    state: &State,
    activity: &crate::state::Activity,
    viewer: Option<&str>,
    links: &Links,
) -> Option<Value> {
    let mut map = Map::new();
    map.insert("id".into(), json!(activity.id));
    map.insert("createdDate".into(), json!(activity.created));
    map.insert("user".into(), user_named(state, &activity.user, links));
    map.insert("action".into(), json!(activity.action));
    if let Some(comment_id) = activity.comment_id {
        // A deleted comment takes its activity with it.
        let c = state.comments.get(&comment_id)?;
        map.insert("comment".into(), comment(state, c, viewer, links));
        if let Some(action) = activity.comment_action {
            map.insert("commentAction".into(), json!(action));
        }
        if let Some(anchor) = &c.anchor {
            map.insert("commentAnchor".into(), anchor.clone());
        }
    }
    for (key, value) in &activity.extra {
        map.insert(key.clone(), value.clone());
    }
    Some(Value::Object(map))
}

#[cfg(test)]
mod tests;
