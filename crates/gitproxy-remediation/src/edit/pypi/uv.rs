//! The uv side of a PyPI fix: the `pyproject.toml` requirement raised when it excludes the fixed
//! version (and the project's `[package.metadata]` in `uv.lock` with it), and the package's
//! `[[package]]` entry moved with the new release's sdist and wheels (URL, hash, size and, when
//! the lock records them, upload times) from PyPI, as `uv lock --upgrade-package` writes it.
//! New dependencies of the release join the lock and orphans leave it (`uv/reconcile.rs`); a
//! release whose Python support differs from the lock's, or that another locked package
//! excludes, is left to uv.

use std::collections::BTreeSet;

use toml_edit::{DocumentMut, ImDocument, Value};

use super::lock::{admits_python, lowest_python, split_blocks};
use super::requires::toml_string;
use super::specifier::{admits, bump_specifier, misfit, relock_note, required_names, Context};
use crate::analysis::pypi::uv::packages;
use crate::analysis::Dependency;
use crate::edit::{edit_error, Work};
use crate::files::LineIndex;
use crate::plan::{PackageFix, Tier};
use crate::registry::{PypiDist, Registry};
use crate::{Ecosystem, Error};

pub(super) async fn edit(
    work: &mut Work,
    fix: &PackageFix,
    dep: &Dependency,
    registry: &dyn Registry,
) -> Result<(), Error> {
    let path = dep.location.file.clone();
    let from = dep.version.as_deref().unwrap_or("");
    let mut new_spec = None;
    if fix.tier == Tier::ManifestBump && dep.direct {
        if let Some(declared) = &dep.declared_in {
            new_spec = pyproject_bump(work, &declared.file, &dep.name, &fix.to, "uv lock")?;
        }
    }
    let command = match (fix.lockfile.command(), &new_spec) {
        (Some(c), _) => c.to_string(),
        (None, Some(_)) => "uv lock".to_string(),
        (None, None) => format!("uv lock --upgrade-package {}=={}", fix.name, fix.to),
    };
    let files = match fix.lockfile.command() {
        Some(_) => None,
        None => registry.pypi_files(&fix.name, &fix.to).await?,
    };
    let Some(mut files) = files.filter(|f| !f.is_empty()) else {
        let why = format!("no registry gave the files of {} {}", fix.name, fix.to);
        relock_note(work, &path, &why, &command);
        return Ok(());
    };
    let text = work.text(&path)?;
    let lines = LineIndex::new(&text);
    let doc =
        ImDocument::parse(text.as_str()).map_err(|e| edit_error(&path, e.message().trim()))?;
    let pkgs = packages(&doc, &lines);
    if pkgs.iter().filter(|p| p.name == dep.name).count() > 1 {
        let why = format!(
            "the lock holds several versions of {} (a forked resolution)",
            fix.name
        );
        relock_note(work, &path, &why, &command);
        return Ok(());
    }
    let locked: Vec<(String, String)> = pkgs
        .iter()
        .filter(|p| p.source == "registry")
        .map(|p| (p.name.clone(), p.version.clone()))
        .collect();
    let python = doc
        .get("requires-python")
        .and_then(|v| v.as_str())
        .and_then(lowest_python);
    let upload_times = text.contains("upload-time = ");
    let recorded: Option<BTreeSet<String>> = pkgs
        .iter()
        .find(|p| p.name == dep.name)
        .map(|p| p.deps.iter().map(|(n, _)| n.clone()).collect());
    let release = registry.pypi_release(&fix.name, &fix.to).await?;
    let mut locked = locked;
    let mut changes = None;
    if let (Some(release), Some(was)) = (&release, &recorded) {
        if required_names(release, python.as_deref()) != *was {
            let source_line = split_blocks(&text)
                .iter()
                .find(|b| block_is(b, &dep.name, from))
                .and_then(|b| {
                    b.lines()
                        .find(|l| l.starts_with("source = "))
                        .map(String::from)
                })
                .unwrap_or_default();
            let found = reconcile::reconcile(
                registry,
                &dep.name,
                release,
                &pkgs,
                python.as_deref(),
                &source_line,
                upload_times,
            )
            .await?;
            match found {
                Ok(c) => {
                    locked.extend(c.added.iter().map(|(n, (v, _))| (n.clone(), v.clone())));
                    changes = Some(c);
                }
                Err(why) => {
                    relock_note(work, &path, &why, &command);
                    return Ok(());
                }
            }
        }
    }
    let context = Context {
        locked: &locked,
        recorded: match &changes {
            Some(c) => Some(c.deps.iter().cloned().collect()),
            None => recorded,
        },
        python: python.clone(),
    };
    if let Some(why) = misfit(registry, &fix.name, from, &fix.to, context).await? {
        relock_note(work, &path, &why, &command);
        return Ok(());
    }
    if let Some(release) = release.filter(|r| !admits_python(r, python.as_deref())) {
        let why = format!(
            "{} {} requires Python {}, narrower than the lock's {}",
            fix.name,
            fix.to,
            release.requires_python.unwrap_or_default(),
            python.unwrap_or_default()
        );
        relock_note(work, &path, &why, &command);
        return Ok(());
    }
    // The project's own requirement, as it will stand, must admit the new version.
    for member in pkgs.iter().filter(|p| p.is_member()) {
        let spec = new_spec
            .clone()
            .or_else(|| member.specifiers.get(&dep.name).cloned());
        if spec.is_some_and(|s| !admits(&s, &fix.to)) {
            let why = format!("the project requires {} outside {}", fix.name, fix.to);
            relock_note(work, &path, &why, &command);
            return Ok(());
        }
    }
    files.sort_by(|a, b| a.filename.cmp(&b.filename));
    let mut blocks = split_blocks(&text);
    let deps = changes.as_ref().map(|c| c.deps.as_slice());
    for block in blocks.iter_mut() {
        if block_is(block, &dep.name, from) {
            *block = moved_block(block, &fix.to, &files, upload_times, deps);
        } else if let Some(spec) = new_spec.as_deref().filter(|_| is_member_block(block)) {
            *block = with_metadata_specifier(block, &dep.name, spec);
        }
    }
    let new_text = match changes {
        None => blocks.concat(),
        Some(c) => {
            let mut moved = Vec::new();
            for (name, (version, _)) in &c.added {
                moved.push(format!("adds {name} {version}"));
            }
            for name in &c.dropped {
                moved.push(format!("drops {name}"));
            }
            work.out.note(format!(
                "{path} also {} for the dependencies of {} {}",
                moved.join(", "),
                fix.name,
                fix.to
            ));
            with_package_changes(&blocks, &c)
        }
    };
    work.write(&path, new_text);
    Ok(())
}

