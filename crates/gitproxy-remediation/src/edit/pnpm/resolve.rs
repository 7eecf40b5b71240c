//! Moves one package of a `pnpm-lock.yaml` to a new version as pnpm's resolver would: the new
//! version's entry from its registry manifest, each of its dependencies resolved to a version
//! the lockfile already holds when one satisfies the range (pnpm prefers locked versions), else
//! the highest published one, recursively; every reference to the old version retargeted, and
//! entries nothing reaches any more dropped. Peer-dependency wiring is left to pnpm: a move that
//! would change a peer suffix or what dependents pass on as transitive peers is refused with
//! the reason, and the caller names `pnpm install --lockfile-only` instead.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use super::model::{scalar, Model, Package, Ref, Snap};
use crate::analysis::pnpm::{split_key, Layout};
use crate::json::{self, Node};
use crate::registry::Registry;
use crate::version::{Requirement, Version};
use crate::{Ecosystem, Error};

/// Why the agent leaves a move to pnpm.
pub(super) struct Refused(pub(super) String);

/// A new entry waiting for its transitive peers.
struct Pending {
    key: String,
    manifest: String,
    deps: Vec<Ref>,
    tarball: bool,
}

pub(super) struct Mover<'a> {
    pub(super) registry: &'a dyn Registry,
    pub(super) model: Model,
}

fn manifest_map(root: &Node, field: &str) -> Vec<(String, String)> {
    root.get(field)
        .map(|o| {
            o.members()
                .iter()
                .map(|m| (m.key.clone(), m.value.as_str().unwrap_or("").to_string()))
                .collect()
        })
        .unwrap_or_default()
}

