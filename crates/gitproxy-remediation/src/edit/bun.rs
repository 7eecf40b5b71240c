//! Bun edits: `package.json` ranges and `overrides`, and `bun.lock` rewritten as Bun writes it.
//! The lockfile's slots are the `node_modules` tree npm's `package-lock.json` records (`send/ms`
//! is `node_modules/send/node_modules/ms`), so the move itself is npm's resolver (`npm/resolve.rs`,
//! with the dependent bump of `npm/climb.rs`): the new version's dependencies from the registry,
//! reused where an entry satisfies them, placed as high as they go. What changed is printed as
//! Bun prints an entry (`["name@version", registry, { dependencies, optionalDependencies,
//! peerDependencies, optionalPeers, os, cpu, bin }, integrity]`, slots ordered by depth, then
//! parent, then name); every other line is kept as it was. Only a lockfile this printer
//! reproduces byte for byte is rewritten; workspaces, non-registry entries, aliases and anything
//! else are left to Bun with the reason and the command.

use super::npm::resolve::{is_top, simple_overrides, Conflict, Mover, Packages, Reuse};
use super::npm::tree::J;
use super::npm::{npm_manifest_bump, npm_override, report_climb};
use super::{edit_error, splice, Work};
use crate::analysis::bun::{read_lock, split_ident, GROUPS};
use crate::analysis::Dependency;
use crate::files::{dir_of, join};
use crate::json::{self, Node, Value};
use crate::plan::{PackageFix, Tier};
use crate::registry::Registry;
use crate::Error;
use entry::{canonical_line, printed_entry};

/// The flags npm's resolver keeps on an entry that Bun does not record.
const NPM_FLAGS: [&str; 4] = ["dev", "optional", "devOptional", "peer"];

pub(super) async fn edit(
    work: &mut Work,
    fix: &PackageFix,
    dep: &Dependency,
    registry: &dyn Registry,
) -> Result<(), Error> {
    let lock_path = dep.location.file.clone();
    let manifest_path = join(dir_of(&lock_path), "package.json");
    let from = dep.version.clone().unwrap_or_default();
    let to = fix.to.as_str();
    let mut new_range = None;
    // The workspace whose package.json declares the dependency (`""`: the project).
    let member = dep
        .declared_in
        .as_ref()
        .map(|d| dir_of(&d.file))
        .and_then(|d| d.strip_prefix(dir_of(&lock_path)))
        .map(|d| d.trim_start_matches('/').to_string())
        .unwrap_or_default();
    if fix.tier == Tier::ManifestBump && dep.direct {
        let declared = dep
            .declared_in
            .clone()
            .unwrap_or_else(|| dep.location.clone());
        if declared.file.ends_with("package.json") {
            new_range = Some(npm_manifest_bump(
                work,
                &declared.file,
                declared.line,
                &dep.name,
                to,
            )?);
        }
    }
    let forced = fix.tier == Tier::Override && !dep.direct;
    if let Some(command) = fix.lockfile.command() {
        if forced {
            npm_override(work, &manifest_path, &dep.name, to)?;
        }
        work.out.needs_package_manager = true;
        work.out.note(format!(
            "{lock_path} needs the new version's integrity and dependencies, which no configured npm registry gave: run `{command}` on this branch to relock"
        ));
        return Ok(());
    }
    let text = work.text(&lock_path)?;
    let lock = Bun::read(&text, &lock_path)?;
    if let Err(why) = lock
        .editable()
        .and_then(|()| hoist::holds(&lock.packages, &lock.keys))
    {
        return left_to_bun(work, &lock_path, &manifest_path, dep, to, forced, &why);
    }
    let left = lock
        .packages
        .iter()
        .any(|(k, e)| slot_name(k) == dep.name && version(e) == Some(from.as_str()));
    if !left {
        // An earlier occurrence's edit moved every entry already.
        return Ok(());
    }
    let mut packages = lock.packages.clone();
    if let Some(range) = &new_range {
        if let Some(root) = packages.get_mut(&member) {
            for (group, _) in GROUPS {
                if let Some(deps) = root.get_mut(group) {
                    if deps.get(&dep.name).is_some() {
                        deps.set(&dep.name, J::Str(range.clone()));
                    }
                }
            }
        }
    }
    let manifest = work.text(&manifest_path).ok();
    let mut mover = Mover {
        registry,
        reuse: Reuse::Bun,
        overrides: simple_overrides(manifest.as_deref()),
        packages: packages.clone(),
    };
    let mut overridden = false;
    let climbed = match mover.fix(&dep.name, &from, to, &fix.fixed_versions).await? {
        Ok(climbed) => {
            if forced {
                // The lockfile holds without the override: the plan's note no longer does.
                let note = crate::plan::bun_override_note(dep);
                work.out.notes.retain(|n| *n != note);
                if climbed.steps.is_empty() && work.out.tier.is_none() {
                    work.out.tier = Some(Tier::LockfileUpdate);
                }
            }
            climbed
        }
        Err(Conflict(reason)) if forced => {
            npm_override(work, &manifest_path, &dep.name, to)?;
            work.out.note(format!(
                "no dependent of {} can move to a release that accepts a fixed version ({reason}), so {} {to} is forced with `overrides`",
                dep.name, dep.name
            ));
            overridden = true;
            mover.packages = packages;
            mover.overrides.insert(dep.name.clone(), to.to_string());
            let climbed = match mover.fix(&dep.name, &from, to, &fix.fixed_versions).await? {
                Ok(climbed) => climbed,
                Err(Conflict(reason)) => return Err(unresolvable(dep, to, &lock_path, reason)),
            };
            // The override replaces every range on the package, so every copy moves.
            if let Err(Conflict(reason)) = mover.force_everywhere(&dep.name, to).await? {
                return Err(unresolvable(dep, to, &lock_path, reason));
            }
            climbed
        }
        Err(Conflict(reason)) => return Err(unresolvable(dep, to, &lock_path, reason)),
    };
    let laid_out = match hoist::rehoisted(&mover.packages, &lock.keys) {
        Ok(p) => p,
        Err(why) => return left_to_bun(work, &lock_path, &manifest_path, dep, to, false, &why),
    };
    let mut out = match lock.print(&laid_out, registry).await? {
        Ok(out) => out,
        Err(why) => return left_to_bun(work, &lock_path, &manifest_path, dep, to, false, &why),
    };
    if let Some(range) = &new_range {
        out = lock.with_root_range(&out, &member, &dep.name, range);
    }
    if overridden {
        out = with_override(&out, &dep.name, to);
    }
    if crate::analysis::bun::read_lock(&out, &lock_path).is_err() {
        return left_to_bun(
            work,
            &lock_path,
            &manifest_path,
            dep,
            to,
            false,
            "the rewritten lockfile would not read back",
        );
    }
    report_climb(work, &lock_path, "Bun", &dep.name, to, &climbed);
    work.write(&lock_path, out);
    Ok(())
}

