//! Turns a [`Plan`] into file edits that keep formatting, comments and ordering: `toml_edit` for
//! `Cargo.toml`, minimal span or line replacements everywhere else. Lockfile entries get the
//! integrity/checksum of the new version from the [`Registry`]; where a correct lockfile cannot
//! be written without running the package manager (the plan's [`LockfileRefresh::Command`]),
//! the lockfile is left exactly as it was and [`EditSet::notes`] names the command, while the
//! manifest change still lands.

mod cargo;
mod composer;
mod go;
mod gradle;
mod maven;
mod npm;
mod nuget;
mod pnpm;
mod pypi;
mod ruby;

pub(crate) use pypi::pdm_content_hash;
mod bun;
mod yarn;

use std::collections::BTreeMap;

use crate::analysis::{Analysis, Dependency, Location};
use crate::files::Snapshot;
use crate::plan::{LockfileRefresh, PackageFix, Plan, Tier};
use crate::registry::Registry;
use crate::{Ecosystem, Error};

/// The files a plan changes, with their complete new contents.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EditSet {
    /// Repository path -> new contents, only for files that changed.
    pub files: BTreeMap<String, String>,
    /// Caveats for the pull request (for example "run `go mod tidy`").
    pub notes: Vec<String>,
    /// True when some lockfile could not be brought fully up to date without the package manager.
    pub needs_package_manager: bool,
    /// The tier the edit took when it differs from the plan's (a dependent moved instead).
    pub tier: Option<Tier>,
    /// The version the package ends at when it differs from the plan's target (the version the
    /// moved dependent requires).
    pub to: Option<String>,
    /// The command that brings the lockfile up to date when the edit left it to the package
    /// manager although the plan expected the agent to write it (the notes say why).
    pub relock: Option<String>,
}

impl EditSet {
    /// `fix` as these edits carry it out: the tier and version they took.
    pub fn as_applied(&self, fix: &PackageFix) -> PackageFix {
        let mut out = fix.clone();
        if let Some(tier) = self.tier {
            out.tier = tier;
        }
        if let Some(to) = &self.to {
            out.to.clone_from(to);
        }
        if let Some(command) = &self.relock {
            out.lockfile = LockfileRefresh::LeftByEdit(command.clone());
            out.notes.retain(|n| !promises_in_place(n));
        }
        out
    }

    fn note(&mut self, note: String) {
        if !self.notes.contains(&note) {
            self.notes.push(note);
        }
    }
}

/// Applies every fix of `plan` to a copy of `snapshot`.
pub async fn apply(
    plan: &Plan,
    analysis: &Analysis,
    snapshot: &Snapshot,
    registry: &dyn Registry,
) -> Result<EditSet, Error> {
    let mut work = Work {
        snapshot: snapshot.clone(),
        out: EditSet::default(),
    };
    for fix in &plan.fixes {
        apply_one(&mut work, fix, analysis, registry).await?;
    }
    Ok(work.out)
}

/// Applies a single fix (one pull request per package).
pub async fn apply_fix(
    fix: &PackageFix,
    analysis: &Analysis,
    snapshot: &Snapshot,
    registry: &dyn Registry,
) -> Result<EditSet, Error> {
    let mut work = Work {
        snapshot: snapshot.clone(),
        out: EditSet::default(),
    };
    apply_one(&mut work, fix, analysis, registry).await?;
    Ok(work.out)
}

struct Work {
    snapshot: Snapshot,
    out: EditSet,
}

impl Work {
    fn text(&self, path: &str) -> Result<String, Error> {
        self.snapshot
            .text(path)
            .map(String::from)
            .ok_or_else(|| Error::Edit {
                file: path.to_string(),
                reason: "the file is missing or not UTF-8".into(),
            })
    }

    fn write(&mut self, path: &str, text: String) {
        if self.snapshot.text(path).as_deref() != Some(text.as_str()) {
            self.snapshot.insert(path, text.clone().into_bytes());
            self.out.files.insert(path.to_string(), text);
        }
    }
}

/// Where a manifest-side bump of `dep` goes: the line that declares a direct dependency found in a
/// lockfile (`is_lock`), or the manifest entry itself, when the fix moves the manifest (tier
/// [`Tier::ManifestBump`], or the dependency was found in the manifest); `None` otherwise.
fn manifest_to_bump(fix: &PackageFix, dep: &Dependency, is_lock: bool) -> Option<Location> {
    if !dep.direct || (fix.tier != Tier::ManifestBump && is_lock) {
        return None;
    }
    match &dep.declared_in {
        Some(d) => Some(d.clone()),
        None if !is_lock => Some(dep.location.clone()),
        None => None,
    }
}

/// Composer's `content-hash` of a `composer.json` (`Locker::getContentHash`), as the agent writes it
/// into `composer.lock` when a `composer.json` requirement moves.
pub fn composer_content_hash(composer_json: &str) -> Result<String, Error> {
    composer::content_hash(composer_json).map_err(|reason| edit_error("composer.json", reason))
}

