//! npm edits: `package.json` ranges and `overrides`, and `package-lock.json` / shrinkwrap entries.
//! A v2/v3 lockfile is rewritten as npm's resolver would leave it (`npm/resolve.rs`, printed by
//! `npm/tree.rs`, a v2 file's v1 tree rebuilt by `npm/legacy.rs`) when the registry gives the new
//! version's metadata, bumping a dependent that pins the vulnerable version (`npm/climb.rs`)
//! before an override is forced; otherwise (and for v1 lockfiles) the entry's version, URL and
//! integrity are replaced in place.

pub(super) mod climb;
mod legacy;
pub(super) mod resolve;
pub(super) mod tree;

use super::{bumped_requirement, edit_error, splice, Work};
use crate::analysis::npm::SECTIONS;
use crate::analysis::Dependency;
use crate::files::{dir_of, join, LineIndex};
use crate::json::{self, Node};
use crate::plan::{PackageFix, Tier};
use crate::registry::{Digest, Registry};
use crate::Error;
use resolve::{Conflict, Mover, Packages};
use tree::J;

pub(super) async fn edit(
    work: &mut Work,
    fix: &PackageFix,
    dep: &Dependency,
    digests: &[Digest],
    registry: &dyn Registry,
) -> Result<(), Error> {
    let lock_path = dep.location.file.clone();
    let is_lock =
        lock_path.ends_with("package-lock.json") || lock_path.ends_with("npm-shrinkwrap.json");
    let manifest_path = if is_lock {
        join(dir_of(&lock_path), "package.json")
    } else {
        lock_path.clone()
    };
    let mut new_range = None;
    if fix.tier == Tier::ManifestBump && dep.direct {
        let declared = dep
            .declared_in
            .clone()
            .unwrap_or_else(|| dep.location.clone());
        new_range = Some(npm_manifest_bump(
            work,
            &declared.file,
            declared.line,
            &dep.name,
            &fix.to,
        )?);
    }
    let forced = fix.tier == Tier::Override && !dep.direct;
    let mut overridden = false;
    if forced && !is_lock {
        // An override settles only once npm (or the resolver, which applies it) wrote the lockfile.
        npm_override(work, &manifest_path, &dep.name, &fix.to)?;
        work.out.needs_package_manager = true;
        overridden = true;
    }
    if is_lock {
        let integrity = digests
            .iter()
            .find(|d| d.artifact.is_none())
            .or(digests.first());
        let Some(d) = integrity else {
            if forced {
                npm_override(work, &manifest_path, &dep.name, &fix.to)?;
            }
            work.out.needs_package_manager = true;
            work.out.note(format!(
                "{lock_path} was not updated because the registry gave no integrity for {}@{}: run `npm install --package-lock-only`",
                fix.name, fix.to
            ));
            return Ok(());
        };
        let from = dep.version.as_deref().unwrap_or("");
        let unresolvable = |reason: String| Error::Unresolvable {
            ecosystem: dep.ecosystem,
            package: dep.name.clone(),
            from: from.to_string(),
            to: fix.to.clone(),
            reason: format!("in {lock_path}, {reason}"),
        };
        let mut moved = resolved_lock_update(
            work,
            &lock_path,
            &manifest_path,
            dep,
            fix,
            new_range.as_deref(),
            registry,
        )
        .await?;
        if forced {
            match moved {
                // The lockfile holds without the override: the plan's note no longer does.
                Moved::Written { climbed } => {
                    let note = crate::plan::npm_override_note(dep);
                    work.out.notes.retain(|n| *n != note);
                    if !climbed && work.out.tier.is_none() {
                        work.out.tier = Some(Tier::LockfileUpdate);
                    }
                }
                Moved::Conflict(_) | Moved::LeftToNpm { .. } => {
                    npm_override(work, &manifest_path, &dep.name, &fix.to)?;
                    if let Moved::Conflict(reason) = &moved {
                        work.out.note(format!(
                            "no dependent of {} can move to a release that accepts a fixed version ({reason}), so {} {} is forced with `overrides`",
                            dep.name, dep.name, fix.to
                        ));
                    }
                    overridden = true;
                    moved = resolved_lock_update(
                        work,
                        &lock_path,
                        &manifest_path,
                        dep,
                        fix,
                        new_range.as_deref(),
                        registry,
                    )
                    .await?;
                }
                Moved::NotHere => {
                    npm_override(work, &manifest_path, &dep.name, &fix.to)?;
                    overridden = true;
                }
                Moved::Covered => {}
            }
        }
        match moved {
            Moved::Written { .. } | Moved::Covered => {}
            Moved::Conflict(reason) => return Err(unresolvable(reason)),
            Moved::LeftToNpm { bumped } => {
                work.out.needs_package_manager = true;
                let (why, command) = if bumped.is_empty() {
                    (
                        format!("{}@{} changes its dependencies", dep.name, fix.to),
                        "npm install --package-lock-only".to_string(),
                    )
                } else {
                    (
                        format!("the fix moves {} as well", bumped.join(", ")),
                        format!("npm update {} --package-lock-only", bumped.join(" ")),
                    )
                };
                work.out.note(format!(
                    "{lock_path} was not updated because {why} and the lockfile's v1 tree holds entries the agent does not rebuild: run `{command}`"
                ));
            }
            Moved::NotHere => {
                work.out.needs_package_manager |= overridden;
                npm_lock_update(
                    work,
                    &lock_path,
                    dep,
                    &fix.to,
                    &d.value,
                    new_range.as_deref(),
                )?;
            }
        }
    }
    Ok(())
}

