//! Turns a [`Plan`] into file edits that keep formatting, comments and ordering: `toml_edit` for
//! `Cargo.toml`, minimal span or line replacements everywhere else. Lockfile entries get the
//! integrity/checksum of the new version from the [`Registry`]; where a correct lockfile cannot
//! be written without running the package manager, the lockfile is left alone and
//! [`EditSet::notes`] says so plainly, while the manifest change still lands.

use std::collections::BTreeMap;

use crate::analysis::maven::read_pom;
use crate::analysis::npm::SECTIONS;
use crate::analysis::{Analysis, Dependency};
use crate::files::{dir_of, join, LineIndex, Snapshot};
use crate::json::{self, Node};
use crate::plan::{Digest, PackageFix, Plan, Registry, Tier};
use crate::{Ecosystem, Error};

/// The files a plan changes, with their complete new contents.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EditSet {
    /// Repository path -> new contents, only for files that changed.
    pub files: BTreeMap<String, String>,
    /// Caveats for the pull request (for example "run `go mod tidy`").
    pub notes: Vec<String>,
    /// True when some lockfile could not be brought fully up to date without the package manager.
    pub needs_package_manager: bool,
}

impl EditSet {
    fn note(&mut self, note: String) {
        if !self.notes.contains(&note) {
            self.notes.push(note);
        }
    }
}

/// Applies every fix of `plan` to a copy of `snapshot`.
pub async fn apply(
    plan: &Plan,
    analysis: &Analysis,
    snapshot: &Snapshot,
    registry: &dyn Registry,
) -> Result<EditSet, Error> {
    let mut work = Work {
        snapshot: snapshot.clone(),
        out: EditSet::default(),
    };
    for fix in &plan.fixes {
        apply_one(&mut work, fix, analysis, registry).await?;
    }
    Ok(work.out)
}

/// Applies a single fix (one pull request per package).
pub async fn apply_fix(
    fix: &PackageFix,
    analysis: &Analysis,
    snapshot: &Snapshot,
    registry: &dyn Registry,
) -> Result<EditSet, Error> {
    let mut work = Work {
        snapshot: snapshot.clone(),
        out: EditSet::default(),
    };
    apply_one(&mut work, fix, analysis, registry).await?;
    Ok(work.out)
}

struct Work {
    snapshot: Snapshot,
    out: EditSet,
}

impl Work {
    fn text(&self, path: &str) -> Result<String, Error> {
        self.snapshot
            .text(path)
            .map(String::from)
            .ok_or_else(|| Error::Edit {
                file: path.to_string(),
                reason: "the file is missing or not UTF-8".into(),
            })
    }

    fn write(&mut self, path: &str, text: String) {
        if self.snapshot.text(path) != Some(text.as_str()) {
            self.snapshot.insert(path, text.clone().into_bytes());
            self.out.files.insert(path.to_string(), text);
        }
    }
}

fn edit_error(file: &str, reason: impl Into<String>) -> Error {
    Error::Edit {
        file: file.to_string(),
        reason: reason.into(),
    }
}

/// Applies `(start, end, replacement)` edits; spans must not overlap.
fn splice(text: &str, mut edits: Vec<(usize, usize, String)>) -> String {
    edits.sort_by_key(|e| std::cmp::Reverse(e.0));
    let mut out = text.to_string();
    for (start, end, new) in edits {
        out.replace_range(start..end, &new);
    }
    out
}

/// The new requirement for a bump: keep the operator the author used.
fn bumped_requirement(old: &str, to: &str) -> String {
    let old = old.trim();
    for op in ["^", "~=", "~", ">=", "="] {
        if old.starts_with(op) {
            return format!("{op}{to}");
        }
    }
    to.to_string()
}

async fn apply_one(
    work: &mut Work,
    fix: &PackageFix,
    analysis: &Analysis,
    registry: &dyn Registry,
) -> Result<(), Error> {
    let digests = registry.digests(fix.ecosystem, &fix.name, &fix.to).await?;
    for note in &fix.notes {
        work.out.note(note.clone());
    }
    for &i in &fix.dependencies {
        let dep = &analysis.dependencies[i];
        match dep.ecosystem {
            Ecosystem::Npm => npm(work, fix, dep, &digests)?,
            Ecosystem::CratesIo => cargo(work, fix, dep, &digests)?,
            Ecosystem::PyPI => pypi(work, fix, dep, &digests)?,
            Ecosystem::Go => go(work, fix, dep, &digests)?,
            Ecosystem::Maven => maven(work, fix, dep)?,
        }
    }
    Ok(())
}

