//! The in-memory model: users, tokens, permissions, projects, repositories (with cached refs), pull requests,
//! comments, build statuses and Code Insights reports.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A permission as Bitbucket names it: three project levels and three repository levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Permission {
    /// Browse every repository of a project.
    ProjectRead,
    /// Push to every repository of a project.
    ProjectWrite,
    /// Administer a project.
    ProjectAdmin,
    /// Browse and clone one repository.
    RepoRead,
    /// Push to one repository and act on its pull requests.
    RepoWrite,
    /// Administer one repository.
    RepoAdmin,
}

impl Permission {
    /// The name Bitbucket uses, e.g. `REPO_WRITE`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ProjectRead => "PROJECT_READ",
            Self::ProjectWrite => "PROJECT_WRITE",
            Self::ProjectAdmin => "PROJECT_ADMIN",
            Self::RepoRead => "REPO_READ",
            Self::RepoWrite => "REPO_WRITE",
            Self::RepoAdmin => "REPO_ADMIN",
        }
    }

    /// Parses a Bitbucket permission name.
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "PROJECT_READ" => Self::ProjectRead,
            "PROJECT_WRITE" => Self::ProjectWrite,
            "PROJECT_ADMIN" => Self::ProjectAdmin,
            "REPO_READ" => Self::RepoRead,
            "REPO_WRITE" => Self::RepoWrite,
            "REPO_ADMIN" => Self::RepoAdmin,
            _ => return None,
        })
    }

    pub(crate) fn level(self) -> Level {
        match self {
            Self::ProjectRead | Self::RepoRead => Level::Read,
            Self::ProjectWrite | Self::RepoWrite => Level::Write,
            Self::ProjectAdmin | Self::RepoAdmin => Level::Admin,
        }
    }

    pub(crate) fn is_project(self) -> bool {
        matches!(
            self,
            Self::ProjectRead | Self::ProjectWrite | Self::ProjectAdmin
        )
    }
}

/// Access level on a repository (project permissions imply the same level on its repositories).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Level {
    Read,
    Write,
    Admin,
}

/// Milliseconds since the epoch.
pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

#[derive(Clone)]
pub(crate) struct User {
    pub(crate) id: u64,
    pub(crate) name: String,
    pub(crate) slug: String,
    pub(crate) display_name: String,
    pub(crate) email: String,
    pub(crate) password: Option<String>,
    pub(crate) active: bool,
    pub(crate) admin: bool,
    /// The bot user behind a project or repository access token (no e-mail, cannot commit).
    pub(crate) service: bool,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("email", &self.email)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("active", &self.active)
            .field("admin", &self.admin)
            .field("service", &self.service)
            .finish()
    }
}

