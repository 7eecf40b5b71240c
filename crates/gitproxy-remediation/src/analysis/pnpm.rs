//! pnpm: `pnpm-lock.yaml` with lockfileVersion 6 (`/name@1.2.3(peer@x)` package keys, `dev`
//! flags) and 9 (`packages` for what a version is, `snapshots` for how it is wired, keys
//! `name@1.2.3(peer@x)`), with the workspace projects of `importers` (or, in a v6 file of a
//! single project, the top-level sections). Direct dependencies are the importers' own; every
//! other entry is transitive, with the entries that depend on it as parents.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::{file_name, label, parse_error, Dependency, Location, Scope, Sink};
use crate::files::{dir_of, join, LineIndex, Snapshot};
use crate::yaml::{self, Node};
use crate::{Ecosystem, Error};

/// The dependency sections of an importer, with whether they are development-only.
pub(crate) const IMPORTER_SECTIONS: [(&str, bool); 3] = [
    ("dependencies", false),
    ("optionalDependencies", false),
    ("devDependencies", true),
];

/// The layout of a lockfile.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Layout {
    /// lockfileVersion 6.x (and 7.x, written by pnpm 9 betas): keys start with `/`.
    V6,
    /// lockfileVersion 9.x: `packages` plus `snapshots`.
    V9,
}

/// One importer (workspace project) dependency.
#[derive(Clone, Debug)]
pub(crate) struct Direct {
    pub(crate) importer: String,
    pub(crate) name: String,
    pub(crate) specifier: String,
    /// The snapshot key it resolves to (`None` for `link:` and other local references).
    pub(crate) key: Option<String>,
    pub(crate) dev: bool,
    /// Where the `version` is written.
    pub(crate) line: u32,
}

/// A lockfile read into what the analysis and the edits need.
pub(crate) struct Lock {
    pub(crate) directs: Vec<Direct>,
    /// Snapshot key (`name@version(peers)`, no leading `/`) -> its dependency keys.
    pub(crate) edges: BTreeMap<String, Vec<String>>,
    /// `name@version` -> line of its `packages` entry, in key order.
    pub(crate) packages: BTreeMap<String, u32>,
    /// v6 `dev: true` entries by `name@version`.
    pub(crate) dev_flags: HashMap<String, bool>,
}

pub(super) fn analyze(snapshot: &Snapshot, out: &mut dyn Sink) -> BTreeSet<String> {
    let mut covered = BTreeSet::new();
    let locks: Vec<&str> = snapshot
        .paths()
        .filter(|p| file_name(p) == "pnpm-lock.yaml")
        .collect();
    for path in locks {
        match analyze_lock(snapshot, path, out) {
            Ok(manifests) => covered.extend(manifests),
            Err(e) => out.problem(e),
        }
    }
    covered
}

/// Splits `name@version(peers)` into name and version (peer suffix dropped).
pub(crate) fn split_key(key: &str) -> Option<(&str, &str)> {
    let key = key.strip_prefix('/').unwrap_or(key);
    let base = key.find('(').map_or(key, |i| &key[..i]);
    let at = if let Some(rest) = base.strip_prefix('@') {
        rest.find('@')? + 1
    } else {
        base.find('@')?
    };
    let (name, version) = (&base[..at], &base[at + 1..]);
    (!name.is_empty() && !version.is_empty()).then_some((name, version))
}

/// The snapshot key a dependency reference names: `1.2.3(peer@x)` for `name`, an alias
/// (`real@1.2.3`, v6 `/real@1.2.3`), or `None` for `link:`, `file:` and URL references.
pub(crate) fn reference_key(name: &str, reference: &str) -> Option<String> {
    if let Some(key) = reference.strip_prefix('/') {
        return split_key(key).map(|_| key.to_string());
    }
    let base = reference.find('(').map_or(reference, |i| &reference[..i]);
    if base.contains(':') || base.is_empty() {
        return None;
    }
    if base.contains('@') {
        return split_key(reference).map(|_| reference.to_string());
    }
    Some(format!("{name}@{reference}"))
}

