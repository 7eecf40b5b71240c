//! pnpm edits: `pnpm-lock.yaml` (v6 and v9) moved as pnpm would move it (`pnpm/resolve.rs`,
//! printed by `pnpm/model.rs`), the declaring `package.json` range for a direct dependency, and
//! `pnpm.overrides` (mirrored in the lockfile's `overrides:`) when a parent's range excludes
//! the fix. Without the registry metadata a correct move needs, or when the move touches peer
//! wiring that pnpm resolves, the lockfile is left alone, the manifest change still lands, and
//! the notes name `pnpm install --lockfile-only`.

mod model;
mod resolve;

use super::{edit_error, splice, Work};
use crate::analysis::pnpm::{read_lock, IMPORTER_SECTIONS};
use crate::analysis::{Analysis, Dependency};
use crate::files::{dir_of, join};
use crate::json;
use crate::plan::pnpm::{parent_moves, ParentMove};
use crate::plan::{LockfileRefresh, PackageFix, Tier};
use crate::registry::Registry;
use crate::yaml::{self, Node};
use crate::Error;
use model::scalar;
use resolve::{Mover, Refused};

/// The command that brings a pnpm lockfile up to date.
pub(crate) const REFRESH: &str = "pnpm install --lockfile-only";

pub(super) async fn edit(
    work: &mut Work,
    fix: &PackageFix,
    dep: &Dependency,
    analysis: &Analysis,
    registry: &dyn Registry,
) -> Result<(), Error> {
    let lock_path = dep.location.file.clone();
    let root_manifest = join(dir_of(&lock_path), "package.json");
    let from = dep.version.clone().unwrap_or_default();
    let mut new_range = None;
    if fix.tier == Tier::ManifestBump && dep.direct {
        let declared = dep
            .declared_in
            .clone()
            .filter(|d| d.file.ends_with("package.json"))
            .ok_or_else(|| {
                edit_error(&lock_path, format!("no package.json declares {}", dep.name))
            })?;
        new_range = Some(super::npm::npm_manifest_bump(
            work,
            &declared.file,
            declared.line,
            &dep.name,
            &fix.to,
        )?);
    }
    let forced = fix.tier == Tier::Override && !dep.direct;
    if forced {
        pnpm_override(work, &root_manifest, &dep.name, &fix.to)?;
    }
    if let LockfileRefresh::Command(command) = &fix.lockfile {
        work.out.needs_package_manager = true;
        work.out.note(format!(
            "{lock_path} is left as it is: run `{command}` on this branch to refresh it"
        ));
        return Ok(());
    }
    let text = work.text(&lock_path)?;
    // Parents that exclude the fix move to releases that accept it (the plan chose this over
    // an override).
    let parents = if forced {
        Vec::new()
    } else {
        parent_moves(analysis, dep, &fix.to, registry)
            .await?
            .unwrap_or_default()
    };
    let moved = lock_update(
        &text,
        &lock_path,
        dep,
        &parents,
        (&from, &fix.to),
        forced,
        new_range.as_deref(),
        registry,
    )
    .await?;
    match moved {
        Ok(Some(new_text)) => work.write(&lock_path, new_text),
        // An earlier occurrence's edit already moved it.
        Ok(None) => {}
        Err(Refused(reason)) => {
            work.out.needs_package_manager = true;
            work.out.note(format!(
                "{lock_path} was not updated because {reason}: run `{REFRESH}` on this branch"
            ));
        }
    }
    Ok(())
}

/// The lockfile after moving `dep` from `from` to `to`: `Ok(None)` when it no longer holds
/// `from`, `Err` with the reason when the move is left to pnpm.
#[allow(clippy::too_many_arguments)]
async fn lock_update(
    text: &str,
    path: &str,
    dep: &Dependency,
    parents: &[ParentMove],
    (from, to): (&str, &str),
    forced: bool,
    new_range: Option<&str>,
    registry: &dyn Registry,
) -> Result<Result<Option<String>, Refused>, Error> {
    let lock = read_lock(text, path)?;
    let old_id = format!("{}@{from}", dep.name);
    if !lock.packages.contains_key(&old_id) {
        return Ok(Ok(None));
    }
    let model = model::read(text).map_err(|m| edit_error(path, m))?;
    let mut mover = Mover { registry, model };
    let mut moves: Vec<(&str, &str, &str)> = parents
        .iter()
        .map(|m| (m.name.as_str(), m.from.as_str(), m.to.as_str()))
        .collect();
    moves.push((&dep.name, from, to));
    for &(name, old, new) in &moves {
        if let Err(r) = mover.move_to(name, old, new, forced).await? {
            return Ok(Err(r));
        }
    }
    // Importers: the declaring range and every resolved version of the moved package.
    let root = yaml::parse(text).map_err(|(_, m)| edit_error(path, m))?;
    let mut edits = Vec::new();
    let declaring = dep
        .declared_in
        .as_ref()
        .map(|d| importer_id(dir_of(path), dir_of(&d.file)));
    let mut roots = Vec::new();
    let importers: Vec<(String, &Node)> = match root.get("importers") {
        Some(i) => i
            .entries()
            .iter()
            .map(|e| (e.key.clone(), &e.value))
            .collect(),
        None => vec![(".".to_string(), &root)],
    };
    for (id, node) in importers {
        for (section, dev) in IMPORTER_SECTIONS {
            for e in node.get(section).map(Node::entries).unwrap_or(&[]) {
                let Some(version) = e.value.get("version") else {
                    continue;
                };
                let reference = version.as_str().unwrap_or("");
                let mut key = crate::analysis::pnpm::reference_key(&e.key, reference);
                let moved = moves
                    .iter()
                    .find(|(n, old, _)| key.as_deref() == Some(format!("{n}@{old}").as_str()));
                if let Some(&(name, _, new)) = moved {
                    let new_id = format!("{name}@{new}");
                    let new_ref = if reference.contains('@') {
                        new_id.clone()
                    } else {
                        new.to_string()
                    };
                    edits.push((version.start, version.end, scalar(&new_ref, false)));
                    key = Some(new_id);
                    if let (Some(range), Some(spec)) = (new_range, e.value.get("specifier")) {
                        if declaring.as_deref() == Some(id.as_str()) && e.key == dep.name {
                            edits.push((spec.start, spec.end, scalar(range, false)));
                        }
                    }
                }
                if let Some(key) = key {
                    roots.push((key, dev));
                }
            }
        }
    }
    if forced {
        edits.push(overrides_edit(&root, &mover, &dep.name, to));
    }
    mover.prune(&roots);
    let printed = mover.model.print_sections();
    for section in &mover.model.sections {
        let Some(body) = printed.get(section.key.as_str()) else {
            continue;
        };
        let original = &text[section.start..section.end];
        let head_end = original.find("\n\n").map_or(original.len(), |i| i + 2);
        let tail = &original[original.trim_end().len()..];
        let new = format!("{}{body}{tail}", &original[..head_end]);
        edits.push((section.start, section.end, new));
    }
    Ok(Ok(Some(splice(text, edits))))
}

