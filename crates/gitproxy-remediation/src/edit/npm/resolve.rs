//! Moves one package of a `package-lock.json` (v2/v3 `packages`) to a new version the way npm's
//! resolver would: the new version's dependencies from the registry, each resolved by walking
//! up `node_modules` from the package; entries that satisfy are reused, missing ones placed as
//! high as they go without conflict (hoisted, or nested under the package), an incompatible
//! entry replaced when everything that uses it accepts the new one; entries nothing reaches any
//! more are dropped and the `dev`/`optional`/`peer` flags recomputed. A package that depends on
//! the moved one and does not accept the new version gets its own nested copy of a version it
//! accepts, as npm places it ([`Kept`]); when no placement satisfies every range (the project
//! itself rejects it, say), the edit fails naming the range.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use super::tree::J;
use crate::json;
use crate::registry::Registry;
use crate::version::{Requirement, Version};
use crate::{Ecosystem, Error};

/// The `packages` map of a lockfile: location -> entry.
pub(in crate::edit) type Packages = BTreeMap<String, J>;

/// How a dependency edge is declared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Prod,
    Dev,
    Optional,
    Peer,
    PeerOptional,
}

impl Kind {
    fn peer(self) -> bool {
        matches!(self, Kind::Peer | Kind::PeerOptional)
    }
    fn optional(self) -> bool {
        matches!(self, Kind::Optional | Kind::PeerOptional)
    }
}

struct Edge {
    name: String,
    spec: String,
    kind: Kind,
}

/// Why a lockfile cannot be moved: the reason names the exact conflicting range.
pub(in crate::edit) struct Conflict(pub(in crate::edit) String);

/// A dependent that rejects the new version and keeps a nested copy of one it accepts.
#[derive(Debug, PartialEq, Eq)]
pub(in crate::edit) struct Kept {
    /// The dependent's location.
    pub(in crate::edit) from: String,
    /// Its range on the moved package.
    pub(in crate::edit) spec: String,
    /// Where its copy sits and at which version.
    pub(in crate::edit) at: String,
    pub(in crate::edit) version: String,
}

/// A location that is not inside some `node_modules` (the project, a workspace).
pub(in crate::edit) fn is_top(key: &str) -> bool {
    key.is_empty() || !key.starts_with("node_modules/") && !key.contains("/node_modules/")
}

/// The location whose `node_modules` holds `key`.
fn parent(key: &str) -> &str {
    match key.rfind("/node_modules/") {
        Some(i) => &key[..i],
        None => "",
    }
}

/// Where `name` sits in the `node_modules` of `at`.
pub(in crate::edit) fn slot(at: &str, name: &str) -> String {
    if at.is_empty() {
        format!("node_modules/{name}")
    } else {
        format!("{at}/node_modules/{name}")
    }
}

/// How deep a location sits: the number of `node_modules` on its path.
pub(in crate::edit) fn depth(key: &str) -> usize {
    key.matches("node_modules/").count()
}

/// A location ordered as npm orders paths.
#[derive(PartialEq, Eq)]
pub(in crate::edit) struct Collated(pub(in crate::edit) String);

impl Ord for Collated {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        super::tree::collate(&self.0, &other.0).then_with(|| self.0.cmp(&other.0))
    }
}

