//! The running simulator: starting it from a builder, and the runtime handle tests use to inspect it and to
//! change users, permissions, repositories and pull requests while it serves.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::builder::{Grant, ProjectSeed, RepoSeed, SimulatorBuilder, UserSeed};
use crate::error::SimError;
use crate::faults::{Faults, LoggedRequest, RequestLog};
use crate::git::Git;
use crate::populate;
use crate::render::{self, Links};
use crate::rest::{ApiError, RepoRef};
use crate::shared::{Options, Shared};
use crate::state::{self, full_branch, Level, Permission, Token};
use crate::{ops, tls};

/// A running simulator. Dropping it stops the server (and deletes its repositories once idle); prefer
/// [`Simulator::shutdown`] to wait for that.
#[derive(Debug)]
pub struct Simulator {
    shared: Arc<Shared>,
    base_url: url::Url,
    addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl Drop for Simulator {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

fn rejected(err: ApiError) -> SimError {
    let first = err.errors.first();
    let message = first
        .and_then(|e| e.get("message"))
        .and_then(Value::as_str)
        .unwrap_or("rejected");
    let exception = first
        .and_then(|e| e.get("exceptionName"))
        .and_then(Value::as_str)
        .unwrap_or("");
    SimError::Rejected(format!("{} {exception}: {message}", err.status.as_u16()))
}

impl Simulator {
    /// Starts describing a simulator.
    pub fn builder() -> SimulatorBuilder {
        SimulatorBuilder::default()
    }

    /// The base URL clients use, context path included, with a trailing slash (e.g. `http://127.0.0.1:4321/bitbucket/`).
    pub fn base_url(&self) -> &url::Url {
        &self.base_url
    }

    /// The bound socket address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Failure switches (rate limiting, latency, injected errors, dropped connections).
    pub fn faults(&self) -> &Faults {
        &self.shared.faults
    }

    /// Every request answered so far.
    pub fn request_log(&self) -> &RequestLog {
        &self.shared.log
    }

    /// Shortcut for `request_log().entries()`.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.shared.log.entries()
    }

    /// Stops accepting, closes every connection and waits for the server task.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    /// The HTTP clone URL of a repository without credentials: `<base>/scm/<key lower-cased>/<slug>.git`.
    pub fn clone_url(&self, project: &str, repo: &str) -> url::Url {
        let href = self.shared.links.clone_url(None, project, repo);
        url::Url::parse(&href).unwrap_or_else(|_| self.base_url.clone())
    }

    fn repo_ref(&self, project: &str, repo: &str) -> Result<RepoRef, SimError> {
        let state = self.shared.state();
        let id = state
            .project(project)
            .and_then(|p| state.repo_id(&p.key, repo))
            .ok_or_else(|| SimError::NotFound(format!("repository {project}/{repo}")))?;
        let found = state
            .repo(id)
            .ok_or_else(|| SimError::NotFound(format!("repository {project}/{repo}")))?;
        Ok(RepoRef {
            id,
            key: found.project_key.clone(),
            slug: found.slug.clone(),
            path: found.path.clone(),
            default_branch: found.default_branch.clone(),
            archived: found.archived,
            level: Level::Admin,
        })
    }

    fn require_user(&self, user: &str) -> Result<(), SimError> {
        if self.shared.state().user(user).is_some() {
            Ok(())
        } else {
            Err(SimError::NotFound(format!("user {user}")))
        }
    }

    /// The bare repository on disk (created now if it was still lazily empty).
    pub async fn repo_path(&self, project: &str, repo: &str) -> Result<PathBuf, SimError> {
        let found = self.repo_ref(project, repo)?;
        ops::ensure_git(&self.shared, found.id).await
    }

    /// Adds a project at runtime.
    pub fn add_project(&self, project: ProjectSeed) -> Result<(), SimError> {
        populate::insert_project(&mut self.shared.state(), &project)
    }

    /// Adds a repository at runtime (its files and branches are written before this returns).
    pub async fn add_repo(&self, repo: RepoSeed) -> Result<(), SimError> {
        let (id, path, lock) = {
            let mut state = self.shared.state();
            let id = populate::insert_repo(&mut state, &repo)?;
            let found = state.repo_mut(id).ok_or_else(|| {
                SimError::NotFound(format!("repository {}/{}", repo.project, repo.slug))
            })?;
            found.path =
                populate::repo_dir(&self.shared.repos_root, &found.project_key, &found.slug);
            (id, found.path.clone(), found.write_lock.clone())
        };
        if !repo.has_content() {
            return Ok(());
        }
        // Hold the write lock so a concurrent first git access waits for the seed.
        let _guard = lock.lock().await;
        let refs = populate::seed_one(&self.shared.git, &path, &repo).await?;
        if let Some(found) = self.shared.state().repo_mut(id) {
            found.initialized = true;
            found.refs = refs
                .into_iter()
                .map(|r| {
                    (
                        r.name,
                        state::RefTip {
                            sha: r.sha,
                            time: r.time,
                        },
                    )
                })
                .collect();
        }
        Ok(())
    }

    /// Changes a repository's default branch (the branch need not exist yet).
    pub async fn set_default_branch(
        &self,
        project: &str,
        repo: &str,
        branch: &str,
    ) -> Result<(), SimError> {
        let found = self.repo_ref(project, repo)?;
        let short = state::display_ref(branch).to_owned();
        if !ops::valid_branch_name(&short) {
            return Err(SimError::Rejected(format!(
                "\"{branch}\" is not a valid branch name"
            )));
        }
        ops::set_default_branch(&self.shared, found.id, &short).await
    }

    /// Adds a user at runtime.
    pub fn add_user(&self, user: UserSeed) -> Result<(), SimError> {
        populate::validate_user(&user)?;
        let mut state = self.shared.state();
        if state.users.contains_key(&user.name) {
            return Err(SimError::Rejected(format!(
                "user {} already exists",
                user.name
            )));
        }
        state.next_user_id += 1;
        let created = populate::new_user(state.next_user_id, &user);
        state.users.insert(user.name.clone(), created);
        for (token, cap) in &user.tokens {
            state.tokens.insert(
                token.clone(),
                Token {
                    user: user.name.clone(),
                    cap: cap.map(Permission::level),
                    bearer_only: false,
                },
            );
        }
        Ok(())
    }

    /// Adds an access token for a user (`cap` limits it, e.g. `Some(Permission::RepoRead)`).
    pub fn add_token(
        &self,
        user: &str,
        token: &str,
        cap: Option<Permission>,
    ) -> Result<(), SimError> {
        self.require_user(user)?;
        self.shared.state().tokens.insert(
            token.to_owned(),
            Token {
                user: user.to_owned(),
                cap: cap.map(Permission::level),
                bearer_only: false,
            },
        );
        Ok(())
    }

    /// Revokes a token; later requests with it answer 401. Returns whether it existed.
    pub fn revoke_token(&self, token: &str) -> bool {
        self.shared.state().tokens.remove(token).is_some()
    }

    /// Deactivates (or reactivates) a user; inactive users cannot authenticate.
    pub fn set_user_active(&self, user: &str, active: bool) -> Result<(), SimError> {
        let mut state = self.shared.state();
        let found = state
            .users
            .get_mut(user)
            .ok_or_else(|| SimError::NotFound(format!("user {user}")))?;
        found.active = active;
        Ok(())
    }

    /// Grants (or replaces) a `PROJECT_*` permission.
    pub fn grant_project(
        &self,
        user: &str,
        project: &str,
        permission: Permission,
    ) -> Result<(), SimError> {
        populate::apply_grant(
            &mut self.shared.state(),
            &Grant {
                user: user.to_owned(),
                permission,
                project: project.to_owned(),
                repo: None,
            },
        )
    }

    /// Grants (or replaces) a `REPO_*` permission.
    pub fn grant_repo(
        &self,
        user: &str,
        project: &str,
        repo: &str,
        permission: Permission,
    ) -> Result<(), SimError> {
        populate::apply_grant(
            &mut self.shared.state(),
            &Grant {
                user: user.to_owned(),
                permission,
                project: project.to_owned(),
                repo: Some(repo.to_owned()),
            },
        )
    }

    /// Removes a user's project permission.
    pub fn revoke_project(&self, user: &str, project: &str) {
        let mut state = self.shared.state();
        let key = state
            .project(project)
            .map(|p| p.key.clone())
            .unwrap_or_default();
        state.project_perms.remove(&(user.to_owned(), key));
    }

    /// Removes a user's repository permission.
    pub fn revoke_repo(&self, user: &str, project: &str, repo: &str) {
        let mut state = self.shared.state();
        if let Some(id) = state
            .project(project)
            .and_then(|p| state.repo_id(&p.key, repo))
        {
            state.repo_perms.remove(&(user.to_owned(), id));
        }
    }

    /// Archives or unarchives a repository.
    pub fn set_archived(&self, project: &str, repo: &str, archived: bool) -> Result<(), SimError> {
        let found = self.repo_ref(project, repo)?;
        if let Some(r) = self.shared.state().repo_mut(found.id) {
            r.archived = archived;
        }
        Ok(())
    }

    /// Turns a repository's auto-merge setting on or off (see [`RepoSeed::auto_merge`]).
    pub fn set_auto_merge(&self, project: &str, repo: &str, enabled: bool) -> Result<(), SimError> {
        let found = self.repo_ref(project, repo)?;
        if let Some(r) = self.shared.state().repo_mut(found.id) {
            r.auto_merge = enabled;
        }
        Ok(())
    }

    /// Changes the rescope delay (see [`SimulatorBuilder::rescope_delay`]); `None` rescopes at once.
    pub fn set_rescope_delay(&self, delay: Option<Duration>) {
        self.shared.set_rescope_delay(delay);
    }

    /// Waits until no delayed rescope (or auto-merge attempt it triggered) is pending.
    pub async fn settle_rescopes(&self) {
        self.shared.settle_rescopes().await;
    }

    /// The commit a branch points at.
    pub fn branch_tip(&self, project: &str, repo: &str, branch: &str) -> Option<String> {
        let found = self.repo_ref(project, repo).ok()?;
        let state = self.shared.state();
        state
            .repo(found.id)?
            .refs
            .get(&full_branch(branch))
            .map(|t| t.sha.clone())
    }

    /// Commits one file on `branch` as `user` (creating the branch from the default branch if needed);
    /// open pull requests from or to that branch are rescoped. Returns the new commit id.
    // The arguments mirror the fields of Bitbucket's file-edit form.
    #[allow(clippy::too_many_arguments)]
    pub async fn commit_file(
        &self,
        project: &str,
        repo: &str,
        branch: &str,
        path: &str,
        content: impl Into<Vec<u8>>,
        message: &str,
        user: &str,
    ) -> Result<String, SimError> {
        self.require_user(user)?;
        let found = self.repo_ref(project, repo)?;
        let exists = self.branch_tip(project, repo, branch).is_some();
        let base = if exists {
            self.branch_tip(project, repo, branch)
        } else {
            self.branch_tip(project, repo, &found.default_branch)
        };
        let edit = ops::FileEdit {
            path: path.to_owned(),
            content: content.into(),
            branch: branch.to_owned(),
            message: Some(message.to_owned()),
            source_commit: base.clone(),
            source_branch: (!exists && base.is_some()).then(|| found.default_branch.clone()),
        };
        let commit = ops::edit_file(&self.shared, &found, user, edit)
            .await
            .map_err(rejected)?;
        Ok(commit.id)
    }

    /// Creates a branch at a commit or ref.
    pub async fn create_branch(
        &self,
        project: &str,
        repo: &str,
        name: &str,
        start_point: &str,
    ) -> Result<String, SimError> {
        let found = self.repo_ref(project, repo)?;
        ops::create_branch(&self.shared, &found, name, Some(start_point), "admin")
            .await
            .map(|(_, sha)| sha)
            .map_err(rejected)
    }

    /// Deletes a branch (open pull requests from it are declined, like the real server does).
    pub async fn delete_branch(
        &self,
        project: &str,
        repo: &str,
        name: &str,
    ) -> Result<(), SimError> {
        let found = self.repo_ref(project, repo)?;
        ops::delete_branch(&self.shared, &found, name, None, false, "admin")
            .await
            .map_err(rejected)
    }

    /// Posts (upserts) a repository-scoped build status for a commit; `status` is a
    /// `RestBuildStatusSetRequest` body such as `{"key":"ci","state":"SUCCESSFUL","url":"https://ci/1"}`.
    pub fn post_build_status(
        &self,
        project: &str,
        repo: &str,
        commit: &str,
        status: Value,
    ) -> Result<(), SimError> {
        let found = self.repo_ref(project, repo)?;
        let key = status
            .get("key")
            .and_then(Value::as_str)
            .filter(|k| !k.is_empty())
            .ok_or_else(|| SimError::Rejected("a build status needs a key".into()))?
            .to_owned();
        let state_name = status
            .get("state")
            .and_then(Value::as_str)
            .filter(|s| ["SUCCESSFUL", "FAILED", "INPROGRESS", "CANCELLED", "UNKNOWN"].contains(s))
            .ok_or_else(|| SimError::Rejected("a build status needs a valid state".into()))?
            .to_owned();
        let text = |name: &str| status.get(name).and_then(Value::as_str).map(str::to_owned);
        let now = state::now_ms();
        let mut state = self.shared.state();
        let list = state.builds.entry(commit.to_ascii_lowercase()).or_default();
        let created = list
            .iter()
            .position(|b| b.key == key && b.repo_id == Some(found.id))
            .map(|idx| list.remove(idx).created)
            .unwrap_or(now);
        list.push(state::Build {
            repo_id: Some(found.id),
            key,
            state: state_name,
            url: text("url").unwrap_or_default(),
            name: text("name"),
            description: text("description"),
            build_number: text("buildNumber"),
            duration: status.get("duration").and_then(Value::as_i64),
            parent: text("parent"),
            git_ref: text("ref"),
            test_results: status.get("testResults").cloned(),
            created,
            updated: now,
        });
        Ok(())
    }

    /// Every build status recorded for a commit (any repository), as `RestBuildStatus` JSON.
    pub fn build_statuses(&self, commit: &str) -> Vec<Value> {
        let state = self.shared.state();
        state
            .builds
            .get(&commit.to_ascii_lowercase())
            .map(|list| {
                list.iter()
                    .map(|b| {
                        serde_json::json!({"key": b.key, "state": b.state, "url": b.url, "name": b.name, "description": b.description})
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    fn pr_key(&self, project: &str, repo: &str, id: u64) -> Result<(u64, u64), SimError> {
        let found = self.repo_ref(project, repo)?;
        if self
            .shared
            .state()
            .pull_requests
            .contains_key(&(found.id, id))
        {
            Ok((found.id, id))
        } else {
            Err(SimError::NotFound(format!(
                "pull request {project}/{repo}#{id}"
            )))
        }
    }

    /// A pull request as `RestPullRequest` JSON.
    pub fn pull_request(&self, project: &str, repo: &str, id: u64) -> Option<Value> {
        let key = self.pr_key(project, repo, id).ok()?;
        let state = self.shared.state();
        let pr = state.pull_requests.get(&key)?;
        Some(render::pull_request(&state, pr, None, &self.shared.links))
    }

    /// Declines an open pull request as `user` (at its current version). Like every runtime handle this is a
    /// test lever: it skips permission checks but keeps the state machine (declining a closed one fails).
    pub fn decline_pull_request(
        &self,
        project: &str,
        repo: &str,
        id: u64,
        user: &str,
    ) -> Result<(), SimError> {
        self.require_user(user)?;
        let key = self.pr_key(project, repo, id)?;
        let mut state = self.shared.state();
        let version = state.pull_requests.get(&key).map(|pr| pr.version);
        ops::decline(
            &mut state,
            key,
            (user, Level::Admin),
            version,
            &self.shared.links,
            None,
        )
        .map_err(rejected)
    }

    /// Reopens a declined pull request as `user` (permission checks skipped, state machine kept).
    pub fn reopen_pull_request(
        &self,
        project: &str,
        repo: &str,
        id: u64,
        user: &str,
    ) -> Result<(), SimError> {
        self.require_user(user)?;
        let key = self.pr_key(project, repo, id)?;
        let mut state = self.shared.state();
        let version = state.pull_requests.get(&key).map(|pr| pr.version);
        ops::reopen(
            &mut state,
            key,
            (user, Level::Admin),
            version,
            &self.shared.links,
        )
        .map_err(rejected)
    }

    /// Merges an open pull request as `user` with a real merge commit.
    pub async fn merge_pull_request(
        &self,
        project: &str,
        repo: &str,
        id: u64,
        user: &str,
    ) -> Result<(), SimError> {
        self.require_user(user)?;
        let found = self.repo_ref(project, repo)?;
        let key = self.pr_key(project, repo, id)?;
        let version = self
            .shared
            .state()
            .pull_requests
            .get(&key)
            .map(|pr| pr.version);
        ops::merge(&self.shared, &found, id, user, version, None, None)
            .await
            .map_err(rejected)
    }

    /// Adds a general comment to a pull request as `user`; returns the comment id.
    pub fn comment_on_pull_request(
        &self,
        project: &str,
        repo: &str,
        id: u64,
        user: &str,
        text: &str,
    ) -> Result<u64, SimError> {
        self.require_user(user)?;
        let key = self.pr_key(project, repo, id)?;
        let mut state = self.shared.state();
        Ok(ops::add_comment(
            &mut state,
            key,
            user,
            text.to_owned(),
            None,
            None,
            "NORMAL",
            "OPEN",
        ))
    }

    /// Sets `user`'s review status (`APPROVED`, `NEEDS_WORK`, `UNAPPROVED`) on a pull request.
    pub fn set_review_status(
        &self,
        project: &str,
        repo: &str,
        id: u64,
        user: &str,
        status: &str,
    ) -> Result<(), SimError> {
        self.require_user(user)?;
        let key = self.pr_key(project, repo, id)?;
        let status: &'static str = match status {
            "APPROVED" => "APPROVED",
            "NEEDS_WORK" => "NEEDS_WORK",
            "UNAPPROVED" => "UNAPPROVED",
            other => {
                return Err(SimError::Rejected(format!(
                    "{other} is not a review status"
                )))
            }
        };
        let mut state = self.shared.state();
        if let Some(pr) = state.pull_requests.get_mut(&key) {
            if pr.author == user {
                return Err(SimError::Rejected(
                    "the author cannot review their own pull request".into(),
                ));
            }
            let last = Some(pr.from_commit.clone());
            match pr.reviewers.iter_mut().find(|r| r.user == user) {
                Some(r) => {
                    r.status = status;
                    r.last_reviewed = last;
                }
                None => match pr.participants.iter_mut().find(|p| p.user == user) {
                    Some(p) => {
                        p.status = status;
                        p.last_reviewed = last;
                    }
                    None => pr.participants.push(state::Participant {
                        user: user.to_owned(),
                        status,
                        last_reviewed: last,
                    }),
                },
            }
        }
        let action = match status {
            "APPROVED" => "APPROVED",
            "UNAPPROVED" => "UNAPPROVED",
            _ => "REVIEWED",
        };
        state.add_activity(key, user, action, serde_json::Map::new());
        Ok(())
    }
}

impl SimulatorBuilder {
    /// Validates the seed, writes the git repositories, binds the socket and starts serving.
    pub async fn start(self) -> Result<Simulator, SimError> {
        let tls = match &self.tls {
            Some(material) => Some(tls::acceptor(material)?),
            None => None,
        };
        let mut state = populate::build_state(&self)?;
        let dir = tempfile::Builder::new()
            .prefix("bitbucket-dc-sim-")
            .tempdir()?;
        let home = dir.path().join("home");
        let repos_root = dir.path().join("repos");
        std::fs::create_dir_all(&home)?;
        std::fs::create_dir_all(&repos_root)?;
        let git = Git::new(home);
        for repo in state.repos.values_mut() {
            repo.path = populate::repo_dir(&repos_root, &repo.project_key, &repo.slug);
        }
        populate::seed_git(&git, &self.repos, &mut state).await?;

        let listener = TcpListener::bind(self.listen).await?;
        let addr = listener.local_addr()?;
        let scheme = if tls.is_some() { "https" } else { "http" };
        let host = match addr {
            SocketAddr::V4(v4) => v4.ip().to_string(),
            SocketAddr::V6(v6) => format!("[{}]", v6.ip()),
        };
        let base = url::Url::parse(&format!(
            "{scheme}://{host}:{}{}/",
            addr.port(),
            self.context_path
        ))
        .map_err(|err| {
            SimError::InvalidSeed(format!("context path gives an invalid url: {err}"))
        })?;
        let shared = Shared::new(
            state,
            git,
            Links { base: base.clone() },
            self.context_path.clone(),
            repos_root,
            Some(dir),
            Options {
                rescope_delay: self.rescope_delay,
                admin_endpoints: self.admin_endpoints,
                auto_merge_retry: Some(ops::retry_auto_merge),
            },
        );
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let task = tokio::spawn(crate::server::serve(
            shared.clone(),
            listener,
            tls,
            shutdown_rx,
        ));
        tracing::info!(%base, "bitbucket data center simulator started");
        Ok(Simulator {
            shared,
            base_url: base,
            addr,
            shutdown: shutdown_tx,
            task: Some(task),
        })
    }
}