/// The importer id (`.`, `packages/app`) of a manifest directory under the lockfile's.
fn importer_id(lock_dir: &str, manifest_dir: &str) -> String {
    let rel = manifest_dir
        .strip_prefix(lock_dir)
        .unwrap_or(manifest_dir)
        .trim_start_matches('/');
    if rel.is_empty() {
        ".".into()
    } else {
        rel.to_string()
    }
}

/// The lockfile's `overrides:` with `name: to`, as pnpm records the manifest's overrides
/// (after `settings`).
fn overrides_edit(root: &Node, mover: &Mover<'_>, name: &str, to: &str) -> (usize, usize, String) {
    let mut entries: Vec<(String, String)> = root
        .get("overrides")
        .map(|o| {
            o.entries()
                .iter()
                .map(|e| (e.key.clone(), e.value.as_str().unwrap_or("").to_string()))
                .collect()
        })
        .unwrap_or_default();
    match entries.iter_mut().find(|(k, _)| k == name) {
        Some(slot) => slot.1 = to.to_string(),
        None => entries.push((name.to_string(), to.to_string())),
    }
    let mut body = String::from("overrides:\n");
    for (k, v) in &entries {
        body.push_str(&format!("  {}: {}\n", scalar(k, false), scalar(v, false)));
    }
    body.push('\n');
    let sections = &mover.model.sections;
    if let Some(existing) = sections.iter().find(|s| s.key == "overrides") {
        return (existing.start, existing.end, body);
    }
    let at = sections
        .iter()
        .find(|s| s.key == "settings")
        .or_else(|| sections.iter().find(|s| s.key == "lockfileVersion"))
        .map_or(0, |s| s.end);
    (at, at, body)
}

/// Adds `name: to` to `pnpm.overrides` of `package.json`.
fn pnpm_override(work: &mut Work, path: &str, name: &str, to: &str) -> Result<(), Error> {
    let text = work.text(path)?;
    let root = json::parse(&text).map_err(|(_, m)| edit_error(path, m))?;
    let members = root.members();
    let indent = members
        .first()
        .map(|m| {
            let line_start = text[..m.key_start].rfind('\n').map_or(0, |i| i + 1);
            text[line_start..m.key_start].to_string()
        })
        .unwrap_or_else(|| "  ".into());
    let entry = format!("{}: {}", json::quote(name), json::quote(to));
    let (i1, i2, i3) = (indent.clone(), indent.repeat(2), indent.repeat(3));
    let pnpm = root.get("pnpm");
    let overrides = pnpm.and_then(|p| p.get("overrides"));
    let edit = match (pnpm, overrides) {
        (_, Some(o)) => match (o.member(name), o.members().last()) {
            (Some(current), _) => (current.value.start, current.value.end, json::quote(to)),
            (None, Some(last)) => (last.value.end, last.value.end, format!(",\n{i3}{entry}")),
            (None, None) => (o.start, o.end, format!("{{\n{i3}{entry}\n{i2}}}")),
        },
        (Some(p), None) => match p.members().last() {
            Some(last) => (
                last.value.end,
                last.value.end,
                format!(",\n{i2}\"overrides\": {{\n{i3}{entry}\n{i2}}}"),
            ),
            None => (
                p.start,
                p.end,
                format!("{{\n{i2}\"overrides\": {{\n{i3}{entry}\n{i2}}}\n{i1}}}"),
            ),
        },
        (None, None) => {
            let last = members
                .last()
                .ok_or_else(|| edit_error(path, "package.json is an empty object"))?;
            (
                last.value.end,
                last.value.end,
                format!(",\n{i1}\"pnpm\": {{\n{i2}\"overrides\": {{\n{i3}{entry}\n{i2}}}\n{i1}}}"),
            )
        }
    };
    work.write(path, splice(&text, vec![edit]));
    Ok(())
}

#[cfg(test)]
mod tests;
