//! The small resolver behind `Cargo.lock` edits: given the packages of a lockfile (one version
//! per semver-compatible range and name, as Cargo allows), the registry index and the member
//! manifests, it derives every package's dependencies the way Cargo does when it writes a
//! lockfile (members with all features and their dev-dependencies; other packages with their
//! normal and build dependencies, optional ones only when an enabled feature turns them on,
//! every target), reuses locked versions that satisfy each requirement, adds the highest
//! compatible non-yanked version where none does, and when a dependent excludes the fixed
//! version, tries that dependent's later compatible releases. It never guesses: a lockfile it
//! cannot reproduce is refused, and requirements no choice satisfies are reported exactly.

use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

use super::members::{all_features, Member, Origin};
use crate::registry::{DepKind, IndexEntry, RegistryDep};
use crate::version::semver::{Range, Version};

/// Where a lockfile package comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    /// A workspace member (no `source`).
    Member,
    /// crates.io.
    CratesIo,
    /// A git repository or another registry: its dependencies are taken from the lockfile.
    Other,
    /// Taken out of the resolution (a second locked version of the fixed package when the
    /// fixed version is already locked): never matched, never written.
    Removed,
}

/// One package of the resolution.
#[derive(Clone, Debug)]
pub(super) struct Node {
    pub(super) name: String,
    pub(super) version: Version,
    /// The version as written (build metadata kept).
    pub(super) text: String,
    pub(super) kind: Kind,
    /// Its index among the lockfile's packages, when it was there.
    pub(super) old: Option<usize>,
    /// Its dependencies as the lockfile records them: kept as they are for an `Other` package,
    /// preferred for the others when a requirement admits several locked versions.
    pub(super) locked: Vec<usize>,
}

impl Node {
    pub(super) fn label(&self) -> String {
        format!("{} {}", self.name, self.text)
    }
}

/// Why a resolution stopped without an answer.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Stop {
    /// The index of this crate is needed: fetch it and run again.
    NeedIndex(String),
    /// The lockfile cannot be rewritten with certainty; the reason.
    Refuse(String),
    /// No choice of versions satisfies every requirement; the exact conflict.
    Conflict(String),
}

/// A resolution: the packages, each one's dependencies (`(package, requirement)`), and which
/// packages the members still reach.
#[derive(Debug)]
pub(super) struct Resolved {
    pub(super) nodes: Vec<Node>,
    pub(super) edges: Vec<Vec<(usize, String)>>,
    pub(super) reachable: Vec<bool>,
}

/// A failed attempt to satisfy one requirement.
enum Fail {
    Stop(Stop),
    /// `requirer` needs the fixed package in a range that excludes the fixed version.
    Blocked {
        requirer: usize,
        dep: Box<RegistryDep>,
    },
    /// Requirements on one package no version satisfies; `blockers` hold the other side.
    Conflict {
        message: String,
        package: String,
        wanted: String,
        blockers: Vec<usize>,
    },
}

impl From<Stop> for Fail {
    fn from(s: Stop) -> Fail {
        Fail::Stop(s)
    }
}

/// One pass over the graph with fixed versions.
struct Pass {
    edges: Vec<Vec<(usize, String)>>,
    reachable: Vec<bool>,
    unresolved: Vec<(usize, RegistryDep)>,
}

/// Which optional dependencies a package's enabled features turn on, and the features it asks
/// of each dependency (by the name it uses for it).
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Activation {
    pub(super) deps: BTreeSet<String>,
    pub(super) dep_features: BTreeMap<String, BTreeSet<String>>,
}

/// The resolver of one lockfile edit.
pub(super) struct Resolver<'a> {
    pub(super) index: &'a HashMap<String, Vec<IndexEntry>>,
    pub(super) members: &'a BTreeMap<String, Member>,
    /// The fixed package and version: it stays at that version and no other version is added.
    pub(super) forced: Option<(String, Version)>,
    /// A package and version that stands in when no version of it fits a requirement
    /// (reproducing a lockfile whose manifest already asks for the fixed version).
    pub(super) lenient: Option<(String, Version)>,
    budget: Cell<usize>,
}

