//! Bun: the text lockfile `bun.lock` (lockfileVersion 1 and 2, Bun 1.2 and later), JSON with
//! trailing commas. `workspaces` holds what each workspace requires (`""` is the project),
//! `packages` one entry per `node_modules` slot, keyed by its path without `node_modules`
//! (`send/ms` is the `ms` inside `send`), each an array whose first item is `name@version`.
//! Registry entries are `[ident, registry, info, integrity]`; git, file, link, tarball and
//! workspace entries are not registry packages and are left out. A dependency resolves as Bun
//! resolves it: the nearest slot on the way up from the dependent's path.

use std::collections::{BTreeSet, HashMap};

use super::npm::read_manifest;
use super::yarn::reach;
use super::{file_name, label, parse_error, Dependency, Location, Scope, Sink};
use crate::files::{dir_of, join, LineIndex, Snapshot};
use crate::json::{self, Node};
use crate::{Ecosystem, Error};

/// The lockfile versions read here: 1 (Bun 1.2 to 1.3), 2 (Bun 1.4) and 3 (Bun 1.4 with scoped
/// overrides, which only the edit cares about).
pub(crate) const VERSIONS: [&str; 3] = ["1", "2", "3"];

/// The dependency groups of a workspace or a package, with whether they are development-only.
pub(crate) const GROUPS: [(&str, bool); 4] = [
    ("dependencies", false),
    ("devDependencies", true),
    ("optionalDependencies", false),
    ("peerDependencies", false),
];

/// One workspace of the lockfile.
pub(crate) struct Workspace {
    /// Its path (`""` for the project, `packages/a`).
    pub(crate) path: String,
    /// Its package name, which prefixes the keys of packages nested under it.
    pub(crate) name: Option<String>,
    /// `(group, name, range)` in file order.
    pub(crate) deps: Vec<(String, String, String)>,
}

/// One `packages` entry.
pub(crate) struct Package {
    /// Its key (`send/ms`).
    pub(crate) key: String,
    /// The real package name and version, for registry entries only.
    pub(crate) registry: Option<(String, String)>,
    /// `(group, name, range)` of its info object.
    pub(crate) deps: Vec<(String, String, String)>,
    /// Line of the key.
    pub(crate) line: u32,
}

/// A lockfile read into what the analysis and the edits need.
pub(crate) struct Lock {
    pub(crate) workspaces: Vec<Workspace>,
    pub(crate) packages: Vec<Package>,
    /// Key -> index into `packages`.
    pub(crate) by_key: HashMap<String, usize>,
}

/// Analyses every `bun.lock`; returns the manifests they cover, which the npm analysis then
/// leaves alone.
pub(super) fn analyze(snapshot: &Snapshot, out: &mut dyn Sink) -> BTreeSet<String> {
    let mut covered = BTreeSet::new();
    let locks: Vec<&str> = snapshot
        .paths()
        .filter(|p| file_name(p) == "bun.lock")
        .collect();
    for path in locks {
        match analyze_lock(snapshot, path, out) {
            Ok(manifests) => covered.extend(manifests),
            Err(e) => out.problem(e),
        }
    }
    covered
}

/// Splits `name@version` (the name may be scoped) into its two parts.
pub(crate) fn split_ident(ident: &str) -> Option<(&str, &str)> {
    let at = ident.get(1..)?.find('@')? + 1;
    let (name, version) = (&ident[..at], &ident[at + 1..]);
    (!version.is_empty()).then_some((name, version))
}

/// The `(group, name, range)` members of the dependency groups of `node`.
fn groups_of(node: &Node) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for (group, _) in GROUPS {
        for m in node.get(group).map(Node::members).unwrap_or(&[]) {
            let range = m.value.as_str().unwrap_or("").to_string();
            out.push((group.to_string(), m.key.clone(), range));
        }
    }
    out
}

/// Reads a `bun.lock`; the error names the line and what to run.
pub(crate) fn read_lock(text: &str, path: &str) -> Result<Lock, Error> {
    let lines = LineIndex::new(text);
    let root = json::parse_trailing_commas(text)
        .map_err(|(at, m)| parse_error(path, Some(lines.line(at)), m))?;
    let version = root
        .get("lockfileVersion")
        .map(|v| text[v.start..v.end].to_string())
        .ok_or_else(|| parse_error(path, Some(1), "no `lockfileVersion`"))?;
    if !VERSIONS.contains(&version.as_str()) {
        return Err(parse_error(
            path,
            Some(lines.line(root.get("lockfileVersion").map_or(0, |v| v.start))),
            format!("lockfileVersion {version} is not supported (1 to 3 are); run `bun install` with Bun 1.2 or later to rewrite it"),
        ));
    }
    let mut workspaces = Vec::new();
    for m in root.get("workspaces").map(Node::members).unwrap_or(&[]) {
        workspaces.push(Workspace {
            path: m.key.clone(),
            name: m.value.get("name").and_then(Node::as_str).map(String::from),
            deps: groups_of(&m.value),
        });
    }
    if !workspaces.iter().any(|w| w.path.is_empty()) {
        return Err(parse_error(
            path,
            Some(1),
            "no `\"\"` workspace (the project's own dependencies); run `bun install` to rewrite the lockfile",
        ));
    }
    let mut packages = Vec::new();
    let mut by_key = HashMap::new();
    for m in root.get("packages").map(Node::members).unwrap_or(&[]) {
        let items = m.value.items();
        let Some(ident) = items.first().and_then(Node::as_str) else {
            return Err(parse_error(
                path,
                Some(lines.line(m.key_start)),
                format!("the entry `{}` does not start with `name@version`", m.key),
            ));
        };
        let registry = split_ident(ident).filter(|(_, v)| {
            items.len() == 4 && items[1].as_str().is_some() && !v.contains(':') && !v.contains('/')
        });
        let info = items.iter().skip(1).find(|i| !i.members().is_empty());
        by_key.insert(m.key.clone(), packages.len());
        packages.push(Package {
            key: m.key.clone(),
            registry: registry.map(|(n, v)| (n.to_string(), v.to_string())),
            deps: info.map(groups_of).unwrap_or_default(),
            line: lines.line(m.key_start),
        });
    }
    Ok(Lock {
        workspaces,
        packages,
        by_key,
    })
}

