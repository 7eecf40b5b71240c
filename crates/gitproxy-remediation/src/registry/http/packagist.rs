//! Packagist (and any Composer repository): the composer 2 metadata `p2/VENDOR/PACKAGE.json`
//! lists every tagged version with its links (`require`, `conflict`, `provide`, `replace`),
//! `autoload`, `dist`, `source` and `time`. Packagist serves it minified (`"minified":
//! "composer/2.0"`): each version lists only the keys that differ from the version before it,
//! and `"__unset"` removes a key; [`find_expanded`] undoes that as Composer's `MetadataMinifier`
//! does.
//! Branch versions (`p2/VENDOR/PACKAGE~dev.json`) are never candidates and are not read.

use hyper_util::client::legacy::connect::Connect;
use serde_json::{Map, Value};

use super::{decode_error, valid_segment, HttpRegistry};
use crate::registry::{ComposerRelease, ComposerSource, RegistryVersion};
use crate::{Ecosystem, Error};

/// The link sections a lockfile entry records, in Composer's order.
pub(crate) const LINKS: [&str; 4] = ["require", "conflict", "provide", "replace"];

/// Whether `name` is a `vendor/package` name the repository paths can carry as it is.
fn valid_name(name: &str) -> bool {
    name.split_once('/')
        .is_some_and(|(vendor, package)| valid_segment(vendor) && valid_segment(package))
}

/// The raw version list of `name` in a composer 2 metadata document, and whether it is
/// minified.
fn version_list<'a>(doc: &'a Value, name: &str) -> (&'a [Value], bool) {
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
    (list, minified)
}

/// The version strings of a composer 2 metadata document, read from the raw items: a minified
/// item always lists `version`, as it differs from the one before it.
fn listed_versions<'a>(doc: &'a Value, name: &str) -> impl Iterator<Item = &'a str> {
    version_list(doc, name)
        .0
        .iter()
        .filter_map(|item| item.get("version")?.as_str())
}

/// The first version of a composer 2 metadata document whose `version` satisfies `wanted`,
/// expanded when the document is minified (as Composer's `MetadataMinifier` does: each item
/// inherits the keys of the expanded item before it and `"__unset"` removes a key). Only the
/// previous expanded item is kept while walking, so memory stays within the document's size.
fn find_expanded(
    doc: &Value,
    name: &str,
    mut wanted: impl FnMut(&str) -> bool,
) -> Option<Map<String, Value>> {
    let (list, minified) = version_list(doc, name);
    let mut is_wanted = |v: &Map<String, Value>| {
        v.get("version")
            .and_then(Value::as_str)
            .is_some_and(&mut wanted)
    };
    let mut items = list.iter().filter_map(Value::as_object);
    if !minified {
        return items.find(|item| is_wanted(item)).cloned();
    }
    let mut previous: Option<Map<String, Value>> = None;
    for item in items {
        let expanded = match previous.take() {
            Some(mut next) => {
                for (k, v) in item {
                    if v.as_str() == Some("__unset") {
                        next.remove(k);
                    } else {
                        next.insert(k.clone(), v.clone());
                    }
                }
                next
            }
            None => item.clone(),
        };
        if is_wanted(&expanded) {
            return Some(expanded);
        }
        previous = Some(expanded);
    }
    None
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
    /// The composer 2 metadata document of `name` (`None` for an unknown or unusable name) and
    /// the lowercase name it lists the versions under.
    async fn composer_document(&self, name: &str) -> Result<Option<(Value, String)>, Error> {
        let eco = Ecosystem::Packagist;
        let lower = name.to_ascii_lowercase();
        if !valid_name(&lower) {
            return Ok(None);
        }
        let url = self.join(eco, &format!("p2/{lower}.json"), name)?;
        let Some(body) = self.get(eco, name, url, "application/json").await? else {
            return Ok(None);
        };
        let doc: Value = serde_json::from_slice(&body).map_err(|e| decode_error(eco, name, e))?;
        Ok(Some((doc, lower)))
    }

    pub(super) async fn composer_versions(
        &self,
        name: &str,
    ) -> Result<Vec<RegistryVersion>, Error> {
        let Some((doc, lower)) = self.composer_document(name).await? else {
            return Ok(Vec::new());
        };
        Ok(listed_versions(&doc, &lower)
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
        let Some((doc, lower)) = self.composer_document(name).await? else {
            return Ok(None);
        };
        let wanted = crate::version::composer::Version::parse(version).ok();
        let same = |v: &str| {
            v == version
                || wanted.as_ref().is_some_and(|w| {
                    crate::version::composer::Version::parse(v).ok().as_ref() == Some(w)
                })
        };
        Ok(find_expanded(&doc, &lower, same).and_then(|v| release(&v)))
    }
}