impl PartialOrd for Collated {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// The package name of a location.
pub(in crate::edit) fn name_of(key: &str) -> &str {
    match key.rfind("node_modules/") {
        Some(i) => &key[i + "node_modules/".len()..],
        None => key,
    }
}

/// The dependency edges of the entry at `key` (a link's are its target's).
fn edges(packages: &Packages, key: &str) -> Vec<Edge> {
    let Some(mut entry) = packages.get(key) else {
        return Vec::new();
    };
    if entry.get("link").is_some() {
        match entry
            .get("resolved")
            .and_then(J::as_str)
            .and_then(|t| packages.get(t))
        {
            Some(target) => entry = target,
            None => return Vec::new(),
        }
    }
    let mut out: Vec<Edge> = Vec::new();
    let mut add = |section: &str, kind: &dyn Fn(&str) -> Kind| {
        for (name, spec) in entry.get(section).map(J::members).unwrap_or(&[]) {
            let spec = spec.as_str().unwrap_or("*").to_string();
            out.retain(|e| e.name != *name);
            out.push(Edge {
                name: name.clone(),
                spec,
                kind: kind(name),
            });
        }
    };
    let meta = entry.get("peerDependenciesMeta");
    add("peerDependencies", &|n| {
        let optional = meta
            .and_then(|m| m.get(n))
            .and_then(|m| m.get("optional"))
            .is_some_and(|o| matches!(o, J::Raw(r) if r == "true"));
        if optional {
            Kind::PeerOptional
        } else {
            Kind::Peer
        }
    });
    if is_top(key) {
        add("devDependencies", &|_| Kind::Dev);
    }
    add("dependencies", &|_| Kind::Prod);
    add("optionalDependencies", &|_| Kind::Optional);
    out.sort_by(|a, b| super::tree::collate(&a.name, &b.name));
    out
}

/// Where the edge `name` of `from` resolves: the nearest `node_modules` on the way up.
pub(in crate::edit) fn resolve(
    packages: &Packages,
    from: &str,
    name: &str,
    peer: bool,
) -> Option<String> {
    let mut at = if peer && !is_top(from) {
        parent(from)
    } else {
        from
    };
    loop {
        let candidate = slot(at, name);
        if packages.contains_key(&candidate) {
            return Some(candidate);
        }
        if at.is_empty() {
            return None;
        }
        at = if is_top(at) { "" } else { parent(at) };
    }
}

/// Whether `version` satisfies `spec`; specs that are not registry ranges (tags, URLs, aliases)
/// are left to npm and count as satisfied.
pub(in crate::edit) fn accepts(spec: &str, version: &str) -> bool {
    let (Ok(range), Ok(v)) = (
        Requirement::parse(Ecosystem::Npm, spec),
        Version::parse(Ecosystem::Npm, version),
    ) else {
        return true;
    };
    range.matches(&v)
}

pub(in crate::edit) fn version_of(packages: &Packages, key: &str) -> Option<String> {
    packages
        .get(key)
        .and_then(|e| e.get("version"))
        .and_then(J::as_str)
        .map(String::from)
}

/// The overrides of the project's `package.json` that replace a package's range everywhere.
pub(in crate::edit) fn simple_overrides(manifest: Option<&str>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let Some(root) = manifest.and_then(|t| json::parse(t).ok()) else {
        return out;
    };
    if let Some(overrides) = root.get("overrides") {
        for m in overrides.members() {
            if let Some(spec) = m.value.as_str() {
                out.insert(m.key.clone(), spec.to_string());
            }
        }
    }
    out
}

/// Whether a placement may replace an entry other packages still resolve to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(in crate::edit) enum Reuse {
    /// npm: when every package that uses it accepts the new version (they share it).
    Npm,
    /// Bun: never; a package keeps what it resolved to until it moves itself, and the new
    /// version goes elsewhere (the Bun edit lays the tree out again afterwards).
    Bun,
}

/// Moves the package at `key` to `to`, as described in the module documentation.
pub(in crate::edit) struct Mover<'a> {
    pub(in crate::edit) registry: &'a dyn Registry,
    pub(in crate::edit) reuse: Reuse,
    pub(in crate::edit) overrides: BTreeMap<String, String>,
    pub(in crate::edit) packages: Packages,
}

