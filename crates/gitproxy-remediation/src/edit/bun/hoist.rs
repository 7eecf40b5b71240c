//! Bun's `node_modules` layout of a resolved dependency graph. Bun does not keep the tree it
//! wrote: each install lays the graph out again, breadth first from the project, each package's
//! dependencies in Bun's order (development, optional, production, peer; then by name). A
//! dependency goes to the top unless a package on the way up already holds another version of
//! it, and then into the `node_modules` of the package that requires it; a version already on
//! the way up is reused. [`graph`] reads the graph out of npm's model of the lockfile (which
//! version each dependency of each package resolves to), [`layout`] lays it out as Bun does, so
//! the edit writes the tree Bun would write for the moved graph, and checks first that the
//! same layout of the unmoved graph gives back the lockfile it read.

use std::collections::{BTreeMap, HashMap, VecDeque};

use super::super::npm::resolve::{accepts, is_top, resolve, Packages};
use super::super::npm::tree::J;
use super::{bun_key, slot_name, Keys};

/// How a dependency is declared, in Bun's order of processing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Workspace,
    Dev,
    Optional,
    Prod,
    Peer,
}

#[derive(Clone, Debug)]
struct Dep {
    kind: Kind,
    name: String,
    range: String,
    /// Index of the package it resolves to.
    target: usize,
}

/// A resolved graph: each package (`name`, `version`) once, with what each of its dependencies
/// resolves to, and the project's own dependencies.
pub(super) struct Graph {
    pub(super) packages: Vec<(String, String)>,
    deps: Vec<Vec<Dep>>,
    root: Vec<Dep>,
}

/// The dependencies of the entry at `key` as `(kind, name, range)`, a name listed twice taken
/// once (optional over production, as the registry lists optional ones in both).
fn declared(entry: &J, top: bool) -> Vec<(Kind, String, String)> {
    let mut out: Vec<(Kind, String, String)> = Vec::new();
    let optional_peer = |n: &str| {
        entry
            .get("peerDependenciesMeta")
            .and_then(|m| m.get(n))
            .and_then(|m| m.get("optional"))
            .is_some_and(|o| matches!(o, J::Raw(r) if r == "true"))
    };
    let mut groups = vec![
        ("peerDependencies", Kind::Peer),
        ("dependencies", Kind::Prod),
        ("optionalDependencies", Kind::Optional),
    ];
    if top {
        groups.push(("devDependencies", Kind::Dev));
    }
    for (group, kind) in groups {
        for (name, range) in entry.get(group).map(J::members).unwrap_or(&[]) {
            if kind == Kind::Peer && optional_peer(name) && !top {
                // An optional peer is installed only by whatever else requires it, so it places
                // nothing; where it resolves may differ between copies of the package.
                continue;
            }
            out.retain(|(_, n, _)| n != name);
            out.push((
                kind,
                name.clone(),
                range.as_str().unwrap_or("*").to_string(),
            ));
        }
    }
    out
}

