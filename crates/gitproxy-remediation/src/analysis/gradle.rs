//! Gradle (ecosystem Maven): lockfiles, version catalogs and build scripts of a repository, read
//! together. A lockfile entry is direct when a script or catalog declares the module, transitive
//! otherwise; a declaration no lockfile records is reported itself when its version is exact, and
//! as a problem of its file when the scan cannot tell which version it is (never as clean).

mod blocks;
pub(crate) mod catalog;
mod lexer;
pub(crate) mod lockfile;
mod notation;
pub(crate) mod script;

use std::collections::{BTreeMap, HashMap, HashSet};

use super::maven::Site;
use super::{file_name, parse_error, unresolved_problem, Dependency, Location, Scope, Sink};
use crate::files::{dir_of, join, Snapshot};
use crate::{Ecosystem, Error};

use lockfile::Locked;
use script::{is_dev_configuration, Script, Unresolved};

/// Whether the engine reads `path` as a Gradle file.
pub(crate) fn is_gradle_path(path: &str) -> bool {
    is_build_script(path) || is_catalog(path) || lockfile::is_lockfile(path)
}

/// `build.gradle` or `build.gradle.kts`.
pub(crate) fn is_build_script(path: &str) -> bool {
    matches!(file_name(path), "build.gradle" | "build.gradle.kts")
}

/// `gradle/<name>.versions.toml`.
pub(crate) fn is_catalog(path: &str) -> bool {
    let dir = dir_of(path);
    file_name(path).ends_with(".versions.toml") && (dir == "gradle" || dir.ends_with("/gradle"))
}

/// Whether `v` names one version (not a range, `1.+`, `latest.release` or a placeholder).
pub(crate) fn is_exact(v: &str) -> bool {
    !v.is_empty()
        && !v.starts_with("latest.")
        && !v.contains(['[', ']', '(', ')', ',', '+', '$', ' '])
}

/// A declaration of a module by a script or a catalog.
#[derive(Clone, Debug)]
pub(crate) struct Declared {
    pub(crate) name: String,
    pub(crate) version: Option<String>,
    /// The version is an expression the scan cannot evaluate (`$springVersion` of another
    /// file, say), kept as written: never taken for an exact version.
    pub(crate) unread: bool,
    /// Where the version text is written.
    pub(crate) site: Option<Site>,
    /// The `strictly` range bounding that version in a rich version (`[1.7, 1.8[`), when the
    /// version read is its `require` or `prefer`.
    pub(crate) strictly: Option<String>,
    /// The declaring line.
    pub(crate) location: Location,
    pub(crate) dev: bool,
    /// The project directory of a script (`None` for a catalog, which serves the whole build).
    pub(crate) project: Option<String>,
}

/// Every Gradle file of a snapshot, read.
#[derive(Debug, Default)]
pub(crate) struct Build {
    pub(crate) scripts: Vec<(String, Script)>,
    pub(crate) locks: Vec<(String, Vec<Locked>)>,
    pub(crate) declared: Vec<Declared>,
    /// Unreadable declarations by file.
    unresolved: Vec<(String, Option<String>, Unresolved)>,
    problems: Vec<Error>,
}

/// Reads every Gradle file of `snapshot`.
pub(crate) fn read(snapshot: &Snapshot) -> Build {
    let mut build = Build::default();
    let text = |path: &str| {
        snapshot
            .text(path)
            .map(|t| t.into_owned())
            .ok_or_else(|| parse_error(path, None, "not valid UTF-8"))
    };
    let mut catalogs: Vec<(String, Vec<catalog::Entry>)> = Vec::new();
    for path in snapshot.paths() {
        if is_catalog(path) {
            match text(path).and_then(|t| catalog::read(path, &t)) {
                Ok(entries) => catalogs.push((path.to_string(), entries)),
                Err(e) => build.problems.push(e),
            }
        } else if lockfile::is_lockfile(path) {
            match text(path).and_then(|t| lockfile::read(path, &t)) {
                Ok(locked) => build.locks.push((path.to_string(), locked)),
                Err(e) => build.problems.push(e),
            }
        }
    }
    let mut accessors: Vec<String> = catalogs.iter().map(|(p, _)| catalog::accessor(p)).collect();
    if !accessors.iter().any(|a| a == "libs") {
        accessors.push("libs".into());
    }
    for path in snapshot.paths().filter(|p| is_build_script(p)) {
        match text(path) {
            Ok(t) => {
                let s = script::read(path, &t, &accessors);
                if s.too_deep {
                    build
                        .problems
                        .push(parse_error(path, None, crate::limits::too_deep()));
                }
                build.scripts.push((path.to_string(), s));
            }
            Err(e) => build.problems.push(e),
        }
    }
    // Catalog entries: dev when every use is by a test configuration.
    let mut uses: HashMap<(String, String), Vec<bool>> = HashMap::new();
    for (path, s) in &build.scripts {
        for r in &s.catalog_refs {
            if !catalogs
                .iter()
                .any(|(p, _)| catalog::accessor(p) == r.catalog)
            {
                build.unresolved.push((
                    path.clone(),
                    Some(dir_of(path).to_string()),
                    Unresolved {
                        name: None,
                        version: None,
                        configuration: r.configuration.clone(),
                        what: format!("{}.{} (no such catalog here)", r.catalog, r.alias),
                        line: r.line,
                    },
                ));
                continue;
            }
            uses.entry((r.catalog.clone(), r.alias.clone()))
                .or_default()
                .push(is_dev_configuration(&r.configuration));
        }
    }
    for (path, entries) in &catalogs {
        let accessor = catalog::accessor(path);
        for e in entries {
            let used = uses.get(&(accessor.clone(), e.alias.clone()));
            let dev = e.plugin || used.is_some_and(|u| !u.is_empty() && u.iter().all(|&d| d));
            build.declared.push(Declared {
                name: e.name.clone(),
                version: e.version.clone(),
                unread: false,
                site: e.site.clone(),
                strictly: e.strictly.clone(),
                location: Location::new(path, e.line),
                dev,
                project: None,
            });
        }
    }
    for (path, s) in &build.scripts {
        let dir = dir_of(path).to_string();
        for d in &s.decls {
            build.declared.push(Declared {
                name: d.name.clone(),
                version: d.version.clone(),
                unread: false,
                site: d.site.clone(),
                strictly: d.strictly.clone(),
                location: Location::new(path, d.line),
                dev: is_dev_configuration(&d.configuration),
                project: Some(dir.clone()),
            });
        }
        for u in &s.unresolved {
            match &u.name {
                // The module is known, its version is not: a declaration a lockfile resolves.
                Some(name) => build.declared.push(Declared {
                    name: name.clone(),
                    version: u.version.clone(),
                    unread: true,
                    site: None,
                    strictly: None,
                    location: Location::new(path, u.line),
                    dev: is_dev_configuration(&u.configuration),
                    project: Some(dir.clone()),
                }),
                None => build
                    .unresolved
                    .push((path.clone(), Some(dir.clone()), u.clone())),
            }
        }
    }
    build
}