impl Mover<'_> {
    fn spec_for<'s>(&'s self, edge: &'s Edge) -> &'s str {
        self.overrides
            .get(&edge.name)
            .map(String::as_str)
            .unwrap_or(&edge.spec)
    }

    /// Every edge (from, spec) that resolves to `key`, from packages the project still reaches
    /// (npm drops the old dependencies of a replaced package before they could conflict).
    pub(in crate::edit) fn dependents(&self, key: &str) -> Vec<(String, String)> {
        let name = name_of(key);
        let reached = reachable(&self.packages);
        let mut out = Vec::new();
        for from in self.packages.keys().filter(|k| reached.contains(*k)) {
            for edge in edges(&self.packages, from) {
                if edge.name == name
                    && resolve(&self.packages, from, name, edge.kind.peer()).as_deref() == Some(key)
                {
                    out.push((from.clone(), self.spec_for(&edge).to_string()));
                }
            }
        }
        out
    }

    /// The lockfile entry npm writes for `name@version`, from the registry's metadata.
    async fn entry(&self, name: &str, version: &str) -> Result<Result<J, Conflict>, Error> {
        let Some(text) = self.registry.npm_manifest(name, version).await? else {
            return Ok(Err(Conflict(format!(
                "the npm registry gave no metadata for {name}@{version}"
            ))));
        };
        let Ok(node) = json::parse(&text) else {
            return Ok(Err(Conflict(format!(
                "the npm registry's metadata for {name}@{version} is not JSON"
            ))));
        };
        let manifest = J::from_node(&text, &node);
        let mut entry = J::Obj(vec![("version".into(), J::Str(version.into()))]);
        let dist = manifest.get("dist");
        if let Some(tarball) = dist
            .and_then(|d| d.get("tarball"))
            .filter(|t| t.is_truthy())
        {
            entry.set("resolved", tarball.clone());
        }
        let integrity = match dist.and_then(|d| d.get("integrity")) {
            Some(i) => Some(i.clone()),
            None => self
                .registry
                .digests(Ecosystem::Npm, name, version)
                .await?
                .into_iter()
                .next()
                .map(|d| J::Str(d.value)),
        };
        if let Some(integrity) = integrity {
            entry.set("integrity", integrity);
        }
        let optional: BTreeSet<String> = manifest
            .get("optionalDependencies")
            .map(|o| o.members().iter().map(|(k, _)| k.clone()).collect())
            .unwrap_or_default();
        for key in [
            "dependencies",
            "peerDependencies",
            "peerDependenciesMeta",
            "optionalDependencies",
            "bundleDependencies",
            "acceptDependencies",
            "funding",
            "engines",
            "os",
            "cpu",
            "libc",
            "license",
            "hasInstallScript",
            "bin",
            "deprecated",
        ] {
            let Some(mut value) = manifest.get(key).cloned() else {
                continue;
            };
            match key {
                "dependencies" => {
                    if let J::Obj(members) = &mut value {
                        members.retain(|(k, _)| !optional.contains(k));
                    }
                }
                "license" => {
                    if let Some(t) = value.get("type").cloned() {
                        value = t;
                    }
                }
                "bin" => value = normalize_bin(name, value),
                _ => {}
            }
            if value.is_truthy() {
                entry.set(key, value);
            }
        }
        if manifest.get("_hasShrinkwrap").is_some_and(J::is_truthy) {
            entry.set("hasShrinkwrap", J::Raw("true".into()));
        }
        Ok(Ok(entry))
    }

    /// The highest published, not deprecated version of `name` that `spec` accepts.
    async fn pick(&self, name: &str, spec: &str) -> Result<Option<String>, Error> {
        let Ok(range) = Requirement::parse(Ecosystem::Npm, spec) else {
            return Ok(None);
        };
        let mut best: Option<(Version, String)> = None;
        for v in self.registry.versions(Ecosystem::Npm, name).await? {
            let Ok(parsed) = Version::parse(Ecosystem::Npm, &v.version) else {
                continue;
            };
            if v.yanked || parsed.is_prerelease() || !range.matches(&parsed) {
                continue;
            }
            if best.as_ref().is_none_or(|(b, _)| parsed > *b) {
                best = Some((parsed, v.version));
            }
        }
        Ok(best.map(|(_, v)| v))
    }

    /// Moves the entry at `key` to `to`; the result is in `self.packages`, and the dependents
    /// that keep a nested copy of another version are returned.
    pub(in crate::edit) async fn move_to(
        &mut self,
        key: &str,
        to: &str,
    ) -> Result<Result<Vec<Kept>, Conflict>, Error> {
        let name = name_of(key).to_string();
        let before: BTreeSet<String> = reachable(&self.packages);
        let broken_before: BTreeSet<(String, String)> =
            self.broken().into_iter().map(|(edge, _)| edge).collect();
        let mut rejecting = Vec::new();
        for (from, spec) in self.dependents(key) {
            // Entries npm would prune anyway (nothing reaches them) do not count.
            if !before.contains(&from) || accepts(&spec, to) {
                continue;
            }
            // npm replaces the entry and nests a copy for the dependent, unless the dependent
            // is the project (or a workspace), or the moved entry already is its own nested one.
            if is_top(&from) || key == slot(&from, &name) {
                return Ok(Err(Conflict(format!(
                    "{} requires {name}@{spec}, which {to} does not satisfy",
                    describe(&from)
                ))));
            }
            rejecting.push((from, spec));
        }
        let mut entry = match self.entry(&name, to).await? {
            Ok(e) => e,
            Err(c) => return Ok(Err(c)),
        };
        if entry.get("resolved").is_none() {
            // A registry that names no tarball: the old URL with the new version in it.
            let old = self.packages.get(key);
            let from = old.and_then(|e| e.get("version")).and_then(J::as_str);
            let url = old.and_then(|e| e.get("resolved")).and_then(J::as_str);
            if let (Some(from), Some(url)) = (from, url) {
                let base = name.rsplit('/').next().unwrap_or(&name);
                let new = url.replace(&format!("/{base}-{from}.tgz"), &format!("/{base}-{to}.tgz"));
                entry.set("resolved", J::Str(new));
            }
        }
        self.packages.insert(key.to_string(), entry);
        // npm works through packages by depth, then path.
        let mut queue: BTreeSet<(usize, Collated)> = BTreeSet::new();
        queue.insert((depth(key), Collated(key.to_string())));
        for (from, _) in &rejecting {
            queue.insert((depth(from), Collated(from.clone())));
        }
        let mut placed = 0usize;
        while let Some((_, Collated(at))) = queue.pop_first() {
            let only_moved = rejecting.iter().any(|(from, _)| *from == at) && at != key;
            for edge in edges(&self.packages, &at) {
                // A rejecting dependent's other edges are left as they were.
                if only_moved && edge.name != name {
                    continue;
                }
                let spec = self.spec_for(&edge).to_string();
                let current = resolve(&self.packages, &at, &edge.name, edge.kind.peer());
                if let Some(current) = &current {
                    let version = version_of(&self.packages, current).unwrap_or_default();
                    if accepts(&spec, &version) {
                        continue;
                    }
                } else if edge.kind == Kind::PeerOptional {
                    continue;
                }
                placed += 1;
                if placed > 10_000 {
                    return Ok(Err(Conflict("the dependency graph does not settle".into())));
                }
                match self.place(&at, &edge, &spec).await? {
                    Ok(new_key) => {
                        queue.insert((depth(&new_key), Collated(new_key)));
                    }
                    Err(c) if edge.kind == Kind::Optional => {
                        tracing::debug!(reason = c.0, "optional dependency left out");
                    }
                    Err(c) => return Ok(Err(c)),
                }
            }
        }
        let after = reachable(&self.packages);
        self.packages
            .retain(|k, _| is_top(k) || after.contains(k) || !before.contains(k));
        self.fix_flags(&after);
        if let Err(c) = self.check(&broken_before)? {
            return Ok(Err(c));
        }
        let mut kept = Vec::new();
        for (from, spec) in rejecting {
            let Some(at) = resolve(&self.packages, &from, &name, false) else {
                continue;
            };
            let version = version_of(&self.packages, &at).unwrap_or_default();
            kept.push(Kept {
                from,
                spec,
                at,
                version,
            });
        }
        Ok(Ok(kept))
    }

    /// Places a version of `edge.name` that `spec` accepts for the package at `from`.
    async fn place(
        &mut self,
        from: &str,
        edge: &Edge,
        spec: &str,
    ) -> Result<Result<String, Conflict>, Error> {
        let name = &edge.name;
        let Some(version) = self.pick(name, spec).await? else {
            return Ok(Err(Conflict(format!(
                "no published version of {name} satisfies {spec}, which {} requires",
                describe(from)
            ))));
        };
        let mut at = if edge.kind.peer() && !is_top(from) {
            parent(from).to_string()
        } else {
            from.to_string()
        };
        let mut target = None;
        loop {
            let candidate = slot(&at, name);
            if self.packages.contains_key(&candidate) {
                // Replace it with a version no lower when everything that uses it accepts that.
                let current = version_of(&self.packages, &candidate).unwrap_or_default();
                let not_lower = Version::compare_str(Ecosystem::Npm, &version, &current)
                    .is_none_or(|o| o.is_ge());
                let dependents = self.dependents(&candidate);
                let replaceable = match self.reuse {
                    Reuse::Npm => not_lower && dependents.iter().all(|(_, s)| accepts(s, &version)),
                    // Only the package being placed for (which moves) may lose what it used.
                    Reuse::Bun => dependents.iter().all(|(d, _)| d == from),
                };
                if replaceable {
                    target = Some(candidate);
                }
                break;
            }
            if self.shadows_safely(&at, name, &version) {
                target = Some(candidate);
            } else {
                break;
            }
            if at.is_empty() {
                break;
            }
            at = if is_top(&at) {
                String::new()
            } else {
                parent(&at).to_string()
            };
        }
        let Some(target) = target else {
            return Ok(Err(Conflict(format!(
                "{name}@{version} for {} cannot be placed without breaking another package's range",
                describe(from)
            ))));
        };
        let entry = match self.entry(name, &version).await? {
            Ok(e) => e,
            Err(c) => return Ok(Err(c)),
        };
        self.packages.insert(target.clone(), entry);
        self.dedupe_below(&target);
        Ok(Ok(target))
    }

    /// Drops copies of the package placed at `placed` nested deeper under the same location
    /// that the placed one (or another above them) now serves as well, as npm does after a
    /// placement.
    fn dedupe_below(&mut self, placed: &str) {
        let name = name_of(placed).to_string();
        let prefix = match parent(placed) {
            "" => String::new(),
            p => format!("{p}/"),
        };
        let nested: Vec<String> = self
            .packages
            .keys()
            .filter(|k| k.as_str() != placed && k.starts_with(&prefix) && name_of(k) == name)
            .filter(|k| !is_top(parent(k)))
            .cloned()
            .collect();
        for key in nested {
            if !self.packages.contains_key(&key) {
                continue;
            }
            let users = self.dependents(&key);
            let mine = version_of(&self.packages, &key).unwrap_or_default();
            let dedupe = users.is_empty() || {
                let above = parent(parent(&key));
                let above = if is_top(parent(&key)) { "" } else { above };
                match resolve(&self.packages, above, &name, false)
                    .and_then(|o| version_of(&self.packages, &o))
                {
                    Some(other) => {
                        users.iter().all(|(_, s)| accepts(s, &other))
                            && Version::compare_str(Ecosystem::Npm, &other, &mine)
                                .is_some_and(|o| o.is_ge())
                    }
                    None => false,
                }
            };
            if dedupe {
                let below = format!("{key}/");
                self.packages
                    .retain(|k, _| k != &key && !k.starts_with(&below));
            }
        }
    }

    /// Whether a new `name@version` in the `node_modules` of `at` keeps every package below `at`
    /// that would now resolve to it satisfied.
    fn shadows_safely(&self, at: &str, name: &str, version: &str) -> bool {
        let prefix = if at.is_empty() {
            String::new()
        } else {
            format!("{at}/")
        };
        let new_slot = slot(at, name);
        let reached = reachable(&self.packages);
        for from in self.packages.keys().filter(|k| reached.contains(*k)) {
            if !from.starts_with(&prefix) || is_top(from) && !at.is_empty() {
                continue;
            }
            for edge in edges(&self.packages, from) {
                if edge.name != *name {
                    continue;
                }
                let now = resolve(&self.packages, from, name, edge.kind.peer());
                let below = now.as_ref().is_some_and(|k| {
                    k.len() > new_slot.len() && k.starts_with(&prefix) && k != &new_slot
                });
                if !below && !accepts(self.spec_for(&edge), version) {
                    return false;
                }
            }
        }
        true
    }

    /// Recomputes `dev`, `optional`, `devOptional` and `peer` as npm does: a flag stays only on
    /// packages reached solely through edges of that kind.
    fn fix_flags(&mut self, reached: &BTreeSet<String>) {
        #[derive(Clone, Copy, PartialEq, Eq)]
        struct Flags {
            dev: bool,
            optional: bool,
            dev_optional: bool,
            peer: bool,
        }
        let all = Flags {
            dev: true,
            optional: true,
            dev_optional: true,
            peer: true,
        };
        let none = Flags {
            dev: false,
            optional: false,
            dev_optional: false,
            peer: false,
        };
        let mut flags: BTreeMap<String, Flags> = BTreeMap::new();
        let mut queue = VecDeque::new();
        for key in self.packages.keys() {
            if is_top(key) {
                flags.insert(key.clone(), none);
                queue.push_back(key.clone());
            } else if reached.contains(key) {
                flags.insert(key.clone(), all);
            }
        }
        while let Some(from) = queue.pop_front() {
            let f = flags[&from];
            for edge in edges(&self.packages, &from) {
                let Some(to) = resolve(&self.packages, &from, &edge.name, edge.kind.peer()) else {
                    continue;
                };
                let (dev, optional, peer) = (
                    edge.kind == Kind::Dev,
                    edge.kind.optional(),
                    edge.kind.peer(),
                );
                let unset_dev_opt = !f.dev_optional && !f.dev && !f.optional && !dev && !optional;
                let Some(t) = flags.get_mut(&to) else {
                    continue;
                };
                let old = *t;
                if unset_dev_opt {
                    t.dev_optional = false;
                }
                if unset_dev_opt || !f.dev && !dev {
                    t.dev = false;
                }
                if unset_dev_opt || !f.optional && !optional {
                    t.optional = false;
                }
                if !f.peer && !peer {
                    t.peer = false;
                }
                if *t != old {
                    queue.push_back(to);
                }
            }
        }
        for (key, f) in flags {
            if is_top(&key) {
                continue;
            }
            let Some(entry) = self.packages.get_mut(&key) else {
                continue;
            };
            for k in ["dev", "optional", "devOptional", "peer", "extraneous"] {
                entry.remove(k);
            }
            let yes = || J::Raw("true".into());
            if f.peer {
                entry.set("peer", yes());
            }
            if f.dev {
                entry.set("dev", yes());
            }
            if f.optional {
                entry.set("optional", yes());
            }
            if f.dev_optional && !f.dev && !f.optional {
                entry.set("devOptional", yes());
            }
        }
    }

    /// The edges whose package does not resolve to a version their range accepts:
    /// `(from, name)` and what is wrong.
    fn broken(&self) -> Vec<((String, String), String)> {
        let mut out = Vec::new();
        for from in self.packages.keys() {
            for edge in edges(&self.packages, from) {
                let spec = self.spec_for(&edge);
                let what = match resolve(&self.packages, from, &edge.name, edge.kind.peer()) {
                    Some(to) => {
                        let version = version_of(&self.packages, &to).unwrap_or_default();
                        if accepts(spec, &version) {
                            continue;
                        }
                        format!("the lockfile would give it {version}")
                    }
                    None if edge.kind.optional() => continue,
                    None => "nothing in the lockfile provides it".to_string(),
                };
                let reason = format!(
                    "{} requires {}@{spec}, and {what}",
                    describe(from),
                    edge.name
                );
                out.push(((from.clone(), edge.name.clone()), reason));
            }
        }
        out
    }

    /// Every edge resolves to a version its range accepts, except those already broken in
    /// `before` (npm tolerates some, such as conflicting peers; they are not this fix's doing).
    fn check(&self, before: &BTreeSet<(String, String)>) -> Result<Result<(), Conflict>, Error> {
        match self
            .broken()
            .into_iter()
            .find(|(edge, _)| !before.contains(edge))
        {
            Some((_, reason)) => Ok(Err(Conflict(reason))),
            None => Ok(Ok(())),
        }
    }
}

