//! The `poetry.lock` side of a PyPI fix: moves the package with what the registry gave (files,
//! dependencies), reconciles the packages those dependencies need, and refreshes the
//! content-hash when `pyproject.toml` changed. A lock that cannot be made consistent is left
//! exactly as it was, with the conflicting constraint named.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use super::climb::{lowest_accepting, MAX_CLIMB};
use super::content_hash::content_hash;
use super::lock::{highest, lowest_python, satisfies, Block, Kept, Lock};
use super::pyproject_bump;
use crate::edit::{edit_error, Work};
use crate::files::{dir_of, join};
use crate::registry::Registry;
use crate::{Ecosystem, Error};

/// Why the lock cannot be updated in place.
pub(super) struct Conflict(pub String);

/// What became of a `poetry.lock` update.
pub(super) enum Update {
    /// The lock (and the pyproject.toml when a dependent's constraint there had to move) is
    /// written; `moved` lists the other packages that moved (`requests 2.25.1 -> 2.26.0`).
    Written {
        moved: Vec<String>,
        manifest: Vec<String>,
    },
    /// The lock cannot be made consistent this way; nothing was written.
    Conflict(String),
    /// A dependent excludes the fixed version and no later release of it (up to
    /// [`MAX_CLIMB`] deep) accepts it: the exact conflicting requirement.
    Blocked(String),
}

