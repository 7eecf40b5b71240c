//! Registries in memory: [`StaticRegistry`] (tests, offline planning) and [`CachedRegistry`]
//! (each question asked once per run).

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use async_trait::async_trait;

use super::{ComposerRelease, Digest, GemBuild, IndexEntry, PypiDist, PypiRelease};
use super::{Registry, RegistryVersion};
use crate::{Ecosystem, Error};

/// One published version and its digests.
type Published = (RegistryVersion, Vec<Digest>);

/// Index answers by ecosystem and normalized name (`None`: the registry cannot say).
type IndexCache = HashMap<(Ecosystem, String), Option<Vec<IndexEntry>>>;

/// PyPI distribution files by (normalized name, version) (`None`: the registry cannot say).
type DistCache = HashMap<(String, String), Option<Vec<PypiDist>>>;

/// Gem builds by (name, version) (`None`: the registry cannot say).
type GemCache = HashMap<(String, String), Option<Vec<GemBuild>>>;

/// An in-memory registry: the local stand-in for tests and for offline planning.
#[derive(Clone, Debug, Default)]
pub struct StaticRegistry {
    packages: BTreeMap<(Ecosystem, String), Vec<Published>>,
    /// crates.io index entries by normalized name.
    index: BTreeMap<String, Vec<IndexEntry>>,
    /// npm version metadata by `(name, version)`, see [`Registry::npm_manifest`].
    npm_manifests: BTreeMap<(String, String), String>,
    /// PyPI release metadata by (normalized name, version).
    pypi_releases: BTreeMap<(String, String), PypiRelease>,
    /// Go `go.mod` files by (module, version).
    go_mods: BTreeMap<(String, String), String>,
    /// PyPI distribution files by (normalized name, version).
    pypi_files: BTreeMap<(String, String), Vec<PypiDist>>,
    /// NuGet `.nuspec` files by (lower-case id, normalized version).
    nuspecs: BTreeMap<(String, String), String>,
    /// Maven POMs by (`group:artifact`, version).
    maven_poms: BTreeMap<(String, String), String>,
    /// Gem builds by (name, version).
    gem_builds: BTreeMap<(String, String), Vec<GemBuild>>,
    /// Composer versions by (lower-case name, version).
    composer_releases: BTreeMap<(String, String), ComposerRelease>,
}

impl StaticRegistry {
    /// An empty registry.
    pub fn new() -> StaticRegistry {
        StaticRegistry::default()
    }

    /// Publishes `version` with its digests (`(artifact, value)` pairs). A crates.io version
    /// gets an index entry with no dependencies and no features.
    pub fn publish(
        mut self,
        ecosystem: Ecosystem,
        name: &str,
        version: &str,
        digests: &[(Option<&str>, &str)],
    ) -> Self {
        if ecosystem == Ecosystem::CratesIo {
            self.index
                .entry(ecosystem.normalize_name(name))
                .or_default()
                .push(IndexEntry {
                    version: version.to_string(),
                    yanked: false,
                    checksum: digests.first().map(|(_, v)| v.to_string()),
                    dependencies: Vec::new(),
                    features: BTreeMap::new(),
                });
        }
        self.packages
            .entry((ecosystem, ecosystem.normalize_name(name)))
            .or_default()
            .push((
                RegistryVersion {
                    version: version.to_string(),
                    yanked: false,
                },
                digests
                    .iter()
                    .map(|(a, v)| Digest {
                        artifact: a.map(String::from),
                        value: v.to_string(),
                    })
                    .collect(),
            ));
        self
    }

    /// Records the npm metadata of `name@version` (a packument's version object as JSON text).
    pub fn npm_manifest(mut self, name: &str, version: &str, json: &str) -> Self {
        self.npm_manifests
            .insert((name.to_string(), version.to_string()), json.to_string());
        self
    }

    /// Publishes the metadata of a PyPI release (see [`Registry::pypi_release`]).
    pub fn pypi_release(mut self, name: &str, version: &str, release: PypiRelease) -> Self {
        let key = (Ecosystem::PyPI.normalize_name(name), version.to_string());
        self.pypi_releases.insert(key, release);
        self
    }

