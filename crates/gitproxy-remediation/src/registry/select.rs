//! Registry selection: per ecosystem, the configured registry when there is one, otherwise the
//! fixed versions the OSV data names ([`OsvRegistry`]), so an agent with no registry configured
//! contacts only the cloud and Bitbucket.

use std::sync::Arc;

use async_trait::async_trait;

use super::{CachedRegistry, Digest, IndexEntry, Registry, RegistryUrls, RegistryVersion};
use crate::advisories::AdvisoryDb;
use crate::{Ecosystem, Error};

/// Candidate versions from the OSV data itself: every `fixed` version the advisories name.
///
/// Lockfile digests are unknown, so the pull request notes the package-manager command to run.
#[derive(Debug, Clone)]
pub struct OsvRegistry {
    db: Arc<AdvisoryDb>,
}

impl OsvRegistry {
    /// A registry over `db`.
    pub fn new(db: Arc<AdvisoryDb>) -> OsvRegistry {
        OsvRegistry { db }
    }
}

#[async_trait]
impl Registry for OsvRegistry {
    async fn versions(
        &self,
        ecosystem: Ecosystem,
        name: &str,
    ) -> Result<Vec<RegistryVersion>, Error> {
        let wanted = ecosystem.normalize_name(name);
        let mut versions: Vec<String> = Vec::new();
        for record in self.db.records_for(ecosystem, name) {
            for affected in &record.affected {
                let Some(package) = &affected.package else {
                    continue;
                };
                if package.ecosystem != ecosystem.osv_name()
                    || ecosystem.normalize_name(&package.name) != wanted
                {
                    continue;
                }
                for range in &affected.ranges {
                    for event in &range.events {
                        if let Some(fixed) = &event.fixed {
                            if !versions.contains(fixed) {
                                versions.push(fixed.clone());
                            }
                        }
                    }
                }
            }
        }
        Ok(versions
            .into_iter()
            .map(|version| RegistryVersion {
                version,
                yanked: false,
            })
            .collect())
    }

    async fn digests(
        &self,
        _ecosystem: Ecosystem,
        _name: &str,
        _version: &str,
    ) -> Result<Vec<Digest>, Error> {
        Ok(Vec::new())
    }
}

/// The registries of one run: `configured` (each question asked once) for the ecosystems `urls`
/// names, the OSV data's fixed versions for the others.
pub struct SelectedRegistry<R> {
    osv: OsvRegistry,
    configured: CachedRegistry<R>,
    urls: RegistryUrls,
}

impl<R> std::fmt::Debug for SelectedRegistry<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SelectedRegistry")
            .field("urls", &self.urls)
            .finish_non_exhaustive()
    }
}

impl<R: Registry> SelectedRegistry<R> {
    /// `configured` (usually an [`HttpRegistry`](super::HttpRegistry) over `urls`) for the
    /// ecosystems `urls` names, OSV data from `db` for the rest.
    pub fn new(db: Arc<AdvisoryDb>, urls: RegistryUrls, configured: R) -> SelectedRegistry<R> {
        SelectedRegistry {
            osv: OsvRegistry::new(db),
            configured: CachedRegistry::new(configured),
            urls,
        }
    }
}

#[async_trait]
impl<R: Registry> Registry for SelectedRegistry<R> {
    async fn versions(
        &self,
        ecosystem: Ecosystem,
        name: &str,
    ) -> Result<Vec<RegistryVersion>, Error> {
        if self.urls.get(ecosystem).is_some() {
            self.configured.versions(ecosystem, name).await
        } else {
            self.osv.versions(ecosystem, name).await
        }
    }

    async fn digests(
        &self,
        ecosystem: Ecosystem,
        name: &str,
        version: &str,
    ) -> Result<Vec<Digest>, Error> {
        if self.urls.get(ecosystem).is_some() {
            self.configured.digests(ecosystem, name, version).await
        } else {
            self.osv.digests(ecosystem, name, version).await
        }
    }

    async fn index_entries(
        &self,
        ecosystem: Ecosystem,
        name: &str,
    ) -> Result<Option<Vec<IndexEntry>>, Error> {
        if self.urls.get(ecosystem).is_some() {
            self.configured.index_entries(ecosystem, name).await
        } else {
            Ok(None)
        }
    }

    async fn npm_manifest(&self, name: &str, version: &str) -> Result<Option<String>, Error> {
        if self.urls.get(Ecosystem::Npm).is_some() {
            self.configured.npm_manifest(name, version).await
        } else {
            Ok(None)
        }
    }

    async fn pypi_release(
        &self,
        name: &str,
        version: &str,
    ) -> Result<Option<super::PypiRelease>, Error> {
        if self.urls.get(Ecosystem::PyPI).is_some() {
            self.configured.pypi_release(name, version).await
        } else {
            Ok(None)
        }
    }

    async fn go_mod(&self, module: &str, version: &str) -> Result<Option<String>, Error> {
        if self.urls.get(Ecosystem::Go).is_some() {
            self.configured.go_mod(module, version).await
        } else {
            Ok(None)
        }
    }

    async fn pypi_files(
        &self,
        name: &str,
        version: &str,
    ) -> Result<Option<Vec<super::PypiDist>>, Error> {
        if self.urls.get(Ecosystem::PyPI).is_some() {
            self.configured.pypi_files(name, version).await
        } else {
            Ok(None)
        }
    }

    async fn nuget_nuspec(&self, id: &str, version: &str) -> Result<Option<String>, Error> {
        if self.urls.get(Ecosystem::NuGet).is_some() {
            self.configured.nuget_nuspec(id, version).await
        } else {
            Ok(None)
        }
    }

    async fn maven_pom(&self, name: &str, version: &str) -> Result<Option<String>, Error> {
        if self.urls.get(Ecosystem::Maven).is_some() {
            self.configured.maven_pom(name, version).await
        } else {
            Ok(None)
        }
    }

    async fn gem_release(
        &self,
        name: &str,
        version: &str,
    ) -> Result<Option<Vec<super::GemBuild>>, Error> {
        if self.urls.get(Ecosystem::RubyGems).is_some() {
            self.configured.gem_release(name, version).await
        } else {
            Ok(None)
        }
    }

    async fn composer_release(
        &self,
        name: &str,
        version: &str,
    ) -> Result<Option<super::ComposerRelease>, Error> {
        if self.urls.get(Ecosystem::Packagist).is_some() {
            self.configured.composer_release(name, version).await
        } else {
            Ok(None)
        }
    }
}
