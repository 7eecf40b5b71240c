//! Registries in memory: [`StaticRegistry`] (tests, offline planning) and [`CachedRegistry`]
//! (each question asked once per run).

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use async_trait::async_trait;

use super::{Digest, Registry, RegistryVersion};
use crate::{Ecosystem, Error};

/// One published version and its digests.
type Published = (RegistryVersion, Vec<Digest>);

/// An in-memory registry: the local stand-in for tests and for offline planning.
#[derive(Clone, Debug, Default)]
pub struct StaticRegistry {
    packages: BTreeMap<(Ecosystem, String), Vec<Published>>,
}

impl StaticRegistry {
    /// An empty registry.
    pub fn new() -> StaticRegistry {
        StaticRegistry::default()
    }

    /// Publishes `version` with its digests (`(artifact, value)` pairs).
    pub fn publish(
        mut self,
        ecosystem: Ecosystem,
        name: &str,
        version: &str,
        digests: &[(Option<&str>, &str)],
    ) -> Self {
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
        self
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
}

/// Caches another registry's answers for the length of one run.
#[derive(Debug)]
pub struct CachedRegistry<R> {
    inner: R,
    versions: Mutex<HashMap<(Ecosystem, String), Vec<RegistryVersion>>>,
    digests: Mutex<HashMap<(Ecosystem, String, String), Vec<Digest>>>,
}

impl<R: Registry> CachedRegistry<R> {
    /// Wraps `inner`.
    pub fn new(inner: R) -> CachedRegistry<R> {
        CachedRegistry {
            inner,
            versions: Mutex::new(HashMap::new()),
            digests: Mutex::new(HashMap::new()),
        }
    }
}

#[async_trait]
impl<R: Registry> Registry for CachedRegistry<R> {
    async fn versions(
        &self,
        ecosystem: Ecosystem,
        name: &str,
    ) -> Result<Vec<RegistryVersion>, Error> {
        let key = (ecosystem, ecosystem.normalize_name(name));
        if let Some(hit) = self
            .versions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
        {
            return Ok(hit.clone());
        }
        let fetched = self.inner.versions(ecosystem, name).await?;
        self.versions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key, fetched.clone());
        Ok(fetched)
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
            version.to_string(),
        );
        if let Some(hit) = self
            .digests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
        {
            return Ok(hit.clone());
        }
        let fetched = self.inner.digests(ecosystem, name, version).await?;
        self.digests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key, fetched.clone());
        Ok(fetched)
    }
}
