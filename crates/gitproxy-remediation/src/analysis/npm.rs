//! npm: `package.json` (with workspaces) and `package-lock.json` / `npm-shrinkwrap.json` v1-v3.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::{file_name, label, parse_error, Dependency, Location, Scope, Sink};
use crate::files::{dir_of, join, LineIndex, Snapshot};
use crate::json;
use crate::json::cursor::{line_of, Cursor, Failure};
use crate::Ecosystem;

/// The dependency sections of `package.json`, with whether they are development-only.
pub(crate) const SECTIONS: [(&str, bool); 4] = [
    ("dependencies", false),
    ("optionalDependencies", false),
    ("peerDependencies", false),
    ("devDependencies", true),
];

/// A flattened lockfile entry, keyed like a v2 `packages` key (`node_modules/a/node_modules/b`).
/// Strings are borrowed from the lockfile's text where it has no escapes.
struct Entry<'a> {
    name: Cow<'a, str>,
    version: Cow<'a, str>,
    dev: bool,
    line: u32,
    /// Dependency names and ranges this package requires.
    requires: Ranges<'a>,
}

/// Dependency names and ranges.
type Ranges<'a> = Vec<(Cow<'a, str>, Cow<'a, str>)>;

/// Installed packages by lockfile key.
type Entries<'a> = BTreeMap<Cow<'a, str>, Entry<'a>>;

/// Analyses npm's lockfiles and the `package.json` files no lockfile covers (`covered` are
/// those another package manager's lockfile already did).
pub(super) fn analyze(snapshot: &Snapshot, out: &mut dyn Sink, covered: BTreeSet<String>) {
    let mut covered = covered;
    let locks: Vec<&str> = snapshot
        .paths()
        .filter(|p| matches!(file_name(p), "package-lock.json" | "npm-shrinkwrap.json"))
        .collect();
    for lock in &locks {
        let dir = dir_of(lock);
        // A shrinkwrap wins over a package-lock in the same directory, as npm does.
        if file_name(lock) == "package-lock.json"
            && snapshot.contains(&join(dir, "npm-shrinkwrap.json"))
        {
            continue;
        }
        match analyze_lock(snapshot, lock, out) {
            Ok(manifests) => covered.extend(manifests),
            Err(e) => out.problem(e),
        }
    }
    // Manifests not covered by any lockfile: report their direct requirements.
    let manifests: Vec<&str> = snapshot
        .paths()
        .filter(|p| file_name(p) == "package.json" && !covered.contains(*p))
        .collect();
    for manifest in manifests {
        if let Err(e) = analyze_manifest_only(snapshot, manifest, out) {
            out.problem(e);
        }
    }
}

/// A parsed `package.json`: its declared dependencies with ranges, scope and line.
pub(crate) struct Manifest {
    pub(crate) path: String,
    pub(crate) deps: Vec<(String, String, bool, u32)>,
    pub(crate) workspaces: Vec<String>,
}

pub(crate) fn read_manifest(snapshot: &Snapshot, path: &str) -> Result<Manifest, crate::Error> {
    let text = snapshot
        .text(path)
        .ok_or_else(|| parse_error(path, None, "not valid UTF-8"))?;
    let text: &str = &text;
    let lines = LineIndex::new(text);
    let root =
        json::parse(text).map_err(|(at, msg)| parse_error(path, Some(lines.line(at)), msg))?;
    let mut deps = Vec::new();
    for (section, dev) in SECTIONS {
        if let Some(obj) = root.get(section) {
            for m in obj.members() {
                let range = m.value.as_str().unwrap_or("").to_string();
                deps.push((m.key.clone(), range, dev, lines.line(m.key_start)));
            }
        }
    }
    let workspaces = match root.get("workspaces") {
        Some(ws) => {
            let list = ws.get("packages").unwrap_or(ws);
            list.items()
                .iter()
                .filter_map(|n| n.as_str().map(String::from))
                .collect()
        }
        None => Vec::new(),
    };
    Ok(Manifest {
        path: path.to_string(),
        deps,
        workspaces,
    })
}