impl Lock {
    /// The key a dependency `name` of the slot `from` resolves to: `from/name`, then the same
    /// one level up each time, then the top (`name`).
    pub(crate) fn resolve(&self, from: &str, name: &str) -> Option<usize> {
        let mut at = from;
        loop {
            let key = if at.is_empty() {
                name.to_string()
            } else {
                format!("{at}/{name}")
            };
            if let Some(&i) = self.by_key.get(&key) {
                return Some(i);
            }
            if at.is_empty() {
                return None;
            }
            at = parent_key(at);
        }
    }
}

/// The key one level up from `key` (a scoped name is one level): `a/@s/b` -> `a`, `a` -> ``.
pub(crate) fn parent_key(key: &str) -> &str {
    let Some(slash) = key.rfind('/') else {
        return "";
    };
    let head = &key[..slash];
    // `@scope/name`: the slash is inside the last name.
    match head.rfind('/') {
        Some(i) if head[i + 1..].starts_with('@') => &key[..i],
        None if head.starts_with('@') => "",
        _ => head,
    }
}

/// The slot a workspace's own dependencies are looked up from: the project's are at the top,
/// a member's under its package name.
pub(crate) fn workspace_slot(workspace: &Workspace) -> &str {
    if workspace.path.is_empty() {
        ""
    } else {
        workspace.name.as_deref().unwrap_or("")
    }
}

fn analyze_lock(snapshot: &Snapshot, path: &str, out: &mut dyn Sink) -> Result<Vec<String>, Error> {
    let text = snapshot
        .text(path)
        .ok_or_else(|| parse_error(path, None, "not valid UTF-8"))?;
    let lock = read_lock(&text, path)?;
    drop(text);
    let dir = dir_of(path);

    // Declared lines from the workspaces' package.json files.
    let mut manifests = Vec::new();
    let mut declared: HashMap<(String, String), Location> = HashMap::new();
    for w in &lock.workspaces {
        let manifest = join(&join(dir, &w.path), "package.json");
        if let Ok(m) = read_manifest(snapshot, &manifest) {
            for (n, _, _, line) in &m.deps {
                declared
                    .entry((w.path.clone(), n.clone()))
                    .or_insert_with(|| Location::new(&m.path, *line));
            }
            manifests.push(manifest);
        }
    }

    // Direct dependencies and the roots of the runtime and development walks.
    let n = lock.packages.len();
    let mut direct: Vec<Option<(String, Location)>> = vec![None; n];
    let mut runtime_roots = Vec::new();
    let mut dev_roots = Vec::new();
    for w in &lock.workspaces {
        let slot = workspace_slot(w);
        for (group, name, range) in &w.deps {
            let Some(i) = lock.resolve(slot, name) else {
                continue;
            };
            let dev = group == "devDependencies";
            let at = declared
                .get(&(w.path.clone(), name.clone()))
                .cloned()
                .unwrap_or_else(|| Location::new(path, lock.packages[i].line));
            if direct[i].is_none() || !dev {
                direct[i] = Some((range.clone(), at));
            }
            if dev {
                dev_roots.push(i);
            } else {
                runtime_roots.push(i);
            }
        }
    }

    // Edges (child, parent, range).
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut incoming: Vec<Vec<(usize, String)>> = vec![Vec::new(); n];
    for (i, p) in lock.packages.iter().enumerate() {
        for (group, name, range) in &p.deps {
            if group == "devDependencies" {
                continue;
            }
            if let Some(c) = lock.resolve(&p.key, name) {
                children[i].push(c);
                incoming[c].push((i, range.clone()));
            }
        }
    }
    let runtime = reach(&runtime_roots, &children);
    let dev_only = reach(&dev_roots, &children);

    for (i, p) in lock.packages.iter().enumerate() {
        let Some((name, version)) = &p.registry else {
            continue;
        };
        let mut parents: Vec<String> = incoming[i]
            .iter()
            .filter_map(|(j, _)| lock.packages[*j].registry.as_ref())
            .map(|(n, v)| label(n, v))
            .collect();
        parents.sort();
        parents.dedup();
        let mut constraints: Vec<String> = incoming[i]
            .iter()
            .filter(|(j, _)| lock.packages[*j].registry.is_some())
            .map(|(_, r)| r.clone())
            .collect();
        constraints.sort();
        constraints.dedup();
        let scope = if !runtime[i] && dev_only[i] {
            Scope::Dev
        } else {
            Scope::Runtime
        };
        out.dependency(Dependency {
            ecosystem: Ecosystem::Npm,
            name: name.clone(),
            version: Some(version.clone()),
            requirement: direct[i].as_ref().map(|d| d.0.clone()),
            direct: direct[i].is_some(),
            parents,
            scope,
            location: Location::new(path, p.line),
            declared_in: direct[i].as_ref().map(|d| d.1.clone()),
            constraints,
        });
    }
    Ok(manifests)
}

#[cfg(test)]
mod tests;
