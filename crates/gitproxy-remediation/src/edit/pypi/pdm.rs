//! The PDM side of a PyPI fix: the `pyproject.toml` requirement raised when it excludes the fixed
//! version (and `[metadata] content_hash` with it), and the package's `[[package]]` entries (its
//! extras entries too) rewritten as PDM 2 writes them: version, `requires_python`, summary,
//! sorted `dependencies` and `files` with the new release's hashes from PyPI. Dependencies the
//! release adds join the lock and packages nothing reaches leave it, each package's `groups`
//! following (`pdm/graph.rs`); whatever needs PDM's resolver is left to `pdm lock` with the
//! reason.

use std::collections::{BTreeMap, BTreeSet};

use super::content_hash::pdm_content_hash;
use super::lock::{admits_python, lowest_python, split_blocks};
use super::requires::{toml_string, Requires};
use super::specifier::{admits, relock_note};
use super::uv::pyproject_bump;
use crate::analysis::pypi::pdm::{declared_in, fast, Package};
use crate::analysis::Dependency;
use crate::edit::Work;
use crate::files::{dir_of, join};
use crate::plan::{PackageFix, Tier};
use crate::registry::{PypiDist, PypiRelease, Registry};
use crate::{Ecosystem, Error};

mod graph;
mod wheels;

pub(super) async fn edit(
    work: &mut Work,
    fix: &PackageFix,
    dep: &Dependency,
    registry: &dyn Registry,
) -> Result<(), Error> {
    let path = dep.location.file.clone();
    let from = dep.version.as_deref().unwrap_or("");
    let pyproject = join(dir_of(&path), "pyproject.toml");
    let old_pyproject = work.text(&pyproject).ok();
    let mut new_spec = None;
    if fix.tier == Tier::ManifestBump && dep.direct {
        if let Some(declared) = &dep.declared_in {
            new_spec = pyproject_bump(work, &declared.file, &dep.name, &fix.to, "pdm lock")?;
            if new_spec.is_none() {
                return Ok(());
            }
        }
    }
    let command = match (fix.lockfile.command(), &new_spec) {
        (Some(c), _) => c.to_string(),
        (None, Some(_)) => "pdm lock --update-reuse".to_string(),
        (None, None) => format!("pdm update --no-sync {}", fix.name),
    };
    let text = work.text(&path)?;
    match moved_lock(work, fix, dep, registry, &text, from, &pyproject).await? {
        Ok((lock, notes)) => {
            let lock = match (&new_spec, old_pyproject) {
                (Some(_), Some(old)) => {
                    let new = work.text(&pyproject)?;
                    match rehashed(&lock, &old, &new) {
                        Ok(l) => l,
                        Err(why) => {
                            relock_note(work, &path, &why, &command);
                            return Ok(());
                        }
                    }
                }
                _ => lock,
            };
            for note in notes {
                work.out.note(note);
            }
            work.write(&path, lock);
        }
        Err(why) => relock_note(work, &path, &why, &command),
    }
    Ok(())
}

/// The lock with `content_hash` recomputed for the new `pyproject.toml`, when the old hash is
/// the one the old file gives (otherwise the project is one this agent does not hash as PDM
/// does: a workspace, say).
fn rehashed(lock: &str, old: &str, new: &str) -> Result<String, String> {
    let before = format!("sha256:{}", pdm_content_hash(old)?);
    let after = format!("sha256:{}", pdm_content_hash(new)?);
    let line = format!("content_hash = {}\n", toml_string(&before));
    if !lock.contains(&line) {
        return Err("its content_hash is not the one PDM computes for pyproject.toml".into());
    }
    Ok(lock.replacen(
        &line,
        &format!("content_hash = {}\n", toml_string(&after)),
        1,
    ))
}