/// The `packages`/`snapshots` key with no leading `/`.
fn own_key(key: &str) -> &str {
    key.strip_prefix('/').unwrap_or(key)
}

pub(crate) fn read_lock(text: &str, path: &str) -> Result<Lock, Error> {
    let lines = LineIndex::new(text);
    let root = yaml::parse(text).map_err(|(at, m)| parse_error(path, Some(lines.line(at)), m))?;
    let version = root
        .get("lockfileVersion")
        .and_then(Node::as_str)
        .ok_or_else(|| parse_error(path, Some(1), "no `lockfileVersion`"))?;
    let layout = match version.split('.').next() {
        Some("9") => Layout::V9,
        Some("6" | "7") => Layout::V6,
        _ => {
            return Err(parse_error(
                path,
                Some(1),
                format!("lockfileVersion {version} is not supported (6.0 and 9.0 are); run `pnpm install` with pnpm 8 or later to rewrite it"),
            ))
        }
    };
    let mut directs = Vec::new();
    let mut importer = |id: &str, node: &Node| {
        for (section, dev) in IMPORTER_SECTIONS {
            for e in node.get(section).map(Node::entries).unwrap_or(&[]) {
                let (specifier, version, at) = match e.value.as_str() {
                    // lockfileVersion 5 style: the version alone (specifiers elsewhere).
                    Some(v) => (String::new(), v.to_string(), e.value.start),
                    None => {
                        let v = e.value.get("version");
                        (
                            e.value
                                .get("specifier")
                                .and_then(Node::as_str)
                                .unwrap_or("")
                                .to_string(),
                            v.and_then(Node::as_str).unwrap_or("").to_string(),
                            v.map_or(e.key_start, |v| v.start),
                        )
                    }
                };
                directs.push(Direct {
                    importer: id.to_string(),
                    name: e.key.clone(),
                    specifier,
                    key: reference_key(&e.key, &version),
                    dev,
                    line: lines.line(at),
                });
            }
        }
    };
    match root.get("importers") {
        Some(importers) => {
            for e in importers.entries() {
                importer(&e.key, &e.value);
            }
        }
        None => importer(".", &root),
    }
    let mut packages = BTreeMap::new();
    let mut edges: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut dev_flags = HashMap::new();
    let wiring = match layout {
        Layout::V9 => root.get("snapshots"),
        Layout::V6 => root.get("packages"),
    };
    for e in root.get("packages").map(Node::entries).unwrap_or(&[]) {
        if layout == Layout::V6 && !e.key.starts_with('/') {
            continue;
        }
        let Some((name, version)) = split_key(&e.key) else {
            continue;
        };
        let id = label(name, version);
        if let Some(dev) = e.value.get("dev").and_then(Node::as_str) {
            let slot = dev_flags.entry(id.clone()).or_insert(dev == "true");
            *slot &= dev == "true";
        }
        packages
            .entry(id)
            .or_insert_with(|| lines.line(e.key_start));
    }
    for e in wiring.map(Node::entries).unwrap_or(&[]) {
        if layout == Layout::V6 && !e.key.starts_with('/') {
            continue;
        }
        let mut deps = Vec::new();
        for section in ["dependencies", "optionalDependencies"] {
            for d in e.value.get(section).map(Node::entries).unwrap_or(&[]) {
                if let Some(key) = d.value.as_str().and_then(|r| reference_key(&d.key, r)) {
                    deps.push(key);
                }
            }
        }
        edges.insert(own_key(&e.key).to_string(), deps);
    }
    Ok(Lock {
        directs,
        edges,
        packages,
        dev_flags,
    })
}

/// `name@version` of a snapshot key.
fn id_of(key: &str) -> Option<String> {
    split_key(key).map(|(n, v)| label(n, v))
}

