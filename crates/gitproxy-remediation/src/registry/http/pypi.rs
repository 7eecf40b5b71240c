//! PyPI over its JSON API: `pypi/NAME/json` lists every release with its files (digests, URLs,
//! sizes, upload times, yanked), `pypi/NAME/VERSION/json` gives one release's `requires_dist`,
//! and when that is `null` the dependencies come from a wheel's METADATA (the PEP 658 file when
//! the index serves one, else the wheel itself).

use hyper_util::client::legacy::connect::Connect;
use serde::Deserialize;
use url::Url;

use super::{decode_error, HttpRegistry};
use crate::registry::{PypiDist, PypiRelease};
use crate::{Ecosystem, Error};

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
struct PypiReleaseJson {
    info: PypiReleaseInfo,
    #[serde(default)]
    urls: Vec<PypiReleaseFile>,
}

/// A file of the per-release JSON's `urls`.
#[derive(Deserialize)]
struct PypiReleaseFile {
    filename: String,
    url: String,
    /// PEP 658/714: the METADATA file is served at `url` + `.metadata` when this is not `false`.
    #[serde(default, rename = "core-metadata")]
    core_metadata: Option<serde_json::Value>,
}

/// The `Requires-Dist` headers of a core METADATA file.
fn metadata_requires_dist(text: &str) -> Vec<String> {
    metadata_headers(text, "Requires-Dist:")
        .map(str::to_string)
        .collect()
}

/// The values of one header of a core METADATA file (the headers end at the first blank line).
fn metadata_headers<'a>(text: &'a str, header: &'a str) -> impl Iterator<Item = &'a str> {
    text.lines()
        .take_while(|l| !l.is_empty())
        .filter_map(move |l| l.strip_prefix(header))
        .map(str::trim)
}

#[derive(Deserialize)]
struct PypiReleaseInfo {
    #[serde(default)]
    requires_dist: Option<Vec<String>>,
    #[serde(default)]
    requires_python: Option<String>,
    #[serde(default)]
    summary: Option<String>,
}

