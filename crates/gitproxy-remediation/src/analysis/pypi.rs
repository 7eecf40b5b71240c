//! PyPI: `requirements*.txt` (with `-r` includes, pins, ranges, extras, markers, hashes and
//! pip-compile `# via` annotations), `poetry.lock` (with `pyproject.toml` for direct ones),
//! `Pipfile.lock` (with its `Pipfile`, see `pypi/pipenv.rs`), `uv.lock` (`pypi/uv.rs`) and
//! `pdm.lock` (`pypi/pdm.rs`).

use std::collections::{BTreeSet, HashMap, VecDeque};

use toml_edit::{ImDocument, Item};

use super::{file_name, label, parse_error, Dependency, Location, Scope, Sink};
use crate::files::{dir_of, is_requirements_name, join, LineIndex, Snapshot};
use crate::version::pep440::SpecifierSet;
use crate::Ecosystem;

pub(crate) mod pdm;
pub(crate) mod pipenv;
pub(crate) mod uv;

pub(super) fn analyze(snapshot: &Snapshot, out: &mut dyn Sink) {
    let mut queue: VecDeque<String> = snapshot
        .paths()
        .filter(|p| is_requirements_name(file_name(p), dir_of(p).rsplit('/').next()))
        .map(String::from)
        .collect();
    let mut seen = BTreeSet::new();
    while let Some(path) = queue.pop_front() {
        if !seen.insert(path.clone()) {
            continue;
        }
        let Some(text) = snapshot.text(&path) else {
            out.problem(parse_error(&path, None, "missing or not valid UTF-8"));
            continue;
        };
        let text: &str = &text;
        let parsed = parse_requirements(text);
        for include in parsed.includes {
            queue.push_back(join(dir_of(&path), &include));
        }
        let dev = is_dev_file(&path);
        for r in parsed.requirements {
            let version = SpecifierSet::parse(&r.specifier)
                .ok()
                .and_then(|s| s.pinned().map(ToString::to_string))
                .filter(|_| !r.specifier.is_empty());
            let direct = r.via.is_empty()
                || r.via
                    .iter()
                    .any(|v| v.starts_with("-r") || v.starts_with("-c"));
            out.dependency(Dependency {
                ecosystem: Ecosystem::PyPI,
                name: Ecosystem::PyPI.normalize_name(&r.name),
                version,
                requirement: Some(r.specifier.clone()),
                direct,
                parents: if direct { Vec::new() } else { r.via.clone() },
                scope: if dev { Scope::Dev } else { Scope::Runtime },
                location: Location::new(&path, r.line),
                declared_in: None,
                constraints: Vec::new(),
            });
        }
    }
    for path in snapshot.paths().filter(|p| file_name(p) == "poetry.lock") {
        if let Err(e) = analyze_poetry(snapshot, path, out) {
            out.problem(e);
        }
    }
    for path in snapshot.paths().filter(|p| file_name(p) == "Pipfile.lock") {
        pipenv::analyze(snapshot, path, out);
    }
    for path in snapshot.paths().filter(|p| file_name(p) == "uv.lock") {
        uv::analyze(snapshot, path, out);
    }
    for path in snapshot.paths().filter(|p| file_name(p) == "pdm.lock") {
        pdm::analyze(snapshot, path, out);
    }
}

fn is_dev_file(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    let name = file_name(&lower);
    ["dev", "test", "lint", "doc"]
        .iter()
        .any(|w| name.contains(w))
}

/// One requirement line of a requirements file.
#[derive(Clone, Debug)]
pub(crate) struct Requirement {
    pub(crate) name: String,
    pub(crate) specifier: String,
    pub(crate) line: u32,
    /// pip-compile `# via` entries (package names, or `-r file` for direct requirements).
    pub(crate) via: Vec<String>,
}

#[derive(Debug, Default)]
pub(crate) struct Requirements {
    pub(crate) requirements: Vec<Requirement>,
    pub(crate) includes: Vec<String>,
}