/// Rewrites `lock_path` so `name` moves from `from` to `to`, moving the dependents that exclude
/// `to` as well; anything but `Written` leaves every file alone.
pub(super) async fn update_lock(
    work: &mut Work,
    registry: &dyn Registry,
    lock_path: &str,
    name: &str,
    from: &str,
    to: &str,
) -> Result<Update, Error> {
    let text = work.text(lock_path)?;
    let mut lock = Lock::parse(&text).map_err(|e| edit_error(lock_path, e))?;
    let key = Ecosystem::PyPI.normalize_name(name);
    let Some(at) = lock
        .blocks
        .iter()
        .position(|b| b.key == key && b.version == from)
    else {
        return Err(edit_error(lock_path, format!("no entry for {name} {from}")));
    };
    let pyproject = join(dir_of(lock_path), "pyproject.toml");
    let roots = roots(work.snapshot.text(&pyproject).as_deref(), &lock);
    let before = lock.reachable(&roots);
    let python = roots_constraint(work, &pyproject, "python")
        .first()
        .and_then(|c| lowest_python(c));
    let python = python.as_deref();
    let display = block_name(&lock.blocks[at]).unwrap_or_else(|| name.to_string());
    let metadata_files = lock.metadata_files();
    let kept = lock.blocks[at].kept(metadata_files);
    lock.blocks[at] = match fetch_block(registry, &display, to, &kept).await? {
        Ok(b) => b,
        Err(Conflict(c)) => return Ok(Update::Conflict(c)),
    };
    let mut queue = VecDeque::from([key.clone()]);
    // Dependents that exclude a moved package climb to their lowest later release accepting it.
    let mut moved = Vec::new();
    let mut manifest = Vec::new();
    let mut pending = VecDeque::from([(key.clone(), display.clone(), to.to_string(), 0)]);
    while let Some((moved_key, moved_name, version, depth)) = pending.pop_front() {
        let blocked: Vec<(usize, String)> = lock
            .blocks
            .iter()
            .enumerate()
            .filter_map(|(i, b)| {
                let c = b
                    .constraints(&moved_key, python)
                    .into_iter()
                    .find(|c| !satisfies(c, &version))?;
                Some((i, c))
            })
            .collect();
        for (i, constraint) in blocked {
            let dependent = lock.blocks[i].clone();
            let base = format!(
                "{} {} requires {moved_name} {constraint}",
                dependent.key, dependent.version
            );
            if depth >= MAX_CLIMB {
                return Ok(Update::Blocked(format!(
                    "{base}, and moving it would climb more than {MAX_CLIMB} packages deep"
                )));
            }
            let dep_name = block_name(&dependent).unwrap_or_else(|| dependent.key.clone());
            let Some(next) = lowest_accepting(
                registry,
                &dep_name,
                &dependent.version,
                &moved_key,
                &version,
                python,
            )
            .await?
            else {
                return Ok(Update::Blocked(format!(
                    "{base}, and no later release of {dep_name} accepts {moved_name} {version}"
                )));
            };
            let own = roots_constraint(work, &pyproject, &dependent.key);
            if own.iter().any(|c| !satisfies(c, &next)) {
                manifest.push((dep_name.clone(), next.clone()));
            }
            let kept = dependent.kept(metadata_files);
            lock.blocks[i] = match fetch_block(registry, &dep_name, &next, &kept).await? {
                Ok(b) => b,
                Err(Conflict(c)) => return Ok(Update::Blocked(format!("{base}; {c}"))),
            };
            moved.push(format!("{dep_name} {} -> {next}", dependent.version));
            queue.push_back(dependent.key.clone());
            pending.push_back((dependent.key.clone(), dep_name, next, depth + 1));
        }
    }
    while let Some(k) = queue.pop_front() {
        let Some(i) = lock.find(&k) else { continue };
        let block = lock.blocks[i].clone();
        for dep in block.deps.keys() {
            let wanted: Vec<String> = lock
                .blocks
                .iter()
                .flat_map(|b| b.constraints(dep, python))
                .chain(own_constraint(work, &pyproject, dep, &manifest))
                .collect();
            if let Some(j) = lock.find(dep) {
                if wanted.iter().all(|c| satisfies(c, &lock.blocks[j].version)) {
                    continue;
                }
            }
            let Some(version) = highest(registry, dep, &wanted, python).await? else {
                return Ok(Update::Conflict(format!(
                    "no published version of {dep} satisfies {} (required by {} {})",
                    wanted.join(" and "),
                    block.key,
                    block.version
                )));
            };
            let (display, kept) = match lock.find(dep) {
                Some(j) => (
                    block_name(&lock.blocks[j]).unwrap_or_else(|| dep.clone()),
                    lock.blocks[j].kept(metadata_files),
                ),
                // A new package takes the category of the package that needs it.
                None => (
                    requirement_name(&block, dep),
                    Kept {
                        optional: false,
                        ..block.kept(metadata_files)
                    },
                ),
            };
            let new = match fetch_block(registry, &display, &version, &kept).await? {
                Ok(b) => b,
                Err(Conflict(c)) => return Ok(Update::Conflict(c)),
            };
            match lock.find(dep) {
                Some(j) => lock.blocks[j] = new,
                None => {
                    let pos = lock
                        .blocks
                        .iter()
                        .position(|b| b.key > *dep)
                        .unwrap_or(lock.blocks.len());
                    lock.blocks.insert(pos, new);
                }
            }
            queue.push_back(dep.clone());
        }
    }
    let after = lock.reachable(&roots);
    let dropped: BTreeSet<String> = before.difference(&after).cloned().collect();
    lock.blocks.retain(|b| !dropped.contains(&b.key));
    if metadata_files {
        lock.update_metadata_files(&dropped);
    }
    let mut new_text = lock.render();
    for (dependent, version) in &manifest {
        if !pyproject_bump(work, &pyproject, dependent, version)? {
            return Ok(Update::Blocked(format!(
                "{pyproject} requires {dependent} {}, which excludes {version}, and it is not a Poetry table entry the agent can raise",
                roots_constraint(work, &pyproject, &Ecosystem::PyPI.normalize_name(dependent)).join(", ")
            )));
        }
    }
    if let Some(manifest) = work.out.files.get(&pyproject).cloned() {
        new_text =
            with_content_hash(&new_text, &manifest).map_err(|e| edit_error(&pyproject, e))?;
    }
    work.write(lock_path, new_text);
    let manifest = manifest
        .into_iter()
        .map(|(name, version)| format!("{name} {version}"))
        .collect();
    Ok(Update::Written { moved, manifest })
}

/// Every locked package whose constraint on `name` excludes `to`, as `requests 2.25.1 requires
/// idna >=2.5,<3`.
pub(super) fn blocking(lock_text: &str, name: &str, to: &str) -> Vec<String> {
    let Ok(lock) = Lock::parse(lock_text) else {
        return Vec::new();
    };
    let key = Ecosystem::PyPI.normalize_name(name);
    let mut out = Vec::new();
    for b in &lock.blocks {
        for c in b.deps.get(&key).into_iter().flatten() {
            if !satisfies(c, to) {
                out.push(format!("{} {} requires {name} {c}", b.key, b.version));
            }
        }
    }
    out
}

/// The lock's `[[package]]` block for `name` at `version`, from the registry's metadata and files.
async fn fetch_block(
    registry: &dyn Registry,
    name: &str,
    version: &str,
    kept: &Kept,
) -> Result<Result<Block, Conflict>, Error> {
    let release = registry.pypi_release(name, version).await?;
    let digests = registry.digests(Ecosystem::PyPI, name, version).await?;
    let Some(release) = release.filter(|_| !digests.is_empty()) else {
        return Ok(Err(Conflict(format!(
            "the registry gave no dependencies or file hashes for {name} {version}"
        ))));
    };
    Block::write(name, version, kept, &release, &digests)
        .map(Ok)
        .map_err(|e| edit_error("poetry.lock", e))
}