fn analyze_manifest_only(
    snapshot: &Snapshot,
    path: &str,
    out: &mut dyn Sink,
) -> Result<(), crate::Error> {
    let manifest = read_manifest(snapshot, path)?;
    for (name, range, dev, line) in manifest.deps {
        let version = crate::version::semver::Version::parse_loose(&range)
            .ok()
            .filter(|_| !range.trim_start().starts_with(['^', '~', '>', '<']))
            .map(|v| v.to_string());
        out.dependency(Dependency {
            ecosystem: Ecosystem::Npm,
            name,
            version,
            requirement: Some(range),
            direct: true,
            parents: Vec::new(),
            scope: if dev { Scope::Dev } else { Scope::Runtime },
            location: Location::new(path, line),
            declared_in: None,
            constraints: Vec::new(),
        });
    }
    Ok(())
}

/// Analyses one lockfile; returns the manifests (root and workspace members) it covers.
fn analyze_lock(
    snapshot: &Snapshot,
    path: &str,
    out: &mut dyn Sink,
) -> Result<Vec<String>, crate::Error> {
    let text = snapshot
        .text(path)
        .ok_or_else(|| parse_error(path, None, "not valid UTF-8"))?;
    let text: &str = &text;
    // Lockfiles run to tens of megabytes: read them without building a tree.
    let (entries, mut locals) =
        read_lock(text).map_err(|(at, msg)| parse_error(path, Some(line_of(text, at)), msg))?;
    let dir = dir_of(path);

    // Manifests give declared lines (and, for v1, the root requirements).
    let mut manifests = Vec::new();
    let root_manifest_path = join(dir, "package.json");
    let mut declared: HashMap<String, (Location, String)> = HashMap::new();
    let mut member_dirs: Vec<String> = locals.keys().filter(|k| !k.is_empty()).cloned().collect();
    if let Ok(m) = read_manifest(snapshot, &root_manifest_path) {
        if locals.is_empty() {
            locals.insert(
                String::new(),
                m.deps
                    .iter()
                    .map(|(n, r, dev, _)| (n.clone(), r.clone(), *dev))
                    .collect(),
            );
        }
        if member_dirs.is_empty() {
            member_dirs = expand_workspaces(snapshot, dir, &m.workspaces);
        }
        for (n, r, _, line) in &m.deps {
            declared
                .entry(n.clone())
                .or_insert((Location::new(&m.path, *line), r.clone()));
        }
        manifests.push(root_manifest_path);
    }
    for member in &member_dirs {
        let mpath = join(&join(dir, member), "package.json");
        if let Ok(m) = read_manifest(snapshot, &mpath) {
            locals.entry(member.clone()).or_insert_with(|| {
                m.deps
                    .iter()
                    .map(|(n, r, dev, _)| (n.clone(), r.clone(), *dev))
                    .collect()
            });
            for (n, r, _, line) in &m.deps {
                declared
                    .entry(n.clone())
                    .or_insert((Location::new(&m.path, *line), r.clone()));
            }
            manifests.push(mpath);
        }
    }

    // Parent edges by node_modules resolution from each requiring package, by position in key
    // order (the order dependencies are reported in).
    let entries: Vec<(Cow<'_, str>, Entry<'_>)> = entries.into_iter().collect();
    let find = |key: &str| entries.binary_search_by(|(k, _)| (**k).cmp(key)).ok();
    let mut direct: Vec<Option<(&str, bool)>> = vec![None; entries.len()];
    for (key, requires) in &locals {
        for (name, range, dev) in requires {
            if let Some(child) = resolve(key, name, find) {
                let slot = direct[child].get_or_insert((range, *dev));
                slot.1 &= *dev;
            }
        }
    }
    // Edges (child, parent, index of the requirement in the parent), grouped by child.
    let mut edges: Vec<(usize, usize, usize)> = Vec::new();
    for (i, (key, entry)) in entries.iter().enumerate() {
        for (r, (name, _)) in entry.requires.iter().enumerate() {
            if let Some(child) = resolve(key, name, find) {
                edges.push((child, i, r));
            }
        }
    }
    edges.sort_unstable();
    let mut edges = edges.as_slice();

    for (i, (_, entry)) in entries.iter().enumerate() {
        let mine = edges.iter().take_while(|e| e.0 == i).count();
        let (incoming, rest) = edges.split_at(mine);
        edges = rest;
        let direct_info = direct[i];
        let declared_in =
            direct_info.and_then(|_| declared.get(&*entry.name).map(|(l, _)| l.clone()));
        let mut parent_labels: Vec<String> = incoming
            .iter()
            .map(|&(_, p, _)| label(&entries[p].1.name, &entries[p].1.version))
            .collect();
        parent_labels.sort();
        parent_labels.dedup();
        let mut ranges: Vec<String> = incoming
            .iter()
            .map(|&(_, p, r)| entries[p].1.requires[r].1.to_string())
            .collect();
        ranges.sort();
        ranges.dedup();
        out.dependency(Dependency {
            ecosystem: Ecosystem::Npm,
            name: entry.name.to_string(),
            version: Some(entry.version.to_string()),
            requirement: direct_info.map(|(r, _)| r.to_string()),
            direct: direct_info.is_some(),
            parents: parent_labels,
            scope: if entry.dev {
                Scope::Dev
            } else {
                Scope::Runtime
            },
            location: Location::new(path, entry.line),
            declared_in,
            constraints: ranges,
        });
    }
    Ok(manifests)
}

