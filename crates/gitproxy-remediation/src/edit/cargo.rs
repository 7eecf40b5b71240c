//! crates.io edits: `Cargo.toml` requirements through `toml_edit` (workspace inheritance
//! followed to the root manifest) and resolver-aware `Cargo.lock` updates (`cargo/update.rs`):
//! the new version's dependencies reconciled from the registry index, dependents that exclude
//! it moved to a release that accepts it, and a conflict no move resolves reported instead of a
//! lockfile Cargo would reject.

mod lock;
mod members;
mod resolve;
mod update;

use self::update::{update_lock, Update};
use super::{bumped_requirement, edit_error, Work};
use crate::analysis::Dependency;
use crate::files::{dir_of, join};
use crate::plan::{LockfileRefresh, PackageFix, Tier};
use crate::registry::Registry;
use crate::{Ecosystem, Error};

pub(super) async fn edit(
    work: &mut Work,
    fix: &PackageFix,
    dep: &Dependency,
    registry: &dyn Registry,
) -> Result<(), Error> {
    let from = dep.version.as_deref().unwrap_or("");
    let is_lock = dep.location.file.ends_with("Cargo.lock");
    let manifest = match &dep.declared_in {
        Some(d) => Some(d.file.clone()),
        None if !is_lock => Some(dep.location.file.clone()),
        None => None,
    };
    if (fix.tier == Tier::ManifestBump && dep.direct) || !is_lock {
        if let Some(manifest) = manifest {
            cargo_manifest_bump(work, &manifest, &dep.name, dep.version.as_deref(), &fix.to)?;
        }
    }
    if !is_lock {
        return Ok(());
    }
    let path = dep.location.file.clone();
    if let LockfileRefresh::Command(command) = &fix.lockfile {
        // The plan leaves Cargo.lock to cargo: it is not touched.
        work.out.needs_package_manager = true;
        work.out.note(format!(
            "{path} was not updated because no registry gave the index entries and checksum of {} {}: run `{command}`",
            fix.name, fix.to
        ));
        return Ok(());
    }
    let update = update_lock(&work.snapshot, &path, &dep.name, from, &fix.to, registry).await?;
    match update {
        Update::Written { text, moved } => {
            let others: Vec<&String> = moved
                .iter()
                .filter(|m| !m.starts_with(&format!("{} ", dep.name)))
                .collect();
            if !others.is_empty() {
                work.out.note(format!(
                    "{path} also moves {} so that every requirement holds with {} {}",
                    others
                        .iter()
                        .map(|m| m.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                    fix.name,
                    fix.to
                ));
            }
            let kept = text.contains(&format!(
                "name = \"{}\"\nversion = \"{}\"\n",
                dep.name, fix.to
            ));
            if !kept {
                work.out.note(format!(
                    "once the packages above move, nothing depends on {} any more, so {path} drops it instead of locking {}",
                    fix.name, fix.to
                ));
            }
            work.write(&path, text);
        }
        Update::Refused(reason) => {
            work.out.needs_package_manager = true;
            if fix.tier == Tier::Override && !dep.direct {
                work.out.note(format!(
                    "{} {from} cannot move to {} while its parents require the old range: upgrade {} and run `cargo update`",
                    fix.name,
                    fix.to,
                    dep.parents.join(", ")
                ));
            } else {
                work.out.note(format!(
                    "{path} was not updated because {reason}: run `cargo update -p {} --precise {}`",
                    fix.name, fix.to
                ));
            }
        }
        Update::Conflict(reason) => {
            return Err(Error::Unresolvable {
                ecosystem: Ecosystem::CratesIo,
                package: fix.name.clone(),
                from: from.to_string(),
                to: fix.to.clone(),
                reason,
            });
        }
    }
    Ok(())
}

/// Raises every requirement on `name` in the manifest at `path` that admits `from` (all of them
/// when the version in use is unknown), so another declaration of the same package under a
/// different name and range (`time03 = { package = "time", version = "0.3" }`) stays.
fn cargo_manifest_bump(
    work: &mut Work,
    path: &str,
    name: &str,
    from: Option<&str>,
    to: &str,
) -> Result<(), Error> {
    let from_text = from.map(String::from);
    let from = from.and_then(|f| crate::version::semver::Version::parse(f).ok());
    let admits = |req: &str| -> bool {
        let Some(from) = &from else {
            return true;
        };
        crate::version::semver::Range::parse_cargo(req).map_or(true, |r| r.matches(from))
    };
    let text = work.text(path)?;
    let mut doc: toml_edit::DocumentMut = text
        .parse()
        .map_err(|e: toml_edit::TomlError| edit_error(path, e.message().trim()))?;
    let mut changed = false;
    let mut inherited = false;
    let mut bump = |table: &mut dyn toml_edit::TableLike| {
        let keys: Vec<String> = table.iter().map(|(k, _)| k.to_string()).collect();
        for key in keys {
            let Some(item) = table.get_mut(&key) else {
                continue;
            };
            let renamed = item
                .as_table_like()
                .and_then(|t| t.get("package"))
                .and_then(|p| p.as_str())
                .map(String::from);
            if renamed.as_deref().unwrap_or(&key) != name {
                continue;
            }
            if let Some(value) = item.as_value_mut() {
                if let Some(old) = value.as_str() {
                    if !admits(old) {
                        continue;
                    }
                    let decor = value.decor().clone();
                    *value = toml_edit::Value::from(bumped_requirement(old, to));
                    *value.decor_mut() = decor;
                    changed = true;
                    continue;
                }
            }
            if let Some(t) = item.as_table_like_mut() {
                if t.get("workspace").and_then(|w| w.as_bool()) == Some(true) {
                    inherited = true;
                } else if let Some(v) = t.get_mut("version").and_then(|v| v.as_value_mut()) {
                    let old = v.as_str().unwrap_or("").to_string();
                    if !admits(&old) {
                        continue;
                    }
                    let decor = v.decor().clone();
                    *v = toml_edit::Value::from(bumped_requirement(&old, to));
                    *v.decor_mut() = decor;
                    changed = true;
                }
            }
        }
    };
    for section in ["dependencies", "dev-dependencies", "build-dependencies"] {
        if let Some(t) = doc.get_mut(section).and_then(|i| i.as_table_like_mut()) {
            bump(t);
        }
    }
    if let Some(targets) = doc.get_mut("target").and_then(|i| i.as_table_like_mut()) {
        for (_, target) in targets.iter_mut() {
            for section in ["dependencies", "dev-dependencies", "build-dependencies"] {
                if let Some(t) = target.get_mut(section).and_then(|i| i.as_table_like_mut()) {
                    bump(t);
                }
            }
        }
    }
    if let Some(t) = doc
        .get_mut("workspace")
        .and_then(|w| w.get_mut("dependencies"))
        .and_then(|i| i.as_table_like_mut())
    {
        bump(t);
    }
    if changed {
        work.write(path, doc.to_string());
    }
    if inherited {
        // The version lives in the workspace root manifest.
        let mut dir = dir_of(path).to_string();
        while !dir.is_empty() {
            dir = dir_of(&dir).to_string();
            let root = join(&dir, "Cargo.toml");
            if work
                .snapshot
                .text(&root)
                .is_some_and(|t| t.contains("[workspace"))
            {
                return cargo_manifest_bump(work, &root, name, from_text.as_deref(), to);
            }
        }
    }
    if !changed && !inherited {
        return Err(edit_error(path, format!("no `{name}` dependency to bump")));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
