//! Version schemes of each ecosystem behind one `Version` type, and version requirements.
//!
//! npm and crates.io use Semantic Versioning 2.0 (pre-releases sort before their release, build
//! metadata is ignored); PyPI uses PEP 440; Maven uses `ComparableVersion` ordering; Go uses
//! semver with a `v` prefix, where `+incompatible` is build metadata and pseudo-versions are
//! pre-releases, so both order correctly under semver precedence; NuGet uses SemVer 2.0 with its
//! own normalisation (four parts, case-insensitive labels). RubyGems orders like
//! `Gem::Version` and Packagist like Composer (normalised versions, `dev < alpha < beta < RC <
//! stable < patch`).

pub mod composer;
pub mod go;
pub mod maven;
pub mod nuget;
pub mod pep440;
pub mod rubygems;
pub mod semver;

use std::cmp::Ordering;
use std::fmt;

use crate::{Ecosystem, Error};

/// A version of some ecosystem. Versions of different schemes are never compared with each
/// other by the engine; `Ord` orders them by scheme first only to stay total.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Version {
    /// npm, crates.io and Go.
    Semver(semver::Version),
    /// PyPI.
    Pep440(pep440::Version),
    /// Maven.
    Maven(maven::Version),
    /// NuGet.
    NuGet(nuget::Version),
    /// RubyGems.
    RubyGems(rubygems::Version),
    /// Packagist.
    Composer(composer::Version),
}

impl Version {
    /// Parses `text` with the rules of `ecosystem`.
    pub fn parse(ecosystem: Ecosystem, text: &str) -> Result<Version, Error> {
        let res = match ecosystem {
            Ecosystem::Npm => semver::Version::parse_loose(text).map(Version::Semver),
            Ecosystem::CratesIo => semver::Version::parse(text).map(Version::Semver),
            Ecosystem::Go => go::parse(text).map(Version::Semver),
            Ecosystem::PyPI => pep440::Version::parse(text).map(Version::Pep440),
            Ecosystem::Maven => Ok(Version::Maven(maven::Version::parse(text))),
            Ecosystem::NuGet => nuget::Version::parse(text).map(Version::NuGet),
            Ecosystem::RubyGems => rubygems::Version::parse(text).map(Version::RubyGems),
            Ecosystem::Packagist => composer::Version::parse(text).map(Version::Composer),
        };
        res.map_err(|reason| Error::InvalidVersion {
            ecosystem,
            version: text.to_string(),
            reason,
        })
    }

    /// True for pre-releases (semver pre-release identifiers, PEP 440 a/b/rc/dev, Maven
    /// alpha/beta/milestone/rc/SNAPSHOT). Go pseudo-versions count as pre-releases.
    pub fn is_prerelease(&self) -> bool {
        match self {
            Version::Semver(v) => v.is_prerelease(),
            Version::Pep440(v) => v.is_prerelease(),
            Version::Maven(v) => v.is_prerelease(),
            Version::NuGet(v) => v.is_prerelease(),
            Version::RubyGems(v) => v.is_prerelease(),
            Version::Composer(v) => v.is_prerelease(),
        }
    }

    /// Whether moving from `self` to `to` is a breaking upgrade in `ecosystem`.
    ///
    /// For semver ecosystems that is a change outside the caret range (`1.x` to `2.x`, and
    /// `0.3.x` to `0.4.x` as Cargo and npm treat 0.x minors); for PEP 440, Maven and NuGet, a change of
    /// the first release component.
    pub fn is_breaking_to(&self, to: &Version) -> bool {
        match (self, to) {
            (Version::Semver(a), Version::Semver(b)) => {
                if a.major != b.major {
                    true
                } else if a.major == 0 {
                    a.minor != b.minor || (a.minor == 0 && a.patch != b.patch)
                } else {
                    false
                }
            }
            (Version::Pep440(a), Version::Pep440(b)) => {
                a.epoch != b.epoch || a.release.first() != b.release.first()
            }
            (Version::Maven(a), Version::Maven(b)) => a.major() != b.major(),
            (Version::NuGet(a), Version::NuGet(b)) => a.major() != b.major(),
            (Version::RubyGems(a), Version::RubyGems(b)) => a.major() != b.major(),
            (Version::Composer(a), Version::Composer(b)) => {
                a.release(0) != b.release(0) || (a.release(0) == 0 && a.release(1) != b.release(1))
            }
            _ => true,
        }
    }