/// The requirements of the local packages of a lockfile (the root and workspace members), by key:
/// name, range and whether it is a development dependency.
type Locals = BTreeMap<String, Vec<(String, String, bool)>>;

/// Reads a lockfile's installed packages (v2/v3 `packages`, else the v1 `dependencies` tree) and
/// the requirements of its local packages, skipping everything else without building it.
fn read_lock(text: &str) -> Result<(Entries<'_>, Locals), Failure> {
    let mut cursor = Cursor::new(text);
    let mut packages: Option<(Entries<'_>, Locals)> = None;
    let mut legacy: Option<Entries<'_>> = None;
    cursor.object(|c, key, _| {
        match &*key {
            // lockfileVersion 2 and 3; v2 also keeps the v1 tree, which is then not needed.
            "packages" if packages.is_none() => {
                let mut entries = Entries::new();
                let mut locals = Locals::new();
                c.object(|c, key, line| read_package(c, key, line, &mut entries, &mut locals))?;
                packages = Some((entries, locals));
                legacy = None;
            }
            // lockfileVersion 1: a nested `dependencies` tree.
            "dependencies" if packages.is_none() && legacy.is_none() => {
                let mut entries = Entries::new();
                flatten_v1(c, "", &mut entries)?;
                legacy = Some(entries);
            }
            _ => c.skip()?,
        }
        Ok(())
    })?;
    cursor.finish()?;
    Ok(match (packages, legacy) {
        (Some(read), _) => read,
        (None, Some(entries)) => (entries, Locals::new()),
        (None, None) => (Entries::new(), Locals::new()),
    })
}

/// One member of `packages`: a local package's requirements, or an installed package.
fn read_package<'a>(
    c: &mut Cursor<'a>,
    key: Cow<'a, str>,
    line: u32,
    entries: &mut Entries<'a>,
    locals: &mut Locals,
) -> Result<(), Failure> {
    let is_local = !key.starts_with("node_modules/") && !key.contains("/node_modules/");
    // The first occurrence of each field counts, as with duplicate keys elsewhere.
    let mut link = None;
    let mut name = None;
    let mut version = None;
    let mut dev = None;
    let mut dev_optional = None;
    let mut sections: [Option<Ranges<'a>>; 4] = Default::default();
    c.object(|c, field, _| {
        match &*field {
            "link" if link.is_none() => link = Some(c.is_true()?),
            "name" if name.is_none() => name = Some(c.string()?),
            "version" if version.is_none() => version = Some(c.string()?),
            "dev" if dev.is_none() => dev = Some(c.is_true()?),
            "devOptional" if dev_optional.is_none() => dev_optional = Some(c.is_true()?),
            other => match SECTIONS.iter().position(|(s, _)| *s == other) {
                Some(k) if sections[k].is_none() && (is_local || !SECTIONS[k].1) => {
                    sections[k] = Some(read_ranges(c)?);
                }
                _ => c.skip()?,
            },
        }
        Ok(())
    })?;
    if link == Some(true) {
        return Ok(());
    }
    let requires = SECTIONS.iter().zip(sections).flat_map(|((_, dev), list)| {
        list.unwrap_or_default()
            .into_iter()
            .map(move |(n, r)| (n, r, *dev))
    });
    if is_local {
        let requires = requires.map(|(n, r, dev)| (n.into_owned(), r.into_owned(), dev));
        locals.insert(key.into_owned(), requires.collect());
        return Ok(());
    }
    let name = name.flatten().unwrap_or_else(|| match &key {
        Cow::Borrowed(k) => Cow::Borrowed(k.rsplit_once("node_modules/").map_or(*k, |(_, n)| n)),
        Cow::Owned(k) => Cow::Owned(
            k.rsplit_once("node_modules/")
                .map_or(&**k, |(_, n)| n)
                .to_string(),
        ),
    });
    let Some(Some(version)) = version else {
        return Ok(());
    };
    entries.insert(
        key,
        Entry {
            name,
            version,
            dev: dev == Some(true) || dev_optional == Some(true),
            line,
            requires: requires.map(|(n, r, _)| (n, r)).collect(),
        },
    );
    Ok(())
}

/// An object of `name: range` members; a range that is not a string reads as empty.
fn read_ranges<'a>(c: &mut Cursor<'a>) -> Result<Ranges<'a>, Failure> {
    let mut list = Vec::new();
    c.object(|c, name, _| {
        let range = c.string()?.unwrap_or_default();
        list.push((name, range));
        Ok(())
    })?;
    Ok(list)
}

