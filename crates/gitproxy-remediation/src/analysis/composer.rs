//! PHP: `composer.lock` (`packages` and `packages-dev`, each package's `require` for its
//! dependencies) with `composer.json` for the direct packages and the lines that declare them; a
//! `composer.json` alone gives the direct packages and their constraints. Platform requirements
//! (`php`, `ext-*`, `lib-*`, `composer-*`) are not packages and are left out.
//!
//! Both files are read with the engine's JSON parser, which refuses nesting deeper than
//! [`crate::limits::MAX_NESTING`]; the file size is bounded by
//! [`crate::ScanOptions::max_file_bytes`].

use std::collections::{BTreeMap, BTreeSet};

use super::{file_name, label, parse_error, Dependency, Location, Scope, Sink};
use crate::files::{dir_of, join, LineIndex, Snapshot};
use crate::json;
use crate::{Ecosystem, Error};

/// A direct requirement of `composer.json`: name, constraint, dev, line.
pub(crate) type Require = (String, String, bool, u32);

/// One locked package.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Package {
    pub(crate) name: String,
    pub(crate) version: String,
    pub(crate) dev: bool,
    pub(crate) line: u32,
    /// What it requires: name and constraint (platform requirements left out).
    pub(crate) require: Vec<(String, String)>,
    /// Its links, `autoload` and dist and source kinds as canonical lines (see
    /// [`fingerprint`]), platform requirements included.
    pub(crate) locked: BTreeSet<String>,
}

/// The lines that must not change for a `composer.lock` entry to move in place: every link
/// (`require php >=7.2`, `conflict x/y <1.0`), the `autoload` object as compact JSON with sorted
/// keys, whether a `dist` and a `source` are given, with their kinds, and the host the `dist`
/// archive comes from (a package of one repository is never rewritten with another's files).
pub(crate) fn fingerprint(release: &crate::registry::ComposerRelease) -> BTreeSet<String> {
    let mut out: BTreeSet<String> = release
        .links
        .iter()
        .map(|(kind, name, constraint)| {
            format!("{kind} {} {}", name.to_ascii_lowercase(), constraint.trim())
        })
        .collect();
    if let Some(autoload) = &release.autoload {
        out.insert(format!("autoload {autoload}"));
    }
    for (what, origin) in [("dist", &release.dist), ("source", &release.source)] {
        if let Some(o) = origin {
            out.insert(format!("{what} {}", o.kind));
        }
    }
    if let Some(host) = release.dist.as_ref().and_then(|d| dist_host(&d.url)) {
        out.insert(format!("{DIST_HOST}{host}"));
    }
    out
}

/// The [`fingerprint`] line naming the host of the `dist` archive starts with this.
pub(crate) const DIST_HOST: &str = "dist from ";

fn dist_host(url: &str) -> Option<String> {
    url::Url::parse(url).ok()?.host_str().map(str::to_owned)
}

/// What a lockfile entry records, in the shape the registry gives (for [`fingerprint`]).
fn recorded(text: &str, entry: &json::Node) -> crate::registry::ComposerRelease {
    let mut links = Vec::new();
    for kind in ["require", "conflict", "provide", "replace"] {
        for m in entry.get(kind).map_or(&[][..], json::Node::members) {
            let constraint = m.value.as_str().unwrap_or("").to_string();
            links.push((kind.to_string(), m.key.clone(), constraint));
        }
    }
    let origin = |key: &str| {
        let node = entry.get(key)?;
        Some(crate::registry::ComposerSource {
            kind: node.get("type")?.as_str()?.to_string(),
            url: node
                .get("url")
                .and_then(json::Node::as_str)
                .unwrap_or("")
                .to_string(),
            ..Default::default()
        })
    };
    crate::registry::ComposerRelease {
        links,
        autoload: entry
            .get("autoload")
            .filter(|a| !a.members().is_empty())
            .and_then(|a| serde_json::from_str(&text[a.start..a.end]).ok())
            .map(|v: serde_json::Value| crate::registry::canonical_json(&v)),
        dist: origin("dist"),
        source: origin("source"),
        ..Default::default()
    }
}

pub(super) fn analyze(snapshot: &Snapshot, out: &mut dyn Sink) {
    let locks: Vec<&str> = snapshot
        .paths()
        .filter(|p| file_name(p) == "composer.lock")
        .collect();
    for path in locks {
        if let Err(e) = analyze_lock(snapshot, path, out) {
            out.problem(e);
        }
    }
    let manifests = snapshot.paths().filter(|p| {
        file_name(p) == "composer.json" && !snapshot.contains(&join(dir_of(p), "composer.lock"))
    });
    for path in manifests {
        if let Err(e) = analyze_manifest_only(snapshot, path, out) {
            out.problem(e);
        }
    }
}

/// True for requirements on the platform rather than on a package.
fn is_platform(name: &str) -> bool {
    !name.contains('/')
        || name.starts_with("ext-")
        || name.starts_with("lib-")
        || name.starts_with("composer-")
}

