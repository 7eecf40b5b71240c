//! Dependency analysis: every dependency declared by the manifests and lockfiles of a snapshot,
//! with its version, direct or transitive (and through which parents), dev or runtime, and the
//! file and line that declares it.

pub(crate) mod bun;
pub(crate) mod cargo;
pub(crate) mod composer;
pub(crate) mod go;
pub(crate) mod gradle;
pub mod maven;
pub(crate) mod npm;
pub(crate) mod nuget;
pub(crate) mod pnpm;
pub(crate) mod pypi;
pub(crate) mod ruby;
pub mod unsupported;
pub(crate) mod yarn;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::files::Snapshot;
use crate::{Ecosystem, Error};
pub use unsupported::Unsupported;

/// A file and one-based line.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Location {
    /// Repository-relative path.
    pub file: String,
    /// One-based line number.
    pub line: u32,
}

impl Location {
    pub(crate) fn new(file: &str, line: u32) -> Location {
        Location {
            file: file.to_string(),
            line,
        }
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// Whether a dependency ships with the software or only serves development and tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Needed at run time (also build and optional dependencies).
    Runtime,
    /// Only for development, tests or tooling.
    Dev,
}

/// One dependency as the repository declares or resolves it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dependency {
    /// Ecosystem.
    pub ecosystem: Ecosystem,
    /// Package name as the registry knows it (Maven: `groupId:artifactId`, Go: module path).
    pub name: String,
    /// The exact version in use, when the files pin one (lockfile entry or exact pin).
    pub version: Option<String>,
    /// The declared requirement (range, specifier), for direct dependencies.
    pub requirement: Option<String>,
    /// True when a manifest of the repository names it; false when only pulled in by others.
    pub direct: bool,
    /// The packages (`name@version`) that depend on it; empty for direct-only dependencies.
    pub parents: Vec<String>,
    /// Runtime or development.
    pub scope: Scope,
    /// Where the exact version is declared: the lockfile entry, or the manifest line.
    pub location: Location,
    /// The manifest line that declares a direct dependency resolved by a lockfile.
    pub declared_in: Option<Location>,
    /// The requirements its parents place on it (npm lockfile and `poetry.lock` ranges); empty
    /// when the files do not record them.
    pub constraints: Vec<String>,
}

/// The result of analysing a snapshot. Files that fail to parse are reported in `problems` and
/// the rest of the snapshot is still analysed; files of formats the engine recognises but does
/// not analyse are listed in `unsupported`.
#[derive(Debug, Default)]
pub struct Analysis {
    /// Every dependency found, grouped by file in path order.
    pub dependencies: Vec<Dependency>,
    /// Parse problems, one per file that could not be read.
    pub problems: Vec<Error>,
    /// Lockfiles the agent never rewrites itself, whatever the registry gives, with the reason:
    /// yarn Berry's, whose checksums are of yarn's own cache archives, and a `Gemfile.lock` that
    /// locks gems from several sources. Fixes in them change the manifest and name the command
    /// that relocks.
    pub relock_only: BTreeMap<String, String>,
    /// Manifests and lockfiles of unsupported formats, in path order: their dependencies were
    /// not checked, so the analysis is partial.
    pub unsupported: Vec<Unsupported>,
    /// What `Gemfile.lock` and `composer.lock` record about a locked entry's own dependencies,
    /// by the entry's [`Dependency::location`]: an in-place bump of the entry is only safe when
    /// the new version's dependencies are the same.
    pub locked_dependencies: BTreeMap<Location, LockedDependencies>,
}

/// The dependencies a lockfile records for one entry, by platform (the gem platform of each
/// `Gemfile.lock` variant, `ruby` for a pure-Ruby gem; one `""` entry for `composer.lock`), as
/// canonical lines: `mustermann (~> 2.0)`, `require psr/log ^1.0 || ^2.0`, `dist zip`.
pub type LockedDependencies = BTreeMap<String, BTreeSet<String>>;

impl Analysis {
    /// Dependencies of one ecosystem.
    pub fn of(&self, ecosystem: Ecosystem) -> impl Iterator<Item = &Dependency> {
        self.dependencies
            .iter()
            .filter(move |d| d.ecosystem == ecosystem)
    }

    /// The first dependency with this name and version (handy in tests and reports).
    pub fn find(&self, name: &str, version: &str) -> Option<&Dependency> {
        self.dependencies
            .iter()
            .find(|d| d.name == name && d.version.as_deref() == Some(version))
    }
}