/// Passes a resolution may take before it gives up.
const BUDGET: usize = 2000;
/// How many dependents deep the resolver climbs to make room for the fixed version.
const MAX_CLIMB: usize = 3;

/// Whether Cargo treats `a` and `b` as semver-compatible (one of them may stand in for the
/// other, so a lockfile holds at most one of them).
pub(super) fn compatible(a: &Version, b: &Version) -> bool {
    if a.major != b.major {
        false
    } else if a.major > 0 {
        true
    } else if a.minor != b.minor {
        false
    } else if a.minor > 0 {
        true
    } else {
        a.patch == b.patch
    }
}

/// Two reachable semver-compatible versions of one crate, which Cargo never locks together:
/// the requirement that holds on to the lower one, as a conflict.
fn twins(resolved: &Resolved) -> Option<String> {
    let nodes = &resolved.nodes;
    let live = |i: usize| resolved.reachable[i] && nodes[i].kind == Kind::CratesIo;
    for low in (0..nodes.len()).filter(|&i| live(i)) {
        for high in (0..nodes.len()).filter(|&j| live(j)) {
            let (l, h) = (&nodes[low], &nodes[high]);
            if l.name != h.name || h.version <= l.version || !compatible(&l.version, &h.version) {
                continue;
            }
            let user = |target: usize| {
                resolved.edges.iter().enumerate().find_map(|(k, list)| {
                    let (_, req) = list.iter().find(|(t, _)| *t == target)?;
                    Some(format!("{} requires {} {req}", nodes[k].label(), l.name))
                })
            };
            return Some(format!(
                "{} but {}, and cargo locks one {} {}.x release only",
                user(low).unwrap_or_else(|| l.label()),
                user(high).unwrap_or_else(|| h.label()),
                l.name,
                if l.version.major > 0 {
                    l.version.major.to_string()
                } else {
                    format!("0.{}", l.version.minor)
                }
            ));
        }
    }
    None
}

fn parse_req(req: &str) -> Result<Range, Stop> {
    Range::parse_cargo(req)
        .map_err(|e| Stop::Refuse(format!("cannot read the requirement `{req}`: {e}")))
}

/// The implicit feature of each optional dependency that no `dep:` entry names.
pub(super) fn implicit_features(entry: &IndexEntry) -> Vec<String> {
    let explicit: BTreeSet<&str> = entry
        .features
        .values()
        .flatten()
        .filter_map(|v| v.strip_prefix("dep:"))
        .collect();
    let mut out: Vec<String> = Vec::new();
    for d in entry.dependencies.iter().filter(|d| d.optional) {
        if !explicit.contains(d.name.as_str())
            && !entry.features.contains_key(&d.name)
            && !out.contains(&d.name)
        {
            out.push(d.name.clone());
        }
    }
    out
}

/// Expands `requested` feature values through the feature table of `entry`, as Cargo's
/// dependency resolver does when it writes a lockfile: `dep:x` turns on the optional dependency
/// `x`, `x/f` turns on `x` (when optional, with its feature `x` if there is one) and asks for its
/// feature `f`, and a feature named after an optional dependency with no `dep:` entry turns that
/// dependency on. A weak `x?/f` only asks for `f` when the build runs, but the lockfile resolver
/// cannot know whether `x` will be on, so it resolves `x` (with `f`) all the same: the lockfile
/// lists it (cargo locks `icu_normalizer` 2.4's dependency on `icu_properties` that way).
pub(super) fn activate(entry: &IndexEntry, requested: &BTreeSet<String>) -> Activation {
    let implicit: BTreeSet<String> = implicit_features(entry).into_iter().collect();
    let optional: BTreeSet<&str> = entry
        .dependencies
        .iter()
        .filter(|d| d.optional)
        .map(|d| d.name.as_str())
        .collect();
    let mut act = Activation::default();
    let mut seen = BTreeSet::new();
    let mut stack: Vec<String> = requested.iter().cloned().collect();
    while let Some(value) = stack.pop() {
        if !seen.insert(value.clone()) {
            continue;
        }
        if let Some(dep) = value.strip_prefix("dep:") {
            act.deps.insert(dep.to_string());
        } else if let Some((dep, feature)) = value.split_once('/') {
            if let Some(dep) = dep.strip_suffix('?') {
                if optional.contains(dep) {
                    act.deps.insert(dep.to_string());
                }
                act.dep_features
                    .entry(dep.to_string())
                    .or_default()
                    .insert(feature.to_string());
                continue;
            }
            if optional.contains(dep) {
                act.deps.insert(dep.to_string());
                stack.push(dep.to_string());
            }
            act.dep_features
                .entry(dep.to_string())
                .or_default()
                .insert(feature.to_string());
        } else if let Some(values) = entry.features.get(&value) {
            stack.extend(values.iter().cloned());
        } else if implicit.contains(&value) {
            act.deps.insert(value);
        }
    }
    act
}

