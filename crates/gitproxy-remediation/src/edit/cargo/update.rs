//! One resolver-aware `Cargo.lock` update: read the lockfile, check that the resolver
//! reproduces it from the registry index and the member manifests, move the fixed package,
//! resolve, and write back only the entries that changed.

use std::collections::{BTreeSet, HashMap};

use super::lock::{render_lock, render_package, LockFile, CRATES_IO};
use super::members::read_members;
use super::resolve::{Kind, Node, Resolved, Resolver, Stop};
use crate::files::{dir_of, Snapshot};
use crate::registry::{IndexEntry, Registry};
use crate::version::semver::Version;
use crate::{Ecosystem, Error};

const NO_INDEX: &str = "the registry gives no dependency lists to reconcile it with";

/// What became of a lockfile.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Update {
    /// The new contents, and the other packages whose version changed (`name from -> to`).
    Written { text: String, moved: Vec<String> },
    /// The lockfile cannot be written with certainty; the reason (the package manager must).
    Refused(String),
    /// No choice of versions satisfies every requirement; the exact conflict.
    Conflict(String),
}

/// Moves `name` from `from` to `to` in the lockfile at `path` of `snapshot` (whose manifests
/// already carry any requirement change of the fix).
pub(crate) async fn update_lock(
    snapshot: &Snapshot,
    path: &str,
    name: &str,
    from: &str,
    to: &str,
    registry: &dyn Registry,
) -> Result<Update, Error> {
    let Some(text) = snapshot.text(path) else {
        return Ok(Update::Refused("the file is missing or not UTF-8".into()));
    };
    let lock = match LockFile::parse(&text) {
        Ok(l) => l,
        Err(reason) => {
            return Ok(Update::Refused(format!(
                "it cannot be read safely: {reason}"
            )))
        }
    };
    let members = read_members(snapshot, dir_of(path));
    let nodes = match nodes_of(&lock) {
        Ok(n) => n,
        Err(reason) => return Ok(Update::Refused(reason)),
    };
    let (Ok(from_v), Ok(to_v)) = (Version::parse(from), Version::parse(to)) else {
        return Ok(Update::Refused(format!("{from} or {to} is not a version")));
    };
    let Some(fixed) = nodes
        .iter()
        .position(|n| n.kind == Kind::CratesIo && n.name == name && n.version == from_v)
    else {
        if nodes
            .iter()
            .any(|n| n.kind == Kind::CratesIo && n.name == name && n.version == to_v)
        {
            // An earlier occurrence of the same fix already moved this one.
            return Ok(Update::Written {
                text: text.into_owned(),
                moved: Vec::new(),
            });
        }
        return Ok(Update::Refused(format!("it holds no {name} {from}")));
    };
    // Every locked crates.io package's index is needed to check the lockfile: ask up front.
    let mut index: HashMap<String, Vec<IndexEntry>> = HashMap::new();
    for node in nodes.iter().filter(|n| n.kind == Kind::CratesIo) {
        if index.contains_key(&node.name) {
            continue;
        }
        match registry
            .index_entries(Ecosystem::CratesIo, &node.name)
            .await?
        {
            Some(entries) => {
                index.insert(node.name.clone(), entries);
            }
            None => return Ok(Update::Refused(NO_INDEX.into())),
        }
    }
    let already = nodes.iter().enumerate().any(|(i, n)| {
        i != fixed && n.kind == Kind::CratesIo && n.name == name && n.version == to_v
    });
    loop {
        let outcome = (|| {
            let mut check = Resolver::new(&index, &members, None);
            check.lenient = Some((name.to_string(), from_v.clone()));
            let old = check.reproduce(&nodes)?;
            same_as_lock(&lock, &old)?;
            let mut start = nodes.clone();
            if already {
                // Another locked version already moved to the fixed one (a second occurrence
                // of the same fix): this one goes, and its users re-resolve.
                start[fixed].kind = Kind::Removed;
            } else {
                start[fixed].version = to_v.clone();
                start[fixed].text = to.to_string();
            }
            Resolver::new(&index, &members, Some((name.to_string(), to_v.clone()))).solve(start)
        })();
        match outcome {
            Ok(resolved) => return Ok(write(&lock, &nodes, &resolved, &index)),
            Err(Stop::NeedIndex(crate_name)) => {
                match registry
                    .index_entries(Ecosystem::CratesIo, &crate_name)
                    .await?
                {
                    Some(entries) => {
                        index.insert(crate_name, entries);
                    }
                    None => return Ok(Update::Refused(NO_INDEX.into())),
                }
            }
            Err(Stop::Refuse(reason)) => return Ok(Update::Refused(reason)),
            Err(Stop::Conflict(reason)) => return Ok(Update::Conflict(reason)),
        }
    }
}

/// The lockfile's packages as resolver nodes.
fn nodes_of(lock: &LockFile) -> Result<Vec<Node>, String> {
    let mut nodes = Vec::new();
    let mut seen = BTreeSet::new();
    for (i, p) in lock.packages.iter().enumerate() {
        if !seen.insert((p.name.clone(), p.version.clone())) {
            return Err(format!("{} {} comes from two sources", p.name, p.version));
        }
        let version = Version::parse(&p.version)
            .map_err(|e| format!("{} has the version `{}`: {e}", p.name, p.version))?;
        let kind = match p.source.as_deref() {
            None => Kind::Member,
            Some(CRATES_IO) => Kind::CratesIo,
            Some(_) => Kind::Other,
        };
        nodes.push(Node {
            name: p.name.clone(),
            version,
            text: p.version.clone(),
            kind,
            old: Some(i),
            locked: Vec::new(),
        });
    }
    for (i, p) in lock.packages.iter().enumerate() {
        nodes[i].locked = locked_edges(lock, &p.deps)?;
    }
    Ok(nodes)
}