/// The lock with the package moved, and the notes on what else moved; or why PDM must do it.
async fn moved_lock(
    work: &mut Work,
    fix: &PackageFix,
    dep: &Dependency,
    registry: &dyn Registry,
    text: &str,
    from: &str,
    pyproject: &str,
) -> Result<Result<(String, Vec<String>), String>, Error> {
    let path = &dep.location.file;
    let key = dep.name.as_str();
    // The edit rewrites entries as text: only a lock in the layout PDM writes is safe to edit
    // that way (a hand-edited `name=  "b"` would hide an entry from it). The layout reader
    // also gives the metadata, so the lock is not parsed a second time.
    let Some((meta, pkgs)) = fast::read_lock(text) else {
        return Ok(Err(
            "it is not in the layout PDM writes (edited by hand?), which only PDM rewrites safely"
                .into(),
        ));
    };
    let strategy = &meta.strategy;
    if strategy.iter().any(|s| s == "static_urls")
        || !strategy.iter().any(|s| s == "inherit_metadata")
    {
        return Ok(Err(format!(
            "its strategy {strategy:?} is not the default one (`inherit_metadata`, file names without URLs) this agent writes"
        )));
    }
    if meta.targets.len() > 1 {
        return Ok(Err(
            "it is locked for several targets, which only PDM's resolver can move together".into(),
        ));
    }
    // The files PDM records depend on the target; only a Python range is evaluated here.
    let target = meta.targets.first();
    if let Some(key) = target.and_then(|(keys, _)| keys.iter().find(|k| *k != "requires_python")) {
        return Ok(Err(format!(
            "its target names a `{key}`, whose wheels only PDM's tag evaluation picks"
        )));
    }
    let target_python = target.and_then(|(_, python)| python.as_deref());
    let python = target_python.and_then(lowest_python);
    let python = python.as_deref();
    if pkgs.iter().any(|p| p.name == key && p.version != from) {
        return Ok(Err(format!("it holds several versions of {key}")));
    }
    // The moved entries are rendered from what a registry entry has; a git, path or URL entry of
    // the same name has more.
    if pkgs.iter().any(|p| p.name == key && p.local) {
        return Ok(Err(format!(
            "it locks {key} from a git repository, path or URL"
        )));
    }
    let Some(release) = registry.pypi_release(&fix.name, &fix.to).await? else {
        return Ok(Err(format!(
            "no registry described {} {}",
            fix.name, fix.to
        )));
    };
    let Some(mut files) = registry
        .pypi_files(&fix.name, &fix.to)
        .await?
        .filter(|f| !f.is_empty())
    else {
        return Ok(Err(format!(
            "no registry gave the files of {} {}",
            fix.name, fix.to
        )));
    };
    files.retain(|f| wheels::recorded(&f.filename, target_python));
    files.sort_by(|a, b| (&a.filename, &a.sha256).cmp(&(&b.filename, &b.sha256)));
    if !admits_python(&release, python) {
        return Ok(Err(format!(
            "{} {} requires Python {}, narrower than the lock's {}",
            fix.name,
            fix.to,
            release.requires_python.as_deref().unwrap_or(""),
            python.unwrap_or("")
        )));
    }
    // The project's own requirement, as it will stand, must admit the new version.
    let project = declared_in(&work.text(pyproject).unwrap_or_default(), pyproject);
    if let Some((_, spec)) = project.requirements.get(key) {
        if !admits(spec, &fix.to) {
            return Ok(Err(format!(
                "the project requires {key} {spec}, which excludes {}",
                fix.to
            )));
        }
    }
    // Every other package's requirement on it must admit the new version.
    for p in pkgs.iter().filter(|p| p.name != key) {
        for (name, spec) in p.deps() {
            if name == key && !admits(&spec, &fix.to) {
                return Ok(Err(format!(
                    "{} {} requires {key} {spec}",
                    p.name, p.version
                )));
            }
        }
    }
    let reqs = match requirements(&release) {
        Ok(r) => r,
        Err(why) => return Ok(Err(why)),
    };
    // Its new requirements must admit what the lock holds of them.
    for r in &reqs {
        for p in pkgs
            .iter()
            .filter(|p| p.name == r.key() && p.extras.is_empty())
        {
            if !admits(&r.spec, &p.version) {
                return Ok(Err(format!(
                    "{} {} requires {} {}, and the lock holds {}",
                    fix.name, fix.to, r.name, r.spec, p.version
                )));
            }
        }
    }
    let blocks = split_blocks(text);
    let base_deps: Vec<Requires> = reqs
        .iter()
        .filter(|r| r.in_extras.is_empty())
        .cloned()
        .collect();
    let now: BTreeSet<String> = base_deps.iter().map(Requires::key).collect();
    let was: BTreeSet<String> = pkgs
        .iter()
        .filter(|p| p.name == key && p.extras.is_empty())
        .flat_map(|p| p.deps().into_iter().map(|(n, _)| n))
        .collect();
    let mut added: BTreeMap<String, String> = BTreeMap::new();
    let mut notes = Vec::new();
    let mut groups = None;
    let mut dropped = BTreeSet::new();
    if now != was {
        let change =
            match graph::reconcile(registry, key, &base_deps, &pkgs, &project, target_python)
                .await?
            {
                Ok(change) => change,
                Err(why) => return Ok(Err(why)),
            };
        let mut moved = Vec::new();
        for (name, (version, _)) in &change.added {
            moved.push(format!("adds {name} {version}"));
        }
        for name in &change.dropped {
            moved.push(format!("drops {name}"));
        }
        if !moved.is_empty() {
            notes.push(format!(
                "{path} also {} for the dependencies of {} {}",
                moved.join(", "),
                fix.name,
                fix.to
            ));
        }
        groups = Some(change.groups);
        dropped = change.dropped;
        added = change
            .added
            .into_iter()
            .map(|(n, (_, block))| (n, block))
            .collect();
    }
    let kept: Vec<String> = blocks
        .into_iter()
        .enumerate()
        .filter(|(i, b)| *i == 0 || !dropped.contains(&block_name(b)))
        .map(|(_, b)| b)
        .collect();
    let new = Moved {
        key,
        to: &fix.to,
        release: &release,
        reqs: &reqs,
        files: &files,
    };
    let lock = assemble(&kept, &new, &added, groups.as_ref());
    // What is written must read back in PDM's layout (which TOML reads the same, see the
    // python_locks fuzz target) with every entry of the package at the new version: never a
    // broken lock.
    let read_back = fast::read(&lock).map(|(_, p)| p);
    let moved = read_back.as_ref().is_some_and(|p| {
        p.iter()
            .filter(|p| p.name == key)
            .all(|p| p.version == fix.to)
    });
    if !moved {
        return Ok(Err(
            "the rewritten lock would not read back as PDM's layout with the package moved".into(),
        ));
    }
    Ok(Ok((lock, notes)))
}

