//! PDM: `pdm.lock` (TOML, lock_version 4: `[[package]]` entries with `name`, `version`, `groups`
//! and `dependencies` as PEP 508 strings; a package locked with extras has a second entry with
//! `extras`). What the `pyproject.toml` next to the lock requires (`[project]` dependencies and
//! optional dependencies, `[dependency-groups]`, `[tool.pdm.dev-dependencies]`) is direct; a
//! package only development groups need is dev.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use toml_edit::{ImDocument, Item, Table};

use super::super::{label, parse_error, Dependency, Location, Scope, Sink};
use crate::files::{dir_of, join, LineIndex, Snapshot};
use crate::Ecosystem;

pub(crate) mod fast;
#[cfg(test)]
mod tests;

/// One `[[package]]` entry of `pdm.lock`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Package {
    /// Canonical name.
    pub(crate) name: String,
    pub(crate) version: String,
    /// The extras this entry locks (`requests[socks]`): empty for the package itself.
    pub(crate) extras: Vec<String>,
    /// The groups that need it (`default`, optional-dependency and development groups).
    pub(crate) groups: Vec<String>,
    /// The `dependencies` strings as written.
    pub(crate) requires: Vec<String>,
    /// The environment marker PDM derived for it from its dependents, if any.
    pub(crate) marker: Option<String>,
    /// Whether it comes from a git repository, a path or a URL rather than an index.
    pub(crate) local: bool,
    pub(crate) line: u32,
}

impl Package {
    /// Canonical names and specifiers of what it depends on (its own extras entry's pin on
    /// itself included).
    pub(crate) fn deps(&self) -> Vec<(String, String)> {
        self.requires
            .iter()
            .filter_map(|r| split_requirement(r))
            .collect()
    }
}

/// `name[extras]spec; marker` -> (canonical name, specifier without spaces).
pub(crate) fn split_requirement(line: &str) -> Option<(String, String)> {
    let head = line.split(';').next()?.trim();
    if head.contains('@') {
        return None;
    }
    let end = head
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')))
        .unwrap_or(head.len());
    if end == 0 {
        return None;
    }
    let mut rest = &head[end..];
    if let Some(inner) = rest.trim_start().strip_prefix('[') {
        rest = inner.split_once(']').map_or("", |(_, after)| after);
    }
    let spec: String = rest
        .trim()
        .trim_start_matches('(')
        .trim_end_matches(')')
        .split_whitespace()
        .collect();
    Some((Ecosystem::PyPI.normalize_name(&head[..end]), spec))
}

/// Every `[[package]]` of a parsed `pdm.lock`.
pub(crate) fn packages(doc: &ImDocument<&str>, lines: &LineIndex) -> Vec<Package> {
    let mut out = Vec::new();
    let Some(list) = doc.get("package").and_then(Item::as_array_of_tables) else {
        return out;
    };
    let strings = |t: &Table, key: &str| -> Vec<String> {
        t.get(key)
            .and_then(Item::as_array)
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(String::from))
            .collect()
    };
    for t in list.iter() {
        let Some(name) = t.get("name").and_then(Item::as_str) else {
            continue;
        };
        out.push(Package {
            name: Ecosystem::PyPI.normalize_name(name),
            version: t
                .get("version")
                .and_then(Item::as_str)
                .unwrap_or("")
                .to_string(),
            extras: strings(t, "extras"),
            groups: strings(t, "groups"),
            requires: strings(t, "dependencies"),
            marker: t.get("marker").and_then(Item::as_str).map(String::from),
            local: ["git", "path", "url", "editable"]
                .iter()
                .any(|k| t.contains_key(k)),
            line: super::super::cargo::key_line(t, "name", lines).max(1),
        });
    }
    out
}

/// What the project's `pyproject.toml` requires: canonical name -> (line, specifier), the
/// names of its runtime groups (`default` and each optional-dependency group), and each group's
/// requirements as written.
#[derive(Debug, Default)]
pub(crate) struct Declared {
    pub(crate) requirements: HashMap<String, (Location, String)>,
    pub(crate) runtime_groups: BTreeSet<String>,
    pub(crate) groups: BTreeMap<String, Vec<String>>,
}

pub(crate) fn declared(snapshot: &Snapshot, path: &str) -> Declared {
    match snapshot.text(path) {
        Some(text) => declared_in(&text, path),
        None => Declared {
            runtime_groups: BTreeSet::from(["default".to_string()]),
            ..Declared::default()
        },
    }
}

