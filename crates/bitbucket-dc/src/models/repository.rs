//! Repository model and the `/repos` search used for permission checks.

use serde::{Deserialize, Serialize};

use super::common::Links;
use super::project::Project;
use super::server::Permission;
use super::string_enum;

string_enum! {
    /// `RestRepository.state`.
    RepositoryState {
        /// Ready for use.
        Available = "AVAILABLE",
        /// Being created.
        Initialising = "INITIALISING",
        /// Creation failed.
        InitialisationFailed = "INITIALISATION_FAILED",
        /// Offline.
        Offline = "OFFLINE",
    }
}

/// `RestRepository`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct Repository {
    /// Numeric id: stable across renames (slugs are not).
    pub id: i64,
    /// URL slug.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Fork-network id: cross-repository pull requests need the same one.
    pub hierarchy_id: Option<String>,
    /// Always `git`.
    pub scm_id: String,
    /// Lifecycle state; only [`RepositoryState::Available`] repositories can be used.
    pub state: RepositoryState,
    /// Detail for the state.
    pub status_message: Option<String>,
    /// Whether forks are allowed.
    pub forkable: bool,
    /// Whether anonymous users may read it.
    pub public: bool,
    /// Whether it is archived (8.0+): writes are rejected with 409.
    pub archived: bool,
    /// The owning project.
    pub project: Project,
    /// The repository this one was forked from.
    pub origin: Option<Box<Repository>>,
    /// Clone and web links.
    pub links: Links,
}

impl Repository {
    /// The clone URL with the given link name (`http` or `ssh`), exactly as the server sent it.
    pub fn clone_link(&self, name: &str) -> Option<&str> {
        self.links
            .clone
            .iter()
            .find(|link| link.name.as_deref() == Some(name))
            .map(|link| link.href.as_str())
    }

    /// The HTTP(S) clone URL as sent by the server; note that it usually embeds the requesting
    /// user name (`https://user@host/scm/proj/repo.git`). See
    /// [`Client::http_clone_url`](crate::Client::http_clone_url) for a URL without it and with a
    /// fallback when the server sends none.
    pub fn http_clone_href(&self) -> Option<&str> {
        self.clone_link("http")
    }

    /// The SSH clone URL, absent when SSH is disabled.
    pub fn ssh_clone_href(&self) -> Option<&str> {
        self.clone_link("ssh")
    }

    /// Whether the repository is available and not archived, i.e. usable for writes.
    pub fn is_writable_state(&self) -> bool {
        self.state == RepositoryState::Available && !self.archived
    }
}

/// Query of `GET /rest/api/latest/repos`: the way to find repositories the credential may
/// read or write (there is no "my permissions" endpoint).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RepoSearch {
    /// Only repositories the caller holds this permission on.
    pub permission: Option<Permission>,
    /// Only repositories of this project (`projectkey`, 8.0+).
    pub project_key: Option<String>,
    /// Case-insensitive repository **name** filter (not the slug).
    pub name: Option<String>,
    /// Only repositories in this state (`AVAILABLE` by default in [`RepoSearch::new`]).
    pub state: Option<RepositoryState>,
}

impl RepoSearch {
    /// Available repositories, any permission.
    pub fn new() -> Self {
        RepoSearch {
            state: Some(RepositoryState::Available),
            ..Self::default()
        }
    }

    /// Only repositories the caller holds `permission` on (e.g. [`Permission::RepoWrite`]).
    pub fn permission(mut self, permission: Permission) -> Self {
        self.permission = Some(permission);
        self
    }

    /// Only repositories of one project.
    pub fn project_key(mut self, key: impl Into<String>) -> Self {
        self.project_key = Some(key.into());
        self
    }

    /// Only repositories whose name matches (case-insensitive).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Only repositories in `state`; `None` for any state.
    pub fn state(mut self, state: Option<RepositoryState>) -> Self {
        self.state = state;
        self
    }

    pub(crate) fn to_query(&self) -> Vec<(String, String)> {
        let mut query = Vec::new();
        if let Some(permission) = &self.permission {
            query.push(("permission".to_owned(), permission.as_str().to_owned()));
        }
        if let Some(key) = &self.project_key {
            query.push(("projectkey".to_owned(), key.clone()));
        }
        if let Some(name) = &self.name {
            query.push(("name".to_owned(), name.clone()));
        }
        if let Some(state) = &self.state {
            query.push(("state".to_owned(), state.as_str().to_owned()));
        }
        query
    }
}