/// Where an analysis puts what it finds, in order: an [`Analysis`] collects everything; a
/// caller that only needs some of it (a scan keeps the vulnerable dependencies) passes its own
/// sink to [`analyze_into`] and holds far less for a large repository.
pub trait Sink {
    /// One dependency, in the order [`Analysis::dependencies`] would list it.
    fn dependency(&mut self, dependency: Dependency);
    /// One problem of one file.
    fn problem(&mut self, problem: Error);
    /// A lockfile the agent must leave to its package manager, and why (a clause that completes
    /// "because ..."; see [`Analysis::relock_only`]).
    fn relock_only(&mut self, file: &str, reason: &str) {
        let _ = (file, reason);
    }
    /// One file of a recognised format the engine does not analyse.
    fn unsupported(&mut self, file: Unsupported);
    /// What a lockfile records about the dependencies of the entry at `at` (see
    /// [`Analysis::locked_dependencies`]).
    fn locked_dependencies(&mut self, at: &Location, dependencies: LockedDependencies) {
        let _ = (at, dependencies);
    }
}

impl Sink for Analysis {
    fn dependency(&mut self, dependency: Dependency) {
        self.dependencies.push(dependency);
    }

    fn problem(&mut self, problem: Error) {
        self.problems.push(problem);
    }

    fn relock_only(&mut self, file: &str, reason: &str) {
        self.relock_only
            .insert(file.to_string(), reason.to_string());
    }

    fn unsupported(&mut self, file: Unsupported) {
        self.unsupported.push(file);
    }

    fn locked_dependencies(&mut self, at: &Location, dependencies: LockedDependencies) {
        self.locked_dependencies.insert(at.clone(), dependencies);
    }
}

/// Analyses every manifest and lockfile in `snapshot`; files it left out for their size come
/// first in the problems (except those of unsupported formats, which are reported as such).
pub fn analyze(snapshot: &Snapshot) -> Analysis {
    let mut out = Analysis::default();
    analyze_into(snapshot, &mut out);
    out
}

/// [`analyze`], handing each dependency and problem to `sink` as soon as it is known.
pub fn analyze_into(snapshot: &Snapshot, sink: &mut dyn Sink) {
    for (file, size, limit) in snapshot.oversized() {
        if unsupported::report(snapshot, file).is_some() {
            continue;
        }
        sink.problem(Error::FileTooLarge {
            file: file.to_string(),
            size,
            limit,
        });
    }
    let mut covered = pnpm::analyze(snapshot, sink);
    covered.extend(bun::analyze(snapshot, sink));
    covered.extend(yarn::analyze(snapshot, sink));
    npm::analyze(snapshot, sink, covered);
    pypi::analyze(snapshot, sink);
    cargo::analyze(snapshot, sink);
    go::analyze(snapshot, sink);
    maven::analyze(snapshot, sink);
    nuget::analyze(snapshot, sink);
    ruby::analyze(snapshot, sink);
    composer::analyze(snapshot, sink);
    gradle::analyze(snapshot, sink);
    unsupported::analyze(snapshot, sink);
}

/// `name@version` as parents are listed.
pub(crate) fn label(name: &str, version: &str) -> String {
    format!("{name}@{version}")
}

/// The file name part of a path.
pub(crate) fn file_name(path: &str) -> &str {
    path.rsplit_once('/').map_or(path, |(_, f)| f)
}

/// The problem of a manifest whose declarations the scan cannot give a version: `items` are
/// (line, what) pairs, the first five shown in line order, and `advice` says what to do.
pub(crate) fn unresolved_problem(
    file: String,
    mut items: Vec<(u32, String)>,
    advice: &str,
) -> Error {
    items.sort();
    let first = items.first().map(|i| i.0);
    let shown: Vec<String> = items
        .iter()
        .take(5)
        .map(|(l, w)| format!("{w} on line {l}"))
        .collect();
    let more = match items.len().saturating_sub(5) {
        0 => String::new(),
        n => format!(" and {n} more"),
    };
    Error::Unresolved {
        file,
        line: first,
        reason: format!(
            "{} declaration{} {}{more}; {advice}",
            items.len(),
            if items.len() == 1 { "" } else { "s" },
            shown.join(", ")
        ),
    }
}

pub(crate) fn parse_error(file: &str, line: Option<u32>, reason: impl Into<String>) -> Error {
    Error::Parse {
        file: file.to_string(),
        line,
        reason: reason.into(),
    }
}

#[cfg(test)]
mod tests;
