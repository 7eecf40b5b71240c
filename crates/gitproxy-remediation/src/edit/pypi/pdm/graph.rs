//! A `pdm.lock` move whose new release depends on other packages than the lock records: the
//! dependencies it adds join the lock at the highest version their requirement allows whose
//! Requires-Python admits the lock's Python, packages no group reaches any more leave it, and
//! each package's `groups` is recomputed from the project's groups through the new graph (PDM's
//! `inherit_metadata`). Anything that needs the resolver further (markers, extras, a new
//! package's own new dependencies) is refused with the reason.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

use super::super::lock::{joining, lowest_python, marker_admits};
use super::super::requires::Requires;
use super::super::specifier::admits;
use super::{entry, holds, pdm_line};
use crate::analysis::pypi::pdm::{Declared, Package};
use crate::registry::Registry;
use crate::{Ecosystem, Error};

/// What the move changes besides the package's own entries.
#[derive(Debug, Default)]
pub(super) struct Change {
    /// New entries by canonical name: version and block (its `groups` line set later).
    pub added: BTreeMap<String, (String, String)>,
    /// Packages no group reaches any more.
    pub dropped: BTreeSet<String>,
    /// Every remaining package's groups.
    pub groups: BTreeMap<String, BTreeSet<String>>,
}

/// One lock entry in the graph: the package with the extras it locks, and what it requires.
struct Node {
    name: String,
    extras: Vec<String>,
    deps: Vec<Requires>,
}

pub(super) async fn reconcile(
    registry: &dyn Registry,
    key: &str,
    new_deps: &[Requires],
    pkgs: &[Package],
    project: &Declared,
    target_python: Option<&str>,
) -> Result<Result<Change, String>, Error> {
    let lowest = target_python.and_then(lowest_python);
    let python = lowest.as_deref();
    if let Some(p) = pkgs.iter().find(|p| p.marker.is_some()) {
        return Ok(Err(format!(
            "{} carries a marker PDM derives from the whole graph",
            p.name
        )));
    }
    let parse = |lines: &[String]| -> Vec<Requires> {
        lines.iter().filter_map(|l| Requires::parse(l)).collect()
    };
    let old_nodes: Vec<Node> = pkgs
        .iter()
        .map(|p| Node {
            name: p.name.clone(),
            extras: p.extras.clone(),
            deps: parse(&p.requires),
        })
        .collect();
    // The lock's own groups must be what its graph gives, or this model is not PDM's.
    let before = groups_of(&old_nodes, project);
    for p in pkgs.iter().filter(|p| !p.local) {
        let recorded: BTreeSet<String> = p.groups.iter().cloned().collect();
        if before.get(&p.name) != Some(&recorded) {
            return Ok(Err(format!(
                "the groups it records for {} are not the ones its dependency graph gives",
                p.name
            )));
        }
    }
    let mut change = Change::default();
    let mut nodes: Vec<Node> = old_nodes
        .into_iter()
        .map(|mut n| {
            if n.name == key && n.extras.is_empty() {
                n.deps = new_deps.to_vec();
            }
            n
        })
        .collect();
    for r in new_deps.iter().filter(|r| !holds(pkgs, &r.key())) {
        // A requirement only older Pythons need (`python_version < "3.8"` in a `>=3.8` lock)
        // is listed and brings nothing, as PDM locks it.
        let needed = match (&r.marker, python) {
            (Some(m), Some(p)) => marker_admits(m, p),
            _ => true,
        };
        if !needed {
            continue;
        }
        if r.marker.is_some() || !r.extras.is_empty() {
            return Ok(Err(format!(
                "the new requirement `{}` carries a marker or extras PDM resolves itself",
                pdm_line(r)
            )));
        }
        let name = r.key();
        let (version, own, mut files) = match joining(registry, r, python).await? {
            Ok(found) => found,
            Err(why) => return Ok(Err(why)),
        };
        let own_deps: Vec<Requires> = own
            .requires_dist
            .iter()
            .filter_map(|l| Requires::parse(l))
            .filter(|d| d.in_extras.is_empty())
            .collect();
        for d in &own_deps {
            let locked = pkgs
                .iter()
                .find(|p| p.name == d.key() && p.extras.is_empty());
            match locked {
                Some(p) if d.marker.is_none() && admits(&d.spec, &p.version) => {}
                _ => {
                    return Ok(Err(format!(
                        "{} {version} needs {}, which the lock does not hold as it requires",
                        r.name,
                        pdm_line(d)
                    )))
                }
            }
        }
        files.retain(|f| super::wheels::recorded(&f.filename, target_python));
        files.sort_by(|a, b| (&a.filename, &a.sha256).cmp(&(&b.filename, &b.sha256)));
        let mut lines: Vec<String> = own_deps.iter().map(pdm_line).collect();
        lines.sort();
        let stub = format!("[[package]]\nname = \"{name}\"\ngroups = []\n");
        let block = entry(&stub, &version, &own, &lines, &files);
        nodes.push(Node {
            name: name.clone(),
            extras: Vec::new(),
            deps: own_deps,
        });
        change.added.insert(name, (version, block));
    }
    let after = groups_of(&nodes, project);
    change.dropped = pkgs
        .iter()
        .filter(|p| !p.local && !after.contains_key(&p.name))
        .map(|p| p.name.clone())
        .collect();
    change.groups = after;
    Ok(Ok(change))
}

/// Each package's groups: the project's groups whose requirements reach it through the graph.
fn groups_of(nodes: &[Node], project: &Declared) -> BTreeMap<String, BTreeSet<String>> {
    // The entries of each name, so that a requirement is resolved without a scan of the lock.
    let mut by_name: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, n) in nodes.iter().enumerate() {
        by_name.entry(n.name.as_str()).or_default().push(i);
    }
    let reach = |r: &Requires, queue: &mut VecDeque<usize>| {
        let key = r.key();
        let extras: Vec<String> = r
            .extras
            .iter()
            .map(|e| Ecosystem::PyPI.normalize_name(e))
            .collect();
        for &i in by_name.get(key.as_str()).into_iter().flatten() {
            if nodes[i].extras.iter().all(|e| extras.contains(e)) {
                queue.push_back(i);
            }
        }
    };
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (group, lines) in &project.groups {
        let mut seen = vec![false; nodes.len()];
        let mut queue: VecDeque<usize> = VecDeque::new();
        for r in lines.iter().filter_map(|l| Requires::parse(l)) {
            reach(&r, &mut queue);
        }
        while let Some(i) = queue.pop_front() {
            if std::mem::replace(&mut seen[i], true) {
                continue;
            }
            out.entry(nodes[i].name.clone())
                .or_default()
                .insert(group.clone());
            for d in &nodes[i].deps {
                reach(d, &mut queue);
            }
        }
    }
    out
}
