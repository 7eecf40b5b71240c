//! Package registries: where candidate versions and lockfile digests come from.
//!
//! The [`Registry`] trait is what planning asks. Its implementations, one job per file:
//! [`HttpRegistry`] (`registry/http.rs`) asks the real registries over HTTP through the caller's
//! connector (the egress crate's, which applies proxy and CA settings) at the base URLs of
//! [`RegistryUrls`] (`registry/urls.rs`); [`CachedRegistry`] and [`StaticRegistry`]
//! (`registry/memory.rs`) cache answers for one run and stand in for tests; [`ReleaseCache`]
//! (`registry/lasting.rs`) keeps the answers that never change across runs; [`OsvRegistry`] and
//! [`SelectedRegistry`] (`registry/select.rs`) pick, per ecosystem, the configured registry or
//! the OSV data's fixed versions. [`IndexEntry`] (`registry/index.rs`) is what an index says about
//! one version's dependencies and features, which resolver-aware lockfile edits need.
//! [`GemBuild`] and [`ComposerRelease`] are what the RubyGems and Packagist clients say about one
//! version, for in-place `Gemfile.lock` and `composer.lock` bumps.

use async_trait::async_trait;
use serde::Serialize;

use crate::{Ecosystem, Error};

mod http;
mod index;
mod lasting;
mod memory;
mod select;
mod urls;

pub(crate) use http::error_chain;
pub use http::{
    crates_index_path, go_escape, go_hash1, nuget_content_hash, HttpRegistry, ResponseObserver,
};
pub use index::{DepKind, IndexEntry, RegistryDep};
pub use lasting::{ReleaseCache, DEFAULT_RELEASE_CACHE_BYTES, MAX_KEPT_ANSWER};
pub use memory::{CachedRegistry, StaticRegistry};
pub use select::{OsvRegistry, SelectedRegistry};
pub(crate) use urls::redact;
pub use urls::RegistryUrls;

/// One published version of a package.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RegistryVersion {
    /// The version as the registry spells it.
    pub version: String,
    /// Yanked (crates.io), deprecated (npm) or withdrawn releases are never proposed.
    pub yanked: bool,
}

/// An integrity value of one artifact of a version.
///
/// npm: one `sha512-...` SRI string. crates.io: the `.crate` SHA-256 in hex. Go: `h1:...` of the
/// module zip (`artifact: None`) and of its `go.mod` (`artifact: Some("go.mod")`). PyPI: one
/// `sha256:...` per distribution file (`artifact` = file name). Maven: none needed. NuGet: the
/// base64 SHA-512 of the `.nupkg`, as `packages.lock.json`'s `contentHash`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Digest {
    /// Which artifact the digest covers, when a version has several.
    pub artifact: Option<String>,
    /// The digest as the lockfile writes it.
    pub value: String,
}

/// A package registry: the versions it publishes and the digests of one version.
#[async_trait]
pub trait Registry: Send + Sync {
    /// Every published version of a package.
    async fn versions(
        &self,
        ecosystem: Ecosystem,
        name: &str,
    ) -> Result<Vec<RegistryVersion>, Error>;
    /// The digests of one version (see [`Digest`]).
    async fn digests(
        &self,
        ecosystem: Ecosystem,
        name: &str,
        version: &str,
    ) -> Result<Vec<Digest>, Error>;
    /// Every published version with its dependency list, features and checksum (the crates.io
    /// index lines), or `None` when this registry cannot say (no registry configured for the
    /// ecosystem, or an ecosystem whose metadata is not read this way). An unknown package is
    /// `Some(vec![])`.
    async fn index_entries(
        &self,
        ecosystem: Ecosystem,
        name: &str,
    ) -> Result<Option<Vec<IndexEntry>>, Error> {
        let _ = (ecosystem, name);
        Ok(None)
    }

    /// npm only: the registry's metadata of one version (the packument's `versions[version]`
    /// object, as JSON text in the registry's key order), which lists the version's
    /// dependencies; `None` when this registry does not give it.
    async fn npm_manifest(&self, name: &str, version: &str) -> Result<Option<String>, Error> {
        let _ = (name, version);
        Ok(None)
    }
    // --- PyPI and Go release metadata (what a lockfile edit carries besides digests) ---

    /// The PyPI metadata of one release (`pypi/NAME/VERSION/json`): its `requires_dist`,
    /// `requires_python` and summary. `None` when the registry cannot say.
    async fn pypi_release(
        &self,
        _name: &str,
        _version: &str,
    ) -> Result<Option<PypiRelease>, Error> {
        Ok(None)
    }

    /// The `go.mod` of one module version (`@v/VERSION.mod`). `None` when the registry cannot say.
    async fn go_mod(&self, _module: &str, _version: &str) -> Result<Option<String>, Error> {
        Ok(None)
    }

    /// The distribution files of one PyPI release with their URLs, sizes and upload times (what
    /// `uv.lock` records). `None` when the registry cannot say.
    async fn pypi_files(
        &self,
        _name: &str,
        _version: &str,
    ) -> Result<Option<Vec<PypiDist>>, Error> {
        Ok(None)
    }

