//! uv: `uv.lock` (TOML `[[package]]` entries with `name`, `version`, `source`, `dependencies`,
//! `[package.optional-dependencies]` and `[package.dev-dependencies]`). The workspace members
//! (`source = { editable = ... }` or `{ virtual = ... }`) are the project: what they depend on is
//! direct, dev when only a dependency group needs it; the `pyproject.toml` next to the lock gives
//! the declaring lines.

use std::collections::{BTreeSet, HashMap, VecDeque};

use toml_edit::{ImDocument, Item, Table, Value};

use super::super::{label, parse_error, Dependency, Location, Scope, Sink};
use crate::files::{dir_of, join, LineIndex, Snapshot};
use crate::Ecosystem;

/// One `[[package]]` entry.
#[derive(Clone, Debug)]
pub(crate) struct Package {
    /// Canonical name.
    pub(crate) name: String,
    pub(crate) version: String,
    /// `registry`, `editable`, `virtual`, `git`, `path`, `directory` or `url`.
    pub(crate) source: String,
    /// Runtime dependencies (including the optional ones): canonical name and, when the lock
    /// holds several versions of it, the version.
    pub(crate) deps: Vec<(String, Option<String>)>,
    /// `[package.dev-dependencies]` of a workspace member.
    pub(crate) dev_deps: Vec<(String, Option<String>)>,
    /// `[package.metadata] requires-dist` (and `requires-dev`) specifiers: name -> specifier.
    pub(crate) specifiers: HashMap<String, String>,
    pub(crate) line: u32,
}

impl Package {
    /// Whether the entry is a workspace member (the project itself).
    pub(crate) fn is_member(&self) -> bool {
        matches!(self.source.as_str(), "editable" | "virtual")
    }
}

/// Every `[[package]]` of a parsed lock.
pub(crate) fn packages(doc: &ImDocument<&str>, lines: &LineIndex) -> Vec<Package> {
    let mut out = Vec::new();
    let Some(list) = doc.get("package").and_then(Item::as_array_of_tables) else {
        return out;
    };
    for t in list.iter() {
        let Some(name) = t.get("name").and_then(Item::as_str) else {
            continue;
        };
        let version = t.get("version").and_then(Item::as_str).unwrap_or("");
        let source = t
            .get("source")
            .and_then(Item::as_table_like)
            .and_then(|s| s.iter().next().map(|(k, _)| k.to_string()))
            .unwrap_or_default();
        let mut deps = dep_list(t.get("dependencies"));
        if let Some(optional) = t.get("optional-dependencies").and_then(Item::as_table_like) {
            for (_, list) in optional.iter() {
                deps.extend(dep_list(Some(list)));
            }
        }
        let mut dev_deps = Vec::new();
        if let Some(groups) = t.get("dev-dependencies").and_then(Item::as_table_like) {
            for (_, list) in groups.iter() {
                dev_deps.extend(dep_list(Some(list)));
            }
        }
        let mut specifiers = HashMap::new();
        if let Some(meta) = t.get("metadata").and_then(Item::as_table_like) {
            let mut lists: Vec<&Item> = meta.get("requires-dist").into_iter().collect();
            if let Some(dev) = meta.get("requires-dev").and_then(Item::as_table_like) {
                lists.extend(dev.iter().map(|(_, v)| v));
            }
            for list in lists {
                for v in list.as_array().into_iter().flatten() {
                    let Some(entry) = v.as_inline_table() else {
                        continue;
                    };
                    let (Some(n), Some(s)) = (
                        entry.get("name").and_then(Value::as_str),
                        entry.get("specifier").and_then(Value::as_str),
                    ) else {
                        continue;
                    };
                    specifiers
                        .entry(Ecosystem::PyPI.normalize_name(n))
                        .or_insert_with(|| s.replace(' ', ""));
                }
            }
        }
        out.push(Package {
            name: Ecosystem::PyPI.normalize_name(name),
            version: version.to_string(),
            source,
            deps,
            dev_deps,
            specifiers,
            line: key_line(t, lines),
        });
    }
    out
}

fn key_line(t: &Table, lines: &LineIndex) -> u32 {
    super::super::cargo::key_line(t, "name", lines).max(1)
}

/// `[{ name = "x" }, { name = "y", version = "1.0", marker = "..." }]`.
fn dep_list(item: Option<&Item>) -> Vec<(String, Option<String>)> {
    let mut out = Vec::new();
    for v in item.and_then(Item::as_array).into_iter().flatten() {
        let Some(t) = v.as_inline_table() else {
            continue;
        };
        if let Some(name) = t.get("name").and_then(Value::as_str) {
            let version = t.get("version").and_then(Value::as_str).map(String::from);
            out.push((Ecosystem::PyPI.normalize_name(name), version));
        }
    }
    out
}