/// The name as the block spells it.
fn block_name(block: &Block) -> Option<String> {
    block.text.lines().find_map(|l| {
        let v = l.strip_prefix("name = ")?;
        Some(v.trim().trim_matches('"').to_string())
    })
}

/// How `block`'s dependency table spells the dependency `key`.
fn requirement_name(block: &Block, key: &str) -> String {
    let mut in_deps = false;
    for line in block.text.lines() {
        if line.starts_with('[') {
            in_deps = line.trim_end() == "[package.dependencies]";
            continue;
        }
        if let Some((k, _)) = line.split_once(" = ").filter(|_| in_deps) {
            if Ecosystem::PyPI.normalize_name(k.trim()) == key {
                return k.trim().to_string();
            }
        }
    }
    key.to_string()
}

/// The project's direct dependencies (every group) with the extras they request; without a
/// readable pyproject, every package nothing else depends on.
fn roots(pyproject: Option<&str>, lock: &Lock) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    let doc = pyproject.and_then(|t| t.parse::<toml_edit::DocumentMut>().ok());
    for table in doc.as_ref().map(poetry_tables).unwrap_or_default() {
        for (k, v) in table.iter() {
            if k == "python" {
                continue;
            }
            let extras = v
                .get("extras")
                .and_then(|e| e.as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str())
                        .map(|x| Ecosystem::PyPI.normalize_name(x))
                        .collect()
                })
                .unwrap_or_default();
            out.insert(Ecosystem::PyPI.normalize_name(k), extras);
        }
    }
    if out.is_empty() {
        for b in &lock.blocks {
            if !lock.blocks.iter().any(|p| p.deps.contains_key(&b.key)) {
                out.insert(b.key.clone(), Vec::new());
            }
        }
    }
    out
}

/// `[tool.poetry.dependencies]`, `dev-dependencies` and every group's dependencies.
fn poetry_tables(doc: &toml_edit::DocumentMut) -> Vec<&dyn toml_edit::TableLike> {
    let mut out = Vec::new();
    let Some(poetry) = doc.get("tool").and_then(|t| t.get("poetry")) else {
        return out;
    };
    for section in ["dependencies", "dev-dependencies"] {
        if let Some(t) = poetry.get(section).and_then(|i| i.as_table_like()) {
            out.push(t);
        }
    }
    if let Some(groups) = poetry.get("group").and_then(|g| g.as_table_like()) {
        for (_, g) in groups.iter() {
            if let Some(t) = g.get("dependencies").and_then(|i| i.as_table_like()) {
                out.push(t);
            }
        }
    }
    out
}

/// The project's constraint on `key` as it will stand: one the manifest tier raises (`manifest`
/// lists the packages and their new versions) admits exactly the new version.
fn own_constraint(
    work: &Work,
    pyproject: &str,
    key: &str,
    manifest: &[(String, String)],
) -> Vec<String> {
    match manifest
        .iter()
        .find(|(name, _)| Ecosystem::PyPI.normalize_name(name) == key)
    {
        Some((_, version)) => vec![version.clone()],
        None => roots_constraint(work, pyproject, key),
    }
}

/// The project's own constraint on `key`, when it declares one.
fn roots_constraint(work: &Work, pyproject: &str, key: &str) -> Vec<String> {
    let Some(text) = work.snapshot.text(pyproject) else {
        return Vec::new();
    };
    let Ok(doc) = text.parse::<toml_edit::DocumentMut>() else {
        return Vec::new();
    };
    poetry_tables(&doc)
        .into_iter()
        .flat_map(|t| {
            t.iter()
                .filter(|(k, _)| Ecosystem::PyPI.normalize_name(k) == key)
                .filter_map(|(_, v)| {
                    v.as_str()
                        .or_else(|| v.get("version").and_then(|x| x.as_str()))
                        .map(String::from)
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

/// `lock` with its `content-hash` recomputed for `pyproject`, as its lock-version's Poetry does.
pub(super) fn with_content_hash(lock: &str, pyproject: &str) -> Result<String, String> {
    let value = |key: &str| {
        lock.lines()
            .find_map(|l| l.strip_prefix(&format!("{key} = ")))
            .map(|v| v.trim().trim_matches('"').to_string())
    };
    let lock_version = value("lock-version").unwrap_or_else(|| "1.1".into());
    let Some(old) = value("content-hash") else {
        return Ok(lock.to_string());
    };
    let new = content_hash(pyproject, &lock_version)?;
    Ok(lock.replacen(
        &format!("content-hash = \"{old}\""),
        &format!("content-hash = \"{new}\""),
        1,
    ))
}
