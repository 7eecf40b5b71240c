//! `poetry.lock` updates that Poetry accepts: the moved package's entry carries the new
//! version's files and dependencies, packages the new dependencies need are added (highest
//! compatible version), packages nothing needs any more are dropped, and every dependent's
//! constraint on the moved package is checked first.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use toml_edit::{ImDocument, Item};

use super::requires::{toml_string, Requires};
use crate::analysis::pypi::poetry_to_pep440;
use crate::registry::{Digest, PypiRelease, Registry};
use crate::version::{Requirement, Version};
use crate::{Ecosystem, Error};

/// One `[[package]]` block of the lock.
#[derive(Clone, Debug)]
pub(super) struct Block {
    /// Canonical name.
    pub key: String,
    pub version: String,
    /// The block's text as it stands (verbatim unless rewritten).
    pub text: String,
    /// Canonical dependency name -> Poetry constraints (one per entry).
    pub deps: BTreeMap<String, Vec<String>>,
    /// The environment marker of each entry in `deps` (same order).
    pub markers: BTreeMap<String, Vec<Option<String>>>,
    /// Extras requested of dependencies: canonical name -> extras.
    pub dep_extras: BTreeMap<String, Vec<String>>,
    /// `[package.extras]`: extra -> canonical names it pulls in.
    pub extras: BTreeMap<String, Vec<String>>,
    /// The files of a rewritten entry, for a lock that lists them in `[metadata.files]`.
    pub files: Option<Vec<(String, String)>>,
}

/// What a rewritten entry keeps of the lock's layout.
#[derive(Clone, Debug, Default)]
pub(super) struct Kept {
    /// `optional` of the entry it replaces.
    pub optional: bool,
    /// `category` (Poetry before 1.5 writes `main` or `dev`).
    pub category: Option<String>,
    /// Whether files go under `[metadata.files]` (lock-version 1.1) instead of the entry.
    pub metadata_files: bool,
}

/// A lock split into its header, package blocks and trailer (`[metadata]`).
#[derive(Clone, Debug)]
pub(super) struct Lock {
    pub head: String,
    pub blocks: Vec<Block>,
    pub tail: String,
}

impl Lock {
    pub(super) fn parse(text: &str) -> Result<Lock, String> {
        let mut head = String::new();
        let mut tail = String::new();
        let mut chunks: Vec<String> = Vec::new();
        let mut in_tail = false;
        for line in text.split_inclusive('\n') {
            if line.trim_end() == "[[package]]" {
                chunks.push(String::new());
            } else if line.starts_with("[metadata") && !line.starts_with("[metadata.") {
                in_tail = true;
            } else if line.starts_with('[')
                && !line.starts_with("[package.")
                && !line.starts_with("[metadata.")
                && !line.starts_with("[[package]]")
                && !in_tail
            {
                return Err(format!("unexpected table `{}`", line.trim_end()));
            }
            if in_tail {
                tail.push_str(line);
            } else if let Some(last) = chunks.last_mut() {
                last.push_str(line);
            } else {
                head.push_str(line);
            }
        }
        let blocks = chunks
            .into_iter()
            .map(Block::parse)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Lock { head, blocks, tail })
    }

    pub(super) fn render(&self) -> String {
        let mut out = self.head.clone();
        for b in &self.blocks {
            out.push_str(&b.text);
        }
        out.push_str(&self.tail);
        out
    }

    pub(super) fn find(&self, key: &str) -> Option<usize> {
        self.blocks.iter().position(|b| b.key == key)
    }

    /// Packages reachable from `roots` along dependencies and requested extras.
    pub(super) fn reachable(&self, roots: &BTreeMap<String, Vec<String>>) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut queue: VecDeque<(String, Vec<String>)> =
            roots.iter().map(|(k, e)| (k.clone(), e.clone())).collect();
        while let Some((key, extras)) = queue.pop_front() {
            let Some(i) = self.find(&key) else { continue };
            let first = seen.insert(key.clone());
            let b = &self.blocks[i];
            if first {
                for d in b.deps.keys() {
                    let e = b.dep_extras.get(d).cloned().unwrap_or_default();
                    queue.push_back((d.clone(), e));
                }
            }
            for extra in extras {
                for d in b.extras.get(&extra).into_iter().flatten() {
                    if !seen.contains(d) {
                        queue.push_back((d.clone(), Vec::new()));
                    }
                }
            }
        }
        seen
    }
}

