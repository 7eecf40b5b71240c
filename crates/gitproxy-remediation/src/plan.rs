//! Fix planning: per vulnerable package, the lowest published version that fixes every known
//! advisory affecting it (preferring the same major), and the least invasive way to get there.
//!
//! Tiers, tried in this order (OSV-Scanner, Dependabot and Renovate practice):
//! 1. [`Tier::LockfileUpdate`]: the fixed version satisfies every existing requirement, so only
//!    the lockfile entry changes.
//! 2. [`Tier::ManifestBump`]: a direct requirement (or a pin in `requirements.txt`, `go.mod`,
//!    `pom.xml`) excludes it, so the manifest changes.
//! 3. [`Tier::DependentBump`]: not planned, but reported by an npm lockfile edit that moved the
//!    dependent pinning the vulnerable version instead of forcing it.
//! 4. [`Tier::Override`]: a parent's requirement excludes it and the parent cannot be moved
//!    here, so the version is forced (npm `overrides`, Maven `dependencyManagement`).
//!
//! Packages with no fixing version are reported as [`Unfixable`] with the advisories' guidance.
//! Planning does no I/O of its own: published versions come from a [`Registry`]. Each fix also
//! says who refreshes its lockfile ([`LockfileRefresh`]): the agent when the registry gives what
//! a correct edit needs, otherwise the named command, and the lockfile is left as it is.

mod lockfile;
pub(crate) mod pnpm;
mod shared;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::advisories::{AdvisoryDb, Finding, Kind};
use crate::analysis::{file_name, Analysis, Dependency, Location};
use crate::registry::Registry;
use crate::version::{Requirement, Version};
use crate::{Ecosystem, Error};

pub use lockfile::LockfileRefresh;

/// Occurrences and findings of one vulnerable package version.
type Group<'a> = (BTreeSet<usize>, Vec<&'a Finding>);

/// How a package is fixed; see the module documentation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Tier {
    /// Only the lockfile entry changes.
    LockfileUpdate,
    /// The manifest requirement or pin changes.
    ManifestBump,
    /// A dependent whose requirement excludes every fixed version moves to a release that
    /// accepts one, within its own requirers' ranges (an npm lockfile edit reports it).
    DependentBump,
    /// The version is forced over a parent's requirement.
    Override,
}

/// The planned fix of one vulnerable package version.
#[derive(Clone, Debug, Serialize)]
pub struct PackageFix {
    /// Ecosystem.
    pub ecosystem: Ecosystem,
    /// Package name.
    pub name: String,
    /// The vulnerable version in use.
    pub from: String,
    /// The version to move to.
    pub to: String,
    /// Every published version after `from` that no advisory affects, ascending (`to` first):
    /// a dependent that has to move for the fix may bring any of them.
    #[serde(skip)]
    pub fixed_versions: Vec<String>,
    /// True when `to` is outside the compatible range of `from` (a major bump); the PR says so.
    pub breaking: bool,
    /// The most invasive tier any occurrence needs.
    pub tier: Tier,
    /// Indices into [`Analysis::dependencies`] of every occurrence of `name@from`.
    pub dependencies: Vec<usize>,
    /// Preferred ids of the advisories this fixes.
    pub advisories: Vec<String>,
    /// The occurrences' locations.
    pub locations: Vec<Location>,
    /// Plain-language caveats for the pull request (for example that the package manager must
    /// refresh the lockfile).
    pub notes: Vec<String>,
    /// Who refreshes the lockfile: the agent, or the user with the named command.
    pub lockfile: LockfileRefresh,
    /// True when the version is written into the module's own declaration rather than into the
    /// property, catalog version or variable it shares with modules that do not publish `to`
    /// (Maven and Gradle).
    pub own_version: bool,
}

/// A vulnerable package with no published version that fixes every advisory.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Unfixable {
    /// Ecosystem.
    pub ecosystem: Ecosystem,
    /// Package name.
    pub name: String,
    /// The vulnerable version in use.
    pub version: String,
    /// Preferred ids of the advisories.
    pub advisories: Vec<String>,
    /// Indices into [`Analysis::dependencies`].
    pub dependencies: Vec<usize>,
    /// What the advisories say and what to do instead, one line per advisory.
    pub guidance: Vec<String>,
}

