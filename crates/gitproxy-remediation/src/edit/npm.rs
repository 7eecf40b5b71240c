//! npm edits: `package.json` ranges and `overrides`, and `package-lock.json` / shrinkwrap entries
//! (v2/v3 `packages` and the v1 tree kept in step) with the new version's integrity.

use super::{bumped_requirement, edit_error, splice, Work};
use crate::analysis::npm::SECTIONS;
use crate::analysis::Dependency;
use crate::files::{dir_of, join, LineIndex};
use crate::json::{self, Node};
use crate::plan::{PackageFix, Tier};
use crate::registry::Digest;
use crate::Error;

pub(super) fn edit(
    work: &mut Work,
    fix: &PackageFix,
    dep: &Dependency,
    digests: &[Digest],
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
    if fix.tier == Tier::Override && !dep.direct {
        npm_override(work, &manifest_path, &dep.name, &fix.to)?;
        work.out.needs_package_manager = true;
    }
    if is_lock {
        let integrity = digests
            .iter()
            .find(|d| d.artifact.is_none())
            .or(digests.first());
        match integrity {
            Some(d) => npm_lock_update(
                work,
                &lock_path,
                dep,
                &fix.to,
                &d.value,
                new_range.as_deref(),
            )?,
            None => {
                work.out.needs_package_manager = true;
                work.out.note(format!(
                    "{lock_path} was not updated because the registry gave no integrity for {}@{}: run `npm install --package-lock-only`",
                    fix.name, fix.to
                ));
            }
        }
    }
    Ok(())
}

fn npm_manifest_bump(
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

fn npm_override(work: &mut Work, path: &str, name: &str, to: &str) -> Result<(), Error> {
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
    let edited = match root.get("overrides") {
        Some(existing) => match (existing.member(name), existing.members().last()) {
            (Some(current), _) => splice(
                &text,
                vec![(current.value.start, current.value.end, json::quote(to))],
            ),
            (None, Some(last)) => splice(
                &text,
                vec![(
                    last.value.end,
                    last.value.end,
                    format!(",\n{indent}{indent}{entry}"),
                )],
            ),
            (None, None) => splice(
                &text,
                vec![(
                    existing.start,
                    existing.end,
                    format!("{{\n{indent}{indent}{entry}\n{indent}}}"),
                )],
            ),
        },
        None => {
            let last = members
                .last()
                .ok_or_else(|| edit_error(path, "package.json is an empty object"))?;
            splice(
                &text,
                vec![(
                    last.value.end,
                    last.value.end,
                    format!(",\n{indent}\"overrides\": {{\n{indent}{indent}{entry}\n{indent}}}"),
                )],
            )
        }
    };
    work.write(path, edited);
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

#[cfg(test)]
mod tests;
