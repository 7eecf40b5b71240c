//! PyPI edits: `requirements.txt` pins (hash options rebuilt), `poetry.lock` entries and their file
//! hashes, and Poetry constraints in `pyproject.toml`; `Pipfile.lock` (`pypi/pipenv.rs`) and
//! `uv.lock` (`pypi/uv.rs`) and `pdm.lock` (`pypi/pdm.rs`) with their manifests.

use super::{bumped_requirement, edit_error, Work};
use crate::analysis::Dependency;
use crate::plan::{PackageFix, Tier};
use crate::registry::{Digest, Registry};
use crate::{Ecosystem, Error};

mod climb;
mod content_hash;
mod lock;
mod pdm;
mod pipenv;
mod requires;
mod specifier;
mod update;
mod uv;

pub(crate) use content_hash::pdm_content_hash;

pub(super) async fn edit(
    work: &mut Work,
    fix: &PackageFix,
    dep: &Dependency,
    digests: &[Digest],
    registry: &dyn Registry,
) -> Result<(), Error> {
    let path = dep.location.file.clone();
    if path.ends_with("Pipfile.lock") {
        return pipenv::edit(work, fix, dep, registry).await;
    }
    if path.ends_with("uv.lock") {
        return uv::edit(work, fix, dep, registry).await;
    }
    if path.ends_with("pdm.lock") {
        return pdm::edit(work, fix, dep, registry).await;
    }
    let text = work.text(&path)?;
    let from = dep.version.as_deref().unwrap_or("");
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let start = dep.location.line as usize - 1;
    if path.ends_with("poetry.lock")
        && fix.tier == Tier::Override
        && !dep.direct
        && digests.is_empty()
    {
        // Without a registry the dependents that exclude the fixed version cannot move.
        work.out.needs_package_manager = true;
        let blocking = update::blocking(&text, &fix.name, &fix.to);
        let why = if blocking.is_empty() {
            format!("{} require the old range", dep.parents.join(", "))
        } else {
            blocking.join(", ")
        };
        work.out.note(format!(
            "{} {from} cannot move to {} while {why}: upgrade them and run `poetry lock`",
            fix.name, fix.to
        ));
        return Ok(());
    }
    let mut manifest_changed = None;
    if path.ends_with("poetry.lock") && fix.tier == Tier::ManifestBump && dep.direct {
        if let Some(declared) = &dep.declared_in {
            pyproject_bump(work, &declared.file, &dep.name, &fix.to)?;
            manifest_changed = Some(declared.file.clone());
        }
    }
    if path.ends_with("poetry.lock") && digests.is_empty() {
        // Without the new version's file hashes poetry.lock cannot be written correctly.
        work.out.needs_package_manager = true;
        let command = fix
            .lockfile
            .command()
            .map(String::from)
            .unwrap_or_else(|| format!("poetry update --lock {}", fix.name));
        work.out.note(format!(
            "{path} was not updated because no registry gave the file hashes of {}@{}: run `{command}`",
            fix.name, fix.to
        ));
        stale_hash_note(work, manifest_changed.as_deref());
        return Ok(());
    }
    if path.ends_with("poetry.lock") {
        return poetry_lock(work, fix, dep, registry, manifest_changed).await;
    }
    // requirements.txt: the logical line runs through backslash continuations.
    let mut end = start;
    while end + 1 < lines.len() && lines[end].trim_end().ends_with('\\') {
        end += 1;
    }
    let logical: Vec<&str> = lines[start..=end].to_vec();
    let had_hashes = logical.iter().any(|l| l.contains("--hash"));
    let first = logical[0];
    let new_first = {
        let mut s = first.to_string();
        for op in ["===", "=="] {
            let needle = format!("{op}{from}");
            if let Some(at) = s.find(&needle) {
                s.replace_range(at..at + needle.len(), &format!("{op}{}", fix.to));
                break;
            }
        }
        s
    };
    let mut out = String::new();
    for line in &lines[..start] {
        out.push_str(line);
    }
    let sha: Vec<&Digest> = digests
        .iter()
        .filter(|d| d.value.starts_with("sha256:"))
        .collect();
    if had_hashes && sha.is_empty() {
        // A new pin under the old version's hashes fails pip's hash check: leave the line.
        work.out.needs_package_manager = true;
        work.out.note(format!(
            "{path} was not updated because no registry gave the hashes of {}=={}: run `pip-compile --generate-hashes --upgrade-package {}=={}`",
            fix.name, fix.to, fix.name, fix.to
        ));
        return Ok(());
    }
    if had_hashes && !sha.is_empty() {
        // Rebuild the hash options in the layout pip-compile writes.
        let head = new_first.trim_end().trim_end_matches('\\').trim_end();
        let head = head.split(" --hash").next().unwrap_or(head);
        out.push_str(head);
        for d in &sha {
            out.push_str(&format!(" \\\n    --hash={}", d.value));
        }
        out.push('\n');
    } else {
        out.push_str(&new_first);
        for line in &logical[1..] {
            out.push_str(line);
        }
    }
    for line in &lines[end + 1..] {
        out.push_str(line);
    }
    work.write(&path, out);
    Ok(())
}