/// The plan for one repository.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Plan {
    /// Fixes, in dependency order.
    pub fixes: Vec<PackageFix>,
    /// Vulnerable packages that cannot be fixed by an upgrade.
    pub unfixable: Vec<Unfixable>,
}

impl Unfixable {
    /// `fix` when every tier failed with `error` ([`Error::Unresolvable`]): the package is
    /// unfixable in this repository and the guidance names the exact conflicting requirement;
    /// `None` for any other error.
    pub fn from_conflict(fix: &PackageFix, error: &Error) -> Option<Unfixable> {
        let Error::Unresolvable { .. } = error else {
            return None;
        };
        Some(Unfixable {
            ecosystem: fix.ecosystem,
            name: fix.name.clone(),
            version: fix.from.clone(),
            advisories: fix.advisories.clone(),
            dependencies: fix.dependencies.clone(),
            guidance: vec![error.to_string()],
        })
    }
}

impl Plan {
    /// One fix per package: fixes of the same package at different versions (two lockfiles of
    /// a monorepo, say) are merged into one that moves every occurrence to the highest target,
    /// so that one pull request covers the package. `from` lists the versions in use.
    pub fn by_package(&self) -> Vec<PackageFix> {
        let mut out: Vec<PackageFix> = Vec::new();
        for fix in &self.fixes {
            let key = fix.ecosystem.normalize_name(&fix.name);
            let Some(merged) = out.iter_mut().find(|m| {
                m.ecosystem == fix.ecosystem && m.ecosystem.normalize_name(&m.name) == key
            }) else {
                out.push(fix.clone());
                continue;
            };
            let higher = Version::compare_str(fix.ecosystem, &fix.to, &merged.to)
                .is_some_and(|o| o == std::cmp::Ordering::Greater);
            if higher {
                merged.to.clone_from(&fix.to);
            }
            merged.from = format!("{}, {}", merged.from, fix.from);
            merged.breaking |= fix.breaking;
            merged.own_version |= fix.own_version;
            for v in &fix.fixed_versions {
                if !merged.fixed_versions.contains(v) {
                    merged.fixed_versions.push(v.clone());
                }
            }
            merged.tier = merged.tier.max(fix.tier);
            merged.lockfile = match (&merged.lockfile, &fix.lockfile) {
                (LockfileRefresh::Command(_), _) => merged.lockfile.clone(),
                (_, LockfileRefresh::Command(_)) => fix.lockfile.clone(),
                (LockfileRefresh::Agent, _) | (_, LockfileRefresh::Agent) => LockfileRefresh::Agent,
                _ => LockfileRefresh::NotApplicable,
            };
            merged.dependencies.extend(&fix.dependencies);
            merged.locations.extend(fix.locations.iter().cloned());
            for a in &fix.advisories {
                if !merged.advisories.contains(a) {
                    merged.advisories.push(a.clone());
                }
            }
            for n in &fix.notes {
                if !merged.notes.contains(n) {
                    merged.notes.push(n.clone());
                }
            }
        }
        out
    }
}

/// Planning choices.
#[derive(Clone, Debug)]
pub struct PlanOptions {
    /// Also plan upgrades for informational advisories (unmaintained, unsound).
    pub include_informational: bool,
    /// Allow a major (breaking) upgrade when no same-major version fixes everything.
    pub allow_major: bool,
}

impl PlanOptions {
    /// Vulnerabilities only, major upgrades allowed (and flagged).
    pub fn recommended() -> PlanOptions {
        PlanOptions {
            include_informational: false,
            allow_major: true,
        }
    }
}