impl Block {
    fn parse(text: String) -> Result<Block, String> {
        let doc = ImDocument::parse(text.as_str()).map_err(|e| e.message().trim().to_string())?;
        let pkg = doc
            .get("package")
            .and_then(Item::as_array_of_tables)
            .and_then(|a| a.get(0))
            .ok_or("a [[package]] block without fields")?;
        let name = pkg.get("name").and_then(Item::as_str).unwrap_or("");
        let version = pkg.get("version").and_then(Item::as_str).unwrap_or("");
        let mut deps: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut dep_extras: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut markers: BTreeMap<String, Vec<Option<String>>> = BTreeMap::new();
        if let Some(t) = pkg.get("dependencies").and_then(Item::as_table_like) {
            for (k, v) in t.iter() {
                let key = Ecosystem::PyPI.normalize_name(k);
                let mut entries: Vec<toml_edit::Value> = Vec::new();
                match v.as_value() {
                    Some(toml_edit::Value::Array(a)) => entries.extend(a.iter().cloned()),
                    Some(other) => entries.push(other.clone()),
                    None => {}
                }
                for e in entries {
                    let c = match &e {
                        toml_edit::Value::String(s) => s.value().clone(),
                        toml_edit::Value::InlineTable(t) => t
                            .get("version")
                            .and_then(|v| v.as_str())
                            .unwrap_or("*")
                            .to_string(),
                        _ => "*".into(),
                    };
                    deps.entry(key.clone()).or_default().push(c);
                    let marker = e
                        .as_inline_table()
                        .and_then(|t| t.get("markers"))
                        .and_then(|v| v.as_str())
                        .map(String::from);
                    markers.entry(key.clone()).or_default().push(marker);
                    if let Some(list) = e
                        .as_inline_table()
                        .and_then(|t| t.get("extras"))
                        .and_then(|v| v.as_array())
                    {
                        dep_extras.entry(key.clone()).or_default().extend(
                            list.iter()
                                .filter_map(|x| x.as_str())
                                .map(|x| Ecosystem::PyPI.normalize_name(x)),
                        );
                    }
                }
            }
        }
        let mut extras = BTreeMap::new();
        if let Some(t) = pkg.get("extras").and_then(Item::as_table_like) {
            for (k, v) in t.iter() {
                let names = v
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|x| x.as_str())
                            .filter_map(|x| Requires::parse(x).map(|r| r.key()))
                            .collect()
                    })
                    .unwrap_or_default();
                extras.insert(Ecosystem::PyPI.normalize_name(k), names);
            }
        }
        Ok(Block {
            key: Ecosystem::PyPI.normalize_name(name),
            version: version.to_string(),
            text,
            deps,
            markers,
            dep_extras,
            extras,
            files: None,
        })
    }

    /// The block's constraints on `dep` whose markers admit `python` (the project's lowest
    /// Python; every constraint when it is unknown).
    pub(super) fn constraints(&self, dep: &str, python: Option<&str>) -> Vec<String> {
        let markers = self.markers.get(dep);
        self.deps
            .get(dep)
            .into_iter()
            .flatten()
            .enumerate()
            .filter(|(i, _)| {
                let marker = markers.and_then(|m| m.get(*i)).and_then(Option::as_deref);
                match (marker, python) {
                    (Some(m), Some(p)) => marker_admits(m, p),
                    _ => true,
                }
            })
            .map(|(_, c)| c.clone())
            .collect()
    }

    /// The block Poetry writes for `name` at `version` from the release metadata and files,
    /// with the layout `kept` of the entry it replaces.
    pub(super) fn write(
        name: &str,
        version: &str,
        kept: &Kept,
        release: &PypiRelease,
        digests: &[Digest],
    ) -> Result<Block, String> {
        let mut out = String::from("[[package]]\n");
        out.push_str(&format!("name = {}\n", toml_string(name)));
        out.push_str(&format!("version = {}\n", toml_string(version)));
        out.push_str(&format!(
            "description = {}\n",
            toml_string(&release.summary)
        ));
        if let Some(category) = &kept.category {
            out.push_str(&format!("category = {}\n", toml_string(category)));
        }
        out.push_str(&format!("optional = {}\n", kept.optional));
        let python = release.requires_python.as_deref().unwrap_or("*");
        out.push_str(&format!("python-versions = {}\n", toml_string(python)));
        let mut files: Vec<(&str, &str)> = digests
            .iter()
            .filter_map(|d| Some((d.artifact.as_deref()?, d.value.as_str())))
            .collect();
        files.sort();
        if kept.metadata_files {
            out.push('\n');
        } else {
            out.push_str(&files_array("files", &files));
            out.push('\n');
        }
        let reqs: Vec<Requires> = release
            .requires_dist
            .iter()
            .filter_map(|r| Requires::parse(r))
            .collect();
        let mut deps: BTreeMap<String, Vec<&Requires>> = BTreeMap::new();
        let mut extras: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for r in &reqs {
            if r.in_extras.is_empty() {
                deps.entry(r.key()).or_default().push(r);
            }
            for e in &r.in_extras {
                extras
                    .entry(e.clone())
                    .or_default()
                    .insert(r.extras_entry());
            }
        }
        if !deps.is_empty() {
            out.push_str("[package.dependencies]\n");
            for list in deps.values() {
                let key = &list[0].name;
                if list.len() == 1 {
                    out.push_str(&format!("{key} = {}\n", list[0].lock_value()));
                } else {
                    out.push_str(&format!("{key} = [\n"));
                    for r in list {
                        let v = r.lock_value();
                        let v = if v.starts_with('{') {
                            v
                        } else {
                            format!("{{version = {v}}}")
                        };
                        out.push_str(&format!("    {v},\n"));
                    }
                    out.push_str("]\n");
                }
            }
            out.push('\n');
        }
        if !extras.is_empty() {
            out.push_str("[package.extras]\n");
            for (name, list) in &extras {
                let items: Vec<String> = list.iter().map(|s| toml_string(s)).collect();
                out.push_str(&format!("{name} = [{}]\n", items.join(", ")));
            }
            out.push('\n');
        }
        let mut block = Block::parse(out)?;
        block.files = Some(
            files
                .iter()
                .map(|(f, h)| (f.to_string(), h.to_string()))
                .collect(),
        );
        Ok(block)
    }

    /// The layout a rewrite of this entry keeps.
    pub(super) fn kept(&self, metadata_files: bool) -> Kept {
        Kept {
            optional: self.text.lines().any(|l| l.trim_end() == "optional = true"),
            category: self.text.lines().find_map(|l| {
                Some(
                    l.strip_prefix("category = ")?
                        .trim()
                        .trim_matches('"')
                        .to_string(),
                )
            }),
            metadata_files,
        }
    }
}

