//! The PyPI JSON API's shapes (project JSON, per-release JSON) and the core METADATA headers
//! read when the JSON lacks `requires_dist`.

use serde::Deserialize;

#[derive(Deserialize)]
pub(super) struct PypiProject {
    #[serde(default)]
    pub(super) releases: std::collections::BTreeMap<String, Vec<PypiFile>>,
}

#[derive(Deserialize)]
pub(super) struct PypiFile {
    pub(super) filename: String,
    #[serde(default)]
    pub(super) digests: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    pub(super) yanked: bool,
    /// Where the file is served (mirrors may give it relative to the JSON).
    #[serde(default)]
    pub(super) url: String,
    #[serde(default)]
    pub(super) requires_python: Option<String>,
    /// PEP 658/714, as in the per-release JSON.
    #[serde(default, rename = "core-metadata")]
    pub(super) core_metadata: Option<serde_json::Value>,
    #[serde(default)]
    pub(super) size: Option<u64>,
    #[serde(default)]
    pub(super) upload_time_iso_8601: Option<String>,
}

/// The per-release JSON (`pypi/NAME/VERSION/json`): `info` and the files in `urls`.
#[derive(Deserialize)]
pub(super) struct PypiReleaseJson {
    pub(super) info: PypiReleaseInfo,
    #[serde(default)]
    pub(super) urls: Vec<PypiReleaseFile>,
}

/// A file of the per-release JSON's `urls`.
#[derive(Deserialize)]
pub(super) struct PypiReleaseFile {
    pub(super) filename: String,
    pub(super) url: String,
    /// PEP 658/714: the METADATA file is served at `url` + `.metadata` when this is not `false`.
    #[serde(default, rename = "core-metadata")]
    pub(super) core_metadata: Option<serde_json::Value>,
}

/// The `Requires-Dist` headers of a core METADATA file.
pub(super) fn metadata_requires_dist(text: &str) -> Vec<String> {
    metadata_headers(text, "Requires-Dist:")
        .map(str::to_string)
        .collect()
}

/// The values of one header of a core METADATA file (the headers end at the first blank line).
pub(super) fn metadata_headers<'a>(
    text: &'a str,
    header: &'a str,
) -> impl Iterator<Item = &'a str> {
    text.lines()
        .take_while(|l| !l.is_empty())
        .filter_map(move |l| l.strip_prefix(header))
        .map(str::trim)
}

#[derive(Deserialize)]
pub(super) struct PypiReleaseInfo {
    #[serde(default)]
    pub(super) requires_dist: Option<Vec<String>>,
    #[serde(default)]
    pub(super) requires_python: Option<String>,
    #[serde(default)]
    pub(super) summary: Option<String>,
}
