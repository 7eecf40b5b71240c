//! RubyGems: `api/v1/versions/NAME.json` lists every published version with its platform and
//! the SHA-256 of its `.gem` (yanked versions are not listed there), and the compact index
//! `info/NAME` gives each version's runtime dependencies.
//!
//! The compact index is read for dependencies rather than `api/v2/rubygems/NAME/versions/V.json`
//! because it is what Bundler itself resolves from: one file per gem covers every version and
//! platform (one request, cached for the run, answers the current and the target version), its
//! requirement strings are the ones Bundler writes into `Gemfile.lock`, and mirrors (Gemstash,
//! Artifactory, Nexus) serve it wherever Bundler works, while the v2 API is rubygems.org's own.

use hyper_util::client::legacy::connect::Connect;
use serde::Deserialize;

use super::{decode_error, valid_segment, HttpRegistry};
use crate::registry::{GemBuild, RegistryVersion};
use crate::{Ecosystem, Error};

#[derive(Deserialize)]
struct ApiVersion {
    number: String,
    #[serde(default)]
    platform: Option<String>,
    #[serde(default)]
    sha: Option<String>,
}

/// One line of a compact index `info` file: the version, its platform (`ruby` when none), its
/// runtime dependencies (requirements joined with `, `) and its checksum.
pub(crate) fn parse_info_line(line: &str) -> Option<(String, GemBuild)> {
    let (head, rest) = line.split_once(' ')?;
    let (version, platform) = match head.split_once('-') {
        Some((v, p)) => (v, p),
        None => (head, "ruby"),
    };
    let (deps, meta) = rest.split_once('|').unwrap_or((rest, ""));
    let mut dependencies = Vec::new();
    for dep in deps.split(',').map(str::trim).filter(|d| !d.is_empty()) {
        let (name, reqs) = dep.split_once(':')?;
        let reqs: Vec<&str> = reqs.split('&').map(str::trim).collect();
        dependencies.push((name.to_string(), reqs.join(", ")));
    }
    let sha256 = meta
        .split(',')
        .find_map(|m| m.trim().strip_prefix("checksum:"))
        .map(str::to_string);
    Some((
        version.to_string(),
        GemBuild {
            platform: platform.to_string(),
            sha256,
            dependencies,
        },
    ))
}

impl<C> HttpRegistry<C>
where
    C: Connect + Clone + Send + Sync + 'static,
{
    async fn gem_api_versions(&self, name: &str) -> Result<Vec<ApiVersion>, Error> {
        let eco = Ecosystem::RubyGems;
        if !valid_segment(name) {
            return Ok(Vec::new());
        }
        let url = self.join(eco, &format!("api/v1/versions/{name}.json"), name)?;
        let Some(body) = self.get(eco, name, url, "application/json").await? else {
            return Ok(Vec::new());
        };
        serde_json::from_slice(&body).map_err(|e| decode_error(eco, name, e))
    }

    pub(super) async fn gem_versions(&self, name: &str) -> Result<Vec<RegistryVersion>, Error> {
        // One entry per version, however many platform builds it has, in the listed order.
        let mut seen = std::collections::HashSet::new();
        Ok(self
            .gem_api_versions(name)
            .await?
            .into_iter()
            .filter(|v| seen.insert(v.number.clone()))
            .map(|v| RegistryVersion {
                version: v.number,
                yanked: false,
            })
            .collect())
    }

    pub(super) async fn gem_builds(
        &self,
        name: &str,
        version: &str,
    ) -> Result<Option<Vec<GemBuild>>, Error> {
        let eco = Ecosystem::RubyGems;
        if self.urls.get(eco).is_none() || !valid_segment(name) {
            return Ok(None);
        }
        let listed: Vec<ApiVersion> = self
            .gem_api_versions(name)
            .await?
            .into_iter()
            .filter(|v| v.number == version)
            .collect();
        if listed.is_empty() {
            return Ok(None);
        }
        let url = self.join(eco, &format!("info/{name}"), name)?;
        let Some(body) = self.get(eco, name, url, "text/plain").await? else {
            return Ok(None);
        };
        let text = String::from_utf8_lossy(&body);
        let mut index: Vec<(String, GemBuild)> = Vec::new();
        for line in text.lines().skip_while(|l| l.trim() != "---").skip(1) {
            let parsed = parse_info_line(line)
                .ok_or_else(|| decode_error(eco, name, format!("bad info line `{line}`")))?;
            index.push(parsed);
        }
        let mut builds = Vec::new();
        for v in listed {
            let platform = v.platform.unwrap_or_else(|| "ruby".into());
            // A build the compact index does not describe has unknown dependencies.
            let Some((_, found)) = index
                .iter()
                .find(|(iv, b)| iv == version && b.platform == platform)
            else {
                return Ok(None);
            };
            builds.push(GemBuild {
                platform,
                sha256: v.sha.or_else(|| found.sha256.clone()),
                dependencies: found.dependencies.clone(),
            });
        }
        Ok(Some(builds))
    }
}