/// The package's new release, as the entries need it.
struct Moved<'a> {
    key: &'a str,
    to: &'a str,
    release: &'a PypiRelease,
    reqs: &'a [Requires],
    files: &'a [PypiDist],
}

/// The release's requirements PDM records (outside extras unless an extras entry asks), with
/// their markers: PDM lists a requirement whose marker no Python of the target meets too (it
/// just locks nothing for it); an error when a marker is not one this agent prints as PDM does.
fn requirements(release: &PypiRelease) -> Result<Vec<Requires>, String> {
    let mut out = Vec::new();
    for r in release
        .requires_dist
        .iter()
        .filter_map(|r| Requires::parse(r))
    {
        if let Some(m) = &r.marker {
            if normal_marker(m).is_none() {
                return Err(format!(
                    "the requirement `{}; {m}` carries a marker PDM evaluates itself",
                    r.name
                ));
            }
        }
        out.push(r);
    }
    Ok(out)
}

/// A marker as `packaging` prints it (`python_version < "3.8"`), when it is made of plain
/// comparisons joined by `and`/`or`; `None` for anything else.
fn normal_marker(marker: &str) -> Option<String> {
    let mut out = Vec::new();
    for clause in marker.split(" and ") {
        let mut ors = Vec::new();
        for part in clause.split(" or ") {
            let part = part.trim();
            if part.contains(['(', ')']) {
                return None;
            }
            let op_at = part.find(['<', '>', '=', '!', '~'])?;
            let (var, rest) = part.split_at(op_at);
            let op_len = rest.find(|c: char| !matches!(c, '<' | '>' | '=' | '!' | '~'))?;
            let (op, value) = rest.split_at(op_len);
            let value = value.trim();
            let inner = value.strip_prefix('"')?.strip_suffix('"')?;
            let var = var.trim();
            if var.is_empty() || !var.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return None;
            }
            ors.push(format!("{var} {op} \"{inner}\""));
        }
        out.push(ors.join(" or "));
    }
    Some(out.join(" and "))
}

/// One requirement as PDM writes it in `dependencies`: `Name[extras]<spec,sorted>; marker`.
pub(super) fn pdm_line(r: &Requires) -> String {
    let mut out = r.name.clone();
    if !r.extras.is_empty() {
        let mut extras = r.extras.clone();
        extras.sort();
        out.push_str(&format!("[{}]", extras.join(",")));
    }
    let mut spec: Vec<&str> = r.spec.split(',').filter(|s| !s.is_empty()).collect();
    spec.sort();
    out.push_str(&spec.join(","));
    if let Some(m) = r.marker.as_deref().and_then(normal_marker) {
        out.push_str(&format!("; {m}"));
    }
    out
}