pub(super) fn npm_manifest_bump(
    work: &mut Work,
    path: &str,
    line: u32,
    name: &str,
    to: &str,
) -> Result<String, Error> {
    let text = work.text(path)?;
    let lines = LineIndex::new(&text);
    let root = json::parse(&text).map_err(|(_, m)| edit_error(path, m))?;
    for (section, _) in SECTIONS {
        let Some(obj) = root.get(section) else {
            continue;
        };
        for m in obj.members() {
            if m.key == name && lines.line(m.key_start) == line {
                let old = m.value.as_str().unwrap_or("");
                let new = bumped_requirement(old, to);
                let edited = splice(&text, vec![(m.value.start, m.value.end, json::quote(&new))]);
                work.write(path, edited);
                return Ok(new);
            }
        }
    }
    Err(edit_error(
        path,
        format!("no `{name}` dependency on line {line}"),
    ))
}

pub(super) fn npm_override(work: &mut Work, path: &str, name: &str, to: &str) -> Result<(), Error> {
    set_in_object(work, path, "overrides", name, to)
}

/// Sets `object[name] = to` in the manifest at `path` (`overrides`, `resolutions`), adding the
/// object after the last member when missing, in the manifest's own layout: its indentation, or
/// one line when the manifest is written on one.
pub(super) fn set_in_object(
    work: &mut Work,
    path: &str,
    object: &str,
    name: &str,
    to: &str,
) -> Result<(), Error> {
    let text = work.text(path)?;
    let root = json::parse(&text).map_err(|(_, m)| edit_error(path, m))?;
    let members = root.members();
    let prefix = members.first().map(|m| {
        let line_start = text[..m.key_start].rfind('\n').map_or(0, |i| i + 1);
        &text[line_start..m.key_start]
    });
    // `None` for a manifest written on one line.
    let indent = match prefix {
        Some(p) if !p.chars().all(char::is_whitespace) => None,
        Some(p) => Some(p.to_string()),
        None => Some("  ".to_string()),
    };
    let entry = format!("{}: {}", json::quote(name), json::quote(to));
    let (member, block) = match &indent {
        Some(i) => (
            format!(",\n{i}{i}{entry}"),
            format!("{{\n{i}{i}{entry}\n{i}}}"),
        ),
        None => (format!(", {entry}"), format!("{{{entry}}}")),
    };
    let edit = match root.get(object) {
        Some(existing) => match (existing.member(name), existing.members().last()) {
            (Some(current), _) => (current.value.start, current.value.end, json::quote(to)),
            (None, Some(last)) => (last.value.end, last.value.end, member),
            (None, None) => (existing.start, existing.end, block),
        },
        None => {
            let last = members
                .last()
                .ok_or_else(|| edit_error(path, "package.json is an empty object"))?;
            let key = json::quote(object);
            let added = match &indent {
                Some(i) => format!(",\n{i}{key}: {block}"),
                None => format!(", {key}: {block}"),
            };
            (last.value.end, last.value.end, added)
        }
    };
    work.write(path, splice(&text, vec![edit]));
    Ok(())
}

/// Finds the lockfile entry declared on `line` (v2/v3 `packages`, or the v1 tree).
fn find_entry_by_line<'a>(
    node: &'a Node,
    lines: &LineIndex,
    line: u32,
) -> Option<(&'a Node, String)> {
    if let Some(packages) = node.get("packages") {
        return packages
            .members()
            .iter()
            .find(|m| lines.line(m.key_start) == line)
            .map(|m| (&m.value, m.key.clone()));
    }
    fn walk<'a>(
        deps: &'a Node,
        prefix: &str,
        lines: &LineIndex,
        line: u32,
    ) -> Option<(&'a Node, String)> {
        for m in deps.members() {
            let key = if prefix.is_empty() {
                format!("node_modules/{}", m.key)
            } else {
                format!("{prefix}/node_modules/{}", m.key)
            };
            if lines.line(m.key_start) == line {
                return Some((&m.value, key));
            }
            if let Some(nested) = m.value.get("dependencies") {
                if let Some(hit) = walk(nested, &key, lines, line) {
                    return Some(hit);
                }
            }
        }
        None
    }
    walk(node.get("dependencies")?, "", lines, line)
}