    /// Publishes the distribution files of a PyPI release (see [`Registry::pypi_files`]).
    pub fn pypi_files(mut self, name: &str, version: &str, files: Vec<PypiDist>) -> Self {
        let key = (Ecosystem::PyPI.normalize_name(name), version.to_string());
        self.pypi_files.insert(key, files);
        self
    }

    /// Publishes the `go.mod` of a module version (see [`Registry::go_mod`]).
    pub fn go_mod(mut self, module: &str, version: &str, go_mod: &str) -> Self {
        let key = (module.to_string(), version.to_string());
        self.go_mods.insert(key, go_mod.to_string());
        self
    }

    /// Publishes the `.nuspec` of a NuGet package version (see [`Registry::nuget_nuspec`]).
    pub fn nuspec(mut self, id: &str, version: &str, nuspec: &str) -> Self {
        let key = (Ecosystem::NuGet.normalize_name(id), version.to_string());
        self.nuspecs.insert(key, nuspec.to_string());
        self
    }

    /// Publishes the platform builds of a gem version (see [`Registry::gem_release`]); publish
    /// the version itself with [`StaticRegistry::publish`].
    pub fn gem_release(mut self, name: &str, version: &str, builds: Vec<GemBuild>) -> Self {
        self.gem_builds
            .insert((name.to_string(), version.to_string()), builds);
        self
    }

    /// Publishes the metadata of a Composer version (see [`Registry::composer_release`]);
    /// publish the version itself with [`StaticRegistry::publish`].
    pub fn composer_release(mut self, name: &str, release: ComposerRelease) -> Self {
        let key = (name.to_ascii_lowercase(), release.version.clone());
        self.composer_releases.insert(key, release);
        self
    }

    /// Publishes the POM of a Maven version (see [`Registry::maven_pom`]).
    pub fn maven_pom(mut self, name: &str, version: &str, pom: &str) -> Self {
        let key = (name.to_string(), version.to_string());
        self.maven_poms.insert(key, pom.to_string());
        self
    }

    /// Publishes a yanked version.
    pub fn yanked(mut self, ecosystem: Ecosystem, name: &str, version: &str) -> Self {
        self = self.publish(ecosystem, name, version, &[]);
        if let Some(list) = self
            .packages
            .get_mut(&(ecosystem, ecosystem.normalize_name(name)))
        {
            if let Some(last) = list.last_mut() {
                last.0.yanked = true;
            }
        }
        if let Some(last) = self
            .index
            .get_mut(&ecosystem.normalize_name(name))
            .and_then(|l| l.last_mut())
        {
            last.yanked = true;
        }
        self
    }

    /// Publishes every version of a crates.io sparse-index file (one JSON line per version),
    /// with its dependencies, features, checksum and yanked flag.
    pub fn index_file(mut self, name: &str, text: &str) -> Result<Self, String> {
        let eco = Ecosystem::CratesIo;
        let key = eco.normalize_name(name);
        for entry in IndexEntry::from_index_file(text)? {
            self.packages.entry((eco, key.clone())).or_default().push((
                RegistryVersion {
                    version: entry.version.clone(),
                    yanked: entry.yanked,
                },
                entry
                    .checksum
                    .iter()
                    .map(|c| Digest {
                        artifact: None,
                        value: c.clone(),
                    })
                    .collect(),
            ));
            self.index.entry(key.clone()).or_default().push(entry);
        }
        Ok(self)
    }
}

#[async_trait]
impl Registry for StaticRegistry {
    async fn versions(
        &self,
        ecosystem: Ecosystem,
        name: &str,
    ) -> Result<Vec<RegistryVersion>, Error> {
        Ok(self
            .packages
            .get(&(ecosystem, ecosystem.normalize_name(name)))
            .map(|l| l.iter().map(|(v, _)| v.clone()).collect())
            .unwrap_or_default())
    }