// === npm ===

fn npm(
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

// === crates.io ===

fn cargo(
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

// === PyPI ===

fn pypi(
    work: &mut Work,
    fix: &PackageFix,
    dep: &Dependency,
    digests: &[Digest],
) -> Result<(), Error> {
    let path = dep.location.file.clone();
    let text = work.text(&path)?;
    let from = dep.version.as_deref().unwrap_or("");
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let start = dep.location.line as usize - 1;
    if path.ends_with("poetry.lock") && fix.tier == Tier::Override && !dep.direct {
        work.out.needs_package_manager = true;
        work.out.note(format!(
            "{} {from} cannot move to {} while {} require the old range: upgrade them and run `poetry lock`",
            fix.name,
            fix.to,
            dep.parents.join(", ")
        ));
        return Ok(());
    }
    if path.ends_with("poetry.lock") && fix.tier == Tier::ManifestBump && dep.direct {
        if let Some(declared) = &dep.declared_in {
            pyproject_bump(work, &declared.file, &dep.name, &fix.to)?;
            work.out.needs_package_manager = true;
            work.out.note(format!(
                "{} changed, so poetry.lock's content-hash is stale: run `poetry lock --no-update`",
                declared.file
            ));
        }
    }
    if path.ends_with("poetry.lock") {
        let mut out = String::new();
        let mut in_block = false;
        let mut replaced_files = false;
        let mut skipping_files = false;
        for (n, line) in lines.iter().enumerate() {
            if n == start {
                in_block = true;
            } else if in_block && line.starts_with("[[") {
                in_block = false;
            }
            if skipping_files {
                if line.trim_end() == "]" {
                    skipping_files = false;
                }
                continue;
            }
            if in_block && line.starts_with("version = ") {
                out.push_str(&format!("version = \"{}\"\n", fix.to));
            } else if in_block && line.starts_with("files = [") && !digests.is_empty() {
                out.push_str("files = [\n");
                for d in digests {
                    let file = d.artifact.as_deref().unwrap_or("");
                    out.push_str(&format!(
                        "    {{file = \"{file}\", hash = \"{}\"}},\n",
                        d.value
                    ));
                }
                out.push_str("]\n");
                replaced_files = true;
                skipping_files = line.trim_end() != "files = []";
            } else {
                out.push_str(line);
            }
        }
        if !replaced_files && text[..].contains("files = [") {
            work.out.needs_package_manager = true;
            work.out.note(format!(
                "{path}: the file hashes of {}@{} were not available: run `poetry lock --no-update`",
                fix.name, fix.to
            ));
        }
        work.write(&path, out);
        return Ok(());
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
        if had_hashes {
            work.out.needs_package_manager = true;
            work.out.note(format!(
                "{path}: the hashes of {}=={} were not available: regenerate them with `pip-compile --generate-hashes`",
                fix.name, fix.to
            ));
        }
    }
    for line in &lines[end + 1..] {
        out.push_str(line);
    }
    work.write(&path, out);
    Ok(())
}

/// Raises a Poetry constraint in `pyproject.toml` (`[tool.poetry.*dependencies]`, including
/// groups) to `to`, keeping the operator and the file's formatting.
fn pyproject_bump(work: &mut Work, path: &str, name: &str, to: &str) -> Result<(), Error> {
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
        return Ok(());
    }
    work.write(path, doc.to_string());
    Ok(())
}

// === Go ===

fn go(
    work: &mut Work,
    fix: &PackageFix,
    dep: &Dependency,
    digests: &[Digest],
) -> Result<(), Error> {
    let path = dep.location.file.clone();
    let text = work.text(&path)?;
    let from = dep.version.as_deref().unwrap_or("");
    let to = if fix.to.starts_with('v') {
        fix.to.clone()
    } else {
        format!("v{}", fix.to)
    };
    let mut out = String::with_capacity(text.len());
    for (n, line) in text.split_inclusive('\n').enumerate() {
        if n + 1 == dep.location.line as usize {
            let replaced = line.replacen(&format!(" {from}"), &format!(" {to}"), 1);
            if replaced == line {
                return Err(edit_error(
                    &path,
                    format!("no `{from}` on line {}", dep.location.line),
                ));
            }
            out.push_str(&replaced);
        } else {
            out.push_str(line);
        }
    }
    work.write(&path, out);
    let sum_path = join(dir_of(&path), "go.sum");
    let Some(sum) = work.snapshot.text(&sum_path).map(String::from) else {
        return Ok(());
    };
    let zip = digests.iter().find(|d| d.artifact.is_none());
    let gomod = digests
        .iter()
        .find(|d| d.artifact.as_deref() == Some("go.mod"));
    let (Some(zip), Some(gomod)) = (zip, gomod) else {
        work.out.needs_package_manager = true;
        work.out.note(format!(
            "{sum_path} was not updated because the module proxy gave no hashes for {}@{to}: run `go mod tidy`",
            fix.name
        ));
        return Ok(());
    };
    let module = &dep.name;
    let mut entries: Vec<String> = sum
        .lines()
        .filter(|l| {
            !l.starts_with(&format!("{module} {from} "))
                && !l.starts_with(&format!("{module} {from}/go.mod "))
        })
        .map(String::from)
        .collect();
    entries.push(format!("{module} {to} {}", zip.value));
    entries.push(format!("{module} {to}/go.mod {}", gomod.value));
    entries.sort_by_key(|e| go_sum_key(e));
    entries.dedup();
    let mut new_sum = entries.join("\n");
    new_sum.push('\n');
    work.write(&sum_path, new_sum);
    Ok(())
}

fn go_sum_key(line: &str) -> (String, Option<crate::version::Version>, String) {
    let mut parts = line.split(' ');
    let module = parts.next().unwrap_or("").to_string();
    let version = parts.next().unwrap_or("");
    let bare = version.trim_end_matches("/go.mod");
    (
        module,
        crate::version::Version::parse(Ecosystem::Go, bare).ok(),
        version.to_string(),
    )
}

// === Maven ===

fn maven(work: &mut Work, fix: &PackageFix, dep: &Dependency) -> Result<(), Error> {
    let declared = dep
        .declared_in
        .clone()
        .unwrap_or_else(|| dep.location.clone());
    let pom = read_pom(&work.snapshot, &declared.file, 0)?;
    let Some(d) = pom
        .dependencies
        .iter()
        .find(|d| d.name == dep.name && d.line == declared.line)
    else {
        return Err(edit_error(
            &declared.file,
            format!("no `{}` dependency on line {}", dep.name, declared.line),
        ));
    };
    match &d.version_site {
        Some(site) => {
            let text = work.text(&site.file)?;
            let edited = splice(&text, vec![(site.span.0, site.span.1, fix.to.clone())]);
            work.write(&site.file, edited);
        }
        None => {
            // The version comes from outside the repository (an imported BOM or a parent POM
            // that is not here): pin it with dependencyManagement.
            let text = work.text(&pom.path)?;
            let (group, artifact) = dep.name.split_once(':').unwrap_or((&dep.name, ""));
            let entry = format!(
                "      <dependency>\n        <groupId>{group}</groupId>\n        <artifactId>{artifact}</artifactId>\n        <version>{}</version>\n      </dependency>\n",
                fix.to
            );
            let edited = match pom.management_deps_end {
                Some(at) => {
                    let line_start = text[..at].rfind('\n').map_or(at, |i| i + 1);
                    splice(&text, vec![(line_start, line_start, entry)])
                }
                None => {
                    let at = pom.insert_management_at;
                    let line_start = text[..at].rfind('\n').map_or(at, |i| i + 1);
                    let block = format!(
                        "  <dependencyManagement>\n    <dependencies>\n{entry}    </dependencies>\n  </dependencyManagement>\n"
                    );
                    splice(&text, vec![(line_start, line_start, block)])
                }
            };
            work.write(&pom.path, edited);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
