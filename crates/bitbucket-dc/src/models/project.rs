//! Project model.

use serde::{Deserialize, Serialize};

use super::common::Links;
use super::server::{Permission, User};
use super::string_enum;

string_enum! {
    /// `RestProject.type`.
    ProjectType {
        /// A regular project.
        Normal = "NORMAL",
        /// A personal project (`~userslug`).
        Personal = "PERSONAL",
    }
}

/// `RestProject`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct Project {
    /// Numeric id.
    pub id: i64,
    /// Project key, e.g. `PROJ` (personal projects: `~USERSLUG`).
    pub key: String,
    /// Display name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Whether anonymous users may read it.
    pub public: bool,
    /// Normal or personal.
    #[serde(rename = "type")]
    pub project_type: ProjectType,
    /// Links (`self`: web UI).
    pub links: Links,
    /// The owner of a personal project (`~USERSLUG`); absent for normal projects.
    pub owner: Option<User>,
}

/// Query of `GET /rest/api/latest/projects`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProjectSearch {
    /// Project name filter.
    pub name: Option<String>,
    /// Only projects the caller holds this permission on (e.g. `PROJECT_WRITE`).
    pub permission: Option<Permission>,
}

impl ProjectSearch {
    /// Every visible project.
    pub fn new() -> Self {
        Self::default()
    }

    /// Only projects whose name matches.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Only projects the caller holds `permission` on.
    pub fn permission(mut self, permission: Permission) -> Self {
        self.permission = Some(permission);
        self
    }

    pub(crate) fn to_query(&self) -> Vec<(String, String)> {
        let mut query = Vec::new();
        if let Some(name) = &self.name {
            query.push(("name".to_owned(), name.clone()));
        }
        if let Some(permission) = &self.permission {
            query.push(("permission".to_owned(), permission.as_str().to_owned()));
        }
        query
    }
}
