//! Shared model pieces: links and raw property maps.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Properties a model keeps raw because plugins and server versions add their own.
pub type Properties = Map<String, Value>;

/// A link: `href` and, for clone links, the protocol `name` (`http` or `ssh`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct Link {
    /// The URL.
    pub href: String,
    /// The link name, e.g. `http` or `ssh` for clone links.
    pub name: Option<String>,
}

/// The `links` object of projects, repositories and pull requests.
///
/// The official specification types it as an empty object; real servers send
/// `{clone:[{href,name}], self:[{href}]}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Links {
    /// Clone URLs (repositories only).
    #[serde(deserialize_with = "super::de::null_default")]
    pub clone: Vec<Link>,
    /// Web UI URLs.
    #[serde(rename = "self", deserialize_with = "super::de::null_default")]
    pub self_links: Vec<Link>,
}

impl Links {
    /// The first `self` (web UI) URL, if any.
    pub fn web_url(&self) -> Option<&str> {
        self.self_links.first().map(|link| link.href.as_str())
    }
}
