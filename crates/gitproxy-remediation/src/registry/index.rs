//! What a package index says about one published version beyond its number: its dependency
//! list, feature table and checksum, decoded from crates.io sparse-index lines.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Which build step a dependency serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DepKind {
    /// `[dependencies]`.
    Normal,
    /// `[build-dependencies]`.
    Build,
    /// `[dev-dependencies]`: only for the package's own tests, never in a dependent's lockfile.
    Dev,
}

/// One dependency of a published version, as its index line lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistryDep {
    /// The name the dependent uses (the key in its `Cargo.toml`; differs from `package` when
    /// renamed).
    pub name: String,
    /// The real package name when the dependency is renamed.
    pub package: Option<String>,
    /// The version requirement.
    pub req: String,
    /// Features the dependent enables on it.
    pub features: Vec<String>,
    /// Whether only a feature of the dependent turns it on.
    pub optional: bool,
    /// Whether the dependency's `default` feature is on.
    pub default_features: bool,
    /// The `cfg(...)` or target triple it is limited to (the lockfile records every target).
    pub target: Option<String>,
    /// Normal, build or dev.
    pub kind: DepKind,
}

impl RegistryDep {
    /// The package name in the registry (`package` when renamed, else `name`).
    pub fn package_name(&self) -> &str {
        self.package.as_deref().unwrap_or(&self.name)
    }
}

/// One published version with its dependencies, features and checksum.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexEntry {
    /// The version.
    pub version: String,
    /// Yanked versions are kept in existing lockfiles but never newly chosen.
    pub yanked: bool,
    /// The `.crate` SHA-256 in hex.
    pub checksum: Option<String>,
    /// Every dependency, of every kind and target.
    pub dependencies: Vec<RegistryDep>,
    /// The feature table (`features` and `features2` merged).
    pub features: BTreeMap<String, Vec<String>>,
}

#[derive(Deserialize)]
struct Line {
    vers: String,
    #[serde(default)]
    cksum: Option<String>,
    #[serde(default)]
    yanked: bool,
    #[serde(default)]
    deps: Vec<LineDep>,
    #[serde(default)]
    features: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    features2: Option<BTreeMap<String, Vec<String>>>,
}

#[derive(Deserialize)]
struct LineDep {
    name: String,
    req: String,
    #[serde(default)]
    features: Vec<String>,
    #[serde(default)]
    optional: bool,
    #[serde(default = "yes")]
    default_features: bool,
    #[serde(default)]
    target: Option<String>,
    #[serde(default)]
    kind: Option<DepKind>,
    #[serde(default)]
    package: Option<String>,
}

fn yes() -> bool {
    true
}

impl IndexEntry {
    /// Decodes one line of a crates.io sparse-index file.
    pub fn from_index_line(line: &str) -> Result<IndexEntry, String> {
        let line: Line = serde_json::from_str(line).map_err(|e| e.to_string())?;
        let mut features = line.features;
        features.extend(line.features2.unwrap_or_default());
        Ok(IndexEntry {
            version: line.vers,
            yanked: line.yanked,
            checksum: line.cksum,
            dependencies: line
                .deps
                .into_iter()
                .map(|d| RegistryDep {
                    name: d.name,
                    package: d.package,
                    req: d.req,
                    features: d.features,
                    optional: d.optional,
                    default_features: d.default_features,
                    target: d.target,
                    kind: d.kind.unwrap_or(DepKind::Normal),
                })
                .collect(),
            features,
        })
    }

    /// Decodes a whole sparse-index file (one JSON line per version).
    pub fn from_index_file(text: &str) -> Result<Vec<IndexEntry>, String> {
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(IndexEntry::from_index_line)
            .collect()
    }
}