/// The v1-style `dependencies` tree node for a v2 `packages` key.
fn legacy_node<'a>(root: &'a Node, key: &str) -> Option<&'a Node> {
    let mut node = root;
    for name in key.split("node_modules/").filter(|s| !s.is_empty()) {
        node = node.get("dependencies")?.get(name.trim_end_matches('/'))?;
    }
    Some(node)
}

fn entry_edits(
    entry: &Node,
    name: &str,
    from: &str,
    to: &str,
    integrity: &str,
    edits: &mut Vec<(usize, usize, String)>,
) {
    if let Some(v) = entry.get("version") {
        edits.push((v.start, v.end, json::quote(to)));
    }
    if let Some(r) = entry.get("resolved") {
        if let Some(url) = r.as_str() {
            let base = name.rsplit('/').next().unwrap_or(name);
            let new = url.replace(&format!("/{base}-{from}.tgz"), &format!("/{base}-{to}.tgz"));
            edits.push((r.start, r.end, json::quote(&new)));
        }
    }
    if let Some(i) = entry.get("integrity") {
        edits.push((i.start, i.end, json::quote(integrity)));
    }
}

fn npm_lock_update(
    work: &mut Work,
    path: &str,
    dep: &Dependency,
    to: &str,
    integrity: &str,
    new_range: Option<&str>,
) -> Result<(), Error> {
    let text = work.text(path)?;
    let lines = LineIndex::new(&text);
    let root = json::parse(&text).map_err(|(_, m)| edit_error(path, m))?;
    let from = dep.version.as_deref().unwrap_or("");
    let (entry, key) = find_entry_by_line(&root, &lines, dep.location.line).ok_or_else(|| {
        edit_error(
            path,
            format!("no entry for {} on line {}", dep.name, dep.location.line),
        )
    })?;
    let mut edits = Vec::new();
    entry_edits(entry, &dep.name, from, to, integrity, &mut edits);
    if root.get("packages").is_some() {
        // v2 keeps the v1 tree as well; keep both in step.
        if let Some(legacy) = legacy_node(&root, &key) {
            entry_edits(legacy, &dep.name, from, to, integrity, &mut edits);
        }
        // A manifest bump also changes the recorded range of the root (or workspace) package.
        if let (Some(range), Some(packages)) = (new_range, root.get("packages")) {
            let member_dir = dep
                .declared_in
                .as_ref()
                .map(|d| dir_of(&d.file).to_string())
                .unwrap_or_default();
            let lock_dir = dir_of(path);
            let local_key = member_dir
                .strip_prefix(lock_dir)
                .unwrap_or(&member_dir)
                .trim_start_matches('/')
                .to_string();
            if let Some(local) = packages.get(&local_key) {
                for (section, _) in SECTIONS {
                    if let Some(v) = local.get(section).and_then(|s| s.get(&dep.name)) {
                        edits.push((v.start, v.end, json::quote(range)));
                    }
                }
            }
        }
    }
    work.write(path, splice(&text, edits));
    Ok(())
}

/// The `packages` key of the root (or workspace) package that declares `dep`.
fn local_key(lock_path: &str, dep: &Dependency) -> String {
    let member_dir = dep
        .declared_in
        .as_ref()
        .map(|d| dir_of(&d.file).to_string())
        .unwrap_or_default();
    member_dir
        .strip_prefix(dir_of(lock_path))
        .unwrap_or(&member_dir)
        .trim_start_matches('/')
        .to_string()
}

/// What became of rewriting a v2/v3 lockfile.
enum Moved {
    /// Not done here (a v1 lockfile, no version metadata from the registry): the caller edits
    /// the entry in place.
    NotHere,
    /// An earlier occurrence's edit already moved every entry at the old version.
    Covered,
    /// Written; `climbed` when a dependent moved for the fix.
    Written { climbed: bool },
    /// The move changes what the v1 tree of a v2 lockfile holds in a way the agent does not
    /// rebuild: left to npm (`bumped`: the dependents the fix would move).
    LeftToNpm { bumped: Vec<String> },
    /// No tier works: the exact conflicting range; nothing was written.
    Conflict(String),
}