fn analyze_lock(snapshot: &Snapshot, path: &str, out: &mut dyn Sink) -> Result<Vec<String>, Error> {
    let text = snapshot
        .text(path)
        .ok_or_else(|| parse_error(path, None, "not valid UTF-8"))?;
    let lock = read_lock(&text, path)?;
    let dir = dir_of(path);

    // Declared lines from the importers' package.json files.
    let mut manifests = Vec::new();
    let mut declared: HashMap<(String, String), Location> = HashMap::new();
    let importers: BTreeSet<&str> = lock.directs.iter().map(|d| d.importer.as_str()).collect();
    for id in importers.iter().copied().chain(["."]) {
        let manifest = join(&join(dir, id), "package.json");
        if manifests.contains(&manifest) {
            continue;
        }
        if let Ok(m) = super::npm::read_manifest(snapshot, &manifest) {
            for (n, _, _, line) in &m.deps {
                declared
                    .entry((id.to_string(), n.clone()))
                    .or_insert_with(|| Location::new(&m.path, *line));
            }
            manifests.push(manifest);
        }
    }

    // Reachability from runtime and development roots, and parents by edge.
    let mut runtime: BTreeSet<String> = BTreeSet::new();
    let mut dev: BTreeSet<String> = BTreeSet::new();
    for d in &lock.directs {
        if let Some(key) = &d.key {
            walk(
                &lock.edges,
                key,
                if d.dev { &mut dev } else { &mut runtime },
            );
        }
    }
    let mut parents: HashMap<String, BTreeSet<String>> = HashMap::new();
    for (from, tos) in &lock.edges {
        let Some(from_id) = id_of(from) else {
            continue;
        };
        for to in tos {
            if let Some(to_id) = id_of(to) {
                parents.entry(to_id).or_default().insert(from_id.clone());
            }
        }
    }
    let runtime_ids: BTreeSet<String> = runtime.iter().filter_map(|k| id_of(k)).collect();
    let dev_ids: BTreeSet<String> = dev.iter().filter_map(|k| id_of(k)).collect();
    let mut by_id: HashMap<String, Vec<&Direct>> = HashMap::new();
    for d in &lock.directs {
        if let Some(id) = d.key.as_deref().and_then(id_of) {
            by_id.entry(id).or_default().push(d);
        }
    }

    for (id, line) in &lock.packages {
        let Some((name, version)) = split_key(id) else {
            continue;
        };
        let directs = by_id.get(id).map(Vec::as_slice).unwrap_or(&[]);
        let is_dev = if runtime_ids.contains(id) {
            false
        } else if dev_ids.contains(id) {
            true
        } else {
            lock.dev_flags.get(id).copied().unwrap_or(false)
        };
        let declared_in = directs.iter().find_map(|d| {
            declared
                .get(&(d.importer.clone(), d.name.clone()))
                .cloned()
                .or_else(|| Some(Location::new(path, d.line)))
        });
        let requirement = directs
            .iter()
            .map(|d| d.specifier.as_str())
            .find(|s| !s.is_empty())
            .map(String::from);
        out.dependency(Dependency {
            ecosystem: Ecosystem::Npm,
            name: name.to_string(),
            version: Some(version.to_string()),
            requirement,
            direct: !directs.is_empty(),
            parents: parents
                .get(id)
                .map(|p| p.iter().cloned().collect())
                .unwrap_or_default(),
            scope: if is_dev { Scope::Dev } else { Scope::Runtime },
            location: Location::new(path, *line),
            declared_in,
            constraints: Vec::new(),
        });
    }
    Ok(manifests)
}

/// Adds every snapshot key reachable from `key` to `seen`.
fn walk(edges: &BTreeMap<String, Vec<String>>, key: &str, seen: &mut BTreeSet<String>) {
    let mut stack = vec![key.to_string()];
    while let Some(k) = stack.pop() {
        if !seen.insert(k.clone()) {
            continue;
        }
        for next in edges.get(&k).map(Vec::as_slice).unwrap_or(&[]) {
            if !seen.contains(next) {
                stack.push(next.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests;