/// The lock from its header and blocks with the new packages in name order and the dropped ones
/// gone, blocks separated by one blank line as uv writes them.
fn with_package_changes(blocks: &[String], changes: &reconcile::Changes) -> String {
    let mut named: Vec<(String, String)> = blocks[1..]
        .iter()
        .map(|b| {
            let name = field(b, "name").map(|n| Ecosystem::PyPI.normalize_name(n));
            (name.unwrap_or_default(), b.trim_end().to_string())
        })
        .filter(|(n, _)| !changes.dropped.contains(n))
        .collect();
    for (name, (_, block)) in &changes.added {
        let at = named
            .iter()
            .position(|(n, _)| n > name)
            .unwrap_or(named.len());
        named.insert(at, (name.clone(), block.trim_end().to_string()));
    }
    let body: Vec<String> = named.into_iter().map(|(_, b)| b).collect();
    format!("{}\n\n{}\n", blocks[0].trim_end(), body.join("\n\n"))
}

/// The value of a top-level `key = "..."` line of a block.
fn field<'a>(block: &'a str, key: &str) -> Option<&'a str> {
    block.lines().find_map(|l| {
        l.strip_prefix(key)?
            .strip_prefix(" = \"")?
            .strip_suffix('"')
    })
}

fn block_is(block: &str, name: &str, version: &str) -> bool {
    field(block, "name").is_some_and(|n| Ecosystem::PyPI.normalize_name(n) == name)
        && field(block, "version") == Some(version)
}

fn is_member_block(block: &str) -> bool {
    block
        .lines()
        .any(|l| l.starts_with("source = { editable = ") || l.starts_with("source = { virtual = "))
}