/// Rewrites a v2/v3 lockfile as npm would after moving `dep` to `fix.to`, bumping the
/// dependents whose ranges admit no fixed version (`climb.rs`).
async fn resolved_lock_update(
    work: &mut Work,
    path: &str,
    manifest_path: &str,
    dep: &Dependency,
    fix: &PackageFix,
    new_range: Option<&str>,
    registry: &dyn Registry,
) -> Result<Moved, Error> {
    let to = fix.to.as_str();
    let text = work.text(path)?;
    let root = json::parse(&text).map_err(|(_, m)| edit_error(path, m))?;
    if root.get("packages").is_none() || registry.npm_manifest(&dep.name, to).await?.is_none() {
        return Ok(Moved::NotHere);
    }
    let from = dep.version.as_deref().unwrap_or("");
    let mut doc = J::from_node(&text, &root);
    let mut packages: Packages = doc
        .get("packages")
        .map(J::members)
        .unwrap_or(&[])
        .iter()
        .cloned()
        .collect();
    // None left at the old version means an earlier occurrence's edit covered this one.
    let left = packages.iter().any(|(k, e)| {
        k.rsplit("node_modules/").next() == Some(dep.name.as_str())
            && e.get("version").and_then(J::as_str) == Some(from)
    });
    if !left {
        return Ok(Moved::Covered);
    }
    if let Some(range) = new_range {
        if let Some(local) = packages.get_mut(&local_key(path, dep)) {
            for (section, _) in SECTIONS {
                if let Some(deps) = local.get_mut(section) {
                    if deps.get(&dep.name).is_some() {
                        deps.set(&dep.name, J::Str(range.to_string()));
                    }
                }
            }
        }
    }
    let manifest = work.text(manifest_path).ok();
    let mut mover = Mover {
        registry,
        reuse: resolve::Reuse::Npm,
        overrides: resolve::simple_overrides(manifest.as_deref()),
        packages,
    };
    let climbed = match mover.fix(&dep.name, from, to, &fix.fixed_versions).await? {
        Ok(climbed) => climbed,
        Err(Conflict(reason)) => return Ok(Moved::Conflict(reason)),
    };
    if root.get("dependencies").is_some() {
        // A v2 lockfile also carries the v1 tree: rebuilt from `packages` as npm writes it.
        match legacy::tree(&mover.packages, &mover.overrides) {
            Some(tree) => doc.set("dependencies", tree),
            None if climbed.steps.is_empty()
                && only_own_fields_changed(&doc, &mover.packages, &dep.name) =>
            {
                return Ok(Moved::NotHere)
            }
            None => {
                return Ok(Moved::LeftToNpm {
                    bumped: climbed.bumped,
                })
            }
        }
    }
    let climbed_any = !climbed.steps.is_empty();
    report_climb(work, path, "npm", &dep.name, to, &climbed);
    doc.set("packages", J::Obj(mover.packages.into_iter().collect()));
    let (indent, newline) = tree::layout(&text);
    work.write(path, tree::print(&doc, &indent, newline));
    Ok(Moved::Written {
        climbed: climbed_any,
    })
}

/// The tier and notes of a fix that moved the dependents pinning the vulnerable version (`tool`
/// names who resolves them: npm, Bun), and the version the package ends at when they require
/// another fixed one than `to`.
pub(super) fn report_climb(
    work: &mut Work,
    path: &str,
    tool: &str,
    name: &str,
    to: &str,
    climbed: &climb::Climbed,
) {
    if climbed.steps.is_empty() {
        return;
    }
    work.out.tier = Some(Tier::DependentBump);
    for step in &climbed.steps {
        work.out.note(format!(
            "{path}: the fix bumps the dependent that pins the vulnerable version: {step}"
        ));
    }
    if !climbed.moved.is_empty() {
        work.out.note(format!(
            "{path} also moves {} as {tool} resolves the bumped dependents",
            climbed.moved.join(", ")
        ));
    }
    let mut versions = climbed.versions.iter();
    if let (Some(only), None) = (versions.next(), versions.next()) {
        if only != to {
            work.out.to = Some(only.clone());
            work.out.note(format!(
                "{name} ends at {only}, the fixed version the bumped dependents require, rather than {to}"
            ));
        }
    }
}

/// Whether the only change from `doc`'s packages to `new` is the version, URL and integrity of
/// `name`'s entries.
fn only_own_fields_changed(doc: &J, new: &Packages, name: &str) -> bool {
    let old: Packages = doc
        .get("packages")
        .map(J::members)
        .unwrap_or(&[])
        .iter()
        .cloned()
        .collect();
    let strip = |e: Option<&J>| {
        e.cloned().map(|mut e| {
            for k in ["version", "resolved", "integrity"] {
                e.remove(k);
            }
            e
        })
    };
    old.len() == new.len()
        && old.iter().all(|(k, v)| {
            if k.rsplit("node_modules/").next() == Some(name) {
                strip(Some(v)) == strip(new.get(k))
            } else {
                new.get(k) == Some(v)
            }
        })
}

#[cfg(test)]
mod tests;