/// The locations reached from the project (and its workspaces) through dependency edges.
pub(in crate::edit) fn reachable(packages: &Packages) -> BTreeSet<String> {
    let mut seen: BTreeSet<String> = packages.keys().filter(|k| is_top(k)).cloned().collect();
    let mut queue: VecDeque<String> = seen.iter().cloned().collect();
    while let Some(from) = queue.pop_front() {
        for edge in edges(packages, &from) {
            if let Some(to) = resolve(packages, &from, &edge.name, edge.kind.peer()) {
                if seen.insert(to.clone()) {
                    queue.push_back(to);
                }
            }
        }
    }
    seen
}

pub(in crate::edit) fn describe(key: &str) -> String {
    if key.is_empty() {
        "the project's package.json".to_string()
    } else if is_top(key) {
        format!("the workspace {key}")
    } else {
        format!("{} (at {key})", name_of(key))
    }
}

/// `bin` as npm records it: a map of command to path, without a leading `./`.
fn normalize_bin(name: &str, bin: J) -> J {
    let clean = |p: &str| p.trim_start_matches("./").to_string();
    match bin {
        J::Str(path) => {
            let command = name.rsplit('/').next().unwrap_or(name).to_string();
            J::Obj(vec![(command, J::Str(clean(&path)))])
        }
        J::Obj(members) => J::Obj(
            members
                .into_iter()
                .map(|(k, v)| match v {
                    J::Str(p) => (k, J::Str(clean(&p))),
                    other => (k, other),
                })
                .collect(),
        ),
        other => other,
    }
}

#[cfg(test)]
mod tests;