/// Plans fixes for `findings` (from [`AdvisoryDb::scan`]). Candidate versions come from
/// `registry`; each is vetted against every record in `db` for the package.
pub async fn plan(
    analysis: &Analysis,
    findings: &[Finding],
    db: &AdvisoryDb,
    registry: &dyn Registry,
    options: &PlanOptions,
) -> Result<Plan, Error> {
    // Group by package version: every occurrence of name@version gets one fix.
    let mut groups: BTreeMap<(Ecosystem, String, String), Group<'_>> = BTreeMap::new();
    for f in findings {
        if matches!(f.kind, Kind::Informational(_)) && !options.include_informational {
            continue;
        }
        let dep = &analysis.dependencies[f.dependency];
        let Some(version) = &dep.version else {
            continue;
        };
        let slot = groups
            .entry((
                dep.ecosystem,
                dep.ecosystem.normalize_name(&dep.name),
                version.clone(),
            ))
            .or_default();
        slot.0.insert(f.dependency);
        if !slot.1.iter().any(|g| g.id == f.id) {
            slot.1.push(f);
        }
    }
    let mut out = Plan::default();
    for ((ecosystem, _, from), (deps, group)) in groups {
        let deps: Vec<usize> = deps.into_iter().collect();
        let name = analysis.dependencies[deps[0]].name.clone();
        let advisories: Vec<String> = group.iter().map(|f| f.id.clone()).collect();
        let current = Version::parse(ecosystem, &from)?;
        let published = registry.versions(ecosystem, &name).await?;
        let mut candidates: Vec<(Version, String)> = published
            .into_iter()
            .filter(|v| !v.yanked)
            .filter_map(|v| Some((Version::parse(ecosystem, &v.version).ok()?, v.version)))
            .filter(|(v, _)| *v > current && (!v.is_prerelease() || current.is_prerelease()))
            .filter(|(_, text)| !db.is_affected(ecosystem, &name, text))
            .collect();
        candidates.sort();
        let same_major = candidates.iter().find(|(v, _)| !current.is_breaking_to(v));
        let choice = same_major.or_else(|| candidates.first().filter(|_| options.allow_major));
        let Some((target, to)) = choice.cloned() else {
            out.unfixable.push(Unfixable {
                ecosystem,
                name,
                version: from,
                advisories,
                dependencies: deps,
                guidance: group
                    .iter()
                    .map(|f| guidance(f, !candidates.is_empty()))
                    .collect(),
            });
            continue;
        };
        let mut tier = Tier::LockfileUpdate;
        let mut notes = Vec::new();
        for &i in &deps {
            let dep = &analysis.dependencies[i];
            // pnpm-lock.yaml records no ranges: the parents' manifests give them.
            let filled;
            let dep = if pnpm::is_pnpm(dep) && !dep.parents.is_empty() {
                filled = pnpm::with_constraints(dep, registry).await?;
                &filled
            } else {
                dep
            };
            let (mut t, mut note) = occurrence_tier(dep, &current, &target);
            // pnpm: a parent release that accepts the fix beats an override.
            if t == Tier::Override && pnpm::is_pnpm(dep) {
                if let Some(moves) = pnpm::parent_moves(analysis, dep, &to, registry).await? {
                    t = Tier::LockfileUpdate;
                    let moved: Vec<String> = moves
                        .iter()
                        .map(|m| {
                            format!(
                                "{} {} -> {} (its range `{}` accepts it)",
                                m.name, m.from, m.to, m.range
                            )
                        })
                        .collect();
                    note = Some(format!(
                        "{} cannot take {} {to}, so the parent moves within the ranges that require it: {}; only pnpm-lock.yaml changes, as pnpm resolves it",
                        dep.parents.join(", "),
                        dep.name,
                        moved.join(", ")
                    ));
                }
            }
            tier = tier.max(t);
            if let Some(n) = note {
                if !notes.contains(&n) {
                    notes.push(n);
                }
            }
        }
        let occurrences: Vec<&Dependency> =
            deps.iter().map(|&i| &analysis.dependencies[i]).collect();
        // yarn.lock moves need the new version's dependencies as well; a lockfile of
        // `Analysis::relock_only` (yarn Berry's, a Gemfile.lock of several sources) is always left
        // to its package manager.
        let yarn = occurrences.iter().any(|d| {
            matches!(
                crate::analysis::file_name(&d.location.file),
                "yarn.lock" | "bun.lock"
            )
        });
        let relock_only = occurrences
            .iter()
            .find_map(|d| analysis.relock_only.get(&d.location.file));
        // Gemfile.lock and composer.lock: only an entry whose requirements all accept the
        // target and whose dependencies stay the same moves in place. A composer.json
        // or Gemfile requirement that moves takes its lockfile with it when the entry can move.
        let pin_moves = matches!(ecosystem, Ecosystem::RubyGems | Ecosystem::Packagist)
            && tier == Tier::ManifestBump
            && occurrences.iter().all(|d| d.direct);
        let mut refusal = None;
        if matches!(ecosystem, Ecosystem::RubyGems | Ecosystem::Packagist)
            && (tier == Tier::LockfileUpdate || pin_moves)
            && occurrences.iter().any(|d| lockfile::has_lockfile(d))
        {
            let locked = &analysis.locked_dependencies;
            refusal =
                lockfile::in_place_refusal(registry, locked, &occurrences, ecosystem, &name, &to)
                    .await?;
        }
        let in_place = matches!(ecosystem, Ecosystem::RubyGems | Ecosystem::Packagist)
            && (tier == Tier::LockfileUpdate || pin_moves)
            && refusal.is_none();
        if pin_moves {
            for n in notes.iter_mut().filter(|n| n.ends_with(RELOCKS)) {
                let with_it = if ecosystem == Ecosystem::Packagist {
                    "so the requirement moves, and composer.lock with it (the entry and `content-hash`)"
                } else {
                    "so the requirement moves, and Gemfile.lock with it (the spec lines and the `DEPENDENCIES` line)"
                };
                *n = match &refusal {
                    None => n.replace(RELOCKS, with_it),
                    Some(reason) => format!("{n}, because {reason}"),
                };
            }
        }
        let writable = occurrences.iter().any(|d| lockfile::has_lockfile(d))
            && relock_only.is_none()
            && (in_place || lockfile::agent_can_write(registry, ecosystem, &name, &from, &to).await?)
            // A pnpm-lock.yaml or yarn.lock edit resolves the new version's dependencies from its
            // manifest.
            && (!(yarn || occurrences.iter().any(|d| pnpm::is_pnpm(d)))
                || registry.npm_manifest(&name, &to).await?.is_some());
        if tier == Tier::LockfileUpdate && occurrences.iter().any(|d| in_lockfile(d)) && !writable {
            // Without what a correct lockfile edit needs, the manifest carries the fix where it
            // can and the package manager refreshes the lockfile.
            tier = occurrences
                .iter()
                .map(|d| without_digest_tier(d))
                .max()
                .unwrap_or(Tier::LockfileUpdate);
            let lock_notes: Vec<String> = occurrences.iter().filter_map(|d| lock_note(d)).collect();
            notes.retain(|n| !lock_notes.contains(n));
            if let Some(reason) = relock_only {
                notes.push(format!(
                    "{name} {to} is required in the manifest rather than only in the lockfile because {reason}"
                ));
            } else if let Some(reason) = &refusal {
                notes.push(if tier == Tier::LockfileUpdate {
                    format!(
                        "the lockfile is left to the package manager rather than bumped in place because {reason}"
                    )
                } else {
                    format!(
                        "{name} {to} is required in the manifest rather than only bumped in the lockfile because {reason}; the package manager relocks it"
                    )
                });
            } else if tier != Tier::LockfileUpdate {
                notes.push(format!(
                    "{name} {to} is required in the manifest rather than only in the lockfile because no registry gave its checksum; add an entry for {ecosystem} to the agent's registries setting to get lockfile-only updates"
                ));
            }
        }
        let lockfile = lockfile::refresh(ecosystem, &name, &to, tier, &occurrences, writable);
        let own_version = ecosystem == Ecosystem::Maven
            && shared::own_version(analysis, &occurrences, &name, &to, registry, &mut notes)
                .await?;
        let breaking = current.is_breaking_to(&target);
        if breaking {
            notes.push(format!(
                "{name} {from} -> {to} is a major upgrade: review its changelog for breaking changes"
            ));
        }
        out.fixes.push(PackageFix {
            ecosystem,
            name,
            from,
            to,
            fixed_versions: candidates.into_iter().map(|(_, v)| v).collect(),
            breaking,
            tier,
            locations: deps
                .iter()
                .map(|&i| analysis.dependencies[i].location.clone())
                .collect(),
            dependencies: deps,
            advisories,
            notes,
            lockfile,
            own_version,
        });
    }
    Ok(out)
}