/// `key = [ {file = ..., hash = ...}, ]` as Poetry writes a file list.
fn files_array(key: &str, files: &[(&str, &str)]) -> String {
    let mut out = format!("{key} = [\n");
    for (file, hash) in files {
        out.push_str(&format!(
            "    {{file = {}, hash = {}}},\n",
            toml_string(file),
            toml_string(hash)
        ));
    }
    out.push_str("]\n");
    out
}

impl Lock {
    /// Whether the lock keeps file hashes in `[metadata.files]` (lock-version 1.1).
    pub(super) fn metadata_files(&self) -> bool {
        self.tail
            .lines()
            .any(|l| l.trim_end() == "[metadata.files]")
    }

    /// Rewrites `[metadata.files]`: the lists of rewritten entries replaced or added (in name
    /// order), those of `dropped` packages removed, every other line kept.
    pub(super) fn update_metadata_files(&mut self, dropped: &BTreeSet<String>) {
        let lines: Vec<&str> = self.tail.split_inclusive('\n').collect();
        let Some(start) = lines
            .iter()
            .position(|l| l.trim_end() == "[metadata.files]")
        else {
            return;
        };
        let end = (start + 1..lines.len())
            .find(|&i| lines[i].starts_with('['))
            .unwrap_or(lines.len());
        // (canonical key, text) per entry, in file order.
        let mut entries: Vec<(String, String)> = Vec::new();
        let mut trailing = String::new();
        for line in &lines[start + 1..end] {
            match entries.last_mut() {
                Some((_, text)) if !text.trim_end().ends_with(']') || text.ends_with("[\n") => {
                    text.push_str(line)
                }
                _ if line.trim().is_empty() => trailing.push_str(line),
                _ => {
                    let key = line
                        .split('=')
                        .next()
                        .unwrap_or("")
                        .trim()
                        .trim_matches('"');
                    entries.push((Ecosystem::PyPI.normalize_name(key), line.to_string()));
                }
            }
        }
        entries.retain(|(k, _)| !dropped.contains(k));
        for b in &self.blocks {
            let Some(files) = &b.files else { continue };
            let name = b
                .text
                .lines()
                .find_map(|l| l.strip_prefix("name = "))
                .map(|v| v.trim().trim_matches('"').to_string())
                .unwrap_or_else(|| b.key.clone());
            let pairs: Vec<(&str, &str)> = files
                .iter()
                .map(|(f, h)| (f.as_str(), h.as_str()))
                .collect();
            let text = files_array(&name, &pairs);
            match entries.iter_mut().find(|(k, _)| *k == b.key) {
                Some(entry) => entry.1 = text,
                None => {
                    let at = entries
                        .iter()
                        .position(|(k, _)| *k > b.key)
                        .unwrap_or(entries.len());
                    entries.insert(at, (b.key.clone(), text));
                }
            }
        }
        let mut tail: String = lines[..=start].concat();
        for (_, text) in &entries {
            tail.push_str(text);
        }
        tail.push_str(&trailing);
        tail.push_str(&lines[end..].concat());
        self.tail = tail;
    }
}