pub(crate) fn parse_requirements(text: &str) -> Requirements {
    let mut out = Requirements::default();
    let raw: Vec<&str> = text.lines().collect();
    let mut i = 0;
    let mut last: Option<usize> = None;
    let mut in_via = false;
    while i < raw.len() {
        let start = i;
        // Join backslash continuations.
        let mut logical = String::new();
        loop {
            let l = raw[i];
            i += 1;
            match l.trim_end().strip_suffix('\\') {
                Some(head) if i < raw.len() => {
                    logical.push_str(head);
                    logical.push(' ');
                }
                _ => {
                    logical.push_str(l);
                    break;
                }
            }
        }
        let trimmed = logical.trim();
        if let Some(comment) = trimmed.strip_prefix('#') {
            let c = comment.trim();
            if let Some(idx) = last {
                if let Some(rest) = c.strip_prefix("via") {
                    in_via = true;
                    let rest = rest.trim();
                    if !rest.is_empty() {
                        out.requirements[idx].via.push(rest.to_string());
                    }
                } else if in_via && !c.is_empty() && (!c.contains(' ') || c.starts_with("-r ")) {
                    out.requirements[idx].via.push(c.to_string());
                } else {
                    in_via = false;
                }
            }
            continue;
        }
        in_via = false;
        // Strip trailing comments (a `#` preceded by whitespace).
        let code = match trimmed.find(" #") {
            Some(p) => trimmed[..p].trim(),
            None => trimmed,
        };
        if code.is_empty() {
            continue;
        }
        if let Some(rest) = code
            .strip_prefix("-r ")
            .or_else(|| code.strip_prefix("--requirement "))
            .or_else(|| code.strip_prefix("--requirement="))
            .or_else(|| code.strip_prefix("-r"))
        {
            out.includes.push(rest.trim().to_string());
            continue;
        }
        if code.starts_with('-') {
            // -c constraints, -e editables, --index-url and other options.
            continue;
        }
        let req = code.split(" --").next().unwrap_or("").trim();
        let req = req.split(';').next().unwrap_or("").trim();
        if req.contains(" @ ") || req.contains("://") {
            continue;
        }
        let name_end = req
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
            .unwrap_or(req.len());
        let name = &req[..name_end];
        if name.is_empty() {
            continue;
        }
        let mut rest = req[name_end..].trim();
        if rest.starts_with('[') {
            rest = rest.split_once(']').map_or("", |(_, r)| r).trim();
        }
        let spec = rest
            .trim_start_matches('(')
            .trim_end_matches(')')
            .replace(' ', "");
        out.requirements.push(Requirement {
            name: name.to_string(),
            specifier: spec,
            line: u32::try_from(start + 1).unwrap_or(u32::MAX),
            via: Vec::new(),
        });
        last = Some(out.requirements.len() - 1);
    }
    out
}

/// Direct dependencies declared by a `pyproject.toml`: name -> (dev, line).
/// A direct dependency of a `pyproject.toml`: dev or not, where, and its constraint as PEP 440.
type Direct = (bool, Location, Option<String>);