/// The `sdist` and `wheels` lines of a release's files as uv writes them (wheels in the order
/// given).
fn files_text(files: &[PypiDist], upload_times: bool) -> String {
    let entry = |f: &PypiDist| {
        let mut parts = vec![
            format!("url = {}", toml_string(&f.url)),
            format!("hash = {}", toml_string(&format!("sha256:{}", f.sha256))),
        ];
        if let Some(size) = f.size {
            parts.push(format!("size = {size}"));
        }
        if let Some(t) = f.upload_time.as_deref().filter(|_| upload_times) {
            parts.push(format!("upload-time = {}", toml_string(&uv_time(t))));
        }
        format!("{{ {} }}", parts.join(", "))
    };
    let mut out = String::new();
    if let Some(sdist) = files.iter().find(|f| !f.filename.ends_with(".whl")) {
        out.push_str(&format!("sdist = {}\n", entry(sdist)));
    }
    let wheels: Vec<&PypiDist> = files
        .iter()
        .filter(|f| f.filename.ends_with(".whl"))
        .collect();
    if !wheels.is_empty() {
        out.push_str("wheels = [\n");
        for w in wheels {
            out.push_str(&format!("    {},\n", entry(w)));
        }
        out.push_str("]\n");
    }
    out
}

/// A `dependencies = [...]` array of names, as uv writes it (empty for none).
fn deps_text(deps: &[String]) -> String {
    if deps.is_empty() {
        return String::new();
    }
    let mut out = String::from("dependencies = [\n");
    for d in deps {
        out.push_str(&format!("    {{ name = {} }},\n", toml_string(d)));
    }
    out.push_str("]\n");
    out
}

/// The block with its version, `sdist` and `wheels` (and, when `deps` is given, its
/// `dependencies`) replaced; everything else kept.
fn moved_block(
    block: &str,
    to: &str,
    files: &[PypiDist],
    upload_times: bool,
    deps: Option<&[String]>,
) -> String {
    let files_text = files_text(files, upload_times);
    let mut out = String::new();
    let mut placed = false;
    let mut deps_placed = deps.is_none();
    let mut skipping = false;
    let mut in_subtable = false;
    for line in block.split_inclusive('\n') {
        let bare = line.trim_end();
        if skipping {
            skipping = bare != "]";
            continue;
        }
        if bare.starts_with("[package.") {
            in_subtable = true;
        }
        if !in_subtable && bare.starts_with("version = ") {
            out.push_str(&format!("version = {}\n", toml_string(to)));
            continue;
        }
        let is_deps = !in_subtable && deps.is_some() && bare.starts_with("dependencies = ");
        let is_files =
            !in_subtable && (bare.starts_with("sdist = ") || bare.starts_with("wheels = "));
        // Dependencies go where they were, else before the files; files where the old ones
        // were, else before the first sub-table or blank line.
        let end_of_main = !in_subtable && bare.is_empty() || bare.starts_with("[package.");
        if (is_deps || is_files || end_of_main) && !deps_placed {
            out.push_str(&deps_text(deps.unwrap_or_default()));
            deps_placed = true;
        }
        if is_deps {
            skipping = bare.ends_with('[');
            continue;
        }
        if (is_files || end_of_main) && !placed {
            out.push_str(&files_text);
            placed = true;
        }
        if is_files {
            skipping = bare == "wheels = [";
            continue;
        }
        out.push_str(line);
    }
    if !deps_placed {
        out.push_str(&deps_text(deps.unwrap_or_default()));
    }
    if !placed {
        out.push_str(&files_text);
    }
    out
}

/// An upload time as uv writes it: milliseconds at most, trailing zeros dropped
/// (`2023-10-17T17:47:03.986854Z` -> `2023-10-17T17:47:03.986Z`).
fn uv_time(t: &str) -> String {
    let Some((head, frac)) = t.trim_end_matches('Z').split_once('.') else {
        return t.to_string();
    };
    let millis: String = frac.chars().take(3).collect();
    let millis = millis.trim_end_matches('0');
    if millis.is_empty() {
        format!("{head}Z")
    } else {
        format!("{head}.{millis}Z")
    }
}