impl Mover<'_> {
    /// Versions of `name` the lockfile holds (no peer suffix).
    fn locked_versions(&self, name: &str) -> Vec<String> {
        self.model
            .snaps
            .keys()
            .filter(|k| !k.contains('('))
            .filter_map(|k| {
                split_key(k)
                    .filter(|(n, _)| *n == name)
                    .map(|(_, v)| v.to_string())
            })
            .collect()
    }

    /// The version a range resolves to: the highest locked one it accepts, else the highest
    /// published one.
    async fn choose(&self, name: &str, range: &str) -> Result<Result<String, Refused>, Error> {
        let Ok(req) = Requirement::parse(Ecosystem::Npm, range) else {
            return Ok(Err(Refused(format!(
                "the range `{range}` on {name} is not a registry range"
            ))));
        };
        let best = |list: Vec<String>| {
            list.into_iter()
                .filter_map(|v| Some((Version::parse(Ecosystem::Npm, &v).ok()?, v)))
                .filter(|(v, _)| req.matches(v))
                .max()
                .map(|(_, v)| v)
        };
        if let Some(v) = best(self.locked_versions(name)) {
            return Ok(Ok(v));
        }
        let published = self.registry.versions(Ecosystem::Npm, name).await?;
        let live: Vec<String> = published
            .iter()
            .filter(|v| !v.yanked)
            .map(|v| v.version.clone())
            .collect();
        let all: Vec<String> = published.into_iter().map(|v| v.version).collect();
        match best(live).or_else(|| best(all)) {
            Some(v) => Ok(Ok(v)),
            None => Ok(Err(Refused(format!(
                "no published version of {name} satisfies `{range}`"
            )))),
        }
    }

    /// Moves every `name@from` entry to `to`. `force` retargets references whatever their
    /// parents' ranges (an override); `tarball` writes resolution tarballs as the old entry did.
    pub(super) async fn move_to(
        &mut self,
        name: &str,
        from: &str,
        to: &str,
        force: bool,
    ) -> Result<Result<(), Refused>, Error> {
        let old_id = format!("{name}@{from}");
        let new_id = format!("{name}@{to}");
        let old_keys: Vec<String> = self
            .model
            .snaps
            .keys()
            .filter(|k| split_key(k).is_some_and(|(n, v)| n == name && v == from))
            .cloned()
            .collect();
        if old_keys.iter().any(|k| k.contains('(')) {
            return Ok(Err(Refused(format!(
                "{old_id} is wired with peer dependencies, which pnpm resolves"
            ))));
        }
        let tarball = self.model.packages.get(&old_id).is_some_and(|p| p.tarball);
        let override_of = force.then(|| (name.to_string(), to.to_string()));
        if let Err(r) = self.ensure(&new_id, tarball, override_of.as_ref()).await? {
            return Ok(Err(r));
        }
        // Every reference to the old version now names the new one.
        for snap in self.model.snaps.values_mut() {
            for r in &mut snap.deps {
                if r.key().as_deref() == Some(old_id.as_str()) {
                    let new_ref = if r.reference.contains('@') {
                        new_id.clone()
                    } else {
                        to.to_string()
                    };
                    snap.retarget
                        .push((r.name.clone(), r.reference.clone(), new_ref.clone()));
                    r.reference = new_ref;
                }
            }
        }
        Ok(self.settle_peers(&new_id))
    }

    /// Recomputes `transitivePeerDependencies` of `key` and everything that depends on it, as
    /// pnpm derives them: what the dependencies pass on that the package neither depends on
    /// nor declares as its own peer. A changed entry wired with peer suffixes is left to pnpm.
    fn settle_peers(&mut self, key: &str) -> Result<(), Refused> {
        let mut affected: BTreeSet<String> = BTreeSet::from([key.to_string()]);
        loop {
            let before = affected.len();
            for (k, s) in &self.model.snaps {
                if s.deps
                    .iter()
                    .any(|d| d.key().is_some_and(|dk| affected.contains(&dk)))
                {
                    affected.insert(k.clone());
                }
            }
            if affected.len() == before {
                break;
            }
        }
        let mut computed: BTreeMap<String, BTreeSet<String>> = affected
            .iter()
            .map(|k| (k.clone(), BTreeSet::new()))
            .collect();
        loop {
            let mut changed = false;
            for k in &affected {
                let Some(snap) = self.model.snaps.get(k) else {
                    continue;
                };
                let mut set = BTreeSet::new();
                for d in &snap.deps {
                    let Some(dk) = d.key() else { continue };
                    let id = split_key(&dk).map(|(n, v)| format!("{n}@{v}"));
                    if let Some(p) = id.and_then(|id| self.model.packages.get(&id)) {
                        set.extend(p.peers.iter().cloned());
                    }
                    match computed.get(&dk) {
                        Some(c) => set.extend(c.iter().cloned()),
                        None => set.extend(
                            self.model
                                .snaps
                                .get(&dk)
                                .map(|s| s.transitive_peers.clone())
                                .unwrap_or_default(),
                        ),
                    }
                }
                for d in &snap.deps {
                    set.remove(&d.name);
                }
                let own = split_key(k).map(|(n, v)| format!("{n}@{v}"));
                if let Some(p) = own.and_then(|id| self.model.packages.get(&id)) {
                    for peer in &p.peers {
                        set.remove(peer);
                    }
                }
                if computed.get(k) != Some(&set) {
                    computed.insert(k.clone(), set);
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        for (k, set) in computed {
            let Some(snap) = self.model.snaps.get_mut(&k) else {
                continue;
            };
            if snap.transitive_peers == set {
                continue;
            }
            if k.contains('(') {
                return Err(Refused(format!(
                    "the peer dependencies {k} passes on would change, and its peer wiring is pnpm's to resolve"
                )));
            }
            snap.transitive_peers = set;
            snap.peers_changed = true;
        }
        Ok(())
    }

    /// The peers a package passes on to its dependents: its own and its transitive ones.
    fn passed_on(&self, id: &str) -> BTreeSet<String> {
        let mut out = self
            .model
            .packages
            .get(id)
            .map(|p| p.peers.clone())
            .unwrap_or_default();
        if let Some(s) = self.model.snaps.get(id) {
            out.extend(s.transitive_peers.iter().cloned());
        }
        out
    }

    /// Adds `id` and whatever it needs that the lockfile lacks.
    async fn ensure(
        &mut self,
        id: &str,
        tarball: bool,
        override_of: Option<&(String, String)>,
    ) -> Result<Result<(), Refused>, Error> {
        let mut queue: VecDeque<String> = VecDeque::from([id.to_string()]);
        let mut pending: Vec<Pending> = Vec::new();
        while let Some(id) = queue.pop_front() {
            if self.model.snaps.contains_key(&id) || pending.iter().any(|p| p.key == id) {
                continue;
            }
            let Some((name, version)) = split_key(&id) else {
                continue;
            };
            let Some(text) = self.registry.npm_manifest(name, version).await? else {
                return Ok(Err(Refused(format!(
                    "the npm registry gave no metadata for {id}"
                ))));
            };
            let Ok(root) = json::parse(&text) else {
                return Ok(Err(Refused(format!(
                    "the npm registry's metadata for {id} is not JSON"
                ))));
            };
            let optional_peers: BTreeSet<String> = root
                .get("peerDependenciesMeta")
                .map(|m| {
                    m.members()
                        .iter()
                        .filter(|p| {
                            p.value
                                .get("optional")
                                .is_some_and(|o| &text[o.start..o.end] == "true")
                        })
                        .map(|p| p.key.clone())
                        .collect()
                })
                .unwrap_or_default();
            if let Some((peer, _)) = manifest_map(&root, "peerDependencies")
                .into_iter()
                .find(|(p, _)| !optional_peers.contains(p))
            {
                return Ok(Err(Refused(format!(
                    "{id} has the peer dependency {peer}, which pnpm resolves"
                ))));
            }
            let optional = manifest_map(&root, "optionalDependencies");
            let mut deps = Vec::new();
            for (dep, range, is_optional) in manifest_map(&root, "dependencies")
                .into_iter()
                .filter(|(d, _)| !optional.iter().any(|(o, _)| o == d))
                .map(|(d, r)| (d, r, false))
                .chain(optional.iter().cloned().map(|(d, r)| (d, r, true)))
            {
                let version = match override_of {
                    Some((n, v)) if *n == dep => v.clone(),
                    _ => match self.choose(&dep, &range).await? {
                        Ok(v) => v,
                        Err(r) => return Ok(Err(r)),
                    },
                };
                queue.push_back(format!("{dep}@{version}"));
                deps.push(Ref {
                    name: dep,
                    reference: version,
                    optional: is_optional,
                });
            }
            pending.push(Pending {
                key: id,
                manifest: text,
                deps,
                tarball,
            });
        }
        // Children were queued after their parents: settle them first.
        for p in pending.into_iter().rev() {
            let root = json::parse(&p.manifest).map_err(|(_, m)| crate::Error::Edit {
                file: "pnpm-lock.yaml".into(),
                reason: m,
            })?;
            let mut transitive = BTreeSet::new();
            for d in &p.deps {
                if let Some(k) = d.key() {
                    transitive.extend(self.passed_on(&k));
                }
            }
            for d in &p.deps {
                transitive.remove(&d.name);
            }
            let peers: BTreeSet<String> = manifest_map(&root, "peerDependencies")
                .into_iter()
                .map(|(k, _)| k)
                .collect();
            for own in &peers {
                transitive.remove(own);
            }
            let head = package_head(&p.key, &root, p.tarball, self.registry).await?;
            let snap = Snap {
                raw: None,
                deps: p.deps,
                transitive_peers: transitive,
                dev: (self.model.layout == Layout::V6).then_some(false),
                retarget: Vec::new(),
                peers_changed: false,
            };
            let text = self.model.entry_text(&p.key, &head, &snap);
            let (pkg_raw, snap_raw) = match self.model.layout {
                Layout::V9 => (Some(head.print(&self.model.written_key(&p.key))), text),
                Layout::V6 => (None, text),
            };
            self.model.packages.insert(
                p.key.clone(),
                Package {
                    raw: pkg_raw,
                    peers,
                    tarball: p.tarball,
                },
            );
            self.model.snaps.insert(
                p.key,
                Snap {
                    raw: Some(snap_raw),
                    ..snap
                },
            );
        }
        Ok(Ok(()))
    }

    /// Drops the entries no importer reaches; `roots` are the importers' snapshot keys.
    pub(super) fn prune(&mut self, roots: &[(String, bool)]) {
        let mut runtime = BTreeSet::new();
        let mut dev = BTreeSet::new();
        for (key, is_dev) in roots {
            self.walk(key, if *is_dev { &mut dev } else { &mut runtime });
        }
        self.model
            .snaps
            .retain(|k, _| runtime.contains(k) || dev.contains(k));
        let ids: BTreeSet<String> = self
            .model
            .snaps
            .keys()
            .filter_map(|k| split_key(k).map(|(n, v)| format!("{n}@{v}")))
            .collect();
        self.model.packages.retain(|k, _| ids.contains(k));
        if self.model.layout == Layout::V6 {
            for (k, snap) in &mut self.model.snaps {
                let flag = match (runtime.contains(k), dev.contains(k)) {
                    (true, false) => Some(false),
                    (false, true) => Some(true),
                    _ => None,
                };
                if flag.is_some() && snap.dev.is_some() {
                    snap.dev = flag;
                }
            }
        }
    }

    fn walk(&self, key: &str, seen: &mut BTreeSet<String>) {
        let mut stack = vec![key.to_string()];
        while let Some(k) = stack.pop() {
            if !seen.insert(k.clone()) {
                continue;
            }
            if let Some(s) = self.model.snaps.get(&k) {
                stack.extend(s.deps.iter().filter_map(Ref::key));
            }
        }
    }
}

/// The first half of an entry (what v9 keeps in `packages`), in pnpm's field order.
pub(super) struct Head {
    lines: Vec<String>,
}

impl Head {
    pub(super) fn print(&self, key: &str) -> String {
        let mut out = format!("  {key}:");
        if self.lines.is_empty() {
            out.push_str(" {}");
        }
        for l in &self.lines {
            out.push('\n');
            out.push_str(l);
        }
        out
    }
}

fn flow_map(pairs: &[(String, String)]) -> String {
    let inner: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{}: {}", scalar(k, true), scalar(v, true)))
        .collect();
    format!("{{{}}}", inner.join(", "))
}

async fn package_head(
    id: &str,
    root: &Node,
    tarball: bool,
    registry: &dyn Registry,
) -> Result<Head, Error> {
    let mut lines = Vec::new();
    let dist = root.get("dist");
    let integrity = match dist.and_then(|d| d.get("integrity")).and_then(Node::as_str) {
        Some(i) => Some(i.to_string()),
        None => {
            let (name, version) = split_key(id).unwrap_or((id, ""));
            registry
                .digests(Ecosystem::Npm, name, version)
                .await?
                .into_iter()
                .next()
                .map(|d| d.value)
        }
    };
    let mut resolution = Vec::new();
    if let Some(i) = integrity {
        resolution.push(("integrity".to_string(), i));
    }
    if tarball {
        if let Some(t) = dist.and_then(|d| d.get("tarball")).and_then(Node::as_str) {
            resolution.push(("tarball".to_string(), t.to_string()));
        }
    }
    lines.push(format!("    resolution: {}", flow_map(&resolution)));
    let engines = manifest_map(root, "engines");
    if !engines.is_empty() {
        lines.push(format!("    engines: {}", flow_map(&engines)));
    }
    for field in ["cpu", "os", "libc"] {
        let items: Vec<String> = root
            .get(field)
            .map(|a| {
                a.items()
                    .iter()
                    .filter_map(|i| i.as_str().map(|s| scalar(s, true)))
                    .collect()
            })
            .unwrap_or_default();
        if !items.is_empty() {
            lines.push(format!("    {field}: [{}]", items.join(", ")));
        }
    }
    if let Some(d) = root.get("deprecated").and_then(Node::as_str) {
        lines.push(format!("    deprecated: {}", scalar(d, false)));
    }
    let has_bin = match root.get("bin") {
        Some(b) => b.as_str().is_some_and(|s| !s.is_empty()) || !b.members().is_empty(),
        None => root.get("directories").and_then(|d| d.get("bin")).is_some(),
    };
    if has_bin {
        lines.push("    hasBin: true".into());
    }
    let peers = manifest_map(root, "peerDependencies");
    if !peers.is_empty() {
        lines.push("    peerDependencies:".into());
        for (k, v) in &peers {
            lines.push(format!("      {}: {}", scalar(k, false), scalar(v, false)));
        }
        if let Some(meta) = root.get("peerDependenciesMeta") {
            lines.push("    peerDependenciesMeta:".into());
            for m in meta.members() {
                lines.push(format!("      {}:", scalar(&m.key, false)));
                lines.push("        optional: true".into());
            }
        }
    }
    Ok(Head { lines })
}

impl Model {
    /// The text of a generated entry: for v9 the `snapshots` block, for v6 the whole
    /// `packages` block (head and wiring).
    fn entry_text(&self, id: &str, head: &Head, snap: &Snap) -> String {
        let key = self.written_key(id);
        let mut lines: Vec<String> = match self.layout {
            Layout::V6 => head.lines.clone(),
            Layout::V9 => Vec::new(),
        };
        for (section, optional) in [("dependencies", false), ("optionalDependencies", true)] {
            let mut deps: BTreeMap<&str, &str> = BTreeMap::new();
            for d in snap.deps.iter().filter(|d| d.optional == optional) {
                deps.insert(&d.name, &d.reference);
            }
            if !deps.is_empty() {
                lines.push(format!("    {section}:"));
                for (n, r) in deps {
                    lines.push(format!("      {}: {}", scalar(n, false), scalar(r, false)));
                }
            }
        }
        if !snap.transitive_peers.is_empty() {
            lines.push("    transitivePeerDependencies:".into());
            for p in &snap.transitive_peers {
                lines.push(format!("      - {}", scalar(p, false)));
            }
        }
        if self.layout == Layout::V6 {
            lines.push(format!("    dev: {}", snap.dev.unwrap_or(false)));
        }
        Head { lines }.print(&key)
    }
}