/// Whether `version` satisfies a Poetry constraint (`*`, `>=2,<4`, `^1.2`, `a || b`).
pub(super) fn satisfies(constraint: &str, version: &str) -> bool {
    let Ok(v) = Version::parse(Ecosystem::PyPI, version) else {
        return false;
    };
    constraint.split("||").any(|alt| {
        let alt = alt.trim();
        if alt.is_empty() || alt == "*" {
            return true;
        }
        poetry_to_pep440(alt)
            .and_then(|pep| Requirement::parse(Ecosystem::PyPI, &pep).ok())
            .is_some_and(|r| r.matches(&v))
    })
}

/// The highest published, non-yanked final release satisfying every constraint whose
/// `Requires-Python` admits `python` (the project's lowest Python), as Poetry chooses.
pub(super) async fn highest(
    registry: &dyn Registry,
    name: &str,
    constraints: &[String],
    python: Option<&str>,
) -> Result<Option<String>, Error> {
    let mut candidates: Vec<(Version, String)> = Vec::new();
    for rv in registry.versions(Ecosystem::PyPI, name).await? {
        if rv.yanked {
            continue;
        }
        let Ok(v) = Version::parse(Ecosystem::PyPI, &rv.version) else {
            continue;
        };
        if v.is_prerelease() || !constraints.iter().all(|c| satisfies(c, &rv.version)) {
            continue;
        }
        candidates.push((v, rv.version));
    }
    candidates.sort_by(|a, b| b.0.cmp(&a.0));
    for (_, version) in candidates {
        let Some(python) = python else {
            return Ok(Some(version));
        };
        let Some(release) = registry.pypi_release(name, &version).await? else {
            continue;
        };
        if admits_python(&release, Some(python)) {
            return Ok(Some(version));
        }
    }
    Ok(None)
}

