//! yarn: `yarn.lock` in both layouts (classic v1 and Berry v2+, read by `yarn/lock.rs`) with the
//! `package.json` files of the project and its workspaces, which say what is direct and what is
//! only for development. One dependency per registry entry of the lockfile; workspace, patch,
//! git and file entries are not registry packages and are left out.

pub(crate) mod lock;

use std::collections::{BTreeSet, HashMap, VecDeque};

use super::npm::{expand_workspaces, read_manifest};
use super::{file_name, label, parse_error, Dependency, Location, Scope, Sink};
use crate::files::{dir_of, join, Snapshot};
use crate::Ecosystem;
use lock::{plain_range, Entry, Lock};

/// Analyses every `yarn.lock`; returns the manifests they cover, which the npm analysis then
/// leaves alone.
pub(super) fn analyze(snapshot: &Snapshot, out: &mut dyn Sink) -> BTreeSet<String> {
    let mut covered = BTreeSet::new();
    let locks: Vec<&str> = snapshot
        .paths()
        .filter(|p| file_name(p) == "yarn.lock")
        .collect();
    for path in locks {
        match analyze_lock(snapshot, path, out) {
            Ok(manifests) => covered.extend(manifests),
            Err(e) => out.problem(e),
        }
    }
    covered
}

/// A declared dependency of the project or a workspace: name, range, dev, line.
pub(crate) type Declared = (String, String, bool, Location);

/// The manifests of the project that owns the lockfile at `path`: the root `package.json` and
/// its workspaces' (from its `workspaces` globs, and for Berry from the lockfile's workspace
/// entries). Returns the manifest paths and every dependency they declare.
pub(crate) fn project_manifests(
    snapshot: &Snapshot,
    path: &str,
    lock: &Lock,
) -> (Vec<String>, Vec<Declared>) {
    let dir = dir_of(path);
    let mut members: Vec<String> = Vec::new();
    let mut paths = Vec::new();
    let mut declared = Vec::new();
    let root = join(dir, "package.json");
    if let Ok(m) = read_manifest(snapshot, &root) {
        members.extend(expand_workspaces(snapshot, dir, &m.workspaces));
    }
    for entry in &lock.entries {
        for p in &entry.patterns {
            if let Some(at) = p.range.strip_prefix("workspace:") {
                let at = at.trim_start_matches("./");
                if at != "." && !at.is_empty() && !members.iter().any(|m| m == at) {
                    members.push(at.to_string());
                }
            }
        }
    }
    let all =
        std::iter::once(root).chain(members.iter().map(|m| join(&join(dir, m), "package.json")));
    for mpath in all {
        if paths.contains(&mpath) {
            continue;
        }
        if let Ok(m) = read_manifest(snapshot, &mpath) {
            for (name, range, dev, line) in m.deps {
                declared.push((name, range, dev, Location::new(&mpath, line)));
            }
            paths.push(mpath);
        }
    }
    (paths, declared)
}

/// The registry package an entry resolves (`None` for workspace, patch, git and file entries):
/// its real name (an alias's target) and version.
pub(crate) fn registry_package(entry: &Entry, berry: bool) -> Option<(String, String)> {
    let version = entry.field("version")?.to_string();
    if berry {
        let resolution = entry.field("resolution")?;
        let (name, rest) = resolution.get(1..)?.split_once("@npm:")?;
        let name = format!("{}{name}", &resolution[..1]);
        if rest.contains(':') || rest.contains('#') {
            return None;
        }
        return Some((name, version));
    }
    let pattern = entry
        .patterns
        .iter()
        .find(|p| is_registry_range(&p.range))?;
    let name = match pattern.range.strip_prefix("npm:") {
        Some(alias) if alias.get(1..).is_some_and(|a| a.contains('@')) => {
            lock::Pattern::parse(alias).name
        }
        _ => pattern.name.clone(),
    };
    Some((name, version))
}

/// Whether a classic range is served by the registry: a semver range, a tag or an `npm:` alias,
/// not a URL, a path or a `user/repo` shorthand.
fn is_registry_range(range: &str) -> bool {
    range.starts_with("npm:") || !range.contains(':') && !range.contains('/')
}

/// The entries of a lockfile by pattern (`name`, plain range), as dependency blocks name them.
pub(crate) fn pattern_index(lock: &Lock) -> HashMap<(&str, &str), usize> {
    let mut index = HashMap::new();
    for (i, entry) in lock.entries.iter().enumerate() {
        for p in &entry.patterns {
            index.entry((p.name.as_str(), p.plain_range())).or_insert(i);
        }
    }
    index
}