fn unresolvable(dep: &Dependency, to: &str, lock_path: &str, reason: String) -> Error {
    Error::Unresolvable {
        ecosystem: dep.ecosystem,
        package: dep.name.clone(),
        from: dep.version.clone().unwrap_or_default(),
        to: to.to_string(),
        reason: format!("in {lock_path}, {reason}"),
    }
}

/// Leaves `bun.lock` to Bun, with the manifest carrying what it can: the bumped range (already
/// written), or for a transitive package forced over its dependents, `overrides`.
fn left_to_bun(
    work: &mut Work,
    lock_path: &str,
    manifest_path: &str,
    dep: &Dependency,
    to: &str,
    forced: bool,
    why: &str,
) -> Result<(), Error> {
    if forced {
        npm_override(work, manifest_path, &dep.name, to)?;
    }
    let command = if dep.direct || forced {
        "bun install".to_string()
    } else {
        format!("bun update {}", dep.name)
    };
    work.out.needs_package_manager = true;
    work.out.relock = Some(command.clone());
    work.out.note(format!(
        "{lock_path} was not updated: {why}; run `{command}`"
    ));
    Ok(())
}

/// Whether the edit rewrites `text`, or why it leaves it to Bun.
pub(super) fn rewritable(text: &str) -> Result<(), String> {
    let lock = Bun::read(text, "bun.lock").map_err(|e| e.to_string())?;
    lock.editable()?;
    hoist::holds(&lock.packages, &lock.keys)
}

/// A `bun.lock` as the edit sees it.
struct Bun {
    text: String,
    /// How its keys map onto npm's.
    keys: Keys,
    /// The slots as npm keys (`node_modules/send/node_modules/ms`), the project as `""`.
    packages: Packages,
    /// npm key -> the original text of its entry (`"send/ms": [...]`).
    lines: std::collections::HashMap<String, String>,
    /// Where the `packages` object's members start and end in `text`.
    body: (usize, usize),
    /// Why the edit does not rewrite this lockfile, if it does not.
    refusal: Option<String>,
}