/// The graph of npm's model of a lockfile; `Err` when one package resolves a dependency to
/// different versions in different places (Bun resolves each package's dependencies once), or
/// a required dependency resolves nowhere.
pub(super) fn graph(packages: &Packages) -> Result<Graph, String> {
    let mut index: HashMap<(String, String), usize> = HashMap::new();
    let mut ids = Vec::new();
    // A workspace member is `(name, "workspace:PATH")`, at its path and behind its link.
    let member_id = |path: &str| -> Option<(String, String)> {
        let name = packages.get(path)?.get("name")?.as_str()?;
        Some((name.to_string(), format!("workspace:{path}")))
    };
    let id_of = |key: &str| -> Option<(String, String)> {
        let entry = packages.get(key)?;
        if let Some(path) = entry
            .get("link")
            .and(entry.get("resolved"))
            .and_then(J::as_str)
        {
            return member_id(path);
        }
        if is_top(key) {
            return if key.is_empty() { None } else { member_id(key) };
        }
        let version = entry.get("version")?.as_str()?;
        Some((slot_name(key).to_string(), version.to_string()))
    };
    for key in packages.keys().filter(|k| !k.is_empty()) {
        if let Some(id) = id_of(key) {
            if !index.contains_key(&id) {
                index.insert(id.clone(), ids.len());
                ids.push(id);
            }
        }
    }
    let mut deps: Vec<Option<Vec<Dep>>> = vec![None; ids.len()];
    let mut root = Vec::new();
    for (key, entry) in packages {
        if entry.get("link").is_some() {
            continue;
        }
        let top = is_top(key);
        let mut resolved = Vec::new();
        if key.is_empty() {
            // The project depends on each workspace member.
            for member in packages.keys().filter(|k| is_top(k) && !k.is_empty()) {
                if let Some(id) = member_id(member).and_then(|id| index.get(&id)) {
                    resolved.push(Dep {
                        kind: Kind::Workspace,
                        name: ids[*id].0.clone(),
                        range: String::new(),
                        target: *id,
                    });
                }
            }
        }
        for (kind, name, range) in declared(entry, top) {
            let at = resolve(packages, key, &name, kind == Kind::Peer);
            let Some(target) = at.as_deref().and_then(id_of).and_then(|id| index.get(&id)) else {
                if kind == Kind::Optional {
                    continue;
                }
                return Err(format!(
                    "{name} required by `{}` resolves nowhere",
                    bun_key(key)
                ));
            };
            resolved.push(Dep {
                kind,
                name,
                range,
                target: *target,
            });
        }
        resolved.sort_by(|a, b| (a.kind, &a.name).cmp(&(b.kind, &b.name)));
        if key.is_empty() {
            root = resolved;
            continue;
        }
        let Some(id) = id_of(key).and_then(|id| index.get(&id).copied()) else {
            continue;
        };
        match &deps[id] {
            None => deps[id] = Some(resolved),
            Some(seen) => {
                let same = seen.len() == resolved.len()
                    && seen
                        .iter()
                        .zip(&resolved)
                        .all(|(a, b)| a.name == b.name && a.target == b.target);
                if !same {
                    let (n, v) = &ids[id];
                    return Err(format!(
                        "{n}@{v} resolves its dependencies differently in different places, which Bun cannot record"
                    ));
                }
            }
        }
    }
    Ok(Graph {
        packages: ids,
        deps: deps.into_iter().map(Option::unwrap_or_default).collect(),
        root,
    })
}

/// One `node_modules` being filled: its parent, its path (the key of the package it belongs
/// to, `""` for the project) and what was placed in it so far.
struct Node {
    parent: Option<usize>,
    path: String,
    /// Name -> package, kind, and whether the project itself requires it there.
    placed: HashMap<String, (usize, Kind, bool)>,
}

enum Hoisted {
    /// The same version is already there on the way up: nothing to place.
    Reused,
    /// Another version is on the way up: the requiring package keeps its own.
    Conflict,
    Place(usize),
}

fn hoist(nodes: &[Node], graph: &Graph, at: usize, dep: &Dep, own: bool) -> Hoisted {
    if let Some((id, kind, project)) = nodes[at].placed.get(&dep.name) {
        if *id == dep.target {
            return Hoisted::Reused;
        }
        if own && (*kind == Kind::Dev) != (dep.kind == Kind::Dev) {
            return Hoisted::Reused;
        }
        if dep.kind == Kind::Peer && (accepts(&dep.range, &graph.packages[*id].1) || *project) {
            return Hoisted::Reused;
        }
        return Hoisted::Conflict;
    }
    if let Some(parent) = nodes[at].parent {
        let up = hoist(nodes, graph, parent, dep, false);
        if !own || !matches!(up, Hoisted::Conflict) {
            return up;
        }
    }
    Hoisted::Place(at)
}