/// The dependency blocks whose members are resolved from the lockfile.
pub(crate) const EDGE_BLOCKS: [&str; 2] = ["dependencies", "optionalDependencies"];

fn analyze_lock(
    snapshot: &Snapshot,
    path: &str,
    out: &mut dyn Sink,
) -> Result<Vec<String>, crate::Error> {
    let text = snapshot
        .text(path)
        .ok_or_else(|| parse_error(path, None, "not valid UTF-8"))?;
    let lock = lock::parse(&text).map_err(|(line, msg)| parse_error(path, Some(line), msg))?;
    drop(text);
    if lock.berry {
        out.relock_only(path, "the agent does not rewrite yarn Berry lockfiles");
    }
    let (manifests, declared) = project_manifests(snapshot, path, &lock);
    let index = pattern_index(&lock);
    let n = lock.entries.len();

    // Direct: an entry that resolves a pattern a manifest declares.
    let mut direct: Vec<Option<&Declared>> = vec![None; n];
    let mut runtime_roots = Vec::new();
    let mut dev_roots = Vec::new();
    for d in &declared {
        if let Some(&i) = index.get(&(d.0.as_str(), plain_range(&d.1))) {
            let slot = direct[i].get_or_insert(d);
            if slot.2 && !d.2 {
                *slot = d;
            }
            if d.2 {
                dev_roots.push(i);
            } else {
                runtime_roots.push(i);
            }
        }
    }
    // Without manifests, a Berry lockfile's workspace entries say what the project requires.
    if declared.is_empty() {
        for entry in &lock.entries {
            if entry
                .patterns
                .iter()
                .any(|p| p.range.starts_with("workspace:"))
            {
                for block in EDGE_BLOCKS {
                    for (name, range) in entry.block(block) {
                        if let Some(&i) = index.get(&(name.as_str(), plain_range(range))) {
                            runtime_roots.push(i);
                        }
                    }
                }
            }
        }
    }

    // Edges (child, parent, range), grouped by child.
    let mut edges: Vec<(usize, usize, &str)> = Vec::new();
    for (i, entry) in lock.entries.iter().enumerate() {
        for block in EDGE_BLOCKS {
            for (name, range) in entry.block(block) {
                if let Some(&child) = index.get(&(name.as_str(), plain_range(range))) {
                    edges.push((child, i, plain_range(range)));
                }
            }
        }
    }
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); n];
    for &(child, parent, _) in &edges {
        children[parent].push(child);
    }
    let runtime = reach(&runtime_roots, &children);
    let dev_only = reach(&dev_roots, &children);
    edges.sort_unstable();

    let mut edges = edges.as_slice();
    let packages: Vec<Option<(String, String)>> = lock
        .entries
        .iter()
        .map(|e| registry_package(e, lock.berry))
        .collect();
    for (i, entry) in lock.entries.iter().enumerate() {
        let mine = edges.iter().take_while(|e| e.0 == i).count();
        let (incoming, rest) = edges.split_at(mine);
        edges = rest;
        let Some((name, version)) = &packages[i] else {
            continue;
        };
        let mut parents: Vec<String> = incoming
            .iter()
            .filter_map(|&(_, p, _)| packages[p].as_ref().map(|(n, v)| label(n, v)))
            .collect();
        parents.sort();
        parents.dedup();
        let mut constraints: Vec<String> = incoming
            .iter()
            .filter(|&&(_, p, _)| packages[p].is_some())
            .map(|&(_, _, r)| r.to_string())
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
            requirement: direct[i].map(|d| d.1.clone()),
            direct: direct[i].is_some(),
            parents,
            scope,
            location: Location::new(path, entry.line),
            declared_in: direct[i].map(|d| d.3.clone()),
            constraints,
        });
    }
    Ok(manifests)
}

/// The entries reached from `roots` through `children` (per entry, the entries it requires).
pub(crate) fn reach(roots: &[usize], children: &[Vec<usize>]) -> Vec<bool> {
    let mut seen = vec![false; children.len()];
    let mut queue: VecDeque<usize> = VecDeque::new();
    for &r in roots {
        if !seen[r] {
            seen[r] = true;
            queue.push_back(r);
        }
    }
    while let Some(i) = queue.pop_front() {
        for &c in &children[i] {
            if !seen[c] {
                seen[c] = true;
                queue.push_back(c);
            }
        }
    }
    seen
}

#[cfg(test)]
mod tests;