    /// Compares two version strings of one ecosystem; `None` when either does not parse.
    pub fn compare_str(ecosystem: Ecosystem, a: &str, b: &str) -> Option<Ordering> {
        let a = Version::parse(ecosystem, a).ok()?;
        let b = Version::parse(ecosystem, b).ok()?;
        Some(a.cmp(&b))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Version::Semver(v) => v.fmt(f),
            Version::Pep440(v) => v.fmt(f),
            Version::Maven(v) => v.fmt(f),
            Version::NuGet(v) => v.fmt(f),
            Version::RubyGems(v) => v.fmt(f),
            Version::Composer(v) => v.fmt(f),
        }
    }
}

/// A declared version requirement, in the syntax of its ecosystem.
#[derive(Clone, Debug)]
pub enum Requirement {
    /// An npm range (`^1.2.3 || >=2 <3`).
    Npm(semver::Range),
    /// A Cargo requirement (`1.2`, `>=1, <1.5`, `=0.3.1`).
    Cargo(semver::Range),
    /// A PEP 440 specifier set (`>=2.0,<3`).
    Pep440(pep440::SpecifierSet),
    /// A Maven version or range.
    Maven(maven::VersionRange),
    /// A Go `require`: a minimum under minimal version selection, within one major version.
    GoMinimum(semver::Version),
    /// A NuGet version range (`13.0.1` = at least, `[1.0,2.0)`, floating `1.*`).
    NuGet(nuget::VersionRange),
    /// A gem requirement (`~> 6.1.0`, `>= 1.0, < 2`).
    RubyGems(rubygems::Requirement),
    /// A Composer constraint (`^2.0 || ^3.0`).
    Composer(composer::Constraint),
}

impl Requirement {
    /// Parses `text` as a requirement of `ecosystem`.
    pub fn parse(ecosystem: Ecosystem, text: &str) -> Result<Requirement, Error> {
        let res = match ecosystem {
            Ecosystem::Npm => semver::Range::parse_npm(text).map(Requirement::Npm),
            Ecosystem::CratesIo => semver::Range::parse_cargo(text).map(Requirement::Cargo),
            Ecosystem::PyPI => pep440::SpecifierSet::parse(text).map(Requirement::Pep440),
            Ecosystem::Maven => maven::VersionRange::parse(text).map(Requirement::Maven),
            Ecosystem::Go => go::parse(text).map(Requirement::GoMinimum),
            Ecosystem::NuGet => nuget::VersionRange::parse(text).map(Requirement::NuGet),
            Ecosystem::RubyGems => rubygems::Requirement::parse(text).map(Requirement::RubyGems),
            Ecosystem::Packagist => composer::Constraint::parse(text).map(Requirement::Composer),
        };
        res.map_err(|reason| Error::InvalidRequirement {
            ecosystem,
            requirement: text.to_string(),
            reason,
        })
    }

    /// Whether `v` satisfies the requirement. Versions of another scheme never do.
    pub fn matches(&self, v: &Version) -> bool {
        match (self, v) {
            (Requirement::Npm(r) | Requirement::Cargo(r), Version::Semver(v)) => r.matches(v),
            (Requirement::Pep440(s), Version::Pep440(v)) => s.contains(v),
            (Requirement::Maven(r), Version::Maven(v)) => r.contains(v),
            (Requirement::NuGet(r), Version::NuGet(v)) => r.contains(v),
            (Requirement::GoMinimum(min), Version::Semver(v)) => {
                v >= min
                    && v.major == min.major
                    && go::is_incompatible(v) == go::is_incompatible(min)
            }
            (Requirement::RubyGems(r), Version::RubyGems(v)) => r.matches(v),
            (Requirement::Composer(c), Version::Composer(v)) => c.matches(v),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests;