fn guidance(f: &Finding, only_major: bool) -> String {
    let summary = f.summary().unwrap_or_else(|| "no summary".into());
    if only_major {
        format!(
            "{}: {summary}; only a major upgrade fixes it and major upgrades are disabled",
            f.id
        )
    } else if f.fixed.is_empty() {
        format!(
            "{}: {summary}; no fixed version is published: remove or replace the dependency, or apply the advisory's mitigations",
            f.id
        )
    } else {
        format!(
            "{}: {summary}; fixed in {} per the advisory, but no such version is available from the registry",
            f.id,
            f.fixed.join(", ")
        )
    }
}

/// How the note on a Gemfile or composer.json requirement that must move ends until the plan
/// knows whether the lockfile moves with it (then the ending says so instead).
const RELOCKS: &str = "so the requirement moves and the package manager relocks";

/// The tier one occurrence needs, and a caveat for the pull request.
fn occurrence_tier(
    dep: &Dependency,
    current: &Version,
    target: &Version,
) -> (Tier, Option<String>) {
    let file = dep.location.file.rsplit('/').next().unwrap_or("");
    let satisfies =
        |req: &str| Requirement::parse(dep.ecosystem, req).is_ok_and(|r| r.matches(target));
    match dep.ecosystem {
        // The manifest pins the exact version: it is the file to change.
        Ecosystem::Go => (Tier::ManifestBump, None),
        // A module only the dependency tree of a POM brings gets a dependencyManagement entry.
        Ecosystem::Maven if !dep.direct && file == "pom.xml" => (
            Tier::Override,
            Some(format!(
                "{} is not declared by {}, only brought by {}: a `dependencyManagement` entry there sets its version for the whole dependency tree",
                dep.name,
                dep.location.file,
                dep.parents.join(", ")
            )),
        ),
        // A module only a Gradle lockfile records is raised with a dependency constraint.
        Ecosystem::Maven if !dep.direct => (
            Tier::Override,
            Some(format!(
                "{} is not declared by the build, only resolved through other modules: a dependency constraint (with `because`) raises it for every configuration that resolves it",
                dep.name
            )),
        ),
        Ecosystem::Maven => (Tier::ManifestBump, None),
        Ecosystem::PyPI if !lockfile::is_python_lock(file) => (Tier::ManifestBump, None),
        // Restore takes the lowest version a range allows, so the declaration moves unless it
        // floats; a transitive package is pinned with a reference of its own.
        Ecosystem::NuGet => nuget_tier(dep, target),
        _ => {
            if dep.direct {
                let ok = dep.requirement.as_deref().is_none_or(satisfies);
                let tier = if ok {
                    Tier::LockfileUpdate
                } else {
                    Tier::ManifestBump
                };
                if !ok && (pnpm::is_pnpm(dep) || is_bun(dep)) {
                    let (lock, tool) = if is_bun(dep) {
                        ("bun.lock", "Bun")
                    } else {
                        ("pnpm-lock.yaml", "pnpm")
                    };
                    let note = format!(
                        "package.json requires {} `{}`, which excludes the fixed version, so the range moves; {lock} follows as {tool} resolves it",
                        dep.name,
                        dep.requirement.as_deref().unwrap_or("")
                    );
                    return (tier, Some(note));
                }
                if !ok && matches!(dep.ecosystem, Ecosystem::RubyGems | Ecosystem::Packagist) {
                    let manifest = dep
                        .declared_in
                        .as_ref()
                        .map_or(dep.location.file.as_str(), |d| d.file.as_str());
                    let note = format!(
                        "{} requires {} `{}`, which excludes the fixed version, {RELOCKS}",
                        file_name(manifest),
                        dep.name,
                        dep.requirement.as_deref().unwrap_or("")
                    );
                    return (tier, Some(note));
                }
                (tier, lock_note(dep))
            } else {
                // Parents' recorded ranges, or (Cargo.lock records none) the caret range of the
                // current version that a parent most likely declares.
                let ok = if dep.constraints.is_empty() {
                    // Pipfile.lock and uv.lock record no ranges: their update reads the
                    // dependents' requirements from the registry, or leaves the lock to the tool.
                    matches!(file, "Pipfile.lock" | "uv.lock") || !current.is_breaking_to(target)
                } else {
                    dep.constraints.iter().all(|c| satisfies(c))
                };
                if ok {
                    (Tier::LockfileUpdate, lock_note(dep))
                } else {
                    let note = match dep.ecosystem {
                        Ecosystem::Npm if pnpm::is_pnpm(dep) => format!(
                            "{} is forced with `pnpm.overrides` because {} cannot take it (no release of the parent in its allowed range accepts it)",
                            dep.name,
                            dep.parents.join(", ")
                        ),
                        Ecosystem::Npm if file == "yarn.lock" => format!(
                            "{} cannot take {} {}: the parent moves to a release whose requirement takes it, or else `resolutions` forces it",
                            dep.parents.join(", "),
                            dep.name,
                            target
                        ),
                        Ecosystem::Npm if file == "bun.lock" => bun_override_note(dep),
                        Ecosystem::Npm => npm_override_note(dep),
                        // The Cargo.lock and poetry.lock updates move the parent themselves
                        // when a release of it accepts the fix (and say so), or report the
                        // conflict.
                        Ecosystem::CratesIo | Ecosystem::PyPI
                            if dep.ecosystem == Ecosystem::CratesIo
                                || dep.location.file.ends_with("poetry.lock") =>
                        {
                            format!(
                            "{} requires an incompatible version of {}, so the parent has to move as well",
                            dep.parents.join(", "),
                            dep.name
                        )
                        }
                        _ => format!(
                            "{} requires an incompatible version of {}: upgrade the parent, then re-run the package manager",
                            dep.parents.join(", "),
                            dep.name
                        ),
                    };
                    (Tier::Override, Some(note))
                }
            }
        }
    }
}

