//! Findings handed in by the caller (the cloud's scanners): OSV-Scanner JSON output and the
//! gitproxy findings format, turned into OSV records the advisory database can match.
//!
//! # The gitproxy findings format, version 1
//!
//! ```json
//! {
//!   "format": "gitproxy-findings/v1",
//!   "findings": [
//!     {
//!       "ecosystem": "npm",
//!       "package": "lodash",
//!       "version": "4.17.20",
//!       "id": "GHSA-35jh-r3h4-6jhm",
//!       "aliases": ["CVE-2021-23337"],
//!       "summary": "Command Injection in lodash",
//!       "details": "Markdown text",
//!       "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H"}],
//!       "fixed": ["4.17.21"],
//!       "references": ["https://github.com/advisories/GHSA-35jh-r3h4-6jhm"],
//!       "path": "web/package-lock.json"
//!     }
//!   ]
//! }
//! ```
//!
//! `ecosystem` (an OSV ecosystem name), `package`, `version` and `id` are required; the rest is
//! optional. The finding states that `version` is affected; `fixed` lists versions that fix it.
//! Because the finding carries no full ranges, the engine treats every version from the lowest
//! `fixed` version above `version` onwards as fixed. When the id is already in the advisory
//! database, the database's record (with full ranges) is used instead. `path`, when given, is
//! informational. See also `docs/remediation.md`.

use serde::Deserialize;

use crate::advisories::AdvisoryDb;
use crate::osv::{Affected, Event, Package, Range, Record, Reference, Severity};
use crate::version::Version;
use crate::{Ecosystem, Error};

/// The `format` value of gitproxy findings documents.
pub const FORMAT_V1: &str = "gitproxy-findings/v1";

/// One affected package version reported by an outside scanner, with the advisory as OSV.
#[derive(Clone, Debug)]
pub struct ExternalFinding {
    /// Ecosystem of the package.
    pub ecosystem: Ecosystem,
    /// Package name.
    pub package: String,
    /// The affected version in use.
    pub version: String,
    /// The file the scanner found it in, when known.
    pub path: Option<String>,
    /// The advisory.
    pub record: Record,
}

/// Decodes either format, telling them apart by shape (`results` for OSV-Scanner, `format` for
/// ours).
pub fn parse(bytes: &[u8]) -> Result<Vec<ExternalFinding>, Error> {
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(findings_error)?;
    if value.get("results").is_some() {
        parse_osv_scanner(bytes)
    } else if value.get("format").is_some() {
        parse_gitproxy(bytes)
    } else {
        Err(Error::Findings {
            reason: "neither an OSV-Scanner report (`results`) nor a gitproxy document (`format`)"
                .into(),
        })
    }
}

fn findings_error(e: serde_json::Error) -> Error {
    Error::Findings {
        reason: e.to_string(),
    }
}

#[derive(Deserialize)]
struct ScannerReport {
    #[serde(default)]
    results: Vec<ScannerResult>,
}

#[derive(Deserialize)]
struct ScannerResult {
    #[serde(default)]
    source: Option<ScannerSource>,
    #[serde(default)]
    packages: Vec<ScannerPackage>,
}

#[derive(Deserialize)]
struct ScannerSource {
    #[serde(default)]
    path: Option<String>,
}

#[derive(Deserialize)]
struct ScannerPackage {
    package: ScannerPackageInfo,
    #[serde(default)]
    vulnerabilities: Vec<Record>,
}

#[derive(Deserialize)]
struct ScannerPackageInfo {
    name: String,
    version: String,
    ecosystem: String,
}

/// Decodes `osv-scanner --format json` output (`results[].packages[].vulnerabilities[]` are
/// full OSV records).
pub fn parse_osv_scanner(bytes: &[u8]) -> Result<Vec<ExternalFinding>, Error> {
    let report: ScannerReport = serde_json::from_slice(bytes).map_err(findings_error)?;
    let mut out = Vec::new();
    for result in report.results {
        let path = result.source.and_then(|s| s.path);
        for pkg in result.packages {
            let ecosystem: Ecosystem = pkg.package.ecosystem.parse()?;
            for record in pkg.vulnerabilities {
                out.push(ExternalFinding {
                    ecosystem,
                    package: pkg.package.name.clone(),
                    version: pkg.package.version.clone(),
                    path: path.clone(),
                    record,
                });
            }
        }
    }
    Ok(out)
}

#[derive(Deserialize)]
struct Document {
    format: String,
    #[serde(default)]
    findings: Vec<OurFinding>,
}

#[derive(Deserialize)]
struct OurFinding {
    ecosystem: String,
    package: String,
    version: String,
    id: String,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(default)]
    summary: Option<String>,
    #[serde(default)]
    details: Option<String>,
    #[serde(default)]
    severity: Vec<Severity>,
    #[serde(default)]
    fixed: Vec<String>,
    #[serde(default)]
    references: Vec<String>,
    #[serde(default)]
    path: Option<String>,
}

/// Decodes a gitproxy findings document (see the module documentation).
pub fn parse_gitproxy(bytes: &[u8]) -> Result<Vec<ExternalFinding>, Error> {
    let doc: Document = serde_json::from_slice(bytes).map_err(findings_error)?;
    if doc.format != FORMAT_V1 {
        return Err(Error::Findings {
            reason: format!(
                "unsupported format `{}`, expected `{FORMAT_V1}`",
                doc.format
            ),
        });
    }
    let mut out = Vec::new();
    for f in doc.findings {
        let ecosystem: Ecosystem = f.ecosystem.parse()?;
        let current = Version::parse(ecosystem, &f.version).ok();
        // The lowest fixed version above the affected one bounds the synthesized range.
        let mut fixed: Vec<(Version, String)> = f
            .fixed
            .iter()
            .filter_map(|s| Some((Version::parse(ecosystem, s).ok()?, s.clone())))
            .filter(|(v, _)| current.as_ref().is_none_or(|c| v > c))
            .collect();
        fixed.sort();
        let mut events = vec![Event {
            introduced: Some("0".into()),
            ..Event::default()
        }];
        if let Some((_, first)) = fixed.first() {
            events.push(Event {
                fixed: Some(first.clone()),
                ..Event::default()
            });
        }
        let record = Record {
            id: f.id,
            aliases: f.aliases,
            summary: f.summary,
            details: f.details,
            severity: f.severity,
            references: f
                .references
                .into_iter()
                .map(|url| Reference {
                    kind: "WEB".into(),
                    url,
                })
                .collect(),
            affected: vec![Affected {
                package: Some(Package {
                    ecosystem: ecosystem.osv_name().into(),
                    name: f.package.clone(),
                    purl: None,
                }),
                versions: vec![f.version.clone()],
                ranges: if fixed.is_empty() {
                    Vec::new()
                } else {
                    vec![Range {
                        kind: "ECOSYSTEM".into(),
                        repo: None,
                        events,
                    }]
                },
                ..Affected::default()
            }],
            ..Record::default()
        };
        out.push(ExternalFinding {
            ecosystem,
            package: f.package,
            version: f.version,
            path: f.path,
            record,
        });
    }
    Ok(out)
}

impl AdvisoryDb {
    /// Adds the advisories of outside findings; records whose id is already loaded keep the
    /// loaded version. Returns how many records were added.
    pub fn add_findings(&mut self, findings: Vec<ExternalFinding>) -> usize {
        findings
            .into_iter()
            .map(|f| usize::from(self.insert(f.record)))
            .sum()
    }
}

#[cfg(test)]
mod tests;