/// A dependency a moved release adds to a lock: the highest published version its requirement
/// allows whose `Requires-Python` admits `python` (as uv and PDM pick it), with that release's
/// metadata and files; or why the registry cannot give it.
pub(super) async fn joining(
    registry: &dyn Registry,
    r: &super::requires::Requires,
    python: Option<&str>,
) -> Result<Result<(String, PypiRelease, Vec<crate::registry::PypiDist>), String>, Error> {
    let constraint = vec![r.constraint().to_string()];
    let Some(version) = highest(registry, &r.name, &constraint, python).await? else {
        return Ok(Err(format!(
            "no published version of {} satisfies {}",
            r.name,
            r.constraint()
        )));
    };
    let (Some(own), Some(files)) = (
        registry.pypi_release(&r.name, &version).await?,
        registry.pypi_files(&r.name, &version).await?,
    ) else {
        return Ok(Err(format!(
            "the registry gave no files or dependencies for {} {version}",
            r.name
        )));
    };
    if !admits_python(&own, python) {
        return Ok(Err(format!(
            "{} {version} excludes the lock's Python",
            r.name
        )));
    }
    Ok(Ok((version, own, files)))
}

/// The lock split at its `[[package]]` lines: the header, then one chunk per package.
pub(super) fn split_blocks(text: &str) -> Vec<String> {
    let mut blocks = vec![String::new()];
    for line in text.split_inclusive('\n') {
        if line.trim_end() == "[[package]]" {
            blocks.push(String::new());
        }
        if let Some(last) = blocks.last_mut() {
            last.push_str(line);
        }
    }
    blocks
}

/// Whether an environment marker can hold on `python`: only `python_version` and
/// `python_full_version` clauses joined by `and` are evaluated; any other marker may hold.
pub(super) fn marker_admits(marker: &str, python: &str) -> bool {
    if marker.contains(" or ") || marker.contains('(') {
        return true;
    }
    let Ok(v) = Version::parse(Ecosystem::PyPI, python) else {
        return true;
    };
    marker.split(" and ").all(|clause| {
        let clause = clause.trim();
        let Some(rest) = clause
            .strip_prefix("python_full_version")
            .or_else(|| clause.strip_prefix("python_version"))
        else {
            return true;
        };
        let rest = rest.trim();
        let op_len = rest
            .find(|c: char| !matches!(c, '<' | '>' | '=' | '!' | '~'))
            .unwrap_or(rest.len());
        let (op, value) = rest.split_at(op_len);
        let value = value.trim().trim_matches(|c| c == '"' || c == '\'');
        if op.is_empty() || value.is_empty() {
            return true;
        }
        Requirement::parse(Ecosystem::PyPI, &format!("{op}{value}")).map_or(true, |r| r.matches(&v))
    })
}

/// Whether a release's `Requires-Python` admits `python` (any release when it is unknown).
pub(super) fn admits_python(release: &PypiRelease, python: Option<&str>) -> bool {
    let (Some(spec), Some(python)) = (release.requires_python.as_deref(), python) else {
        return true;
    };
    Requirement::parse(Ecosystem::PyPI, spec).map_or(true, |r| {
        Version::parse(Ecosystem::PyPI, python).is_ok_and(|v| r.matches(&v))
    })
}

/// The lowest Python a Poetry `python` constraint allows (`^3.8` gives `3.8`).
pub(super) fn lowest_python(constraint: &str) -> Option<String> {
    let pep = poetry_to_pep440(constraint.split("||").next()?.trim())?;
    pep.split(',').find_map(|part| {
        let part = part.trim();
        let v = part
            .strip_prefix(">=")
            .or_else(|| part.strip_prefix("=="))
            .or_else(|| part.strip_prefix("~="))?;
        Some(v.trim_end_matches(".*").to_string())
    })
}