fn pyproject_direct(snapshot: &Snapshot, path: &str) -> Option<HashMap<String, Direct>> {
    let text = snapshot.text(path)?;
    let text: &str = &text;
    let lines = LineIndex::new(text);
    let doc = ImDocument::parse(text).ok()?;
    let mut out = HashMap::new();
    let norm = |n: &str| Ecosystem::PyPI.normalize_name(n);
    let poetry = doc.get("tool").and_then(|t| t.get("poetry"));
    let mut tables: Vec<(&Item, bool)> = Vec::new();
    if let Some(p) = poetry {
        if let Some(t) = p.get("dependencies") {
            tables.push((t, false));
        }
        if let Some(t) = p.get("dev-dependencies") {
            tables.push((t, true));
        }
        if let Some(groups) = p.get("group").and_then(Item::as_table_like) {
            for (g, item) in groups.iter() {
                if let Some(t) = item.get("dependencies") {
                    tables.push((t, g != "main"));
                }
            }
        }
    }
    for (item, dev) in tables {
        let Some(t) = item.as_table_like() else {
            continue;
        };
        for (k, v) in t.iter() {
            if k == "python" {
                continue;
            }
            let line = t
                .get_key_value(k)
                .and_then(|(key, _)| key.span())
                .map_or(0, |s| lines.line(s.start));
            let constraint = v
                .as_str()
                .or_else(|| v.get("version").and_then(Item::as_str))
                .and_then(poetry_to_pep440);
            out.entry(norm(k))
                .or_insert((dev, Location::new(path, line), constraint));
        }
    }
    if let Some(list) = doc
        .get("project")
        .and_then(|p| p.get("dependencies"))
        .and_then(Item::as_array)
    {
        for v in list.iter() {
            if let Some(s) = v.as_str() {
                let end = s
                    .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
                    .unwrap_or(s.len());
                let line = v.span().map_or(0, |sp| lines.line(sp.start));
                let spec = s[end..].split(';').next().unwrap_or("").trim();
                let spec = spec
                    .strip_prefix('[')
                    .map_or(spec, |r| r.split_once(']').map_or("", |(_, a)| a));
                let spec = spec
                    .trim()
                    .trim_start_matches('(')
                    .trim_end_matches(')')
                    .replace(' ', "");
                out.entry(norm(&s[..end])).or_insert((
                    false,
                    Location::new(path, line),
                    Some(spec),
                ));
            }
        }
    }
    Some(out)
}

/// Converts a Poetry constraint (`^1.26`, `~1.2.3`, `1.2.*`, `>=1,<2`, `1.2.3`) to PEP 440.
pub(crate) fn poetry_to_pep440(constraint: &str) -> Option<String> {
    let mut parts = Vec::new();
    for raw in constraint.split(',') {
        let c = raw.trim();
        if c.is_empty() || c == "*" {
            continue;
        }
        if c.contains("||") || c.contains('|') {
            return None;
        }
        let (op, v) = if let Some(v) = c.strip_prefix('^') {
            ("^", v.trim())
        } else if let Some(v) = c.strip_prefix("~=") {
            ("~=", v.trim())
        } else if let Some(v) = c.strip_prefix('~') {
            ("~", v.trim())
        } else {
            ("", c)
        };
        let nums: Vec<u64> = v.split('.').map_while(|p| p.parse().ok()).collect();
        match op {
            "^" | "~" if !nums.is_empty() => {
                let upper = if op == "^" {
                    // The first non-zero component may not change.
                    let idx = nums.iter().position(|&n| n != 0).unwrap_or(nums.len() - 1);
                    bump(&nums, idx)
                } else if nums.len() == 1 {
                    bump(&nums, 0)
                } else {
                    bump(&nums, 1)
                };
                parts.push(format!(">={v}"));
                parts.push(format!("<{upper}"));
            }
            "~=" => parts.push(format!("~={v}")),
            "" if c.starts_with(['>', '<', '=', '!']) => parts.push(c.replace(' ', "")),
            "" if c.ends_with(".*") => parts.push(format!("=={c}")),
            "" => parts.push(format!("=={c}")),
            _ => return None,
        }
    }
    Some(parts.join(","))
}

/// The version that ends a caret or tilde range: component `idx` plus one, the rest dropped.
fn bump(nums: &[u64], idx: usize) -> String {
    let mut out: Vec<String> = nums[..idx].iter().map(u64::to_string).collect();
    out.push((nums[idx] + 1).to_string());
    out.join(".")
}

