//! The package ecosystems the engine understands and their OSV names.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::Error;

/// A package ecosystem, named as OSV names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Ecosystem {
    /// The npm registry (`package.json`, `package-lock.json`).
    #[serde(rename = "npm")]
    Npm,
    /// The Python Package Index (`requirements*.txt`, `poetry.lock`).
    #[serde(rename = "PyPI")]
    PyPI,
    /// crates.io (`Cargo.toml`, `Cargo.lock`).
    #[serde(rename = "crates.io")]
    CratesIo,
    /// Go modules (`go.mod`, `go.sum`).
    #[serde(rename = "Go")]
    Go,
    /// Maven Central (`pom.xml`).
    #[serde(rename = "Maven")]
    Maven,
    /// NuGet (`packages.lock.json`, `*.csproj`, `Directory.Packages.props`, `packages.config`).
    #[serde(rename = "NuGet")]
    NuGet,
    /// RubyGems (`Gemfile.lock`, `Gemfile`).
    #[serde(rename = "RubyGems")]
    RubyGems,
    /// Packagist, PHP's Composer registry (`composer.lock`, `composer.json`).
    #[serde(rename = "Packagist")]
    Packagist,
}

impl Ecosystem {
    /// Every ecosystem, in a stable order.
    pub const ALL: [Ecosystem; 8] = [
        Ecosystem::Npm,
        Ecosystem::PyPI,
        Ecosystem::CratesIo,
        Ecosystem::Go,
        Ecosystem::Maven,
        Ecosystem::NuGet,
        Ecosystem::RubyGems,
        Ecosystem::Packagist,
    ];

    /// The name OSV uses in `affected[].package.ecosystem`.
    pub fn osv_name(self) -> &'static str {
        match self {
            Ecosystem::Npm => "npm",
            Ecosystem::PyPI => "PyPI",
            Ecosystem::CratesIo => "crates.io",
            Ecosystem::Go => "Go",
            Ecosystem::Maven => "Maven",
            Ecosystem::NuGet => "NuGet",
            Ecosystem::RubyGems => "RubyGems",
            Ecosystem::Packagist => "Packagist",
        }
    }

    /// Normalises a package name the way the ecosystem compares names.
    ///
    /// PyPI names follow PEP 503 (case-insensitive, runs of `-_.` are one `-`); crates.io names
    /// are compared case-insensitively with `-` and `_` equal; NuGet ids are case-insensitive;
    /// Packagist names (`vendor/package`) are lowercase; the others are compared as written.
    pub fn normalize_name(self, name: &str) -> String {
        match self {
            Ecosystem::PyPI => {
                let mut out = String::with_capacity(name.len());
                let mut dash = false;
                for c in name.trim().chars() {
                    if matches!(c, '-' | '_' | '.') {
                        if !dash {
                            out.push('-');
                        }
                        dash = true;
                    } else {
                        out.push(c.to_ascii_lowercase());
                        dash = false;
                    }
                }
                out
            }
            Ecosystem::CratesIo => name.trim().to_ascii_lowercase().replace('_', "-"),
            Ecosystem::NuGet | Ecosystem::Packagist => name.trim().to_ascii_lowercase(),
            Ecosystem::Npm | Ecosystem::Go | Ecosystem::Maven | Ecosystem::RubyGems => {
                name.trim().to_string()
            }
        }
    }
}

impl fmt::Display for Ecosystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.osv_name())
    }
}

impl FromStr for Ecosystem {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // OSV may append a release qualifier (`Debian:11`); only the base name matters here.
        let base = s.split(':').next().unwrap_or(s).trim();
        match base.to_ascii_lowercase().as_str() {
            "npm" => Ok(Ecosystem::Npm),
            "pypi" => Ok(Ecosystem::PyPI),
            "crates.io" | "cargo" => Ok(Ecosystem::CratesIo),
            "go" | "golang" => Ok(Ecosystem::Go),
            "maven" => Ok(Ecosystem::Maven),
            "nuget" => Ok(Ecosystem::NuGet),
            "rubygems" => Ok(Ecosystem::RubyGems),
            "packagist" => Ok(Ecosystem::Packagist),
            _ => Err(Error::UnknownEcosystem(s.to_string())),
        }
    }
}

#[cfg(test)]
mod tests;