/// The plan's note on an npm package forced with `overrides` (dropped by the lockfile edit when
/// a dependent moves instead).
pub(crate) fn npm_override_note(dep: &Dependency) -> String {
    format!(
        "{} is forced with `overrides` because {} cannot take it; run `npm install` to refresh the lockfile",
        dep.name,
        dep.parents.join(", ")
    )
}

/// Whether the occurrence is an entry of a `bun.lock`.
pub(crate) fn is_bun(dep: &Dependency) -> bool {
    crate::analysis::file_name(&dep.location.file) == "bun.lock"
}

/// The plan's note on a package of a `bun.lock` forced with `overrides` (dropped by the edit
/// when a dependent moves instead).
pub(crate) fn bun_override_note(dep: &Dependency) -> String {
    format!(
        "{} is forced with `overrides` because {} cannot take it; bun.lock follows as Bun resolves it",
        dep.name,
        dep.parents.join(", ")
    )
}

/// Whether the occurrence is a lockfile entry, which records a checksum of the version.
fn in_lockfile(dep: &Dependency) -> bool {
    let file = dep.location.file.rsplit('/').next().unwrap_or("");
    matches!(
        file,
        "package-lock.json"
            | "npm-shrinkwrap.json"
            | "pnpm-lock.yaml"
            | "yarn.lock"
            | "bun.lock"
            | "Cargo.lock"
            | "poetry.lock"
            | "Pipfile.lock"
            | "uv.lock"
            | "pdm.lock"
            | "Gemfile.lock"
            | "gems.locked"
            | "composer.lock"
    ) || (file == "packages.lock.json" && dep.ecosystem == Ecosystem::NuGet)
}