impl Bun {
    fn read(text: &str, path: &str) -> Result<Bun, Error> {
        read_lock(text, path)?;
        let root = json::parse_trailing_commas(text).map_err(|(_, m)| edit_error(path, m))?;
        let mut refusal = None;
        let mut refuse = |why: String| {
            refusal.get_or_insert(why);
        };
        let workspaces = root.get("workspaces").map(Node::members).unwrap_or(&[]);
        let mut keys = Keys::default();
        if root
            .get("lockfileVersion")
            .is_some_and(|v| &text[v.start..v.end] == "3")
        {
            refuse(
                "it is lockfileVersion 3, whose scoped overrides the agent does not rewrite".into(),
            );
        }
        for key in ["patchedDependencies", "catalog", "catalogs"] {
            if root.get(key).is_some() {
                refuse(format!(
                    "it records `{key}`, which the agent does not rewrite"
                ));
            }
        }
        let mut packages = Packages::new();
        let mut project = J::Obj(Vec::new());
        if let Some(w) = workspaces.iter().find(|w| w.key.is_empty()) {
            if let Some(name) = w.value.get("name").and_then(Node::as_str) {
                project.set("name", J::Str(name.into()));
            }
            add_groups(text, &w.value, &mut project);
        }
        packages.insert(String::new(), project);
        for w in workspaces.iter().filter(|w| !w.key.is_empty()) {
            let Some(name) = w.value.get("name").and_then(Node::as_str) else {
                refuse(format!("the workspace `{}` has no name", w.key));
                continue;
            };
            let mut member = J::Obj(vec![("name".into(), J::Str(name.into()))]);
            if let Some(v) = w.value.get("version").and_then(Node::as_str) {
                member.set("version", J::Str(v.into()));
            }
            add_groups(text, &w.value, &mut member);
            packages.insert(w.key.clone(), member);
            keys.members.push((name.to_string(), w.key.clone()));
        }
        keys.members
            .sort_by_key(|(_, path)| std::cmp::Reverse(path.len()));
        let members = root.get("packages").map(Node::members).unwrap_or(&[]);
        let mut lines = std::collections::HashMap::new();
        for m in members {
            let items = m.value.items();
            let ident = items.first().and_then(Node::as_str).unwrap_or("");
            let npm_key = keys.npm(&m.key);
            let recorded = &text[m.key_start..m.value.end];
            let member = keys.members.iter().find(|(n, _)| *n == m.key);
            if let (Some((_, path)), 1) = (member, items.len()) {
                // A workspace member at the top: `["a@workspace:packages/a"]`.
                let ident_ok = ident == format!("{}@workspace:{path}", m.key);
                let canonical = format!("{}: [{}]", json::quote(&m.key), json::quote(ident));
                if !ident_ok || canonical != recorded {
                    refuse(format!(
                        "the entry `{}` is not written as Bun writes it",
                        m.key
                    ));
                }
                let link = J::Obj(vec![
                    ("resolved".into(), J::Str(path.clone())),
                    ("link".into(), J::Raw("true".into())),
                ]);
                lines.insert(npm_key.clone(), recorded.to_string());
                packages.insert(npm_key, link);
                continue;
            }
            let registry_entry = items.len() == 4
                && matches!(split_ident(ident), Some((n, v)) if !v.contains(':') && !v.contains('/') && n == slot_name(&npm_key));
            if !registry_entry {
                refuse(format!(
                    "`{}` is not a registry package under its own name (`{ident}`)",
                    m.key
                ));
                continue;
            }
            let (_, v) = split_ident(ident).unwrap_or_default();
            let mut entry = J::Obj(vec![("version".into(), J::Str(v.into()))]);
            entry.set("resolved", J::from_node(text, &items[1]));
            add_groups(text, &items[2], &mut entry);
            for key in ["os", "cpu", "bin", "binDir", "bundled"] {
                if let Some(n) = items[2].get(key) {
                    entry.set(key, J::from_node(text, n));
                }
            }
            entry.set("integrity", J::from_node(text, &items[3]));
            if canonical_line(text, &m.key, items) != recorded {
                refuse(format!(
                    "the entry `{}` is not written as Bun writes it",
                    m.key
                ));
            }
            lines.insert(npm_key.clone(), recorded.to_string());
            packages.insert(npm_key, entry);
        }
        let body = match root.get("packages") {
            Some(p) if matches!(p.value, Value::Object(_)) => (p.start, p.end),
            _ => (text.len(), text.len()),
        };
        let lock = Bun {
            text: text.to_string(),
            keys,
            packages,
            lines,
            body,
            refusal,
        };
        Ok(lock)
    }