/// The new lock: each entry of the moved package rewritten for the release, the added entries
/// in name order, and `groups` lines changed where the graph says.
fn assemble(
    blocks: &[String],
    new: &Moved<'_>,
    added: &BTreeMap<String, String>,
    groups: Option<&BTreeMap<String, BTreeSet<String>>>,
) -> String {
    let mut body: Vec<(String, String)> = Vec::new();
    for block in &blocks[1..] {
        let name = block_name(block);
        let mut block = block.clone();
        if name == new.key {
            let extras = block_list(&block, "extras");
            let mut deps: Vec<String> = new
                .reqs
                .iter()
                .filter(|r| {
                    if extras.is_empty() {
                        r.in_extras.is_empty()
                    } else {
                        r.in_extras.iter().any(|e| extras.contains(e))
                    }
                })
                .map(pdm_line)
                .collect();
            if !extras.is_empty() {
                deps.push(format!("{}=={}", block_field(&block, "name"), new.to));
            }
            deps.sort();
            block = entry(&block, new.to, new.release, &deps, new.files);
        }
        if let Some(g) = groups.and_then(|g| g.get(&name)) {
            block = with_groups(&block, g);
        }
        body.push((name, block.trim_end().to_string()));
    }
    for (name, block) in added {
        let at = body
            .iter()
            .position(|(n, _)| n > name)
            .unwrap_or(body.len());
        let block = match groups.and_then(|g| g.get(name)) {
            Some(g) => with_groups(block, g),
            None => block.clone(),
        };
        body.insert(at, (name.clone(), block.trim_end().to_string()));
    }
    let body: Vec<String> = body.into_iter().map(|(_, b)| b).collect();
    format!("{}\n\n{}\n", blocks[0].trim_end(), body.join("\n\n"))
}

/// An entry rendered in PDM's key order from the old one's name, extras, groups and marker and
/// the release's version, Python range, summary, dependencies and files.
pub(super) fn entry(
    old: &str,
    to: &str,
    release: &PypiRelease,
    deps: &[String],
    files: &[PypiDist],
) -> String {
    let mut out = String::from("[[package]]\n");
    out.push_str(&format!(
        "name = {}\n",
        toml_string(&block_field(old, "name"))
    ));
    out.push_str(&format!("version = {}\n", toml_string(to)));
    for line in old.lines().filter(|l| l.starts_with("extras = ")) {
        out.push_str(line);
        out.push('\n');
    }
    if let Some(py) = release.requires_python.as_deref().filter(|p| !p.is_empty()) {
        out.push_str(&format!("requires_python = {}\n", toml_string(py)));
    }
    out.push_str(&format!("summary = {}\n", toml_string(&release.summary)));
    for line in old
        .lines()
        .filter(|l| l.starts_with("groups = ") || l.starts_with("marker = "))
    {
        out.push_str(line);
        out.push('\n');
    }
    out.push_str(&list_text(
        "dependencies",
        deps.iter().map(|d| toml_string(d)),
    ));
    out.push_str(&list_text(
        "files",
        files.iter().map(|f| {
            format!(
                "{{file = {}, hash = {}}}",
                toml_string(&f.filename),
                toml_string(&format!("sha256:{}", f.sha256))
            )
        }),
    ));
    out
}

/// `key = [\n    item,\n]\n`, or nothing for no items.
fn list_text(key: &str, items: impl Iterator<Item = String>) -> String {
    let items: Vec<String> = items.collect();
    if items.is_empty() {
        return String::new();
    }
    let mut out = format!("{key} = [\n");
    for item in items {
        out.push_str(&format!("    {item},\n"));
    }
    out.push_str("]\n");
    out
}

/// The block with its `groups` line set to `groups` (`default` first, as PDM sorts them).
fn with_groups(block: &str, groups: &BTreeSet<String>) -> String {
    let mut sorted: Vec<&String> = groups.iter().collect();
    sorted.sort_by_key(|g| (g.as_str() != "default", g.as_str()));
    let list: Vec<String> = sorted.iter().map(|g| toml_string(g)).collect();
    let line = format!("groups = [{}]", list.join(", "));
    block
        .split_inclusive('\n')
        .map(|l| {
            if l.starts_with("groups = ") {
                format!("{line}\n")
            } else {
                l.to_string()
            }
        })
        .collect()
}

fn block_field(block: &str, key: &str) -> String {
    block
        .lines()
        .find_map(|l| {
            l.strip_prefix(key)?
                .strip_prefix(" = \"")?
                .strip_suffix('"')
                .map(String::from)
        })
        .unwrap_or_default()
}

fn block_name(block: &str) -> String {
    Ecosystem::PyPI.normalize_name(&block_field(block, "name"))
}

/// A one-line array of strings (`extras = ["socks"]`).
fn block_list(block: &str, key: &str) -> Vec<String> {
    block
        .lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(" = ["))
        .map(|rest| {
            rest.trim_end_matches(']')
                .split(',')
                .map(|s| s.trim().trim_matches('"').to_string())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

/// Whether the lock's package entries name `name` (canonical).
pub(super) fn holds(pkgs: &[Package], name: &str) -> bool {
    pkgs.iter().any(|p| p.name == name)
}

#[cfg(test)]
mod tests;