/// The packages a `dependencies` list names.
fn locked_edges(lock: &LockFile, deps: &[String]) -> Result<Vec<usize>, String> {
    deps.iter()
        .map(|d| {
            let mut parts = d.splitn(3, ' ');
            let name = parts.next().unwrap_or("");
            let version = parts.next();
            let mut matching = lock
                .packages
                .iter()
                .enumerate()
                .filter(|(_, p)| p.name == name && version.is_none_or(|v| p.version == v));
            match (matching.next(), matching.next()) {
                (Some((j, _)), None) => Ok(j),
                _ => Err(format!("the dependency `{d}` does not name one package")),
            }
        })
        .collect()
}

/// Refuses unless the resolver derives exactly the lockfile's dependency lists: only then is
/// its picture of features, targets and kinds right for this project.
fn same_as_lock(lock: &LockFile, old: &Resolved) -> Result<(), Stop> {
    for (i, p) in lock.packages.iter().enumerate() {
        if !old.reachable[i] {
            continue;
        }
        let locked: BTreeSet<usize> = locked_edges(lock, &p.deps)
            .map_err(Stop::Refuse)?
            .into_iter()
            .collect();
        let derived: BTreeSet<usize> = old.edges[i].iter().map(|(j, _)| *j).collect();
        if locked != derived {
            let names = |s: &BTreeSet<usize>| -> Vec<String> {
                s.iter().map(|&j| old.nodes[j].label()).collect()
            };
            return Err(Stop::Refuse(format!(
                "the dependencies it records for {} {} ({}) differ from those the registry index and manifests give ({}), so its features cannot be followed exactly",
                p.name,
                p.version,
                names(&locked).join(", "),
                names(&derived).join(", ")
            )));
        }
    }
    if let Some(p) = (0..lock.packages.len())
        .find(|&i| !old.reachable[i])
        .map(|i| &lock.packages[i])
    {
        return Err(Stop::Refuse(format!(
            "it holds {} {}, which nothing depends on",
            p.name, p.version
        )));
    }
    Ok(())
}

/// The new lockfile: unchanged entries keep their text.
fn write(
    lock: &LockFile,
    before: &[Node],
    resolved: &Resolved,
    index: &HashMap<String, Vec<IndexEntry>>,
) -> Update {
    let nodes = &resolved.nodes;
    let mut order: Vec<usize> = (0..nodes.len())
        .filter(|&i| resolved.reachable[i])
        .collect();
    order.sort_by(|&a, &b| {
        (nodes[a].name.as_str(), &nodes[a].version)
            .cmp(&(nodes[b].name.as_str(), &nodes[b].version))
    });
    for &i in &order {
        if nodes[i].kind == Kind::Other {
            let moved = nodes[i]
                .locked
                .iter()
                .any(|&j| !resolved.reachable[j] || nodes[j].version != before[j].version);
            if moved {
                return Update::Refused(format!(
                    "{} is not from crates.io and depends on a package the fix moves",
                    nodes[i].label()
                ));
            }
        }
    }
    let count = |name: &str| order.iter().filter(|&&i| nodes[i].name == name).count();
    let mut blocks = Vec::new();
    for &i in &order {
        let node = &nodes[i];
        let mut deps: Vec<(String, String)> = Vec::new();
        for (j, _) in &resolved.edges[i] {
            let target = &nodes[*j];
            let version = if count(&target.name) > 1 {
                target.text.clone()
            } else {
                String::new()
            };
            let key = (target.name.clone(), version);
            if !deps.contains(&key) {
                deps.push(key);
            }
        }
        deps.sort();
        let deps: Vec<String> = deps
            .into_iter()
            .map(|(n, v)| if v.is_empty() { n } else { format!("{n} {v}") })
            .collect();
        let old = node.old.map(|o| &lock.packages[o]);
        let unchanged = node.old.is_some_and(|o| before[o].text == node.text);
        match old {
            Some(p) if unchanged && p.deps == deps => blocks.push(p.text.clone()),
            _ => {
                let checksum = match (node.kind, old) {
                    (Kind::CratesIo, Some(p)) if unchanged => p.checksum.clone(),
                    (Kind::CratesIo, _) => {
                        let found = index
                            .get(&node.name)
                            .and_then(|l| l.iter().find(|e| e.version == node.text))
                            .and_then(|e| e.checksum.clone());
                        if found.is_none() {
                            return Update::Refused(format!(
                                "the registry gives no checksum for {}",
                                node.label()
                            ));
                        }
                        found
                    }
                    (_, p) => p.and_then(|p| p.checksum.clone()),
                };
                let source = match node.kind {
                    Kind::Member => None,
                    Kind::CratesIo => Some(CRATES_IO.to_string()),
                    Kind::Other | Kind::Removed => old.and_then(|p| p.source.clone()),
                };
                blocks.push(render_package(
                    &node.name,
                    &node.text,
                    source.as_deref(),
                    checksum.as_deref(),
                    &deps,
                ));
            }
        }
    }
    let mut moved = Vec::new();
    for (i, node) in nodes.iter().enumerate() {
        if let Some(b) = node.old.map(|o| &before[o]) {
            if b.text != node.text && resolved.reachable[i] {
                moved.push(format!("{} {} -> {}", node.name, b.text, node.text));
            }
        }
    }
    Update::Written {
        text: render_lock(&lock.header, &blocks, &lock.trailer),
        moved,
    }
}