/// The `pyproject.toml` lines of the project's requirements: canonical name -> line.
fn pyproject_lines(snapshot: &Snapshot, path: &str) -> Option<HashMap<String, Location>> {
    let text = snapshot.text(path)?;
    let text: &str = &text;
    let lines = LineIndex::new(text);
    let doc = ImDocument::parse(text).ok()?;
    let mut arrays: Vec<&Item> = Vec::new();
    if let Some(project) = doc.get("project") {
        arrays.extend(project.get("dependencies"));
        if let Some(t) = project
            .get("optional-dependencies")
            .and_then(Item::as_table_like)
        {
            arrays.extend(t.iter().map(|(_, v)| v));
        }
    }
    if let Some(t) = doc.get("dependency-groups").and_then(Item::as_table_like) {
        arrays.extend(t.iter().map(|(_, v)| v));
    }
    if let Some(dev) = doc
        .get("tool")
        .and_then(|t| t.get("uv"))
        .and_then(|u| u.get("dev-dependencies"))
    {
        arrays.push(dev);
    }
    let mut out = HashMap::new();
    for array in arrays {
        for v in array.as_array().into_iter().flatten() {
            let Some(s) = v.as_str() else { continue };
            let end = s
                .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
                .unwrap_or(s.len());
            let line = v.span().map_or(1, |sp| lines.line(sp.start));
            out.entry(Ecosystem::PyPI.normalize_name(&s[..end]))
                .or_insert_with(|| Location::new(path, line));
        }
    }
    Some(out)
}

pub(crate) fn analyze(snapshot: &Snapshot, path: &str, out: &mut dyn Sink) {
    if let Err(e) = analyze_lock(snapshot, path, out) {
        out.problem(e);
    }
}

fn analyze_lock(snapshot: &Snapshot, path: &str, out: &mut dyn Sink) -> Result<(), crate::Error> {
    let text = snapshot
        .text(path)
        .ok_or_else(|| parse_error(path, None, "not valid UTF-8"))?;
    let text: &str = &text;
    let lines = LineIndex::new(text);
    let doc = ImDocument::parse(text).map_err(|e| {
        let line = e.span().map(|s| lines.line(s.start));
        parse_error(path, line, e.message().trim().to_string())
    })?;
    let pkgs = packages(&doc, &lines);
    // Every package by name; a dependency names the version when several are locked.
    let mut by_name: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, p) in pkgs.iter().enumerate() {
        by_name.entry(p.name.as_str()).or_default().push(i);
    }
    let resolve = |(name, version): &(String, Option<String>)| -> Vec<usize> {
        by_name
            .get(name.as_str())
            .into_iter()
            .flatten()
            .copied()
            .filter(|&j| version.as_ref().is_none_or(|v| pkgs[j].version == *v))
            .collect()
    };
    let mut parents: Vec<BTreeSet<String>> = vec![BTreeSet::new(); pkgs.len()];
    let mut direct_runtime = vec![false; pkgs.len()];
    let mut direct_dev = vec![false; pkgs.len()];
    let mut specifier: Vec<Option<String>> = vec![None; pkgs.len()];
    for p in &pkgs {
        for d in &p.deps {
            for j in resolve(d) {
                if p.is_member() {
                    direct_runtime[j] = true;
                } else {
                    parents[j].insert(label(&p.name, &p.version));
                }
            }
        }
        for d in p.dev_deps.iter().filter(|_| p.is_member()) {
            for j in resolve(d) {
                direct_dev[j] = true;
            }
        }
        if p.is_member() {
            for (j, q) in pkgs.iter().enumerate() {
                if let Some(s) = p.specifiers.get(&q.name).filter(|s| !s.is_empty()) {
                    specifier[j].get_or_insert_with(|| s.clone());
                }
            }
        }
    }
    // Runtime reachability from the members' runtime dependencies.
    let mut runtime = vec![false; pkgs.len()];
    let mut queue: VecDeque<usize> = (0..pkgs.len()).filter(|&i| direct_runtime[i]).collect();
    for &i in &queue {
        runtime[i] = true;
    }
    while let Some(i) = queue.pop_front() {
        for d in &pkgs[i].deps {
            for j in resolve(d) {
                if !runtime[j] {
                    runtime[j] = true;
                    queue.push_back(j);
                }
            }
        }
    }
    let declared = pyproject_lines(snapshot, &join(dir_of(path), "pyproject.toml"));
    for (i, p) in pkgs.iter().enumerate() {
        // The project itself and packages from git, paths or URLs are not registry packages.
        if p.source != "registry" || p.version.is_empty() {
            continue;
        }
        let is_direct = direct_runtime[i] || direct_dev[i];
        out.dependency(Dependency {
            ecosystem: Ecosystem::PyPI,
            name: p.name.clone(),
            version: Some(p.version.clone()),
            requirement: specifier[i].clone().filter(|_| is_direct),
            direct: is_direct,
            parents: parents[i].iter().cloned().collect(),
            scope: if runtime[i] {
                Scope::Runtime
            } else {
                Scope::Dev
            },
            location: Location::new(path, p.line),
            declared_in: declared
                .as_ref()
                .and_then(|d| d.get(&p.name))
                .filter(|_| is_direct)
                .cloned(),
            constraints: Vec::new(),
        });
    }
    Ok(())
}