fn analyze_poetry(snapshot: &Snapshot, path: &str, out: &mut dyn Sink) -> Result<(), crate::Error> {
    let text = snapshot
        .text(path)
        .ok_or_else(|| parse_error(path, None, "not valid UTF-8"))?;
    let text: &str = &text;
    let lines = LineIndex::new(text);
    let doc = ImDocument::parse(text).map_err(|e| {
        let line = e.span().map(|s| lines.line(s.start));
        parse_error(path, line, e.message().trim().to_string())
    })?;
    struct Pkg {
        name: String,
        version: String,
        dev_category: bool,
        line: u32,
        deps: Vec<(String, String)>,
    }
    let mut pkgs = Vec::new();
    if let Some(list) = doc.get("package").and_then(Item::as_array_of_tables) {
        for t in list.iter() {
            let (Some(name), Some(version)) = (
                t.get("name").and_then(Item::as_str),
                t.get("version").and_then(Item::as_str),
            ) else {
                continue;
            };
            let deps = t
                .get("dependencies")
                .and_then(Item::as_table_like)
                .map(|d| {
                    d.iter()
                        .map(|(k, v)| {
                            let range = v
                                .as_str()
                                .or_else(|| v.get("version").and_then(Item::as_str))
                                .unwrap_or("*");
                            (Ecosystem::PyPI.normalize_name(k), range.to_string())
                        })
                        .collect()
                })
                .unwrap_or_default();
            pkgs.push(Pkg {
                name: Ecosystem::PyPI.normalize_name(name),
                version: version.to_string(),
                dev_category: t.get("category").and_then(Item::as_str) == Some("dev"),
                line: super::cargo::key_line(t, "name", &lines),
                deps,
            });
        }
    }
    let index: HashMap<&str, usize> = pkgs
        .iter()
        .enumerate()
        .map(|(i, p)| (p.name.as_str(), i))
        .collect();
    let mut parents: Vec<BTreeSet<String>> = vec![BTreeSet::new(); pkgs.len()];
    let mut constraints: Vec<BTreeSet<String>> = vec![BTreeSet::new(); pkgs.len()];
    for p in &pkgs {
        for (d, range) in &p.deps {
            if let Some(&j) = index.get(d.as_str()) {
                constraints[j].insert(range.clone());
                parents[j].insert(label(&p.name, &p.version));
            }
        }
    }
    let direct = pyproject_direct(snapshot, &join(dir_of(path), "pyproject.toml"));
    // Runtime reachability from the non-dev direct dependencies (or every root without one).
    let mut runtime = vec![false; pkgs.len()];
    let mut queue: VecDeque<usize> = VecDeque::new();
    for (i, p) in pkgs.iter().enumerate() {
        let root = match &direct {
            Some(d) => d.get(&p.name).is_some_and(|(dev, _, _)| !dev),
            None => parents[i].is_empty() && !p.dev_category,
        };
        if root {
            runtime[i] = true;
            queue.push_back(i);
        }
    }
    while let Some(i) = queue.pop_front() {
        for (d, _) in &pkgs[i].deps {
            if let Some(&j) = index.get(d.as_str()) {
                if !runtime[j] {
                    runtime[j] = true;
                    queue.push_back(j);
                }
            }
        }
    }
    for (i, p) in pkgs.iter().enumerate() {
        let declared = direct.as_ref().and_then(|d| d.get(&p.name));
        let is_direct = match &direct {
            Some(_) => declared.is_some(),
            None => parents[i].is_empty(),
        };
        let dev = p.dev_category || !runtime[i];
        out.dependency(Dependency {
            ecosystem: Ecosystem::PyPI,
            name: p.name.clone(),
            version: Some(p.version.clone()),
            requirement: declared.and_then(|(_, _, c)| c.clone()),
            direct: is_direct,
            parents: parents[i].iter().cloned().collect(),
            scope: if dev { Scope::Dev } else { Scope::Runtime },
            location: Location::new(path, p.line),
            declared_in: declared.map(|(_, l, _)| l.clone()),
            constraints: constraints[i]
                .iter()
                .filter(|c| *c != "*")
                .cloned()
                .collect(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests;