/// The member block with the `specifier` of its `[package.metadata]` entry for `name` set to
/// `spec` (clauses separated by a bare comma, as uv writes them).
fn with_metadata_specifier(block: &str, name: &str, spec: &str) -> String {
    let mut out = String::new();
    let mut in_metadata = false;
    for line in block.split_inclusive('\n') {
        if line.starts_with('[') {
            in_metadata = line.starts_with("[package.metadata");
        }
        if !in_metadata {
            out.push_str(line);
            continue;
        }
        let mut rest = line;
        let mut rewritten = String::new();
        while let Some(at) = rest.find("{ name = \"") {
            let (before, entry) = rest.split_at(at);
            rewritten.push_str(before);
            let end = entry.find('}').map_or(entry.len(), |e| e + 1);
            let (this, after) = entry.split_at(end);
            let entry_name = this["{ name = \"".len()..].split('"').next().unwrap_or("");
            match this.find("specifier = \"") {
                Some(s) if Ecosystem::PyPI.normalize_name(entry_name) == name => {
                    let value_start = s + "specifier = \"".len();
                    let value_end = this[value_start..]
                        .find('"')
                        .map_or(this.len(), |e| value_start + e);
                    rewritten.push_str(&this[..value_start]);
                    rewritten.push_str(spec);
                    rewritten.push_str(&this[value_end..]);
                }
                _ => rewritten.push_str(this),
            }
            rest = after;
        }
        rewritten.push_str(rest);
        out.push_str(&rewritten);
    }
    out
}

/// Raises the PEP 508 requirement of `name` in `[project]` dependencies, optional dependencies
/// and dependency groups (and PDM's `[tool.pdm.dev-dependencies]`) to admit `to`; the new
/// specifier, or `None` with a note naming `relock`, the tool's command.
pub(super) fn pyproject_bump(
    work: &mut Work,
    path: &str,
    name: &str,
    to: &str,
    relock: &str,
) -> Result<Option<String>, Error> {
    let text = work.text(path)?;
    let mut doc: DocumentMut = text
        .parse()
        .map_err(|e: toml_edit::TomlError| edit_error(path, e.message().trim()))?;
    let mut new_spec = None;
    let mut bump = |array: &mut toml_edit::Array| {
        for v in array.iter_mut() {
            let Some(s) = v.as_str() else { continue };
            let end = s
                .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
                .unwrap_or(s.len());
            if Ecosystem::PyPI.normalize_name(&s[..end]) != name {
                continue;
            }
            let (head, marker) = match s.split_once(';') {
                Some((h, m)) => (h, Some(m)),
                None => (s, None),
            };
            let mut rest = &head[end..];
            let mut extras = "";
            if rest.trim_start().starts_with('[') {
                let close = rest.find(']').map_or(rest.len(), |i| i + 1);
                extras = rest[..close].trim();
                rest = &rest[close..];
            }
            let old = rest.trim().trim_start_matches('(').trim_end_matches(')');
            let Some(spec) = bump_specifier(old, to) else {
                continue;
            };
            let mut new = format!("{}{extras}{spec}", &s[..end]);
            if let Some(m) = marker {
                new.push_str(&format!(";{m}"));
            }
            let decor = v.decor().clone();
            *v = Value::from(new);
            *v.decor_mut() = decor;
            new_spec = Some(spec);
        }
    };
    if let Some(project) = doc.get_mut("project") {
        if let Some(a) = project
            .get_mut("dependencies")
            .and_then(|d| d.as_array_mut())
        {
            bump(a);
        }
        if let Some(t) = project
            .get_mut("optional-dependencies")
            .and_then(|d| d.as_table_like_mut())
        {
            for (_, item) in t.iter_mut() {
                if let Some(a) = item.as_array_mut() {
                    bump(a);
                }
            }
        }
    }
    if let Some(t) = doc
        .get_mut("dependency-groups")
        .and_then(|d| d.as_table_like_mut())
    {
        for (_, item) in t.iter_mut() {
            if let Some(a) = item.as_array_mut() {
                bump(a);
            }
        }
    }
    if let Some(t) = doc
        .get_mut("tool")
        .and_then(|t| t.get_mut("pdm"))
        .and_then(|p| p.get_mut("dev-dependencies"))
        .and_then(|d| d.as_table_like_mut())
    {
        for (_, item) in t.iter_mut() {
            if let Some(a) = item.as_array_mut() {
                bump(a);
            }
        }
    }
    if new_spec.is_none() {
        work.out.needs_package_manager = true;
        work.out.note(format!(
            "{path}: the requirement of {name} is not a PEP 508 string the agent can raise; allow {to} by hand and run `{relock}`"
        ));
        return Ok(None);
    }
    work.write(path, doc.to_string());
    Ok(new_spec)
}

mod reconcile;

#[cfg(test)]
mod tests;