    /// Why the edit leaves this lockfile to Bun, if it does: a refusal found while reading, or
    /// a file this printer does not reproduce byte for byte (hand-edited, another layout).
    fn editable(&self) -> Result<(), String> {
        if let Some(why) = &self.refusal {
            return Err(why.clone());
        }
        let keys: Vec<&String> = self.lines.keys().collect();
        if self.join(
            keys.into_iter()
                .map(|k| (k.as_str(), self.lines[k].clone())),
        ) != self.text
        {
            return Err("it is not in the layout Bun writes".into());
        }
        Ok(())
    }

    /// The file with `entries` (npm key, printed entry) as its `packages`, in Bun's order.
    fn join<'a>(&self, entries: impl Iterator<Item = (&'a str, String)>) -> String {
        let mut sorted: Vec<((usize, String, String), String)> = entries
            .map(|(k, line)| (order(&self.keys.bun(k)), line))
            .collect();
        sorted.sort();
        let mut out = self.text[..self.body.0].to_string();
        if sorted.is_empty() {
            out.push_str("{}");
        } else {
            out.push_str("{\n");
            let lines: Vec<String> = sorted
                .into_iter()
                .map(|(_, l)| format!("    {l}"))
                .collect();
            out.push_str(&lines.join(",\n\n"));
            out.push_str(",\n  }");
        }
        out.push_str(&self.text[self.body.1..]);
        out
    }

    /// The lockfile holding `packages`: kept entries as they were, moved and new ones printed
    /// from the registry's metadata.
    async fn print(
        &self,
        packages: &Packages,
        registry: &dyn Registry,
    ) -> Result<Result<String, String>, Error> {
        let mut entries = Vec::new();
        for (key, entry) in packages.iter().filter(|(k, _)| !is_top(k)) {
            let kept = self
                .packages
                .get(key)
                .is_some_and(|old| without_flags(old) == without_flags(entry));
            if kept {
                entries.push((key.as_str(), self.lines[key].clone()));
                continue;
            }
            let name = slot_name(key);
            if entry.get("link").is_some() {
                return Ok(Err(format!(
                    "the workspace member {name} would move, which the agent does not do"
                )));
            }
            let Some(v) = version(entry) else {
                return Ok(Err(format!("the resolver left `{key}` without a version")));
            };
            match printed_entry(registry, &self.keys.bun(key), name, v).await? {
                Ok(line) => entries.push((key.as_str(), line)),
                Err(why) => return Ok(Err(why)),
            }
        }
        Ok(Ok(self.join(entries.into_iter())))
    }

    /// `out` with the range the workspace at `member` (`""`: the project) records on `name`
    /// replaced by `range`.
    fn with_root_range(&self, out: &str, member: &str, name: &str, range: &str) -> String {
        let Ok(root) = json::parse_trailing_commas(out) else {
            return out.to_string();
        };
        let mut edits = Vec::new();
        if let Some(w) = root.get("workspaces").and_then(|w| w.get(member)) {
            for (group, _) in GROUPS {
                if let Some(v) = w.get(group).and_then(|g| g.get(name)) {
                    edits.push((v.start, v.end, json::quote(range)));
                }
            }
        }
        splice(out, edits)
    }
}

/// Copies the dependency groups of a Bun info object (or workspace) into an npm entry, with
/// `optionalPeers` as `peerDependenciesMeta`.
fn add_groups(text: &str, info: &Node, entry: &mut J) {
    for (group, _) in GROUPS {
        if let Some(g) = info.get(group) {
            entry.set(group, J::from_node(text, g));
        }
    }
    let peers: Vec<(String, J)> = info
        .get("optionalPeers")
        .map(Node::items)
        .unwrap_or(&[])
        .iter()
        .filter_map(Node::as_str)
        .map(|p| {
            let meta = J::Obj(vec![("optional".into(), J::Raw("true".into()))]);
            (p.to_string(), meta)
        })
        .collect();
    if !peers.is_empty() {
        entry.set("peerDependenciesMeta", J::Obj(peers));
    }
}