    async fn digests(
        &self,
        ecosystem: Ecosystem,
        name: &str,
        version: &str,
    ) -> Result<Vec<Digest>, Error> {
        Ok(self
            .packages
            .get(&(ecosystem, ecosystem.normalize_name(name)))
            .and_then(|l| l.iter().find(|(v, _)| v.version == version))
            .map(|(_, d)| d.clone())
            .unwrap_or_default())
    }

    async fn index_entries(
        &self,
        ecosystem: Ecosystem,
        name: &str,
    ) -> Result<Option<Vec<IndexEntry>>, Error> {
        if ecosystem != Ecosystem::CratesIo {
            return Ok(None);
        }
        Ok(Some(
            self.index
                .get(&ecosystem.normalize_name(name))
                .cloned()
                .unwrap_or_default(),
        ))
    }

    async fn npm_manifest(&self, name: &str, version: &str) -> Result<Option<String>, Error> {
        Ok(self
            .npm_manifests
            .get(&(name.to_string(), version.to_string()))
            .cloned())
    }

    async fn pypi_release(&self, name: &str, version: &str) -> Result<Option<PypiRelease>, Error> {
        let key = (Ecosystem::PyPI.normalize_name(name), version.to_string());
        Ok(self.pypi_releases.get(&key).cloned())
    }

    async fn go_mod(&self, module: &str, version: &str) -> Result<Option<String>, Error> {
        Ok(self
            .go_mods
            .get(&(module.to_string(), version.to_string()))
            .cloned())
    }

    async fn pypi_files(&self, name: &str, version: &str) -> Result<Option<Vec<PypiDist>>, Error> {
        let key = (Ecosystem::PyPI.normalize_name(name), version.to_string());
        Ok(self.pypi_files.get(&key).cloned())
    }

    async fn nuget_nuspec(&self, id: &str, version: &str) -> Result<Option<String>, Error> {
        let key = (Ecosystem::NuGet.normalize_name(id), version.to_string());
        Ok(self.nuspecs.get(&key).cloned())
    }

    async fn maven_pom(&self, name: &str, version: &str) -> Result<Option<String>, Error> {
        Ok(self
            .maven_poms
            .get(&(name.to_string(), version.to_string()))
            .cloned())
    }

    async fn gem_release(&self, name: &str, version: &str) -> Result<Option<Vec<GemBuild>>, Error> {
        let key = (name.to_string(), version.to_string());
        Ok(self.gem_builds.get(&key).cloned())
    }

    async fn composer_release(
        &self,
        name: &str,
        version: &str,
    ) -> Result<Option<ComposerRelease>, Error> {
        let key = (name.to_ascii_lowercase(), version.to_string());
        Ok(self.composer_releases.get(&key).cloned())
    }
}

/// Caches another registry's answers for the length of one run.
#[derive(Debug)]
pub struct CachedRegistry<R> {
    inner: R,
    versions: Mutex<HashMap<(Ecosystem, String), Vec<RegistryVersion>>>,
    digests: Mutex<HashMap<(Ecosystem, String, String), Vec<Digest>>>,
    index: Mutex<IndexCache>,
    pypi_releases: Mutex<HashMap<(String, String), Option<PypiRelease>>>,
    go_mods: Mutex<HashMap<(String, String), Option<String>>>,
    pypi_files: Mutex<DistCache>,
    nuspecs: Mutex<HashMap<(String, String), Option<String>>>,
    maven_poms: Mutex<HashMap<(String, String), Option<String>>>,
    gem_builds: Mutex<GemCache>,
    composer_releases: Mutex<HashMap<(String, String), Option<ComposerRelease>>>,
}

impl<R: Registry> CachedRegistry<R> {
    /// Wraps `inner`.
    pub fn new(inner: R) -> CachedRegistry<R> {
        CachedRegistry {
            inner,
            versions: Mutex::new(HashMap::new()),
            digests: Mutex::new(HashMap::new()),
            index: Mutex::new(HashMap::new()),
            pypi_releases: Mutex::new(HashMap::new()),
            go_mods: Mutex::new(HashMap::new()),
            pypi_files: Mutex::new(HashMap::new()),
            nuspecs: Mutex::new(HashMap::new()),
            maven_poms: Mutex::new(HashMap::new()),
            gem_builds: Mutex::new(HashMap::new()),
            composer_releases: Mutex::new(HashMap::new()),
        }
    }
}