    /// The `.nuspec` of one NuGet package version (from the v3 flat container), whose
    /// `<dependencies>` groups a `packages.lock.json` entry lists. `None` when the registry
    /// cannot say.
    async fn nuget_nuspec(&self, _id: &str, _version: &str) -> Result<Option<String>, Error> {
        Ok(None)
    }

    /// The POM of one Maven version (`<group path>/<artifact>/<version>/<artifact>-<version>.pom`),
    /// whose dependencies tell whether a Gradle lockfile entry can move alone. `None` when the
    /// registry cannot say.
    async fn maven_pom(&self, _name: &str, _version: &str) -> Result<Option<String>, Error> {
        Ok(None)
    }

    /// RubyGems only: every platform build of one gem version with its runtime dependencies and
    /// SHA-256 (what a `Gemfile.lock` spec and its `CHECKSUMS` line record). `None` when the
    /// registry cannot say.
    async fn gem_release(
        &self,
        _name: &str,
        _version: &str,
    ) -> Result<Option<Vec<GemBuild>>, Error> {
        Ok(None)
    }

    /// Packagist only: one version of a package from its composer 2 metadata (what a
    /// `composer.lock` entry records). `None` when the registry cannot say.
    async fn composer_release(
        &self,
        _name: &str,
        _version: &str,
    ) -> Result<Option<ComposerRelease>, Error> {
        Ok(None)
    }
}

/// One platform build of a gem version, as the registry publishes it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct GemBuild {
    /// `ruby` for a pure-Ruby gem, else the platform (`x86_64-linux`, `java`).
    pub platform: String,
    /// The SHA-256 of the `.gem` file in hex, when the registry gives it.
    pub sha256: Option<String>,
    /// Runtime dependencies: name and requirement (`~> 2.0`, `>= 1.0, < 3`; `>= 0` for none).
    pub dependencies: Vec<(String, String)>,
}

/// One version of a Composer package from the repository's metadata.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ComposerRelease {
    /// The version as the repository spells it (`v5.4.3`, `2.7.7`).
    pub version: String,
    /// `require`, `conflict`, `provide` and `replace`: kind, name and constraint, platform
    /// requirements included.
    pub links: Vec<(String, String, String)>,
    /// The `autoload` object as compact JSON with sorted keys, when given.
    pub autoload: Option<String>,
    /// `dist`, when given.
    pub dist: Option<ComposerSource>,
    /// `source`, when given.
    pub source: Option<ComposerSource>,
    /// The release time as the repository writes it.
    pub time: Option<String>,
    /// The string members of `support` (`source` names the release's tag on Packagist).
    pub support: Vec<(String, String)>,
}

/// A `dist` or `source` of a Composer package version.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ComposerSource {
    /// `zip`, `tar`, `git`, ...
    pub kind: String,
    /// Where the archive or repository is.
    pub url: String,
    /// The commit or tag reference, when given.
    pub reference: Option<String>,
    /// `dist` only: the SHA-1 of the archive, often empty.
    pub shasum: Option<String>,
}

/// One distribution file (sdist or wheel) of a PyPI release.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PypiDist {
    /// The file name (`requests-2.31.0-py3-none-any.whl`).
    pub filename: String,
    /// Where the registry serves it, absolute.
    pub url: String,
    /// The SHA-256 of the file in hex.
    pub sha256: String,
    /// The size in bytes, when the registry gives it.
    pub size: Option<u64>,
    /// The upload time as the registry writes it (ISO 8601, UTC), when it gives one.
    pub upload_time: Option<String>,
}

/// What a PyPI release declares about itself (from the JSON API's `info`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PypiRelease {
    /// PEP 508 requirements, extras and markers included, as the registry spells them.
    pub requires_dist: Vec<String>,
    /// The `Requires-Python` specifier, when the release declares one.
    pub requires_python: Option<String>,
    /// The one-line summary (Poetry writes it as the lock entry's `description`).
    pub summary: String,
}

/// Compact JSON with every object's keys sorted (how two `autoload` objects are compared).
pub(crate) fn canonical_json(value: &serde_json::Value) -> String {
    fn sorted(v: &serde_json::Value) -> serde_json::Value {
        match v {
            serde_json::Value::Object(o) => {
                let mut keys: Vec<&String> = o.keys().collect();
                keys.sort();
                let mut out = serde_json::Map::new();
                for k in keys {
                    out.insert(k.clone(), sorted(&o[k]));
                }
                serde_json::Value::Object(out)
            }
            serde_json::Value::Array(a) => serde_json::Value::Array(a.iter().map(sorted).collect()),
            other => other.clone(),
        }
    }
    sorted(value).to_string()
}

/// How messages name the registry of an ecosystem.
pub fn registry_name(ecosystem: Ecosystem) -> &'static str {
    match ecosystem {
        Ecosystem::Npm => "npm",
        Ecosystem::CratesIo => "crates.io index",
        Ecosystem::PyPI => "PyPI",
        Ecosystem::Go => "Go module proxy",
        Ecosystem::Maven => "Maven",
        Ecosystem::NuGet => "NuGet",
        Ecosystem::RubyGems => "RubyGems",
        Ecosystem::Packagist => "Packagist",
    }
}

#[cfg(test)]
mod tests;