/// Moves the `poetry.lock` entry with the registry's files and dependencies (see `update.rs`);
/// a lock that cannot be made consistent is left as it was, with the reason and the command.
async fn poetry_lock(
    work: &mut Work,
    fix: &PackageFix,
    dep: &Dependency,
    registry: &dyn Registry,
    manifest_changed: Option<String>,
) -> Result<(), Error> {
    let path = &dep.location.file;
    let from = dep.version.as_deref().unwrap_or("");
    match update::update_lock(work, registry, path, &fix.name, from, &fix.to).await? {
        update::Update::Written { moved, manifest } => {
            if !moved.is_empty() {
                work.out.note(format!(
                    "{path} also moves {} so that every requirement holds with {} {}",
                    moved.join(", "),
                    fix.name,
                    fix.to
                ));
            }
            if !manifest.is_empty() {
                work.out.note(format!(
                    "pyproject.toml now requires {} (its old constraint excluded the release that accepts {} {})",
                    manifest.join(", "),
                    fix.name,
                    fix.to
                ));
            }
            Ok(())
        }
        update::Update::Blocked(reason) => Err(Error::Unresolvable {
            ecosystem: Ecosystem::PyPI,
            package: fix.name.clone(),
            from: from.to_string(),
            to: fix.to.clone(),
            reason,
        }),
        update::Update::Conflict(reason) => {
            work.out.needs_package_manager = true;
            let command =
                fix.lockfile.command().map(String::from).unwrap_or_else(
                    || match manifest_changed {
                        Some(_) => "poetry lock --no-update".into(),
                        None => format!("poetry update --lock {}", fix.name),
                    },
                );
            work.out.note(format!(
                "{path} was not updated: {} {from} -> {} conflicts ({reason}); run `{command}` after resolving it",
                fix.name, fix.to
            ));
            stale_hash_note(work, manifest_changed.as_deref());
            Ok(())
        }
    }
}

/// The note for a pyproject.toml change whose lock the agent did not rewrite.
fn stale_hash_note(work: &mut Work, manifest: Option<&str>) {
    if let Some(file) = manifest {
        work.out.needs_package_manager = true;
        work.out.note(format!(
            "{file} changed, so poetry.lock's content-hash is stale: run `poetry lock --no-update`"
        ));
    }
}

/// Raises a Poetry constraint in `pyproject.toml` (`[tool.poetry.*dependencies]`, including
/// groups) to `to`, keeping the operator and the file's formatting; `false` (with a note) when
/// it is not a Poetry table entry.
fn pyproject_bump(work: &mut Work, path: &str, name: &str, to: &str) -> Result<bool, Error> {
    let text = work.text(path)?;
    let mut doc: toml_edit::DocumentMut = text
        .parse()
        .map_err(|e: toml_edit::TomlError| edit_error(path, e.message().trim()))?;
    let wanted = Ecosystem::PyPI.normalize_name(name);
    let mut changed = false;
    let mut bump = |table: &mut dyn toml_edit::TableLike| {
        for (key, item) in table.iter_mut() {
            if Ecosystem::PyPI.normalize_name(key.get()) != wanted {
                continue;
            }
            let value = match item.as_value_mut() {
                Some(v) if v.is_str() => Some(v),
                Some(v) => v.as_inline_table_mut().and_then(|t| t.get_mut("version")),
                None => item
                    .as_table_like_mut()
                    .and_then(|t| t.get_mut("version"))
                    .and_then(|v| v.as_value_mut()),
            };
            if let Some(v) = value {
                let old = v.as_str().unwrap_or("").to_string();
                let decor = v.decor().clone();
                *v = toml_edit::Value::from(bumped_requirement(&old, to));
                *v.decor_mut() = decor;
                changed = true;
            }
        }
    };
    if let Some(poetry) = doc.get_mut("tool").and_then(|t| t.get_mut("poetry")) {
        for section in ["dependencies", "dev-dependencies"] {
            if let Some(t) = poetry.get_mut(section).and_then(|i| i.as_table_like_mut()) {
                bump(t);
            }
        }
        if let Some(groups) = poetry.get_mut("group").and_then(|g| g.as_table_like_mut()) {
            for (_, group) in groups.iter_mut() {
                if let Some(t) = group
                    .get_mut("dependencies")
                    .and_then(|i| i.as_table_like_mut())
                {
                    bump(t);
                }
            }
        }
    }
    if !changed {
        work.out.needs_package_manager = true;
        work.out.note(format!(
            "{path}: the requirement of {name} is not a Poetry table entry; raise it to allow {to} by hand"
        ));
        return Ok(false);
    }
    work.write(path, doc.to_string());
    Ok(true)
}

#[cfg(test)]
mod tests;
