//! crates.io: `Cargo.toml` (including `[workspace.dependencies]`) and `Cargo.lock`.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

use toml_edit::{ImDocument, Item, Table};

use super::{file_name, label, parse_error, Dependency, Location, Scope, Sink};
use crate::files::{dir_of, LineIndex, Snapshot};
use crate::Ecosystem;

/// One dependency declared in a `Cargo.toml`.
#[derive(Clone, Debug)]
pub(crate) struct Declared {
    /// The package name on crates.io (the `package` key when renamed).
    pub(crate) name: String,
    /// The requirement; `None` for path/git dependencies without a version.
    pub(crate) requirement: Option<String>,
    pub(crate) dev: bool,
    pub(crate) line: u32,
    /// `foo = { workspace = true }`.
    pub(crate) inherited: bool,
    pub(crate) registry: bool,
}

/// A parsed `Cargo.toml`.
#[derive(Debug)]
pub(crate) struct Manifest {
    pub(crate) path: String,
    pub(crate) package: Option<String>,
    pub(crate) deps: Vec<Declared>,
    pub(crate) workspace_deps: Vec<Declared>,
}

pub(super) fn analyze(snapshot: &Snapshot, out: &mut dyn Sink) {
    let mut manifests = Vec::new();
    for path in snapshot.paths().filter(|p| file_name(p) == "Cargo.toml") {
        match read_manifest(snapshot, path) {
            Ok(m) => manifests.push(m),
            Err(e) => out.problem(e),
        }
    }
    let locks: Vec<&str> = snapshot
        .paths()
        .filter(|p| file_name(p) == "Cargo.lock")
        .collect();
    let mut covered = BTreeSet::new();
    for lock in &locks {
        let dir = dir_of(lock);
        let members: Vec<&Manifest> = manifests
            .iter()
            .filter(|m| dir.is_empty() || m.path.starts_with(&format!("{dir}/")))
            .collect();
        covered.extend(members.iter().map(|m| m.path.clone()));
        if let Err(e) = analyze_lock(snapshot, lock, &members, out) {
            out.problem(e);
        }
    }
    for m in manifests.iter().filter(|m| !covered.contains(&m.path)) {
        let ws: HashMap<&str, &Declared> = manifests
            .iter()
            .flat_map(|w| w.workspace_deps.iter())
            .map(|d| (d.name.as_str(), d))
            .collect();
        for d in m.deps.iter().chain(m.workspace_deps.iter()) {
            let requirement = if d.inherited {
                ws.get(d.name.as_str()).and_then(|w| w.requirement.clone())
            } else {
                d.requirement.clone()
            };
            if !d.registry && requirement.is_none() {
                continue;
            }
            let version = requirement
                .as_deref()
                .and_then(|r| r.trim().strip_prefix('='))
                .map(|v| v.trim().to_string());
            out.dependency(Dependency {
                ecosystem: Ecosystem::CratesIo,
                name: d.name.clone(),
                version,
                requirement,
                direct: true,
                parents: Vec::new(),
                scope: if d.dev { Scope::Dev } else { Scope::Runtime },
                location: Location::new(&m.path, d.line),
                declared_in: None,
                constraints: Vec::new(),
            });
        }
    }
}

pub(crate) fn key_line(table: &Table, key: &str, lines: &LineIndex) -> u32 {
    table
        .get_key_value(key)
        .and_then(|(k, _)| k.span())
        .map_or(0, |s| lines.line(s.start))
}

pub(crate) fn read_manifest(snapshot: &Snapshot, path: &str) -> Result<Manifest, crate::Error> {
    let text = snapshot
        .text(path)
        .ok_or_else(|| parse_error(path, None, "not valid UTF-8"))?;
    let text: &str = &text;
    let lines = LineIndex::new(text);
    let doc = ImDocument::parse(text).map_err(|e| {
        let line = e.span().map(|s| lines.line(s.start));
        parse_error(path, line, e.message().trim().to_string())
    })?;
    let package = doc
        .get("package")
        .and_then(|p| p.get("name"))
        .and_then(Item::as_str)
        .map(String::from);
    let mut deps = Vec::new();
    let sections = [
        ("dependencies", false),
        ("build-dependencies", false),
        ("dev-dependencies", true),
    ];
    for (section, dev) in sections {
        if let Some(t) = doc.get(section).and_then(Item::as_table_like) {
            collect(t, dev, &lines, &mut deps);
        }
    }
    if let Some(targets) = doc.get("target").and_then(Item::as_table_like) {
        for (_, target) in targets.iter() {
            for (section, dev) in sections {
                if let Some(t) = target.get(section).and_then(Item::as_table_like) {
                    collect(t, dev, &lines, &mut deps);
                }
            }
        }
    }
    let mut workspace_deps = Vec::new();
    if let Some(t) = doc
        .get("workspace")
        .and_then(|w| w.get("dependencies"))
        .and_then(Item::as_table_like)
    {
        collect(t, false, &lines, &mut workspace_deps);
    }
    Ok(Manifest {
        path: path.to_string(),
        package,
        deps,
        workspace_deps,
    })
}