/// The NuGet tier of one occurrence: a floating requirement that admits the target only needs
/// the lockfile entry; any other declaration moves; a transitive package is pinned.
fn nuget_tier(dep: &Dependency, target: &Version) -> (Tier, Option<String>) {
    if !dep.direct {
        let note = format!(
            "{} is pinned with a reference of its own because NuGet resolves the lowest version {} allow",
            dep.name,
            if dep.parents.is_empty() {
                "its dependents".to_string()
            } else {
                dep.parents.join(", ")
            }
        );
        return (Tier::Override, Some(note));
    }
    let floating = dep.requirement.as_deref().and_then(|r| {
        let range = crate::version::nuget::VersionRange::parse(r).ok()?;
        Some(range.is_floating() && Requirement::NuGet(range).matches(target))
    });
    if floating == Some(true) && in_lockfile(dep) {
        (Tier::LockfileUpdate, lock_note(dep))
    } else {
        (Tier::ManifestBump, None)
    }
}

/// The tier of an occurrence whose lockfile entry cannot be rewritten (no checksum known): a
/// direct dependency is raised in the manifest, a transitive npm one forced with `overrides`.
fn without_digest_tier(dep: &Dependency) -> Tier {
    match (dep.direct, dep.ecosystem) {
        (true, _) => Tier::ManifestBump,
        (false, Ecosystem::Npm | Ecosystem::NuGet) => Tier::Override,
        (false, _) => Tier::LockfileUpdate,
    }
}