/// The answer remembered under `key`, or `fetch`'s, remembered when it succeeds; the lock is
/// never held while fetching.
async fn cached<K, V>(
    map: &Mutex<HashMap<K, V>>,
    key: K,
    fetch: impl std::future::Future<Output = Result<V, Error>>,
) -> Result<V, Error>
where
    K: std::hash::Hash + Eq,
    V: Clone,
{
    let lock = || map.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(hit) = lock().get(&key) {
        return Ok(hit.clone());
    }
    let fetched = fetch.await?;
    lock().insert(key, fetched.clone());
    Ok(fetched)
}

#[async_trait]
impl<R: Registry> Registry for CachedRegistry<R> {
    async fn versions(
        &self,
        ecosystem: Ecosystem,
        name: &str,
    ) -> Result<Vec<RegistryVersion>, Error> {
        let key = (ecosystem, ecosystem.normalize_name(name));
        cached(&self.versions, key, self.inner.versions(ecosystem, name)).await
    }

    async fn digests(
        &self,
        ecosystem: Ecosystem,
        name: &str,
        version: &str,
    ) -> Result<Vec<Digest>, Error> {
        let key = (
            ecosystem,
            ecosystem.normalize_name(name),
            version.to_owned(),
        );
        let fetch = self.inner.digests(ecosystem, name, version);
        cached(&self.digests, key, fetch).await
    }

    async fn index_entries(
        &self,
        ecosystem: Ecosystem,
        name: &str,
    ) -> Result<Option<Vec<IndexEntry>>, Error> {
        let key = (ecosystem, ecosystem.normalize_name(name));
        cached(&self.index, key, self.inner.index_entries(ecosystem, name)).await
    }

    /// Not cached here: the HTTP registry keeps each packument for the run.
    async fn npm_manifest(&self, name: &str, version: &str) -> Result<Option<String>, Error> {
        self.inner.npm_manifest(name, version).await
    }

    async fn pypi_release(&self, name: &str, version: &str) -> Result<Option<PypiRelease>, Error> {
        let key = (Ecosystem::PyPI.normalize_name(name), version.to_owned());
        let fetch = self.inner.pypi_release(name, version);
        cached(&self.pypi_releases, key, fetch).await
    }

    async fn go_mod(&self, module: &str, version: &str) -> Result<Option<String>, Error> {
        let key = (module.to_owned(), version.to_owned());
        cached(&self.go_mods, key, self.inner.go_mod(module, version)).await
    }

    async fn pypi_files(&self, name: &str, version: &str) -> Result<Option<Vec<PypiDist>>, Error> {
        let key = (Ecosystem::PyPI.normalize_name(name), version.to_owned());
        let fetch = self.inner.pypi_files(name, version);
        cached(&self.pypi_files, key, fetch).await
    }

    async fn nuget_nuspec(&self, id: &str, version: &str) -> Result<Option<String>, Error> {
        let key = (Ecosystem::NuGet.normalize_name(id), version.to_owned());
        cached(&self.nuspecs, key, self.inner.nuget_nuspec(id, version)).await
    }

    async fn maven_pom(&self, name: &str, version: &str) -> Result<Option<String>, Error> {
        let key = (name.to_owned(), version.to_owned());
        cached(&self.maven_poms, key, self.inner.maven_pom(name, version)).await
    }

    async fn gem_release(&self, name: &str, version: &str) -> Result<Option<Vec<GemBuild>>, Error> {
        let key = (name.to_owned(), version.to_owned());
        cached(&self.gem_builds, key, self.inner.gem_release(name, version)).await
    }

    async fn composer_release(
        &self,
        name: &str,
        version: &str,
    ) -> Result<Option<ComposerRelease>, Error> {
        let key = (name.to_ascii_lowercase(), version.to_owned());
        let fetch = self.inner.composer_release(name, version);
        cached(&self.composer_releases, key, fetch).await
    }
}