/// `Gemfile.lock` with the `DEPENDENCIES` line of `name` moved from the `Gemfile` requirement `old`
/// to `new` as Bundler writes it (fuzzing entry).
#[doc(hidden)]
pub fn gemfile_lock_dependency_moved(
    lock: &str,
    name: &str,
    old: &[String],
    new: &[String],
) -> Result<String, Error> {
    ruby::move_dependency(lock, name, old, new).map_err(|reason| edit_error("Gemfile.lock", reason))
}

/// Whether the edit would rewrite `text` as a `bun.lock` (fuzzing entry): `Err` with the reason
/// it would leave it to Bun instead.
#[doc(hidden)]
pub fn bun_lock_rewritable(text: &str) -> Result<(), String> {
    bun::rewritable(text)
}

/// Records that `lock`, which the plan meant to move with `manifest`, is left to `tool` after all
/// because `reason`; the manifest's change stands.
fn relock_instead(
    work: &mut Work,
    lock: &str,
    manifest: &str,
    reason: &str,
    tool: &str,
    command: &str,
) {
    work.out.note(format!(
        "{lock} was not bumped in place because {reason} (from {manifest})"
    ));
    leave_to_package_manager(work, lock, tool, command);
}

/// Records that `file` is left to the package manager `tool`, which `command` runs.
fn leave_to_package_manager(work: &mut Work, file: &str, tool: &str, command: &str) {
    work.out.needs_package_manager = true;
    work.out
        .note(format!("{file} is left to {tool}: run `{command}`"));
}

fn edit_error(file: &str, reason: impl Into<String>) -> Error {
    Error::Edit {
        file: file.to_string(),
        reason: reason.into(),
    }
}

/// Applies `(start, end, replacement)` edits; spans must not overlap.
fn splice(text: &str, mut edits: Vec<(usize, usize, String)>) -> String {
    edits.sort_by_key(|e| std::cmp::Reverse(e.0));
    let mut out = text.to_string();
    for (start, end, new) in edits {
        out.replace_range(start..end, &new);
    }
    out
}

/// The new requirement for a bump: keep the operator the author used.
fn bumped_requirement(old: &str, to: &str) -> String {
    let old = old.trim();
    for op in ["^", "~=", "~", ">=", "="] {
        if old.starts_with(op) {
            return format!("{op}{to}");
        }
    }
    to.to_string()
}

/// Whether a plan note promises the lockfile update in place (`plan::lock_note`): it no longer
/// holds once an edit leaves the lockfile to the package manager.
fn promises_in_place(note: &str) -> bool {
    note.contains(" is updated in place")
}

async fn apply_one(
    work: &mut Work,
    fix: &PackageFix,
    analysis: &Analysis,
    registry: &dyn Registry,
) -> Result<(), Error> {
    // A lockfile the plan leaves to the package manager is not touched: no digest, no edit.
    let digests = match fix.lockfile {
        LockfileRefresh::Command(_) => Vec::new(),
        _ => registry.digests(fix.ecosystem, &fix.name, &fix.to).await?,
    };
    for note in &fix.notes {
        work.out.note(note.clone());
    }
    for &i in &fix.dependencies {
        let dep = &analysis.dependencies[i];
        match dep.ecosystem {
            Ecosystem::Npm if crate::plan::is_bun(dep) => {
                bun::edit(work, fix, dep, registry).await?
            }
            Ecosystem::Npm if dep.location.file.ends_with("yarn.lock") => {
                yarn::edit(work, fix, dep, registry).await?
            }
            Ecosystem::Npm if crate::plan::pnpm::is_pnpm(dep) => {
                pnpm::edit(work, fix, dep, analysis, registry).await?
            }
            Ecosystem::Npm => npm::edit(work, fix, dep, &digests, registry).await?,
            Ecosystem::CratesIo => cargo::edit(work, fix, dep, registry).await?,
            Ecosystem::PyPI => pypi::edit(work, fix, dep, &digests, registry).await?,
            Ecosystem::Go => go::edit(work, fix, dep, &digests, registry).await?,
            Ecosystem::Maven if gradle::handles(dep) => gradle::edit(work, fix, dep)?,
            Ecosystem::Maven => maven::edit(work, fix, dep)?,
            Ecosystem::NuGet => nuget::edit(work, fix, dep, &digests, registry).await?,
            Ecosystem::RubyGems => ruby::edit(work, fix, dep, registry).await?,
            Ecosystem::Packagist => composer::edit(work, fix, dep, registry).await?,
        }
    }
    if work.out.relock.is_some() {
        work.out.notes.retain(|n| !promises_in_place(n));
    }
    Ok(())
}

#[cfg(test)]
pub(super) mod tests;