/// The file name part of a path.
fn lock_note(dep: &Dependency) -> Option<String> {
    match dep.ecosystem {
        Ecosystem::Npm if pnpm::is_pnpm(dep) => Some(
            format!("every range on {} allows the fixed version, so only pnpm-lock.yaml changes: it is updated as pnpm resolves it, with the new version's dependencies from the registry", dep.name),
        ),
        Ecosystem::Npm if is_bun(dep) => Some(
            format!("every range on {} allows the fixed version, so only bun.lock changes: it is updated as Bun resolves it, with the new version's integrity and dependencies from the registry", dep.name),
        ),
        Ecosystem::Npm if dep.location.file.ends_with("yarn.lock") => Some(
            "yarn.lock is moved as yarn resolves it, with the new version's integrity and dependencies from the registry".into(),
        ),
        Ecosystem::Npm => Some(
            "the lockfile entry is updated in place; if the new version changed its own dependencies, run `npm install --package-lock-only` to refresh them".into(),
        ),
        Ecosystem::CratesIo => Some(
            "Cargo.lock is updated in place with the new version's dependencies from the registry index, as `cargo update -p <name> --precise <version>` would".into(),
        ),
        Ecosystem::PyPI if dep.location.file.ends_with("Pipfile.lock") => Some(
            "Pipfile.lock is updated in place with the new version's file hashes from PyPI; if the new version changed its own dependencies, run `pipenv lock` to refresh them".into(),
        ),
        Ecosystem::PyPI if dep.location.file.ends_with("uv.lock") => Some(
            "uv.lock is updated in place with the new version's files from PyPI, as `uv lock --upgrade-package` would".into(),
        ),
        Ecosystem::PyPI if dep.location.file.ends_with("pdm.lock") => Some(
            "pdm.lock is updated in place with the new version's files and dependencies from PyPI, as `pdm update` would".into(),
        ),
        Ecosystem::PyPI => Some(
            "poetry.lock is updated in place; if the new version changed its own dependencies, run `poetry lock --no-update` to refresh them".into(),
        ),
        Ecosystem::NuGet => Some(
            "packages.lock.json is updated in place with the new version's content hash and dependencies from the NuGet registry".into(),
        ),
        Ecosystem::RubyGems if lockfile::has_lockfile(dep) => Some(format!(
            "every requirement on {} in {} (DEPENDENCIES and each gem that depends on it) accepts the fixed version, and the registry lists the same runtime dependencies for it as the lockfile records for the current one: only its spec line (every platform variant, and its CHECKSUMS line with the registry's SHA-256) moves, as `bundle update --conservative {}` would resolve it",
            dep.name, file_name(&dep.location.file), dep.name
        )),
        Ecosystem::Packagist if lockfile::has_lockfile(dep) => Some(format!(
            "every constraint on {} (composer.json and each locked package's `require`) accepts the fixed version, and the repository lists the same links and autoload for it as composer.lock records for the current one: only its entry moves (`version`, `dist`, `source`, `time`, `support`), and `content-hash`, which covers composer.json alone, stays",
            dep.name
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