/// The lockfile keys Bun lays `graph` out at, each with the package it holds.
pub(super) fn layout(graph: &Graph) -> BTreeMap<String, usize> {
    let mut nodes: Vec<Node> = Vec::new();
    let mut out = BTreeMap::new();
    let mut queue: VecDeque<(Option<usize>, Option<usize>, String)> = VecDeque::new();
    queue.push_back((None, None, String::new()));
    while let Some((parent, package, path)) = queue.pop_front() {
        let me = nodes.len();
        nodes.push(Node {
            parent,
            path,
            placed: HashMap::new(),
        });
        let deps = match package {
            None => &graph.root,
            Some(p) => &graph.deps[p],
        };
        for dep in deps {
            let Hoisted::Place(at) = hoist(&nodes, graph, me, dep, true) else {
                continue;
            };
            nodes[at]
                .placed
                .insert(dep.name.clone(), (dep.target, dep.kind, package.is_none()));
            let key = if nodes[at].path.is_empty() {
                dep.name.clone()
            } else {
                format!("{}/{}", nodes[at].path, dep.name)
            };
            out.insert(key.clone(), dep.target);
            if !graph.deps[dep.target].is_empty() {
                queue.push_back((Some(at), Some(dep.target), key));
            }
        }
    }
    out
}

/// Bun's layout of the graph of npm's model: each slot's npm key with the package it holds.
fn placed(packages: &Packages, keys: &Keys) -> Result<(Graph, Vec<(String, usize)>), String> {
    let graph = graph(packages)?;
    let at = layout(&graph)
        .into_iter()
        .map(|(key, id)| (keys.npm(&key), id))
        .collect();
    Ok((graph, at))
}

/// The packages of npm's model laid out again as Bun lays them out: the project's entry as it
/// is, every package at the key Bun gives it.
pub(super) fn rehoisted(packages: &Packages, keys: &Keys) -> Result<Packages, String> {
    let (graph, at) = placed(packages, keys)?;
    let mut entries: HashMap<(&str, &str), &J> = HashMap::new();
    for (key, entry) in packages.iter().filter(|(k, _)| !is_top(k)) {
        if let Some(label) = label(packages, key, entry) {
            entries.entry(label).or_insert(entry);
        }
    }
    let mut out = Packages::new();
    for (key, entry) in packages.iter().filter(|(k, _)| is_top(k)) {
        out.insert(key.clone(), entry.clone());
    }
    for (key, id) in at {
        let (name, version) = &graph.packages[id];
        let held = version.strip_prefix("workspace:").unwrap_or(version);
        let entry = entries
            .get(&(name.as_str(), held))
            .ok_or_else(|| format!("{name}@{version} has no entry"))?;
        out.insert(key, (*entry).clone());
    }
    Ok(out)
}

/// The package an entry at `key` holds, as the graph names it: `(name, version)`, or
/// `(name, "workspace:PATH")` for the link to a workspace member.
fn label<'a>(packages: &'a Packages, key: &'a str, entry: &'a J) -> Option<(&'a str, &'a str)> {
    match entry
        .get("link")
        .and(entry.get("resolved"))
        .and_then(J::as_str)
    {
        Some(path) => {
            let name = packages.get(path)?.get("name")?.as_str()?;
            // The graph calls it `workspace:PATH`; the label keeps the path.
            Some((name, path))
        }
        None => Some((slot_name(key), entry.get("version")?.as_str()?)),
    }
}

/// Whether Bun's layout of the lockfile's own graph is the lockfile: the check that this
/// model of Bun holds for the file before it is used to write it. Compares what each slot
/// holds, without building the laid-out packages.
pub(super) fn holds(packages: &Packages, keys: &Keys) -> Result<(), String> {
    let (graph, at) = placed(packages, keys)?;
    let again: BTreeMap<&str, &str> = at
        .iter()
        .map(|(key, id)| {
            let version = graph.packages[*id].1.as_str();
            (
                key.as_str(),
                version.strip_prefix("workspace:").unwrap_or(version),
            )
        })
        .collect();
    fn version(e: &J) -> Option<&str> {
        e.get("version").or(e.get("resolved")).and_then(J::as_str)
    }
    let slots = packages.keys().filter(|k| !is_top(k)).map(String::as_str);
    for key in slots.chain(again.keys().copied()) {
        if packages.get(key).and_then(version) != again.get(key).copied() {
            return Err(format!(
                "Bun lays out its packages differently from the agent's model of Bun (at `{}`)",
                keys.bun(key)
            ));
        }
    }
    Ok(())
}
