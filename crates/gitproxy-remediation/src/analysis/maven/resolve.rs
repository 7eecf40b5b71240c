//! Maven's transitive dependencies from the POMs fetched from the registry, resolved as Maven 3
//! does: breadth first from the module's own dependencies, the nearest version of a module wins
//! (the first declared at equal depth), the module's `dependencyManagement` sets the version of
//! every module in the tree, `test` and `provided` dependencies and `optional` ones of other
//! modules are not brought along, `<exclusions>` cut a dependency's subtree, and scopes combine
//! by Maven's table (a `test` dependency's tree is `test`, a `runtime` one's `runtime`), and a
//! version range takes the highest published version inside it.

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::rc::Rc;

use super::{exact, interpolate, remote_model, Cache, Pom};
use crate::analysis::label;
use crate::files::Snapshot;
use crate::version::maven::{Version, VersionRange};

/// How deep the tree is followed, how many modules it may hold, and how many all the trees of
/// one analysis may hold (a build of many modules over large trees must not stall the scan).
const MAX_TREE_DEPTH: usize = 32;
const MAX_NODES: usize = 10_000;
pub(crate) const MAX_ANALYSIS_NODES: usize = 200_000;

/// A module the tree brings that the POM does not declare itself.
#[derive(Debug)]
pub(crate) struct Node {
    /// `groupId:artifactId`.
    pub(crate) name: String,
    pub(crate) version: String,
    /// Maven's scope after mediation (`compile`, `runtime`, `provided`, `test`, `system`).
    pub(crate) scope: String,
    /// `name@version` of the module that brings it.
    pub(crate) parent: String,
    /// Index into [`Pom::dependencies`] of the declared dependency whose tree holds it.
    pub(crate) via: usize,
}

/// The tree of one POM: the modules it brings, and the POMs it could not read (`g:a:v`) or
/// versions it could not tell (`g:a` with what is written), so that part of the tree is unknown.
#[derive(Debug, Default)]
pub(crate) struct Tree {
    pub(crate) nodes: Vec<Node>,
    pub(crate) missing: BTreeSet<String>,
    pub(crate) unknown_versions: BTreeSet<String>,
    /// Modules a range names whose published versions are not fetched yet.
    pub(crate) ranges: BTreeSet<String>,
    /// The limit the walk stopped at, when it stopped before the end of the tree.
    pub(crate) cut: Option<String>,
}

/// The external key of a module's published versions (one per line), which a version range in
/// the tree is resolved against.
pub(crate) fn versions_key(name: &str) -> String {
    format!("{VERSIONS}{name}")
}

/// The prefix of [`versions_key`].
pub(crate) const VERSIONS: &str = "versions:";

/// The version Maven takes for `range`: the highest published one inside it (no snapshots);
/// `None` when the versions are not fetched or none fits.
pub(crate) fn in_range(snapshot: &Snapshot, name: &str, range: &str) -> Option<String> {
    let range = VersionRange::parse(range).ok()?;
    snapshot
        .external(&versions_key(name))?
        .lines()
        .map(str::trim)
        .filter(|v| !v.is_empty() && !v.ends_with("-SNAPSHOT"))
        .map(|v| (Version::parse(v), v))
        .filter(|(parsed, _)| range.contains(parsed))
        .max_by(|a, b| a.0.cmp(&b.0))
        .map(|(_, v)| v.to_owned())
}

/// The scope a dependency of scope `dep` gets inside the tree of one of scope `parent`; `None`
/// when Maven does not bring it at all.
pub(super) fn mediate(parent: &str, dep: &str) -> Option<String> {
    let scope = match (parent, dep) {
        (_, "test" | "provided" | "system") => return None,
        ("compile", d) => d,
        ("runtime", _) => "runtime",
        (p, _) => p,
    };
    Some(scope.to_owned())
}

fn excluded(exclusions: &[(String, String)], name: &str) -> bool {
    let (g, a) = name.split_once(':').unwrap_or((name, ""));
    exclusions
        .iter()
        .any(|(eg, ea)| (eg == "*" || eg == g) && (ea == "*" || ea == a))
}

/// One module to open in the breadth-first walk.
struct Open {
    name: String,
    version: String,
    scope: String,
    via: usize,
    depth: usize,
    exclusions: Rc<Vec<(String, String)>>,
}