/// Flattens a v1 `dependencies` tree into entries keyed like v2 `packages` keys.
fn flatten_v1<'a>(c: &mut Cursor<'a>, prefix: &str, out: &mut Entries<'a>) -> Result<(), Failure> {
    c.object(|c, dep, line| {
        let key = if prefix.is_empty() {
            format!("node_modules/{dep}")
        } else {
            format!("{prefix}/node_modules/{dep}")
        };
        let mut version = None;
        let mut requires = None;
        let mut dev = None;
        let mut nested = false;
        c.object(|c, field, _| {
            match &*field {
                "version" if version.is_none() => version = Some(c.string()?),
                "requires" if requires.is_none() => requires = Some(read_ranges(c)?),
                "dev" if dev.is_none() => dev = Some(c.is_true()?),
                "dependencies" if !nested => {
                    nested = true;
                    flatten_v1(c, &key, out)?;
                }
                _ => c.skip()?,
            }
            Ok(())
        })?;
        if let Some(Some(version)) = version {
            // Aliases (`npm:real@1.0.0`) name the real package in the version field.
            let (name, version) = match version.strip_prefix("npm:") {
                Some(spec) => match spec.rsplit_once('@') {
                    Some((n, v)) if !n.is_empty() => (n.to_string(), v.to_string()),
                    _ => (dep.to_string(), version.to_string()),
                },
                None => (dep.to_string(), version.to_string()),
            };
            out.insert(
                Cow::Owned(key),
                Entry {
                    name: Cow::Owned(name),
                    version: Cow::Owned(version),
                    dev: dev == Some(true),
                    line,
                    requires: requires.unwrap_or_default(),
                },
            );
        }
        Ok(())
    })?;
    Ok(())
}

/// Node's module resolution over lockfile keys: look in `<from>/node_modules/<name>`, then in
/// each ancestor `node_modules`, up to the root; `find` gives the position of a key.
fn resolve(from: &str, name: &str, find: impl Fn(&str) -> Option<usize>) -> Option<usize> {
    let mut base = from;
    let mut candidate = String::new();
    loop {
        candidate.clear();
        if !base.is_empty() {
            candidate.push_str(base);
            candidate.push('/');
        }
        candidate.push_str("node_modules/");
        candidate.push_str(name);
        if let Some(found) = find(&candidate) {
            return Some(found);
        }
        if base.is_empty() {
            return None;
        }
        base = base.rfind("/node_modules/").map_or("", |i| &base[..i]);
    }
}

/// Expands `workspaces` globs of the form `dir/*` or plain directories against the snapshot.
pub(crate) fn expand_workspaces(
    snapshot: &Snapshot,
    dir: &str,
    patterns: &[String],
) -> Vec<String> {
    let mut out = Vec::new();
    for pattern in patterns {
        let pattern = pattern.trim_end_matches('/');
        if let Some(parent) = pattern
            .strip_suffix("/*")
            .or_else(|| pattern.strip_suffix("/**"))
        {
            let prefix = join(dir, parent);
            for p in snapshot.paths() {
                if file_name(p) != "package.json" {
                    continue;
                }
                let member_dir = dir_of(p);
                if dir_of(member_dir) == prefix && !member_dir.is_empty() {
                    let rel = member_dir
                        .strip_prefix(&format!("{}/", dir))
                        .unwrap_or(member_dir);
                    let rel = if dir.is_empty() { member_dir } else { rel };
                    out.push(rel.to_string());
                }
            }
        } else {
            out.push(pattern.to_string());
        }
    }
    out
}
