//! Manifests and lockfiles the engine recognises but does not analyse: each one found is reported
//! per file as unsupported, so that a repository is never called clean when part of it was not
//! looked at. The formats are listed in one table, [`FORMATS`]; when support for a format lands,
//! its line is deleted here.

use serde::{Deserialize, Serialize};

use super::{file_name, Sink};
use crate::files::{dir_of, join, Snapshot};

/// The recognised formats without support: `(file name or glob, format, OSV ecosystem, what to
/// do)`, one line per format; an empty last column means [`UNTIL_SUPPORTED`]. A pattern is an
/// exact file name or `*` followed by a suffix (`*.csproj`).
#[rustfmt::skip] // one line per format, so that a helper adding support deletes exactly one
pub const FORMATS: &[(&str, &str, &str, &str)] = &[
    ("bun.lockb", "Bun binary lockfile", "npm", "Bun 1.2 and later write the text bun.lock, which the agent reads and Bun prefers: run `bun install --save-text-lockfile --frozen-lockfile --lockfile-only`, delete bun.lockb and commit bun.lock"),
    ("*.gradle", "Gradle build script", "Maven", GRADLE),
    ("*.gradle.kts", "Gradle Kotlin build script", "Maven", GRADLE),
    ("*.versions.toml", "Gradle version catalog", "Maven", GRADLE),
    ("build.sbt", "sbt build definition", "Maven", ""),
    ("Pipfile", "Pipenv manifest", "PyPI", "run `pipenv lock` and commit the Pipfile.lock it writes, which the agent reads"),
    ("mix.lock", "Mix lockfile", "Hex", ""),
    ("pubspec.lock", "Dart/Flutter pub lockfile", "Pub", ""),
    ("Package.resolved", "Swift Package Manager lockfile", "SwiftURL", ""),
    ("conan.lock", "Conan lockfile", "ConanCenter", ""),
    ("renv.lock", "renv lockfile", "CRAN", ""),
    ("cabal.project.freeze", "Cabal freeze file", "Hackage", ""),
    ("stack.yaml.lock", "Stack lockfile", "Hackage", ""),
];

/// What to do about a Gradle file the Gradle reader does not take (a script applied from another
/// script, a catalog outside `gradle/`).
const GRADLE: &str = "the agent reads build.gradle(.kts), catalogs under gradle/ and gradle.lockfile: declare the modules there, or enable dependency locking and commit the gradle.lockfile that `./gradlew dependencies --write-locks` writes";

/// What to do about a format with nothing better to offer.
pub const UNTIL_SUPPORTED: &str =
    "check its dependencies with the ecosystem's own audit tool until the agent reads this format";

/// One file of a recognised format the engine does not analyse.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Unsupported {
    /// Repository-relative path.
    pub file: String,
    /// What the file is (`Yarn lockfile`).
    pub format: String,
    /// The OSV ecosystem its packages belong to (`npm`, `NuGet`, `Hex`, ...).
    pub ecosystem: String,
    /// What the user can do so that its dependencies get checked (empty in reports of agents
    /// before 2026-12-05: [`Unsupported::remedy`] then finds it from the format).
    #[serde(default)]
    pub remedy: String,
}

impl std::fmt::Display for Unsupported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {} ({}) is not supported yet; its dependencies were not checked; {}",
            self.file,
            self.format,
            self.ecosystem,
            self.remedy()
        )
    }
}

impl Unsupported {
    /// What the user can do so that the file's dependencies get checked.
    pub fn remedy(&self) -> &str {
        if !self.remedy.is_empty() {
            return &self.remedy;
        }
        remedy_of(&self.format)
    }
}

/// The table's remedy for a format, [`UNTIL_SUPPORTED`] when it has none.
fn remedy_of(format: &str) -> &'static str {
    FORMATS
        .iter()
        .find(|f| f.1 == format && !f.3.is_empty())
        .map_or(UNTIL_SUPPORTED, |f| f.3)
}

/// The table line whose pattern matches a file name.
pub fn recognise(name: &str) -> Option<(&'static str, &'static str)> {
    FORMATS.iter().find_map(|&(pattern, format, ecosystem, _)| {
        let hit = match pattern.strip_prefix('*') {
            Some(suffix) => name.len() > suffix.len() && name.ends_with(suffix),
            None => name == pattern,
        };
        hit.then_some((format, ecosystem))
    })
}

/// The report for `path` when its file name is of an unsupported format. Gradle files the Gradle
/// reader takes (`build.gradle`, `gradle/*.versions.toml`, lockfiles) match a pattern of the
/// table but are supported; other scripts and catalogs elsewhere are not.
pub fn classify(path: &str) -> Option<Unsupported> {
    if super::gradle::is_gradle_path(path) {
        return None;
    }
    recognise(file_name(path)).map(|(format, ecosystem)| Unsupported {
        file: path.to_string(),
        format: format.to_string(),
        ecosystem: ecosystem.to_string(),
        remedy: remedy_of(format).to_string(),
    })
}

/// Reports every file of `snapshot` (read or left out for its size) of an unsupported format.
pub(super) fn analyze(snapshot: &Snapshot, out: &mut dyn Sink) {
    let mut found: Vec<Unsupported> = snapshot
        .paths()
        .chain(snapshot.oversized().map(|(path, _, _)| path))
        .filter_map(|path| report(snapshot, path))
        .collect();
    found.sort();
    for file in found {
        out.unsupported(file);
    }
}

/// The report for `path` of `snapshot`, unless a reader takes it after all (see
/// [`covered_elsewhere`]). A file left out for its size is reported here rather than as too
/// large exactly when this gives a report, so no file goes unmentioned.
pub(crate) fn report(snapshot: &Snapshot, path: &str) -> Option<Unsupported> {
    if covered_elsewhere(snapshot, path) {
        return None;
    }
    classify(path)
}

/// Whether [`report`] reads `path`'s own contents (a Gradle settings script) rather than only
/// which files stand beside it.
pub(crate) fn depends_on_contents(path: &str) -> bool {
    matches!(file_name(path), "settings.gradle" | "settings.gradle.kts")
}

/// Whether a file the table names is read after all, next to another file: a `Pipfile` with its
/// `Pipfile.lock` (the Pipenv reader takes both), a `bun.lockb` beside a `bun.lock` (Bun reads
/// the text lockfile and ignores the binary one; checked with Bun 1.4.5), a Gradle settings script that declares no
/// catalog and no dependencies (plugin management and includes are not dependencies).
fn covered_elsewhere(snapshot: &Snapshot, path: &str) -> bool {
    match file_name(path) {
        "Pipfile" => snapshot.contains(&join(dir_of(path), "Pipfile.lock")),
        "bun.lockb" => snapshot.contains(&join(dir_of(path), "bun.lock")),
        _ if depends_on_contents(path) => snapshot
            .text(path)
            .is_some_and(|t| !t.contains("versionCatalogs") && !t.contains("dependencies")),
        _ => false,
    }
}

#[cfg(test)]
mod tests;