/// The transitive dependencies of `pom` from the fetched POMs; the repository's own `modules`
/// are not followed (their POMs are analysed as files of their own).
pub(crate) fn tree(snapshot: &Snapshot, pom: &Pom, modules: &HashSet<&str>, cache: &Cache) -> Tree {
    let mut out = Tree::default();
    // The module's own dependencies are nearest of all.
    let mut seen: HashSet<String> = pom.dependencies.iter().map(|d| d.name.clone()).collect();
    seen.extend(pom.coordinates.clone());
    let mut queue = VecDeque::new();
    for (via, d) in pom.dependencies.iter().enumerate() {
        // A range the module writes itself takes the highest published version inside it, as
        // in the tree; its published versions are fetched first.
        let ranged = d
            .version
            .as_deref()
            .filter(|v| v.starts_with(['[', '(']) && !v.contains("${"));
        let version = match ranged {
            Some(range) if !modules.contains(d.name.as_str()) => {
                let found = in_range(snapshot, &d.name, range);
                if found.is_none() {
                    out.ranges.insert(d.name.clone());
                }
                found
            }
            _ => exact(d.version.as_ref()).cloned(),
        };
        let Some(version) = version else {
            continue;
        };
        // A `system` dependency is a file on the machine: Maven reads no POM for it.
        if modules.contains(d.name.as_str()) || d.scope.as_deref() == Some("system") {
            continue;
        }
        queue.push_back(Open {
            name: d.name.clone(),
            version,
            scope: d.scope.clone().unwrap_or_else(|| "compile".to_owned()),
            via,
            depth: 1,
            exclusions: Rc::new(d.exclusions.clone()),
        });
    }
    // The module's management, with versions as the module's properties give them.
    let managed: HashMap<&str, String> = pom
        .management
        .iter()
        .filter_map(|(name, m)| {
            let raw = m.version.as_ref()?;
            Some((name.as_str(), interpolate(&pom.properties, raw).0))
        })
        .collect();
    while let Some(open) = queue.pop_front() {
        let cut = if open.depth > MAX_TREE_DEPTH {
            Some(format!("deeper than {MAX_TREE_DEPTH} levels"))
        } else if out.nodes.len() >= MAX_NODES {
            Some(format!("more than {MAX_NODES} modules"))
        } else if cache.nodes.get() >= MAX_ANALYSIS_NODES {
            Some(format!(
                "the trees of the repository's POMs hold more than {MAX_ANALYSIS_NODES} modules in all"
            ))
        } else {
            None
        };
        if cut.is_some() {
            out.cut = cut;
            break;
        }
        let key = format!("{}:{}", open.name, open.version);
        let Some(model) = snapshot
            .external(&key)
            .and_then(|_| remote_model(snapshot, &key, 0, cache))
        else {
            out.missing.insert(key);
            continue;
        };
        out.missing.extend(model.missing.iter().cloned());
        for dd in &model.dependencies {
            if dd.optional
                || excluded(&open.exclusions, &dd.name)
                || seen.contains(&dd.name)
                || modules.contains(dd.name.as_str())
            {
                continue;
            }
            let Some(scope) = mediate(&open.scope, dd.scope.as_deref().unwrap_or("compile")) else {
                continue;
            };
            let version = managed
                .get(dd.name.as_str())
                .cloned()
                .or_else(|| dd.version.clone());
            // A range takes the highest published version inside it, as Maven does.
            let version = match version {
                Some(v) if v.starts_with(['[', '(']) => {
                    let found = in_range(snapshot, &dd.name, &v);
                    if found.is_none() {
                        out.ranges.insert(dd.name.clone());
                    }
                    found
                }
                v => v,
            };
            let Some(version) = version.filter(|v| exact(Some(v)).is_some()) else {
                out.unknown_versions.insert(format!(
                    "{} `{}`",
                    dd.name,
                    dd.version.as_deref().unwrap_or("no version")
                ));
                continue;
            };
            seen.insert(dd.name.clone());
            cache.nodes.set(cache.nodes.get() + 1);
            out.nodes.push(Node {
                name: dd.name.clone(),
                version: version.clone(),
                scope: scope.clone(),
                parent: label(&open.name, &open.version),
                via: open.via,
            });
            // The exclusions of the path so far, shared unless this dependency adds its own.
            let exclusions = if dd.exclusions.is_empty() {
                Rc::clone(&open.exclusions)
            } else {
                let mut more = (*open.exclusions).clone();
                more.extend(dd.exclusions.iter().cloned());
                Rc::new(more)
            };
            queue.push_back(Open {
                name: dd.name.clone(),
                version,
                scope,
                via: open.via,
                depth: open.depth + 1,
                exclusions,
            });
        }
    }
    out
}