impl<'a> Resolver<'a> {
    pub(super) fn new(
        index: &'a HashMap<String, Vec<IndexEntry>>,
        members: &'a BTreeMap<String, Member>,
        forced: Option<(String, Version)>,
    ) -> Resolver<'a> {
        Resolver {
            index,
            members,
            forced,
            lenient: None,
            budget: Cell::new(BUDGET),
        }
    }

    fn entries(&self, name: &str) -> Result<&'a [IndexEntry], Stop> {
        self.index
            .get(name)
            .map(Vec::as_slice)
            .ok_or_else(|| Stop::NeedIndex(name.to_string()))
    }

    fn entry(&self, node: &Node) -> Result<&'a IndexEntry, Stop> {
        if node.kind == Kind::Member {
            return self
                .members
                .get(&node.name)
                .map(|m| &m.entry)
                .ok_or_else(|| Stop::Refuse(format!("no Cargo.toml of the member {}", node.name)));
        }
        let entries = self.entries(&node.name)?;
        entries
            .iter()
            .find(|e| e.version == node.text)
            .or_else(|| {
                entries
                    .iter()
                    .find(|e| Version::parse(&e.version).is_ok_and(|v| v == node.version))
            })
            .ok_or_else(|| Stop::Refuse(format!("the registry index lists no {}", node.label())))
    }

    fn spend(&self) -> Result<(), Stop> {
        let left = self.budget.get();
        if left == 0 {
            return Err(Stop::Refuse(
                "the resolution needs more steps than the engine allows".into(),
            ));
        }
        self.budget.set(left - 1);
        Ok(())
    }

    /// The package a dependency of `from` uses among `nodes`, if one fits.
    fn find(&self, nodes: &[Node], from: &Node, dep: &RegistryDep) -> Result<Option<usize>, Stop> {
        let name = dep.package_name();
        let origin = match from.kind {
            Kind::Member => self
                .members
                .get(&from.name)
                .and_then(|m| m.origins.get(&dep.name).copied()),
            _ => None,
        };
        let kind = match origin {
            Some(Origin::Path) => Kind::Member,
            Some(Origin::Other) => Kind::Other,
            None => Kind::CratesIo,
        };
        if kind != Kind::CratesIo {
            return Ok(nodes.iter().position(|n| n.kind == kind && n.name == name));
        }
        let req = parse_req(&dep.req)?;
        let fits: Vec<usize> = (0..nodes.len())
            .filter(|&i| {
                let n = &nodes[i];
                n.kind == Kind::CratesIo && n.name == name && req.matches(&n.version)
            })
            .collect();
        let highest = fits
            .iter()
            .copied()
            .max_by(|&a, &b| nodes[a].version.cmp(&nodes[b].version));
        // The locked edge when the requirement admits it (`>=0.52, <0.62` may be locked to
        // either of two versions) and no later compatible version fits, else the highest.
        let locked = fits.iter().copied().find(|&i| {
            from.locked.contains(&i)
                && !fits.iter().any(|&j| {
                    nodes[j].version > nodes[i].version
                        && compatible(&nodes[j].version, &nodes[i].version)
                })
        });
        let best = locked.or(highest);
        Ok(best.or_else(|| {
            let (lenient, version) = self.lenient.as_ref()?;
            (lenient == name)
                .then(|| {
                    nodes.iter().position(|n| {
                        n.kind == Kind::CratesIo && n.name == name && n.version == *version
                    })
                })
                .flatten()
        }))
    }

    /// Every package's dependencies with the versions fixed, feature activation iterated to its
    /// fixpoint from the members outwards.
    fn pass(&self, nodes: &[Node]) -> Result<Pass, Stop> {
        let n = nodes.len();
        let mut requested: Vec<BTreeSet<String>> = vec![BTreeSet::new(); n];
        loop {
            self.spend()?;
            let mut next: Vec<BTreeSet<String>> = vec![BTreeSet::new(); n];
            let mut edges: Vec<Vec<(usize, String)>> = vec![Vec::new(); n];
            let mut reachable = vec![false; n];
            let mut unresolved = Vec::new();
            let mut queue = VecDeque::new();
            for (i, node) in nodes.iter().enumerate() {
                if node.kind == Kind::Member {
                    reachable[i] = true;
                    queue.push_back(i);
                }
            }
            while let Some(i) = queue.pop_front() {
                let node = &nodes[i];
                if matches!(node.kind, Kind::Other | Kind::Removed) {
                    for &j in &node.locked {
                        edges[i].push((j, String::new()));
                        if !reachable[j] {
                            reachable[j] = true;
                            queue.push_back(j);
                        }
                    }
                    continue;
                }
                let entry = self.entry(node)?;
                let member = node.kind == Kind::Member;
                let act = if member {
                    activate(entry, &all_features(entry))
                } else {
                    activate(entry, &requested[i])
                };
                for dep in &entry.dependencies {
                    if (dep.kind == DepKind::Dev && !member)
                        || (dep.optional && !act.deps.contains(&dep.name))
                    {
                        continue;
                    }
                    let Some(j) = self.find(nodes, node, dep)? else {
                        unresolved.push((i, dep.clone()));
                        continue;
                    };
                    edges[i].push((j, dep.req.clone()));
                    let features = &mut next[j];
                    features.extend(dep.features.iter().cloned());
                    if dep.default_features {
                        features.insert("default".into());
                    }
                    if let Some(extra) = act.dep_features.get(&dep.name) {
                        features.extend(extra.iter().cloned());
                    }
                    if !reachable[j] {
                        reachable[j] = true;
                        queue.push_back(j);
                    }
                }
            }
            if !unresolved.is_empty() || next == requested {
                return Ok(Pass {
                    edges,
                    reachable,
                    unresolved,
                });
            }
            requested = next;
        }
    }

    /// Derives the dependencies of the packages as they are, without changing any version.
    pub(super) fn reproduce(&self, nodes: &[Node]) -> Result<Resolved, Stop> {
        let pass = self.pass(nodes)?;
        if let Some((i, dep)) = pass.unresolved.first() {
            return Err(Stop::Refuse(format!(
                "{} needs {} {}, which the lockfile does not hold",
                nodes[*i].label(),
                dep.package_name(),
                dep.req
            )));
        }
        Ok(Resolved {
            nodes: nodes.to_vec(),
            edges: pass.edges,
            reachable: pass.reachable,
        })
    }

    /// Resolves from `nodes` until every requirement holds.
    pub(super) fn solve(&self, nodes: Vec<Node>) -> Result<Resolved, Stop> {
        self.solve_at(nodes, 0)
    }

    fn solve_at(&self, mut nodes: Vec<Node>, depth: usize) -> Result<Resolved, Stop> {
        loop {
            let pass = self.pass(&nodes)?;
            // Requirements on a package already in the graph first: they show conflicts before
            // anything new is fetched.
            let Some((i, dep)) = pass
                .unresolved
                .iter()
                .min_by_key(|(_, d)| !nodes.iter().any(|n| n.name == d.package_name()))
                .cloned()
            else {
                let resolved = Resolved {
                    nodes,
                    edges: pass.edges,
                    reachable: pass.reachable,
                };
                return match twins(&resolved) {
                    Some(conflict) => Err(Stop::Conflict(conflict)),
                    None => Ok(resolved),
                };
            };
            match self.satisfy(&mut nodes, &pass, i, &dep) {
                Ok(()) => continue,
                Err(Fail::Stop(stop)) => return Err(stop),
                Err(Fail::Blocked { requirer, dep }) => {
                    return self.climb_blocked(&nodes, requirer, &dep, depth);
                }
                Err(Fail::Conflict {
                    message,
                    package,
                    wanted,
                    blockers,
                }) => {
                    let wanted = parse_req(&wanted)?;
                    for k in blockers {
                        if nodes[k].kind != Kind::CratesIo || depth >= MAX_CLIMB {
                            continue;
                        }
                        let acceptable: Vec<Version> = self
                            .entries(&package)?
                            .iter()
                            .filter(|e| !e.yanked)
                            .filter_map(|e| Version::parse(&e.version).ok())
                            .filter(|v| wanted.matches(v))
                            .collect();
                        match self.climb(&nodes, k, &package, &acceptable, depth) {
                            Ok(resolved) => return Ok(resolved),
                            Err(Stop::Conflict(_)) => {}
                            Err(other) => return Err(other),
                        }
                    }
                    return Err(Stop::Conflict(message));
                }
            }
        }
    }

    /// A dependent excludes the fixed version: try its later compatible releases.
    fn climb_blocked(
        &self,
        nodes: &[Node],
        requirer: usize,
        dep: &RegistryDep,
        depth: usize,
    ) -> Result<Resolved, Stop> {
        let (fixed, to) = self
            .forced
            .clone()
            .ok_or_else(|| Stop::Refuse("internal: blocked without a fixed package".into()))?;
        let who = nodes[requirer].label();
        let base = format!("{who} requires {fixed} {}, which excludes {to}", dep.req);
        if nodes[requirer].kind != Kind::CratesIo || depth >= MAX_CLIMB {
            return Err(Stop::Conflict(base));
        }
        match self.climb(nodes, requirer, &fixed, std::slice::from_ref(&to), depth) {
            Ok(resolved) => Ok(resolved),
            Err(Stop::Conflict(inner)) if inner.is_empty() => Err(Stop::Conflict(format!(
                "{base}, and no later {} release compatible with it accepts {fixed} {to}",
                nodes[requirer].name
            ))),
            Err(Stop::Conflict(inner)) => Err(Stop::Conflict(format!("{base}; {inner}"))),
            Err(other) => Err(other),
        }
    }

    /// Tries the later releases of `nodes[k]` compatible with it whose requirements on
    /// `package` accept one of `acceptable`, lowest first. `Conflict("")` when none qualifies.
    fn climb(
        &self,
        nodes: &[Node],
        k: usize,
        package: &str,
        acceptable: &[Version],
        depth: usize,
    ) -> Result<Resolved, Stop> {
        let current = &nodes[k];
        let mut candidates: Vec<(Version, &IndexEntry)> = self
            .entries(&current.name)?
            .iter()
            .filter(|e| !e.yanked)
            .filter_map(|e| Some((Version::parse(&e.version).ok()?, e)))
            .filter(|(v, _)| *v > current.version && compatible(v, &current.version))
            .collect();
        candidates.sort_by(|a, b| a.0.cmp(&b.0));
        let mut last = String::new();
        for (version, entry) in candidates {
            let accepts = entry
                .dependencies
                .iter()
                .filter(|d| d.kind != DepKind::Dev && d.package_name() == package)
                .all(|d| {
                    Range::parse_cargo(&d.req)
                        .is_ok_and(|r| acceptable.iter().any(|a| r.matches(a)))
                });
            if !accepts {
                continue;
            }
            let mut trial = nodes.to_vec();
            trial[k].version = version;
            trial[k].text.clone_from(&entry.version);
            match self.solve_at(trial, depth + 1) {
                Ok(resolved) => return Ok(resolved),
                Err(Stop::Conflict(inner)) => {
                    if last.is_empty() {
                        last = format!(
                            "{} {} accepts {package} {}, where {inner}",
                            current.name,
                            entry.version,
                            acceptable
                                .iter()
                                .map(ToString::to_string)
                                .collect::<Vec<_>>()
                                .join(" or ")
                        );
                    }
                }
                Err(other) => return Err(other),
            }
        }
        Err(Stop::Conflict(last))
    }

    /// Whether `entry` requires the fixed package in a range that excludes the fixed version.
    fn excludes_fixed(&self, entry: &IndexEntry) -> bool {
        let Some((fixed, to)) = &self.forced else {
            return false;
        };
        entry
            .dependencies
            .iter()
            .filter(|d| d.kind != DepKind::Dev && d.package_name() == fixed)
            .any(|d| Range::parse_cargo(&d.req).is_ok_and(|r| !r.matches(to)))
    }

    /// Makes one unresolved requirement hold: reuse is impossible (the pass found no fit), so
    /// add the highest fitting version, or move the compatible version in the graph to it
    /// when every package using that one accepts the move.
    fn satisfy(
        &self,
        nodes: &mut Vec<Node>,
        pass: &Pass,
        i: usize,
        dep: &RegistryDep,
    ) -> Result<(), Fail> {
        let name = dep.package_name();
        if self.forced.as_ref().is_some_and(|(f, _)| f == name) {
            return Err(Fail::Blocked {
                requirer: i,
                dep: Box::new(dep.clone()),
            });
        }
        let req = parse_req(&dep.req)?;
        let mut candidates: Vec<(Version, &IndexEntry)> = self
            .entries(name)?
            .iter()
            .filter(|e| !e.yanked)
            .filter_map(|e| Some((Version::parse(&e.version).ok()?, e)))
            .filter(|(v, _)| req.matches(v))
            .collect();
        // Highest first, but releases whose own requirements exclude the fixed version last.
        candidates.sort_by_key(|(v, e)| (self.excludes_fixed(e), std::cmp::Reverse(v.clone())));
        let mut blockers: Vec<(usize, String)> = Vec::new();
        for (version, entry) in candidates {
            let Some(j) = nodes.iter().position(|n| {
                n.kind == Kind::CratesIo && n.name == name && compatible(&n.version, &version)
            }) else {
                nodes.push(Node {
                    name: name.to_string(),
                    version,
                    text: entry.version.clone(),
                    kind: Kind::CratesIo,
                    old: None,
                    locked: Vec::new(),
                });
                return Ok(());
            };
            let mut fits = true;
            for (k, list) in pass.edges.iter().enumerate() {
                for (target, r) in list {
                    if *target != j || !pass.reachable[k] {
                        continue;
                    }
                    let ok = !r.is_empty() && parse_req(r)?.matches(&version);
                    if !ok {
                        fits = false;
                        let blocker = (
                            k,
                            if r.is_empty() {
                                "its locked version".to_string()
                            } else {
                                r.clone()
                            },
                        );
                        if !blockers.contains(&blocker) {
                            blockers.push(blocker);
                        }
                    }
                }
            }
            if fits {
                nodes[j].version = version;
                nodes[j].text.clone_from(&entry.version);
                return Ok(());
            }
        }
        let requirer = nodes[i].label();
        let message = match blockers.first() {
            Some((k, r)) => format!(
                "{requirer} needs {name} {} but {} requires {r}",
                dep.req,
                nodes[*k].label()
            ),
            None => format!(
                "{requirer} needs {name} {} but the registry has no such version that is not yanked",
                dep.req
            ),
        };
        Err(Fail::Conflict {
            message,
            package: name.to_string(),
            wanted: dep.req.clone(),
            blockers: blockers.into_iter().map(|(k, _)| k).collect(),
        })
    }
}

#[cfg(test)]
mod tests;
