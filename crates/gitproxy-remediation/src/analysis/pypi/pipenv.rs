//! Pipenv: `Pipfile.lock` (JSON: `default` runtime and `develop` plus custom categories of
//! `name -> {version: "==x", hashes, markers, index}`), with the `Pipfile` next to it naming the
//! direct dependencies (`[packages]`, `[dev-packages]`, custom categories) and their lines.

use std::collections::HashMap;

use toml_edit::{ImDocument, Item};

use super::super::{parse_error, Dependency, Location, Scope, Sink};
use crate::files::{dir_of, join, LineIndex, Snapshot};
use crate::json;
use crate::Ecosystem;

/// The Pipfile sections that are not package categories.
const NOT_CATEGORIES: [&str; 5] = ["source", "requires", "scripts", "pipfile", "pipenv"];

/// The lock category a Pipfile section fills (`packages` -> `default`, `dev-packages` ->
/// `develop`, custom categories keep their name).
pub(crate) fn lock_category(section: &str) -> &str {
    match section {
        "packages" => "default",
        "dev-packages" => "develop",
        other => other,
    }
}

/// One direct dependency of a Pipfile: its requirement (PEP 440, `None` for any version or a
/// non-registry source) and its line.
#[derive(Clone, Debug)]
pub(crate) struct Declared {
    pub(crate) requirement: Option<String>,
    pub(crate) location: Location,
}

/// The Pipfile's direct dependencies: lock category -> canonical name -> declaration. `None`
/// when there is no readable Pipfile.
pub(crate) fn pipfile_direct(
    snapshot: &Snapshot,
    path: &str,
) -> Option<HashMap<String, HashMap<String, Declared>>> {
    let text = snapshot.text(path)?;
    let text: &str = &text;
    let lines = LineIndex::new(text);
    let doc = ImDocument::parse(text).ok()?;
    let mut out: HashMap<String, HashMap<String, Declared>> = HashMap::new();
    for (section, item) in doc.iter() {
        if NOT_CATEGORIES.contains(&section) {
            continue;
        }
        let Some(table) = item.as_table_like() else {
            continue;
        };
        let category = out.entry(lock_category(section).to_string()).or_default();
        for (name, value) in table.iter() {
            let line = table
                .get_key_value(name)
                .and_then(|(k, _)| k.span())
                .map_or(1, |s| lines.line(s.start));
            let requirement = value
                .as_str()
                .or_else(|| value.get("version").and_then(Item::as_str))
                .map(|r| r.replace(' ', ""))
                .filter(|r| !r.is_empty() && r != "*");
            category.insert(
                Ecosystem::PyPI.normalize_name(name),
                Declared {
                    requirement,
                    location: Location::new(path, line),
                },
            );
        }
    }
    Some(out)
}

/// The exact version of a lock entry (`==2.25.1` or `===2.25.1`).
pub(crate) fn pinned(version: &str) -> Option<&str> {
    let v = version.trim();
    v.strip_prefix("===")
        .or_else(|| v.strip_prefix("=="))
        .map(str::trim)
        .filter(|v| !v.is_empty() && !v.contains('*'))
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
    let doc =
        json::parse(text).map_err(|(at, msg)| parse_error(path, Some(lines.line(at)), msg))?;
    if !matches!(doc.value, json::Value::Object(_)) {
        return Err(parse_error(path, Some(1), "the lock is not a JSON object"));
    }
    let direct = pipfile_direct(snapshot, &join(dir_of(path), "Pipfile"));
    for category in doc.members() {
        if category.key == "_meta" {
            continue;
        }
        let declared = direct.as_ref().and_then(|d| d.get(&category.key));
        for entry in category.value.members() {
            // Entries without a pinned version come from git, a path or a URL.
            let Some(version) = entry
                .value
                .get("version")
                .and_then(json::Node::as_str)
                .and_then(pinned)
            else {
                continue;
            };
            let name = Ecosystem::PyPI.normalize_name(&entry.key);
            let declaration = declared.and_then(|d| d.get(&name));
            let is_direct = match &direct {
                Some(_) => declaration.is_some(),
                // pipenv writes `index` only on the packages the Pipfile names.
                None => entry.value.get("index").is_some(),
            };
            out.dependency(Dependency {
                ecosystem: Ecosystem::PyPI,
                name,
                version: Some(version.to_string()),
                requirement: declaration.and_then(|d| d.requirement.clone()),
                direct: is_direct,
                parents: Vec::new(),
                scope: if category.key == "default" {
                    Scope::Runtime
                } else {
                    Scope::Dev
                },
                location: Location::new(path, lines.line(entry.key_start)),
                declared_in: declaration.map(|d| d.location.clone()),
                constraints: Vec::new(),
            });
        }
    }
    Ok(())
}