/// What an access token is worth.
#[derive(Debug, Clone)]
pub(crate) struct Token {
    pub(crate) user: String,
    /// The most the token allows on any repository; `None` means the user's own permissions.
    pub(crate) cap: Option<Level>,
    /// Project and repository tokens only work as `Authorization: Bearer`.
    pub(crate) bearer_only: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct Project {
    pub(crate) id: u64,
    pub(crate) key: String,
    pub(crate) name: String,
    pub(crate) description: Option<String>,
    pub(crate) public: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct RefTip {
    pub(crate) sha: String,
    /// Committer time of the tip, seconds.
    pub(crate) time: i64,
}

#[derive(Debug)]
pub(crate) struct Repo {
    pub(crate) id: u64,
    pub(crate) project_key: String,
    pub(crate) slug: String,
    pub(crate) name: String,
    pub(crate) description: Option<String>,
    pub(crate) default_branch: String,
    pub(crate) archived: bool,
    pub(crate) public: bool,
    pub(crate) forkable: bool,
    pub(crate) path: PathBuf,
    /// Whether the bare repository exists on disk yet (empty repositories are created lazily).
    pub(crate) initialized: bool,
    /// Cached `refs/heads/*` and `refs/tags/*`, refreshed after every write.
    pub(crate) refs: BTreeMap<String, RefTip>,
    /// Serializes git writes to this repository.
    pub(crate) write_lock: Arc<tokio::sync::Mutex<()>>,
    pub(crate) next_pr_id: u64,
    /// The repository's auto-merge setting: `POST .../merge` with `autoMerge` answers 403 while it is off.
    pub(crate) auto_merge: bool,
}

impl Repo {
    pub(crate) fn is_empty(&self) -> bool {
        self.refs.is_empty()
    }
}

/// `main` or `refs/heads/main` -> `refs/heads/main`.
pub(crate) fn full_branch(name: &str) -> String {
    if name.starts_with("refs/") {
        name.to_owned()
    } else {
        format!("refs/heads/{name}")
    }
}

/// `refs/heads/main` -> `main`.
pub(crate) fn display_ref(name: &str) -> &str {
    name.strip_prefix("refs/heads/")
        .or_else(|| name.strip_prefix("refs/tags/"))
        .unwrap_or(name)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PrState {
    Open,
    Declined,
    Merged,
}

impl PrState {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Open => "OPEN",
            Self::Declined => "DECLINED",
            Self::Merged => "MERGED",
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Participant {
    pub(crate) user: String,
    pub(crate) status: &'static str,
    pub(crate) last_reviewed: Option<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct Activity {
    pub(crate) id: u64,
    pub(crate) created: i64,
    pub(crate) user: String,
    pub(crate) action: &'static str,
    pub(crate) comment_id: Option<u64>,
    pub(crate) comment_action: Option<&'static str>,
    /// Action-specific fields rendered verbatim (e.g. RESCOPED hashes, MERGED commit).
    pub(crate) extra: serde_json::Map<String, Value>,
}

#[derive(Debug, Clone)]
pub(crate) struct PullRequest {
    pub(crate) id: u64,
    pub(crate) repo_id: u64,
    pub(crate) version: i64,
    pub(crate) title: String,
    pub(crate) description: Option<String>,
    pub(crate) state: PrState,
    pub(crate) created: i64,
    pub(crate) updated: i64,
    pub(crate) closed: Option<i64>,
    pub(crate) from_ref: String,
    pub(crate) to_ref: String,
    pub(crate) from_commit: String,
    pub(crate) to_commit: String,
    pub(crate) author: String,
    pub(crate) reviewers: Vec<Participant>,
    pub(crate) participants: Vec<Participant>,
    pub(crate) draft: bool,
    pub(crate) merge_commit: Option<String>,
    pub(crate) activities: Vec<Activity>,
    /// A pending auto-merge request (`POST .../merge` with `autoMerge` while the merge was vetoed).
    pub(crate) auto_merge: Option<AutoMergeRequest>,
}

/// What `RestAutoMergeRequest` describes: who asked, when, at which source commit and how to merge.
#[derive(Debug, Clone)]
pub(crate) struct AutoMergeRequest {
    pub(crate) user: String,
    pub(crate) created: i64,
    pub(crate) from_hash: String,
    pub(crate) to_ref: String,
    pub(crate) message: Option<String>,
    pub(crate) strategy: Option<String>,
    pub(crate) auto_subject: bool,
}

/// Where a reviewer group is defined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GroupScope {
    /// A project, by id.
    Project(u64),
    /// A repository, by id.
    Repository(u64),
}

/// A named set of users offered as reviewers (`settings/reviewer-groups`).
#[derive(Debug, Clone)]
pub(crate) struct ReviewerGroup {
    pub(crate) id: u64,
    pub(crate) name: String,
    pub(crate) description: Option<String>,
    pub(crate) scope: GroupScope,
    pub(crate) users: Vec<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct Comment {
    pub(crate) id: u64,
    pub(crate) repo_id: u64,
    pub(crate) pr_id: u64,
    pub(crate) version: i64,
    pub(crate) text: String,
    pub(crate) author: String,
    pub(crate) created: i64,
    pub(crate) updated: i64,
    pub(crate) parent: Option<u64>,
    pub(crate) replies: Vec<u64>,
    pub(crate) anchor: Option<Value>,
    pub(crate) severity: String,
    pub(crate) state: String,
    pub(crate) resolved: Option<(i64, String)>,
}

#[derive(Debug, Clone)]
pub(crate) struct Build {
    pub(crate) repo_id: Option<u64>,
    pub(crate) key: String,
    pub(crate) state: String,
    pub(crate) url: String,
    pub(crate) name: Option<String>,
    pub(crate) description: Option<String>,
    pub(crate) build_number: Option<String>,
    pub(crate) duration: Option<i64>,
    pub(crate) parent: Option<String>,
    pub(crate) git_ref: Option<String>,
    pub(crate) test_results: Option<Value>,
    pub(crate) created: i64,
    pub(crate) updated: i64,
}

#[derive(Debug, Clone)]
pub(crate) struct Report {
    pub(crate) key: String,
    pub(crate) body: Value,
    pub(crate) created: i64,
    pub(crate) author: Option<String>,
    pub(crate) annotations: Vec<Value>,
}

/// Everything the simulator knows, guarded by one mutex that is never held across an await.
#[derive(Default)]
pub(crate) struct State {
    pub(crate) users: BTreeMap<String, User>,
    pub(crate) tokens: HashMap<String, Token>,
    pub(crate) projects: BTreeMap<String, Project>,
    pub(crate) repos: BTreeMap<u64, Repo>,
    /// (PROJECT KEY upper-cased, slug lower-cased) -> repo id.
    pub(crate) repo_index: HashMap<(String, String), u64>,
    pub(crate) project_perms: HashMap<(String, String), Level>,
    pub(crate) repo_perms: HashMap<(String, u64), Level>,
    pub(crate) pull_requests: BTreeMap<(u64, u64), PullRequest>,
    pub(crate) comments: BTreeMap<u64, Comment>,
    pub(crate) builds: HashMap<String, Vec<Build>>,
    /// Required-builds merge checks per repository id, as rendered.
    pub(crate) required_builds: HashMap<u64, Vec<serde_json::Value>>,
    pub(crate) reports: BTreeMap<(u64, String, String), Report>,
    pub(crate) reviewer_groups: BTreeMap<u64, ReviewerGroup>,
    pub(crate) next_user_id: u64,
    pub(crate) next_project_id: u64,
    pub(crate) next_repo_id: u64,
    pub(crate) next_comment_id: u64,
    pub(crate) next_activity_id: u64,
    pub(crate) next_reviewer_group_id: u64,
    pub(crate) next_required_build_id: u64,
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Tokens are the keys of `tokens`, so only counts are shown.
        f.debug_struct("State")
            .field("users", &self.users.len())
            .field("tokens", &format_args!("<{} redacted>", self.tokens.len()))
            .field("projects", &self.projects.len())
            .field("repos", &self.repos.len())
            .field("pull_requests", &self.pull_requests.len())
            .field("comments", &self.comments.len())
            .finish_non_exhaustive()
    }
}

/// The authenticated principal of one request.
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    pub(crate) user: String,
    pub(crate) cap: Option<Level>,
}

impl State {
    pub(crate) fn project(&self, key: &str) -> Option<&Project> {
        self.projects.get(key).or_else(|| {
            self.projects
                .values()
                .find(|p| p.key.eq_ignore_ascii_case(key))
        })
    }

    pub(crate) fn repo_id(&self, key: &str, slug: &str) -> Option<u64> {
        self.repo_index
            .get(&(key.to_ascii_uppercase(), slug.to_ascii_lowercase()))
            .copied()
    }

    pub(crate) fn repo(&self, id: u64) -> Option<&Repo> {
        self.repos.get(&id)
    }

    pub(crate) fn repo_mut(&mut self, id: u64) -> Option<&mut Repo> {
        self.repos.get_mut(&id)
    }

    pub(crate) fn user(&self, name: &str) -> Option<&User> {
        self.users.get(name)
    }

    pub(crate) fn user_by_slug(&self, slug: &str) -> Option<&User> {
        self.users
            .values()
            .find(|u| u.slug.eq_ignore_ascii_case(slug))
    }

    pub(crate) fn user_by_email(&self, email: &str) -> Option<&User> {
        self.users
            .values()
            .find(|u| u.email.eq_ignore_ascii_case(email))
    }

    /// The caller's effective level on a repository, `None` when it may not see it.
    pub(crate) fn repo_level(&self, caller: Option<&Caller>, repo: &Repo) -> Option<Level> {
        let public = repo.public || self.project(&repo.project_key).is_some_and(|p| p.public);
        let Some(caller) = caller else {
            return public.then_some(Level::Read);
        };
        let user = self.users.get(&caller.user)?;
        if !user.active {
            return None;
        }
        let granted = if user.admin {
            Some(Level::Admin)
        } else {
            let project = self
                .project_perms
                .get(&(caller.user.clone(), repo.project_key.clone()))
                .copied();
            let own = self
                .repo_perms
                .get(&(caller.user.clone(), repo.id))
                .copied();
            let best = project.max(own);
            if public {
                best.max(Some(Level::Read))
            } else {
                best
            }
        }?;
        Some(match caller.cap {
            Some(cap) => granted.min(cap),
            None => granted,
        })
    }

    /// The caller's level on a project itself (`None` when it has no project permission).
    pub(crate) fn project_level(&self, caller: Option<&Caller>, key: &str) -> Option<Level> {
        let caller = caller?;
        let user = self.users.get(&caller.user)?;
        let granted = if user.admin {
            Some(Level::Admin)
        } else {
            self.project_perms
                .get(&(caller.user.clone(), key.to_owned()))
                .copied()
        }?;
        Some(match caller.cap {
            Some(cap) => granted.min(cap),
            None => granted,
        })
    }

    /// Whether the caller may see a project: a project permission, a public project, or any visible repository in it.
    pub(crate) fn project_visible(&self, caller: Option<&Caller>, key: &str) -> bool {
        if self.project(key).is_some_and(|p| p.public) || self.project_level(caller, key).is_some()
        {
            return true;
        }
        self.repos
            .values()
            .filter(|r| r.project_key == key)
            .any(|r| self.repo_level(caller, r).is_some())
    }

    /// Whether `user` (ignoring token caps) holds `level` on the repository.
    pub(crate) fn user_has(&self, user: &str, repo: &Repo, level: Level) -> bool {
        let caller = Caller {
            user: user.to_owned(),
            cap: None,
        };
        self.repo_level(Some(&caller), repo)
            .is_some_and(|have| have >= level)
    }

    pub(crate) fn next_activity(&mut self) -> u64 {
        self.next_activity_id += 1;
        self.next_activity_id
    }

    pub(crate) fn next_comment(&mut self) -> u64 {
        self.next_comment_id += 1;
        self.next_comment_id
    }

    /// Appends an activity to a pull request.
    pub(crate) fn add_activity(
        &mut self,
        key: (u64, u64),
        user: &str,
        action: &'static str,
        extra: serde_json::Map<String, Value>,
    ) {
        let id = self.next_activity();
        if let Some(pr) = self.pull_requests.get_mut(&key) {
            pr.activities.push(Activity {
                id,
                created: now_ms(),
                user: user.to_owned(),
                action,
                comment_id: None,
                comment_action: None,
                extra,
            });
        }
    }
}

#[cfg(test)]
mod tests;