/// The entry without the flags npm's resolver recomputes and Bun does not record.
fn without_flags(entry: &J) -> J {
    let mut e = entry.clone();
    for flag in NPM_FLAGS {
        e.remove(flag);
    }
    e
}

fn version(entry: &J) -> Option<&str> {
    entry.get("version").and_then(J::as_str)
}

/// The package names along a Bun key (`a/@s/b` -> `a`, `@s/b`).
fn names(key: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = key;
    while !rest.is_empty() {
        let skip = if rest.starts_with('@') {
            rest.find('/').map_or(rest.len(), |i| i + 1)
        } else {
            0
        };
        let end = rest[skip..].find('/').map_or(rest.len(), |i| skip + i);
        out.push(&rest[..end]);
        rest = rest.get(end + 1..).unwrap_or("");
    }
    out
}

/// How Bun's keys map onto npm's: a workspace member's own dependencies sit under its package
/// name in Bun (`a/lodash`) and under its path in npm (`packages/a/node_modules/lodash`); the
/// member itself is a link at the top (`a`, `node_modules/a`).
#[derive(Clone, Debug, Default)]
pub(super) struct Keys {
    /// `(name, path)` of each workspace member, longest path first.
    pub(super) members: Vec<(String, String)>,
}

impl Keys {
    /// The npm key of a Bun key.
    pub(super) fn npm(&self, key: &str) -> String {
        let n = names(key);
        if n.len() > 1 {
            if let Some((_, path)) = self.members.iter().find(|(name, _)| name == n[0]) {
                return format!("{path}/{}", npm_key(&n[1..].join("/")));
            }
        }
        npm_key(key)
    }

    /// The Bun key of an npm key.
    pub(super) fn bun(&self, key: &str) -> String {
        for (name, path) in &self.members {
            let rest = key
                .strip_prefix(path.as_str())
                .and_then(|r| r.strip_prefix('/'))
                .filter(|r| r.starts_with("node_modules/"));
            if let Some(rest) = rest {
                return format!("{name}/{}", bun_key(rest));
            }
        }
        bun_key(key)
    }
}

/// `send/ms` -> `node_modules/send/node_modules/ms`.
pub(crate) fn npm_key(key: &str) -> String {
    names(key)
        .iter()
        .map(|n| format!("node_modules/{n}"))
        .collect::<Vec<_>>()
        .join("/")
}

/// `node_modules/send/node_modules/ms` -> `send/ms`.
pub(crate) fn bun_key(key: &str) -> String {
    key.strip_prefix("node_modules/")
        .unwrap_or(key)
        .replace("/node_modules/", "/")
}

/// The package name of an npm key's slot.
fn slot_name(key: &str) -> &str {
    key.rsplit_once("node_modules/").map_or(key, |(_, n)| n)
}

/// Bun's order of slots: by depth, then the parent's path, then the name (bytes).
fn order(key: &str) -> (usize, String, String) {
    let n = names(key);
    let (last, parents) = n.split_last().unwrap_or((&"", &[]));
    (parents.len(), parents.join("/"), last.to_string())
}

/// `text` with `overrides[name] = to` in its `overrides` object (added before the `catalog`s or
/// `packages` when missing), members sorted by name as Bun sorts them.
fn with_override(text: &str, name: &str, to: &str) -> String {
    let Ok(root) = json::parse_trailing_commas(text) else {
        return text.to_string();
    };
    let mut members: Vec<(String, String)> = root
        .get("overrides")
        .map(Node::members)
        .unwrap_or(&[])
        .iter()
        .filter(|m| m.key != name)
        .map(|m| (m.key.clone(), text[m.value.start..m.value.end].to_string()))
        .collect();
    members.push((name.to_string(), json::quote(to)));
    members.sort();
    let body: String = members
        .iter()
        .map(|(k, v)| format!("    {}: {v},\n", json::quote(k)))
        .collect();
    let block = format!("{{\n{body}  }}");
    if let Some(existing) = root.get("overrides") {
        return splice(text, vec![(existing.start, existing.end, block)]);
    }
    let before = root
        .members()
        .iter()
        .find(|m| matches!(m.key.as_str(), "catalog" | "catalogs" | "packages"));
    match before {
        // Right before the key, whatever shares its line.
        Some(m) => splice(
            text,
            vec![(
                m.key_start,
                m.key_start,
                format!("\"overrides\": {block},\n  "),
            )],
        ),
        None => text.to_string(),
    }
}

mod entry;
mod hoist;

#[cfg(test)]
mod tests;
