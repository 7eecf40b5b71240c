//! Project model.

use serde::{Deserialize, Serialize};

use super::common::Links;
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
}