fn collect(
    table: &dyn toml_edit::TableLike,
    dev: bool,
    lines: &LineIndex,
    out: &mut Vec<Declared>,
) {
    for (key, item) in table.iter() {
        let line = table
            .get_key_value(key)
            .and_then(|(k, _)| k.span())
            .map_or(0, |s| lines.line(s.start));
        let (name, requirement, inherited, registry) = if let Some(v) = item.as_str() {
            (key.to_string(), Some(v.to_string()), false, true)
        } else if let Some(t) = item.as_table_like() {
            let name = t
                .get("package")
                .and_then(Item::as_str)
                .unwrap_or(key)
                .to_string();
            let requirement = t.get("version").and_then(Item::as_str).map(String::from);
            let inherited = t.get("workspace").and_then(Item::as_bool).unwrap_or(false);
            let registry = !(t.contains_key("path") || t.contains_key("git"));
            (name, requirement, inherited, registry)
        } else {
            continue;
        };
        out.push(Declared {
            name,
            requirement,
            dev,
            line,
            inherited,
            registry,
        });
    }
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) struct LockPackage {
    name: String,
    version: String,
    local: bool,
    line: u32,
    deps: Vec<String>,
}

fn analyze_lock(
    snapshot: &Snapshot,
    path: &str,
    members: &[&Manifest],
    out: &mut dyn Sink,
) -> Result<(), crate::Error> {
    let text = snapshot
        .text(path)
        .ok_or_else(|| parse_error(path, None, "not valid UTF-8"))?;
    let text: &str = &text;
    // Cargo writes lockfiles in one fixed layout; read that layout directly and fall back to
    // a full TOML parse for anything else (hand edits, unusual formatting).
    let packages = match parse_lock_fast(text) {
        Some(p) => p,
        None => parse_lock_toml(path, text)?,
    };
    // Dependency strings are `name`, `name version` or `name version (source)`.
    let mut by_name: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, p) in packages.iter().enumerate() {
        by_name.entry(p.name.as_str()).or_default().push(i);
    }
    let resolve = |dep: &str| -> Option<usize> {
        let mut parts = dep.split(' ');
        let name = parts.next()?;
        let version = parts.next();
        let candidates = by_name.get(name)?;
        match version {
            None => candidates.first().copied(),
            Some(v) => candidates
                .iter()
                .copied()
                .find(|&i| packages[i].version == v),
        }
    };
    let edges: Vec<Vec<usize>> = packages
        .iter()
        .map(|p| p.deps.iter().filter_map(|d| resolve(d)).collect())
        .collect();

    // Which dependencies of each local package are development-only, per its Cargo.toml.
    let manifest_of = |name: &str| members.iter().find(|m| m.package.as_deref() == Some(name));
    let dev_only = |local: &LockPackage, dep: &LockPackage| -> bool {
        let Some(m) = manifest_of(&local.name) else {
            return false;
        };
        let decls: Vec<&Declared> = m.deps.iter().filter(|d| d.name == dep.name).collect();
        !decls.is_empty() && decls.iter().all(|d| d.dev)
    };
    // Runtime reachability from local packages through non-dev edges.
    let mut runtime = vec![false; packages.len()];
    let mut queue = VecDeque::new();
    for (i, p) in packages.iter().enumerate() {
        if p.local {
            runtime[i] = true;
            queue.push_back(i);
        }
    }
    while let Some(i) = queue.pop_front() {
        for &j in &edges[i] {
            if runtime[j] || (packages[i].local && dev_only(&packages[i], &packages[j])) {
                continue;
            }
            runtime[j] = true;
            queue.push_back(j);
        }
    }
    let mut parents: BTreeMap<usize, BTreeSet<String>> = BTreeMap::new();
    let mut direct = vec![false; packages.len()];
    for (i, p) in packages.iter().enumerate() {
        for &j in &edges[i] {
            if p.local {
                direct[j] = true;
            } else {
                parents
                    .entry(j)
                    .or_default()
                    .insert(label(&p.name, &p.version));
            }
        }
    }
    let declared = |name: &str| -> Option<(Location, Option<String>)> {
        for m in members {
            if let Some(d) = m.deps.iter().find(|d| d.name == name) {
                let req = if d.inherited {
                    members
                        .iter()
                        .flat_map(|w| w.workspace_deps.iter())
                        .find(|w| w.name == name)
                        .and_then(|w| w.requirement.clone())
                } else {
                    d.requirement.clone()
                };
                return Some((Location::new(&m.path, d.line), req));
            }
        }
        None
    };
    for (i, p) in packages.iter().enumerate() {
        if p.local {
            continue;
        }
        let decl = if direct[i] { declared(&p.name) } else { None };
        out.dependency(Dependency {
            ecosystem: Ecosystem::CratesIo,
            name: p.name.clone(),
            version: Some(p.version.clone()),
            requirement: decl.as_ref().and_then(|(_, r)| r.clone()),
            direct: direct[i],
            parents: parents
                .remove(&i)
                .map(|s| s.into_iter().collect())
                .unwrap_or_default(),
            scope: if runtime[i] {
                Scope::Runtime
            } else {
                Scope::Dev
            },
            location: Location::new(path, p.line),
            declared_in: decl.map(|(l, _)| l),
            constraints: Vec::new(),
        });
    }
    Ok(())
}

