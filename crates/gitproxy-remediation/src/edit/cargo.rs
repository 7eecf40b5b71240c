//! crates.io edits: `Cargo.toml` requirements through `toml_edit` (workspace inheritance
//! followed to the root manifest) and `Cargo.lock` entries with the new checksum.

use super::{bumped_requirement, edit_error, Work};
use crate::analysis::Dependency;
use crate::files::{dir_of, join};
use crate::plan::{PackageFix, Tier};
use crate::registry::Digest;
use crate::Error;

pub(super) fn edit(
    work: &mut Work,
    fix: &PackageFix,
    dep: &Dependency,
    digests: &[Digest],
) -> Result<(), Error> {
    let from = dep.version.as_deref().unwrap_or("");
    if fix.tier == Tier::Override && !dep.direct {
        // Cargo has no way to force a version over a parent's requirement.
        work.out.needs_package_manager = true;
        work.out.note(format!(
            "{} {from} cannot move to {} while its parents require the old range: upgrade {} and run `cargo update`",
            fix.name,
            fix.to,
            dep.parents.join(", ")
        ));
        return Ok(());
    }
    let is_lock = dep.location.file.ends_with("Cargo.lock");
    let manifest = match &dep.declared_in {
        Some(d) => Some(d.file.clone()),
        None if !is_lock => Some(dep.location.file.clone()),
        None => None,
    };
    if (fix.tier == Tier::ManifestBump && dep.direct) || !is_lock {
        if let Some(manifest) = manifest {
            cargo_manifest_bump(work, &manifest, &dep.name, &fix.to)?;
        }
    }
    if !is_lock {
        return Ok(());
    }
    let path = dep.location.file.clone();
    let text = work.text(&path)?;
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let start = dep.location.line as usize - 1;
    let mut end = start;
    while end < lines.len()
        && !lines[end].trim().is_empty()
        && !(end > start && lines[end].starts_with("[["))
    {
        end += 1;
    }
    let has_checksum = lines[start..end]
        .iter()
        .any(|l| l.starts_with("checksum = "));
    let checksum = digests.first().map(|d| d.value.clone());
    if has_checksum && checksum.is_none() {
        work.out.needs_package_manager = true;
        work.out.note(format!(
            "{path} was not updated because the registry gave no checksum for {}@{}: run `cargo update -p {} --precise {}`",
            fix.name, fix.to, fix.name, fix.to
        ));
        return Ok(());
    }
    let mut out = String::with_capacity(text.len());
    let old_ref = format!("\"{} {from}\"", dep.name);
    let old_ref_src = format!("\"{} {from} (", dep.name);
    for (n, line) in lines.iter().enumerate() {
        if (start..end).contains(&n) && line.starts_with("version = ") {
            out.push_str(&format!("version = \"{}\"\n", fix.to));
        } else if (start..end).contains(&n) && line.starts_with("checksum = ") {
            out.push_str(&format!(
                "checksum = \"{}\"\n",
                checksum.as_deref().unwrap_or("")
            ));
        } else if line.contains(&old_ref) || line.contains(&old_ref_src) {
            out.push_str(&line.replacen(
                &format!("{} {from}", dep.name),
                &format!("{} {}", dep.name, fix.to),
                1,
            ));
        } else {
            out.push_str(line);
        }
    }
    work.write(&path, out);
    Ok(())
}

fn cargo_manifest_bump(work: &mut Work, path: &str, name: &str, to: &str) -> Result<(), Error> {
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
                return cargo_manifest_bump(work, &root, name, to);
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
