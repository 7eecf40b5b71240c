//! The workspace members of a lockfile as the resolver sees them: each member's `Cargo.toml`
//! read into the same shape as a registry index entry (dependencies of every kind, features),
//! with `[workspace.dependencies]` inheritance followed to the root manifest.

use std::collections::{BTreeMap, BTreeSet};

use toml_edit::{DocumentMut, Item, TableLike};

use crate::files::{dir_of, join, Snapshot};
use crate::registry::{DepKind, IndexEntry, RegistryDep};

/// Where a member's dependency comes from, when not from crates.io.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Origin {
    /// `path = ...`: another workspace member.
    Path,
    /// `git = ...` or `registry = ...`: a source whose metadata the resolver does not read.
    Other,
}

/// One member manifest.
#[derive(Clone, Debug)]
pub(super) struct Member {
    pub(super) entry: IndexEntry,
    /// Dependency names (as the member writes them) that do not come from crates.io.
    pub(super) origins: BTreeMap<String, Origin>,
}

/// Every package manifest under `dir` (the lockfile's folder), by package name.
pub(super) fn read_members(snapshot: &Snapshot, dir: &str) -> BTreeMap<String, Member> {
    let mut out = BTreeMap::new();
    let prefix = if dir.is_empty() {
        String::new()
    } else {
        format!("{dir}/")
    };
    for path in snapshot.paths() {
        if !(path == "Cargo.toml" || path.ends_with("/Cargo.toml")) || !path.starts_with(&prefix) {
            continue;
        }
        let Some(text) = snapshot.text(path) else {
            continue;
        };
        let Ok(doc) = text.parse::<DocumentMut>() else {
            continue;
        };
        let Some(package) = doc.get("package").and_then(Item::as_table_like) else {
            continue;
        };
        let Some(name) = package.get("name").and_then(Item::as_str) else {
            continue;
        };
        let version = package
            .get("version")
            .and_then(Item::as_str)
            .unwrap_or("0.0.0")
            .to_string();
        let root = workspace_root(snapshot, path);
        let mut member = Member {
            entry: IndexEntry {
                version,
                yanked: false,
                checksum: None,
                dependencies: Vec::new(),
                features: BTreeMap::new(),
            },
            origins: BTreeMap::new(),
        };
        let sections = [
            ("dependencies", DepKind::Normal),
            ("dev-dependencies", DepKind::Dev),
            ("build-dependencies", DepKind::Build),
        ];
        for (section, kind) in sections {
            if let Some(t) = doc.get(section).and_then(Item::as_table_like) {
                read_deps(&mut member, t, kind, None, root.as_ref());
            }
        }
        if let Some(targets) = doc.get("target").and_then(Item::as_table_like) {
            for (target, item) in targets.iter() {
                for (section, kind) in sections {
                    if let Some(t) = item.get(section).and_then(Item::as_table_like) {
                        read_deps(&mut member, t, kind, Some(target), root.as_ref());
                    }
                }
            }
        }
        if let Some(features) = doc.get("features").and_then(Item::as_table_like) {
            for (feature, values) in features.iter() {
                let values = values
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|v| v.as_str().map(String::from))
                            .collect()
                    })
                    .unwrap_or_default();
                member.entry.features.insert(feature.to_string(), values);
            }
        }
        out.insert(name.to_string(), member);
    }
    out
}

/// The `[workspace.dependencies]` table of the nearest manifest above `path` that has one.
fn workspace_root(snapshot: &Snapshot, path: &str) -> Option<DocumentMut> {
    let mut dir = dir_of(path).to_string();
    loop {
        let candidate = join(&dir, "Cargo.toml");
        if let Some(doc) = snapshot
            .text(&candidate)
            .and_then(|t| t.parse::<DocumentMut>().ok())
        {
            if doc.get("workspace").is_some() {
                return Some(doc);
            }
        }
        if dir.is_empty() {
            return None;
        }
        dir = dir_of(&dir).to_string();
    }
}

fn strings(item: Option<&Item>) -> Vec<String> {
    item.and_then(Item::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

fn read_deps(
    member: &mut Member,
    table: &dyn TableLike,
    kind: DepKind,
    target: Option<&str>,
    root: Option<&DocumentMut>,
) {
    for (key, item) in table.iter() {
        let mut dep = RegistryDep {
            name: key.to_string(),
            package: None,
            req: "*".into(),
            features: Vec::new(),
            optional: false,
            default_features: true,
            target: target.map(String::from),
            kind,
        };
        let mut origin = None;
        let mut read = |spec: &Item, dep: &mut RegistryDep| {
            if let Some(req) = spec.as_str() {
                dep.req = req.to_string();
                return;
            }
            let Some(t) = spec.as_table_like() else {
                return;
            };
            if let Some(req) = t.get("version").and_then(Item::as_str) {
                dep.req = req.to_string();
            }
            if let Some(p) = t.get("package").and_then(Item::as_str) {
                dep.package = Some(p.to_string());
            }
            if t.get("path").is_some() {
                origin = Some(Origin::Path);
            }
            if t.get("git").is_some() || t.get("registry").is_some() {
                origin = Some(Origin::Other);
            }
            for f in strings(t.get("features")) {
                if !dep.features.contains(&f) {
                    dep.features.push(f);
                }
            }
            let default = t
                .get("default-features")
                .or_else(|| t.get("default_features"))
                .and_then(Item::as_bool);
            if let Some(d) = default {
                dep.default_features = d;
            }
            if let Some(o) = t.get("optional").and_then(Item::as_bool) {
                dep.optional = o;
            }
        };
        let inherited = item
            .as_table_like()
            .and_then(|t| t.get("workspace"))
            .and_then(Item::as_bool)
            == Some(true);
        if inherited {
            if let Some(ws) = root
                .and_then(|r| r.get("workspace"))
                .and_then(|w| w.get("dependencies"))
                .and_then(|d| d.get(key))
            {
                read(ws, &mut dep);
            }
        }
        read(item, &mut dep);
        if let Some(o) = origin {
            member.origins.insert(key.to_string(), o);
        }
        member.entry.dependencies.push(dep);
    }
}

/// Every feature a member declares, including the implicit feature of each optional dependency
/// that no `dep:` entry names: the lockfile is resolved with all of a member's features on.
pub(super) fn all_features(entry: &IndexEntry) -> BTreeSet<String> {
    let mut out: BTreeSet<String> = entry.features.keys().cloned().collect();
    out.extend(super::resolve::implicit_features(entry));
    out
}