/// Reads `Cargo.lock` as Cargo writes it: `[[package]]` blocks of `key = "string"` lines and a
/// `dependencies = [...]` array, one entry per line. Returns `None` on anything else.
pub(crate) fn parse_lock_fast(text: &str) -> Option<Vec<LockPackage>> {
    let mut packages = Vec::new();
    let mut current: Option<(LockPackage, bool)> = None;
    let mut in_deps = false;
    let mut in_other_table = false;
    let finish = |cur: Option<(LockPackage, bool)>, out: &mut Vec<LockPackage>| -> Option<()> {
        if let Some((mut p, has_source)) = cur {
            if p.name.is_empty() || p.version.is_empty() {
                return None;
            }
            p.local = !has_source;
            out.push(p);
        }
        Some(())
    };
    for (idx, raw) in text.lines().enumerate() {
        let line = raw.trim_end();
        if in_deps {
            if line == "]" {
                in_deps = false;
            } else {
                let item = line.trim().strip_prefix('"')?.strip_suffix("\",")?;
                current.as_mut()?.0.deps.push(item.to_string());
            }
            continue;
        }
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if line == "[[package]]" {
            finish(current.take(), &mut packages)?;
            current = Some((
                LockPackage {
                    name: String::new(),
                    version: String::new(),
                    local: true,
                    line: 0,
                    deps: Vec::new(),
                },
                false,
            ));
            in_other_table = false;
            continue;
        }
        if line.starts_with('[') {
            finish(current.take(), &mut packages)?;
            in_other_table = true;
            continue;
        }
        if in_other_table {
            continue;
        }
        let (key, value) = line.split_once(" = ")?;
        let Some((pkg, has_source)) = current.as_mut() else {
            // Top-level keys such as `version = 3`.
            continue;
        };
        if key == "dependencies" {
            if value == "[" {
                in_deps = true;
            } else if value != "[]" {
                return None;
            }
            continue;
        }
        let string = value.strip_prefix('"')?.strip_suffix('"')?;
        if string.contains('\\') {
            return None;
        }
        match key {
            "name" => {
                pkg.name = string.to_string();
                pkg.line = u32::try_from(idx + 1).unwrap_or(u32::MAX);
            }
            "version" => pkg.version = string.to_string(),
            "source" => *has_source = true,
            _ => {}
        }
    }
    if in_deps {
        return None;
    }
    finish(current, &mut packages)?;
    Some(packages)
}

pub(crate) fn parse_lock_toml(path: &str, text: &str) -> Result<Vec<LockPackage>, crate::Error> {
    let lines = LineIndex::new(text);
    let doc = ImDocument::parse(text).map_err(|e| {
        let line = e.span().map(|s| lines.line(s.start));
        parse_error(path, line, e.message().trim().to_string())
    })?;
    let mut packages = Vec::new();
    if let Some(list) = doc.get("package").and_then(Item::as_array_of_tables) {
        for t in list.iter() {
            let (Some(name), Some(version)) = (
                t.get("name").and_then(Item::as_str),
                t.get("version").and_then(Item::as_str),
            ) else {
                continue;
            };
            let source = t.get("source").and_then(Item::as_str);
            let deps = t
                .get("dependencies")
                .and_then(Item::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default();
            packages.push(LockPackage {
                name: name.to_string(),
                version: version.to_string(),
                local: source.is_none(),
                line: key_line(t, "name", &lines),
                deps,
            });
        }
    }
    Ok(packages)
}
