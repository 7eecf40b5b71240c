//! Packagist (and any Composer repository): the composer 2 metadata `p2/VENDOR/PACKAGE.json`
//! lists every tagged version with its links (`require`, `conflict`, `provide`, `replace`),
//! `autoload`, `dist`, `source` and `time`. Packagist serves it minified (`"minified":
//! "composer/2.0"`): each version lists only the keys that differ from the version before it,
//! and `"__unset"` removes a key; [`expand`] undoes that as Composer's `MetadataMinifier` does.
//! Branch versions (`p2/VENDOR/PACKAGE~dev.json`) are never candidates and are not read.

use hyper_util::client::legacy::connect::Connect;
use serde_json::{Map, Value};

use super::{decode_error, HttpRegistry};
use crate::registry::{ComposerRelease, ComposerSource, RegistryVersion};
use crate::{Ecosystem, Error};

/// The link sections a lockfile entry records, in Composer's order.
pub(crate) const LINKS: [&str; 4] = ["require", "conflict", "provide", "replace"];

/// Whether `name` is a `vendor/package` name the repository paths can carry as it is.
fn valid_name(name: &str) -> bool {
    let mut parts = name.split('/');
    let ok = |p: Option<&str>| {
        p.is_some_and(|p| {
            !p.is_empty()
                && !p.starts_with('.')
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        })
    };
    ok(parts.next()) && ok(parts.next()) && parts.next().is_none()
}

/// The versions of a composer 2 metadata document, expanded when it is minified.
pub(crate) fn expand(doc: &Value, name: &str) -> Vec<Map<String, Value>> {
    let minified = doc.get("minified").and_then(Value::as_str) == Some("composer/2.0");
    let list = doc
        .get("packages")
        .and_then(Value::as_object)
        .and_then(|p| {
            p.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v)
        })
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    let mut out: Vec<Map<String, Value>> = Vec::new();
    let mut previous: Option<Map<String, Value>> = None;
    for item in list.iter().filter_map(Value::as_object) {
        let expanded = match (&previous, minified) {
            (Some(prev), true) => {
                let mut next = prev.clone();
                for (k, v) in item {
                    if v.as_str() == Some("__unset") {
                        next.remove(k);
                    } else {
                        next.insert(k.clone(), v.clone());
                    }
                }
                next
            }
            _ => item.clone(),
        };
        previous = Some(expanded.clone());
        out.push(expanded);
    }
    out
}

/// What a lockfile needs from one expanded version.
pub(crate) fn release(version: &Map<String, Value>) -> Option<ComposerRelease> {
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);
    let mut links = Vec::new();
    for kind in LINKS {
        // PHP encodes an empty map as `[]`.
        for (name, constraint) in version
            .get(kind)
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            links.push((
                kind.to_string(),
                name.clone(),
                constraint.as_str()?.to_string(),
            ));
        }
    }
    let origin = |key: &str| -> Option<ComposerSource> {
        let o = version.get(key)?.as_object()?;
        Some(ComposerSource {
            kind: text(o.get("type"))?,
            url: text(o.get("url"))?,
            reference: text(o.get("reference")),
            shasum: text(o.get("shasum")),
        })
    };
    Some(ComposerRelease {
        version: text(version.get("version"))?,
        links,
        autoload: version
            .get("autoload")
            .filter(|a| a.as_object().is_some_and(|o| !o.is_empty()))
            .map(crate::registry::canonical_json),
        dist: origin("dist"),
        source: origin("source"),
        time: text(version.get("time")),
        support: version
            .get("support")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
            .collect(),
    })
}

impl<C> HttpRegistry<C>
where
    C: Connect + Clone + Send + Sync + 'static,
{
    async fn composer_versions_of(&self, name: &str) -> Result<Vec<Map<String, Value>>, Error> {
        let eco = Ecosystem::Packagist;
        let lower = name.to_ascii_lowercase();
        if !valid_name(&lower) {
            return Ok(Vec::new());
        }
        let url = self.join(eco, &format!("p2/{lower}.json"), name)?;
        let Some(body) = self.get(eco, name, url, "application/json").await? else {
            return Ok(Vec::new());
        };
        let doc: Value = serde_json::from_slice(&body).map_err(|e| decode_error(eco, name, e))?;
        Ok(expand(&doc, &lower))
    }

    pub(super) async fn composer_versions(
        &self,
        name: &str,
    ) -> Result<Vec<RegistryVersion>, Error> {
        Ok(self
            .composer_versions_of(name)
            .await?
            .iter()
            .filter_map(|v| v.get("version")?.as_str())
            .map(|version| RegistryVersion {
                version: version.to_string(),
                yanked: false,
            })
            .collect())
    }

    pub(super) async fn composer_release_of(
        &self,
        name: &str,
        version: &str,
    ) -> Result<Option<ComposerRelease>, Error> {
        if self.urls.get(Ecosystem::Packagist).is_none() {
            return Ok(None);
        }
        let versions = self.composer_versions_of(name).await?;
        let wanted = crate::version::composer::Version::parse(version).ok();
        let same = |v: &str| {
            v == version
                || wanted.as_ref().is_some_and(|w| {
                    crate::version::composer::Version::parse(v).ok().as_ref() == Some(w)
                })
        };
        Ok(versions
            .iter()
            .find(|v| v.get("version").and_then(Value::as_str).is_some_and(same))
            .and_then(release))
    }
}