/// [`declared`] of a `pyproject.toml`'s text.
pub(crate) fn declared_in(text: &str, path: &str) -> Declared {
    let mut out = Declared {
        runtime_groups: BTreeSet::from(["default".to_string()]),
        ..Declared::default()
    };
    let lines = LineIndex::new(text);
    let Ok(doc) = ImDocument::parse(text) else {
        return out;
    };
    let mut arrays: Vec<(String, &Item)> = Vec::new();
    if let Some(project) = doc.get("project") {
        if let Some(deps) = project.get("dependencies") {
            arrays.push(("default".into(), deps));
        }
        if let Some(t) = project
            .get("optional-dependencies")
            .and_then(Item::as_table_like)
        {
            for (group, list) in t.iter() {
                let group = Ecosystem::PyPI.normalize_name(group);
                out.runtime_groups.insert(group.clone());
                arrays.push((group, list));
            }
        }
    }
    let dev_tables = [
        doc.get("dependency-groups"),
        doc.get("tool")
            .and_then(|t| t.get("pdm"))
            .and_then(|p| p.get("dev-dependencies")),
    ];
    for t in dev_tables
        .into_iter()
        .flatten()
        .filter_map(Item::as_table_like)
    {
        arrays.extend(
            t.iter()
                .map(|(g, v)| (Ecosystem::PyPI.normalize_name(g), v)),
        );
    }
    for (group, array) in arrays {
        for v in array.as_array().into_iter().flatten() {
            let Some(line_text) = v.as_str() else {
                continue;
            };
            out.groups
                .entry(group.clone())
                .or_default()
                .push(line_text.to_string());
            let Some((name, spec)) = split_requirement(line_text) else {
                continue;
            };
            let line = v.span().map_or(1, |sp| lines.line(sp.start));
            out.requirements
                .entry(name)
                .or_insert_with(|| (Location::new(path, line), spec));
        }
    }
    out
}

/// The lock's `lock_version` and packages by a full TOML parse.
pub(crate) fn read_toml(path: &str, text: &str) -> Result<(String, Vec<Package>), crate::Error> {
    let lines = LineIndex::new(text);
    let doc = ImDocument::parse(text).map_err(|e| {
        let line = e.span().map(|s| lines.line(s.start));
        parse_error(path, line, e.message().trim().to_string())
    })?;
    let lock_version = doc
        .get("metadata")
        .and_then(|m| m.get("lock_version"))
        .and_then(Item::as_str)
        .unwrap_or("")
        .to_string();
    Ok((lock_version, packages(&doc, &lines)))
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
    // PDM writes one layout; read it directly, and anything else with a full TOML parse.
    let (lock_version, pkgs) = match fast::read(text) {
        Some(read) => read,
        None => read_toml(path, text)?,
    };
    if !lock_version.starts_with("4.") {
        return Err(parse_error(
            path,
            None,
            format!(
                "lock_version `{lock_version}` is not one this agent reads (4.x, written by PDM 2.x); relock with PDM 2 (`pdm lock`)"
            ),
        ));
    }
    let declared = declared(snapshot, &join(dir_of(path), "pyproject.toml"));
    // Parents: every package whose dependencies name it (an extras entry is its package).
    let mut parents: HashMap<String, BTreeSet<String>> = HashMap::new();
    let mut constraints: HashMap<String, Vec<String>> = HashMap::new();
    for p in &pkgs {
        for (name, spec) in p.deps() {
            if name == p.name {
                continue;
            }
            parents
                .entry(name.clone())
                .or_default()
                .insert(label(&p.name, &p.version));
            if !spec.is_empty() {
                constraints.entry(name).or_default().push(spec);
            }
        }
    }
    // Whether any entry of a name and version (the package's and its extras') is in a runtime
    // group, in one pass: a lock may hold many thousands of entries.
    let mut runtime_of: HashMap<(&str, &str), bool> = HashMap::new();
    for q in &pkgs {
        let runtime = q.groups.iter().any(|g| declared.runtime_groups.contains(g));
        *runtime_of.entry((&q.name, &q.version)).or_default() |= runtime;
    }
    let mut seen = BTreeSet::new();
    for p in pkgs.iter().filter(|p| !p.local && !p.version.is_empty()) {
        if !seen.insert((p.name.clone(), p.version.clone())) {
            continue; // the extras entry of a package already listed
        }
        let runtime = runtime_of
            .get(&(p.name.as_str(), p.version.as_str()))
            .copied()
            .unwrap_or(false);
        let own = declared.requirements.get(&p.name);
        let mut found_constraints = constraints.get(&p.name).cloned().unwrap_or_default();
        found_constraints.dedup();
        out.dependency(Dependency {
            ecosystem: Ecosystem::PyPI,
            name: p.name.clone(),
            version: Some(p.version.clone()),
            requirement: own.map(|(_, spec)| spec.clone()).filter(|s| !s.is_empty()),
            direct: own.is_some(),
            parents: parents
                .get(&p.name)
                .map(|s| s.iter().cloned().collect())
                .unwrap_or_default(),
            scope: if runtime { Scope::Runtime } else { Scope::Dev },
            location: Location::new(path, p.line),
            declared_in: own.map(|(at, _)| at.clone()),
            constraints: found_constraints,
        });
    }
    Ok(())
}