impl<C> HttpRegistry<C>
where
    C: Connect + Clone + Send + Sync + 'static,
{
    pub(super) async fn pypi_release_of(
        &self,
        name: &str,
        version: &str,
    ) -> Result<Option<PypiRelease>, Error> {
        let eco = Ecosystem::PyPI;
        let normalized = eco.normalize_name(name);
        let url = self.join(eco, &format!("pypi/{normalized}/{version}/json"), name)?;
        let Some(body) = self.get(eco, name, url.clone(), "application/json").await? else {
            // Mirrors that serve only the project JSON (and, from some networks, pypi.org itself)
            // answer 404 here: the release's files are listed there too.
            return self.pypi_release_from_project(name, version).await;
        };
        let release: PypiReleaseJson =
            serde_json::from_slice(&body).map_err(|e| decode_error(eco, name, e))?;
        // `null` means "not in the JSON", not "none": read the wheel's own METADATA, as pip and
        // Poetry do; without a wheel the dependencies are unknown.
        let requires_dist = match release.info.requires_dist {
            Some(list) => list,
            None => match self.wheel_metadata(name, &url, &release.urls).await {
                Ok(Some(text)) => metadata_requires_dist(&text),
                Ok(None) => return Ok(None),
                Err(e) => {
                    // Unknown dependencies leave the lockfile to Poetry; they never fail a run.
                    tracing::debug!(package = name, version, error = %e, "no wheel METADATA");
                    return Ok(None);
                }
            },
        };
        Ok(Some(PypiRelease {
            requires_dist,
            requires_python: release
                .info
                .requires_python
                .filter(|r| !r.trim().is_empty()),
            summary: release.info.summary.unwrap_or_default(),
        }))
    }

    pub(super) async fn pypi_files_of(
        &self,
        name: &str,
        version: &str,
    ) -> Result<Option<Vec<PypiDist>>, Error> {
        let eco = Ecosystem::PyPI;
        let base = self.join(
            eco,
            &format!("pypi/{}/json", eco.normalize_name(name)),
            name,
        )?;
        let project = self.pypi(name).await?;
        let Some(files) = project.releases.get(version) else {
            return Ok(None);
        };
        let mut out = Vec::new();
        for f in files {
            let url = Some(&f.url).filter(|u| !u.is_empty()).map(|u| base.join(u));
            let (Some(sha256), Some(Ok(url))) = (f.digests.get("sha256"), url) else {
                // A file without its hash or URL cannot be written into a lock.
                return Ok(None);
            };
            out.push(PypiDist {
                filename: f.filename.clone(),
                url: url.to_string(),
                sha256: sha256.clone(),
                size: f.size,
                upload_time: f.upload_time_iso_8601.clone(),
            });
        }
        Ok(Some(out))
    }

    /// The core METADATA of a release from one of its wheels (`files`): the PEP 658 METADATA
    /// file when the index serves one, else the wheel's `*.dist-info/METADATA`. `None` without
    /// a wheel. File URLs may be relative to the JSON's `base`, as some mirrors serve them.
    async fn wheel_metadata(
        &self,
        name: &str,
        base: &Url,
        files: &[PypiReleaseFile],
    ) -> Result<Option<String>, Error> {
        let eco = Ecosystem::PyPI;
        let mut wheels: Vec<&PypiReleaseFile> = files
            .iter()
            .filter(|f| f.filename.ends_with(".whl"))
            .collect();
        wheels.sort_by_key(|f| !f.filename.ends_with("-none-any.whl"));
        let Some(wheel) = wheels.first() else {
            return Ok(None);
        };
        let invalid = |e: url::ParseError| decode_error(eco, name, e);
        let served = !matches!(
            wheel.core_metadata,
            None | Some(serde_json::Value::Bool(false)) | Some(serde_json::Value::Null)
        );
        if served {
            let url = base
                .join(&format!("{}.metadata", wheel.url))
                .map_err(invalid)?;
            if let Some(body) = self.get(eco, name, url, "text/plain").await? {
                return Ok(Some(String::from_utf8_lossy(&body).into_owned()));
            }
        }
        let url = base.join(&wheel.url).map_err(invalid)?;
        let Some(body) = self.get(eco, name, url, "application/octet-stream").await? else {
            return Ok(None);
        };
        for member in crate::zip::zip_members(&body, &wheel.filename)? {
            let parts: Vec<&str> = member.name.split('/').collect();
            if let [dir, "METADATA"] = parts.as_slice() {
                if dir.ends_with(".dist-info") {
                    let text = member.contents(&wheel.filename)?;
                    return Ok(Some(String::from_utf8_lossy(&text).into_owned()));
                }
            }
        }
        Ok(None)
    }

    /// [`Registry::pypi_release`] from the project JSON's `releases[version]` files and one
    /// wheel's METADATA (dependencies, summary); `None` without a wheel or when it cannot be read.
    async fn pypi_release_from_project(
        &self,
        name: &str,
        version: &str,
    ) -> Result<Option<PypiRelease>, Error> {
        let eco = Ecosystem::PyPI;
        let normalized = eco.normalize_name(name);
        let base = self.join(eco, &format!("pypi/{normalized}/json"), name)?;
        let project = self.pypi(name).await?;
        let Some(files) = project.releases.get(version) else {
            return Ok(None);
        };
        let listed: Vec<PypiReleaseFile> = files
            .iter()
            .map(|f| PypiReleaseFile {
                filename: f.filename.clone(),
                url: f.url.clone(),
                core_metadata: f.core_metadata.clone(),
            })
            .collect();
        let text = match self.wheel_metadata(name, &base, &listed).await {
            Ok(Some(text)) => text,
            Ok(None) => return Ok(None),
            Err(e) => {
                tracing::debug!(package = name, version, error = %e, "no wheel METADATA");
                return Ok(None);
            }
        };
        let summary = metadata_headers(&text, "Summary:")
            .next()
            .unwrap_or_default()
            .to_string();
        Ok(Some(PypiRelease {
            requires_dist: metadata_requires_dist(&text),
            requires_python: files
                .iter()
                .find_map(|f| f.requires_python.clone())
                .filter(|r| !r.trim().is_empty()),
            summary,
        }))
    }

    pub(super) async fn pypi(&self, name: &str) -> Result<PypiProject, Error> {
        let eco = Ecosystem::PyPI;
        let normalized = eco.normalize_name(name);
        let url = self.join(eco, &format!("pypi/{normalized}/json"), name)?;
        match self.get(eco, name, url, "application/json").await? {
            Some(body) => serde_json::from_slice(&body).map_err(|e| decode_error(eco, name, e)),
            None => Ok(PypiProject {
                releases: std::collections::BTreeMap::new(),
            }),
        }
    }
}