pub(super) fn analyze(snapshot: &Snapshot, out: &mut dyn Sink) {
    let build = read(snapshot);
    for p in build.problems {
        out.problem(p);
    }
    // Locked module names, per project directory and anywhere.
    let mut locked_in: HashMap<&str, HashSet<&str>> = HashMap::new();
    for (path, entries) in &build.locks {
        let set = locked_in.entry(lockfile::project_dir(path)).or_default();
        set.extend(entries.iter().map(|e| e.name.as_str()));
    }
    let locked_anywhere: HashSet<&str> = locked_in.values().flatten().copied().collect();
    let is_locked = |project: Option<&str>, name: &str| match project {
        Some(dir) => locked_in.get(dir).is_some_and(|s| s.contains(name)),
        None => locked_anywhere.contains(name),
    };
    let mut by_name: HashMap<&str, Vec<&Declared>> = HashMap::new();
    for d in &build.declared {
        by_name.entry(d.name.as_str()).or_default().push(d);
    }
    let mut deps: Vec<Dependency> = Vec::new();
    for (path, entries) in &build.locks {
        let dir = lockfile::project_dir(path);
        for e in entries {
            let declared = by_name
                .get(e.name.as_str())
                .into_iter()
                .flatten()
                .copied()
                .min_by_key(|d| match d.project.as_deref() {
                    Some(p) if p == dir => 0,
                    None => 1,
                    Some(_) => 2,
                });
            let dev = !e.configurations.is_empty()
                && e.configurations.iter().all(|c| is_dev_configuration(c));
            deps.push(Dependency {
                ecosystem: Ecosystem::Maven,
                name: e.name.clone(),
                version: Some(e.version.clone()),
                requirement: declared.and_then(|d| d.version.clone()),
                direct: declared.is_some(),
                parents: Vec::new(),
                scope: if dev { Scope::Dev } else { Scope::Runtime },
                location: Location::new(path, e.line),
                declared_in: declared.map(|d| d.location.clone()),
                constraints: Vec::new(),
            });
        }
    }
    // Unreadable declarations, per file; a lockfile of the project covers them.
    let mut unresolved: BTreeMap<String, Vec<(u32, String)>> = BTreeMap::new();
    for d in &build.declared {
        if is_locked(d.project.as_deref(), &d.name) {
            continue;
        }
        match d.version.as_deref().filter(|v| !d.unread && is_exact(v)) {
            Some(v) => deps.push(Dependency {
                ecosystem: Ecosystem::Maven,
                name: d.name.clone(),
                version: Some(v.to_string()),
                requirement: Some(v.to_string()),
                direct: true,
                parents: Vec::new(),
                scope: if d.dev { Scope::Dev } else { Scope::Runtime },
                location: d
                    .site
                    .as_ref()
                    .map_or_else(|| d.location.clone(), |s| Location::new(&s.file, s.line)),
                declared_in: Some(d.location.clone()),
                constraints: Vec::new(),
            }),
            None => {
                let why = match &d.version {
                    Some(v) => format!("{} `{v}`", d.name),
                    None => format!("{} (no version)", d.name),
                };
                unresolved
                    .entry(d.location.file.clone())
                    .or_default()
                    .push((d.location.line, why));
            }
        }
    }
    for (path, project, u) in &build.unresolved {
        let dir = project.as_deref().unwrap_or("");
        if !locked_in.contains_key(dir) {
            unresolved
                .entry(path.clone())
                .or_default()
                .push((u.line, format!("`{}`", u.what)));
        }
    }
    deps.sort_by(|a, b| a.location.file.cmp(&b.location.file));
    for d in deps {
        out.dependency(d);
    }
    for (file, items) in unresolved {
        out.problem(unresolved_problem(
            file,
            items,
            "commit a Gradle lockfile (`./gradlew dependencies --write-locks`) so that the scan reads the versions in use",
        ));
    }
}

/// The build script a constraint for a lockfile entry of `lock_path` goes in.
pub(crate) fn script_for_lockfile(snapshot: &Snapshot, lock_path: &str) -> Option<String> {
    let dir = lockfile::project_dir(lock_path);
    ["build.gradle.kts", "build.gradle"]
        .iter()
        .map(|f| join(dir, f))
        .find(|p| snapshot.contains(p))
}

#[cfg(test)]
mod tests;