fn parse_doc<'a>(
    snapshot: &'a Snapshot,
    path: &str,
) -> Result<(std::borrow::Cow<'a, str>, json::Node), Error> {
    let text = snapshot
        .text(path)
        .ok_or_else(|| parse_error(path, None, "not valid UTF-8"))?;
    let root = json::parse(&text)
        .map_err(|(at, msg)| parse_error(path, Some(LineIndex::new(&text).line(at)), msg))?;
    Ok((text, root))
}

/// The `require` and `require-dev` entries of a `composer.json`.
pub(crate) fn read_manifest(snapshot: &Snapshot, path: &str) -> Result<Vec<Require>, Error> {
    let (text, root) = parse_doc(snapshot, path)?;
    let lines = LineIndex::new(&text);
    let mut out = Vec::new();
    for (section, dev) in [("require", false), ("require-dev", true)] {
        for m in root.get(section).map_or(&[][..], json::Node::members) {
            if is_platform(&m.key) {
                continue;
            }
            let constraint = m.value.as_str().unwrap_or("").to_string();
            out.push((m.key.clone(), constraint, dev, lines.line(m.key_start)));
        }
    }
    Ok(out)
}

/// The packages of a `composer.lock`.
pub(crate) fn parse_lock(path: &str, text: &str) -> Result<Vec<Package>, Error> {
    let lines = LineIndex::new(text);
    let root =
        json::parse(text).map_err(|(at, msg)| parse_error(path, Some(lines.line(at)), msg))?;
    if !matches!(root.value, json::Value::Object(_)) {
        return Err(parse_error(
            path,
            Some(1),
            "a composer.lock is a JSON object",
        ));
    }
    let mut out = Vec::new();
    for (section, dev) in [("packages", false), ("packages-dev", true)] {
        for p in root.get(section).map_or(&[][..], json::Node::items) {
            let (Some(name), Some(version)) = (
                p.get("name").and_then(json::Node::as_str),
                p.get("version").and_then(json::Node::as_str),
            ) else {
                return Err(parse_error(
                    path,
                    Some(lines.line(p.start)),
                    "a locked package needs a name and a version",
                ));
            };
            let line = p.member("name").map_or(p.start, |m| m.key_start);
            let require = p
                .get("require")
                .map_or(&[][..], json::Node::members)
                .iter()
                .filter(|m| !is_platform(&m.key))
                .map(|m| (m.key.clone(), m.value.as_str().unwrap_or("").to_string()))
                .collect();
            out.push(Package {
                name: name.to_string(),
                version: version.to_string(),
                dev,
                line: lines.line(line),
                require,
                locked: fingerprint(&recorded(text, p)),
            });
        }
    }
    Ok(out)
}

fn analyze_lock(snapshot: &Snapshot, path: &str, out: &mut dyn Sink) -> Result<(), Error> {
    let text = snapshot
        .text(path)
        .ok_or_else(|| parse_error(path, None, "not valid UTF-8"))?;
    let packages = parse_lock(path, &text)?;
    let manifest_path = join(dir_of(path), "composer.json");
    let direct: Vec<Require> = if snapshot.contains(&manifest_path) {
        read_manifest(snapshot, &manifest_path)?
    } else {
        Vec::new()
    };
    let key = |n: &str| Ecosystem::Packagist.normalize_name(n);
    let mut parents: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for p in &packages {
        for (dep, constraint) in &p.require {
            parents
                .entry(key(dep))
                .or_default()
                .push((label(&p.name, &p.version), constraint.clone()));
        }
    }
    for p in packages {
        let location = Location::new(path, p.line);
        out.locked_dependencies(&location, [(String::new(), p.locked)].into());
        let declared = direct.iter().find(|d| key(&d.0) == key(&p.name));
        let of = parents.remove(&key(&p.name)).unwrap_or_default();
        out.dependency(Dependency {
            ecosystem: Ecosystem::Packagist,
            requirement: declared.map(|d| d.1.clone()),
            direct: declared.is_some(),
            parents: of.iter().map(|(parent, _)| parent.clone()).collect(),
            scope: if p.dev { Scope::Dev } else { Scope::Runtime },
            location,
            declared_in: declared.map(|d| Location::new(&manifest_path, d.3)),
            constraints: of.into_iter().map(|(_, c)| c).collect(),
            name: p.name,
            version: Some(p.version),
        });
    }
    Ok(())
}

fn analyze_manifest_only(snapshot: &Snapshot, path: &str, out: &mut dyn Sink) -> Result<(), Error> {
    for (name, constraint, dev, line) in read_manifest(snapshot, path)? {
        // An exact constraint (`2.3.5`, `=2.3.5`) is the version in use.
        let exact = constraint
            .trim()
            .trim_start_matches("==")
            .trim_start_matches('=');
        let version = (!exact.contains([' ', ',', '|', '*', '^', '~', '<', '>', '@', '!']))
            .then(|| crate::version::composer::Version::parse(exact).ok())
            .flatten()
            .map(|_| exact.to_string());
        out.dependency(Dependency {
            ecosystem: Ecosystem::Packagist,
            name,
            version,
            requirement: Some(constraint),
            direct: true,
            parents: Vec::new(),
            scope: if dev { Scope::Dev } else { Scope::Runtime },
            location: Location::new(path, line),
            declared_in: None,
            constraints: Vec::new(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests;
