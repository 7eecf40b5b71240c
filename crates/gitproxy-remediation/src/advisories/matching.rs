//! Matching: OSV ranges compiled per affected entry on first use, evaluated against dependency
//! versions, and the hits of one dependency merged into findings by shared ids and aliases.

use std::collections::BTreeSet;
use std::sync::{Arc, OnceLock};

use super::{Advisory, AdvisoryDb, Finding, Hit, Kind};
use crate::analysis::{Analysis, Dependency, Sink, Unsupported};
use crate::osv::{self, Record};
use crate::version::{self, Version};
use crate::{Ecosystem, Error};

/// One `affected` entry of one record, compiled lazily on first use.
#[derive(Debug)]
pub(super) struct Matcher {
    pub(super) record: usize,
    pub(super) affected: usize,
    pub(super) compiled: OnceLock<Compiled>,
}

#[derive(Debug, Default)]
pub(super) struct Compiled {
    ranges: Vec<CompiledRange>,
    versions: Vec<String>,
    parsed_versions: Vec<Version>,
}

#[derive(Debug)]
struct CompiledRange {
    /// Sorted events; `None` is the `"0"` introduced sentinel (below every version).
    events: Vec<(Option<Version>, EventKind)>,
    limits: Vec<Version>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum EventKind {
    Introduced,
    Fixed,
    LastAffected,
}

impl AdvisoryDb {
    /// Every non-withdrawn record affecting `name` at `version` in `ecosystem`.
    pub fn affecting(&self, ecosystem: Ecosystem, name: &str, version: &str) -> Vec<Hit> {
        self.matching(ecosystem, name, version)
            .map(|m| Hit {
                record: self.slots[m.record].record(),
                affected: m.affected,
            })
            .collect()
    }

    /// Whether any non-withdrawn record affects this version (used to vet fix candidates).
    pub fn is_affected(&self, ecosystem: Ecosystem, name: &str, version: &str) -> bool {
        self.matching(ecosystem, name, version).next().is_some()
    }

    fn matching<'a>(
        &'a self,
        ecosystem: Ecosystem,
        name: &str,
        version: &'a str,
    ) -> impl Iterator<Item = &'a Matcher> + 'a {
        let matchers = self
            .index
            .get(&(ecosystem, ecosystem.normalize_name(name)))
            .map_or(&[][..], Vec::as_slice);
        let parsed = if matchers.is_empty() {
            None
        } else {
            Version::parse(ecosystem, version).ok()
        };
        matchers.iter().filter(move |m| {
            let slot = &self.slots[m.record];
            !slot.withdrawn
                && m.compiled
                    .get_or_init(|| compile(ecosystem, &slot.affected[m.affected]))
                    .affects(version, parsed.as_ref())
        })
    }

    /// Every record that mentions the package, withdrawn ones excluded.
    pub fn records_for(&self, ecosystem: Ecosystem, name: &str) -> Vec<Arc<Record>> {
        let mut seen = BTreeSet::new();
        self.index
            .get(&(ecosystem, ecosystem.normalize_name(name)))
            .into_iter()
            .flatten()
            .filter(|m| seen.insert(m.record))
            .filter(|m| !self.slots[m.record].withdrawn)
            .map(|m| self.slots[m.record].record())
            .collect()
    }

    /// Matches every dependency with an exact version; one finding per vulnerability per
    /// dependency, aliases merged.
    ///
    /// Large analyses are matched on all available cores; the order of the result is the order
    /// of the dependencies either way.
    pub fn scan(&self, analysis: &Analysis) -> Vec<Finding> {
        let deps = &analysis.dependencies;
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .clamp(1, 8);
        if threads == 1 || deps.len() < 1024 {
            return self.scan_range(deps, 0);
        }
        let chunk = deps.len().div_ceil(threads);
        let parts: Vec<_> = deps.chunks(chunk).collect();
        let Some((last, rest)) = parts.split_last() else {
            return Vec::new();
        };
        std::thread::scope(|s| {
            let handles: Vec<_> = rest
                .iter()
                .enumerate()
                .map(|(n, part)| s.spawn(move || self.scan_range(part, n * chunk)))
                .collect();
            // This thread matches the last part while the others match the rest.
            let mine = self.scan_range(last, rest.len() * chunk);
            let mut out = Vec::new();
            for (n, h) in handles.into_iter().enumerate() {
                // A panicking matcher thread is a bug; match its part on this thread instead.
                let part = h
                    .join()
                    .unwrap_or_else(|_| self.scan_range(rest[n], n * chunk));
                out.extend(part);
            }
            out.extend(mine);
            out
        })
    }

    fn scan_range(&self, deps: &[Dependency], offset: usize) -> Vec<Finding> {
        let mut out = Vec::new();
        for (i, dep) in deps.iter().enumerate() {
            out.extend(self.scan_dependency(offset + i, dep));
        }
        out
    }

    /// Findings for one dependency (`index` is its position in the analysis).
    pub fn scan_dependency(&self, index: usize, dep: &Dependency) -> Vec<Finding> {
        let Some(version) = &dep.version else {
            return Vec::new();
        };
        let hits = self
            .matching(dep.ecosystem, &dep.name, version)
            .map(|m| (Advisory(Arc::clone(&self.slots[m.record])), m.affected))
            .collect();
        merge_hits(index, dep.ecosystem, version, hits)
    }
}

/// A [`Sink`] that matches each dependency as the analysis finds it and keeps only the
/// vulnerable ones, so a scan of a repository with hundreds of thousands of locked packages holds
/// its findings rather than every dependency. Feed it with [`crate::analysis::analyze_into`].
#[derive(Debug)]
pub struct Matched<'db> {
    db: &'db AdvisoryDb,
    /// How many dependencies the analysis found.
    pub dependencies: usize,
    /// Each vulnerable dependency with its findings, in analysis order. A finding's
    /// [`Finding::dependency`] counts every dependency seen, as an index into the full analysis
    /// would.
    pub vulnerable: Vec<(Dependency, Vec<Finding>)>,
    /// Problems of files, as [`Analysis::problems`] lists them.
    pub problems: Vec<Error>,
    /// Files of unsupported formats, as [`Analysis::unsupported`] lists them.
    pub unsupported: Vec<Unsupported>,
}

impl AdvisoryDb {
    /// A sink matching dependencies against this database as they are found.
    pub fn matcher(&self) -> Matched<'_> {
        Matched {
            db: self,
            dependencies: 0,
            vulnerable: Vec::new(),
            problems: Vec::new(),
            unsupported: Vec::new(),
        }
    }
}

impl Sink for Matched<'_> {
    fn dependency(&mut self, dependency: Dependency) {
        let findings = self.db.scan_dependency(self.dependencies, &dependency);
        self.dependencies += 1;
        if !findings.is_empty() {
            self.vulnerable.push((dependency, findings));
        }
    }

    fn problem(&mut self, problem: Error) {
        self.problems.push(problem);
    }

    fn unsupported(&mut self, file: Unsupported) {
        self.unsupported.push(file);
    }
}

/// Groups hits whose ids or aliases overlap and turns each group into a finding.
/// Ids and aliases of a group of hits, and the hits (advisory, affected index).
type Group = (BTreeSet<String>, Vec<(Advisory, usize)>);

fn merge_hits(
    index: usize,
    ecosystem: Ecosystem,
    version: &str,
    hits: Vec<(Advisory, usize)>,
) -> Vec<Finding> {
    let mut groups: Vec<Group> = Vec::new();
    for hit in hits {
        let ids: BTreeSet<String> = std::iter::once(hit.0.id())
            .chain(hit.0.aliases().iter().map(String::as_str))
            .map(String::from)
            .collect();
        let mut merged = (ids, vec![hit]);
        let mut k = 0;
        while k < groups.len() {
            if groups[k].0.intersection(&merged.0).next().is_some() {
                let (ids, hits) = groups.swap_remove(k);
                merged.0.extend(ids);
                merged.1.extend(hits);
                k = 0;
            } else {
                k += 1;
            }
        }
        groups.push(merged);
    }
    let current = Version::parse(ecosystem, version).ok();
    let mut out: Vec<Finding> = groups
        .into_iter()
        .map(|(mut ids, mut hits)| {
            // A RustSec placeholder id (`RUSTSEC-YYYY-0000`, used before an id is assigned)
            // that shares aliases with an assigned record is a stale duplicate of it.
            if hits.iter().any(|(a, _)| !is_placeholder(a.id())) {
                hits.retain(|(a, _)| !is_placeholder(a.id()));
                ids.retain(|id| !is_placeholder(id));
            }
            hits.sort_by_key(|(a, _)| (id_rank(a.id()), a.id().to_string()));
            let id = hits[0].0.id().to_string();
            let aliases = ids.into_iter().filter(|a| *a != id).collect();
            let kind = match hits.iter().find_map(|(a, _)| a.informational()) {
                Some(k) if hits.iter().all(|(a, _)| a.informational().is_some()) => {
                    Kind::Informational(k.to_string())
                }
                _ => Kind::Vulnerability,
            };
            let mut fixed: Vec<(Option<Version>, String)> = Vec::new();
            for (a, affected) in &hits {
                let ranges = &a.0.affected[*affected].ranges;
                for r in ranges.iter().filter(|r| r.kind != "GIT") {
                    for e in &r.events {
                        if let Some(f) = &e.fixed {
                            let parsed = Version::parse(ecosystem, f).ok();
                            let above = match (&parsed, &current) {
                                (Some(p), Some(c)) => p > c,
                                _ => true,
                            };
                            if above && !fixed.iter().any(|(_, s)| s == f) {
                                fixed.push((parsed, f.clone()));
                            }
                        }
                    }
                }
            }
            fixed.sort();
            Finding {
                dependency: index,
                id,
                aliases,
                kind,
                records: hits.into_iter().map(|(a, _)| a).collect(),
                fixed: fixed.into_iter().map(|(_, s)| s).collect(),
            }
        })
        .collect();
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out
}

/// RustSec's placeholder for a not yet numbered advisory.
fn is_placeholder(id: &str) -> bool {
    id.strip_prefix("RUSTSEC-")
        .and_then(|rest| rest.split_once('-'))
        .is_some_and(|(year, n)| year.len() == 4 && n == "0000")
}

/// Preference of id prefixes when naming a merged finding.
fn id_rank(id: &str) -> u8 {
    const ORDER: [&str; 6] = ["RUSTSEC-", "GO-", "PYSEC-", "GHSA-", "CVE-", "OSV-"];
    ORDER
        .iter()
        .position(|p| id.starts_with(p))
        .map_or(u8::MAX, |p| u8::try_from(p).unwrap_or(u8::MAX))
}

fn compile(ecosystem: Ecosystem, affected: &osv::Affected) -> Compiled {
    let mut out = Compiled {
        versions: affected.versions.clone(),
        parsed_versions: affected
            .versions
            .iter()
            .filter_map(|v| Version::parse(ecosystem, v).ok())
            .collect(),
        ranges: Vec::new(),
    };
    for range in &affected.ranges {
        let parse = |text: &str| -> Option<Version> {
            match range.kind.as_str() {
                // SEMVER ranges use plain semver whatever the ecosystem (Go omits the `v`).
                "SEMVER" => version::semver::Version::parse_loose(text)
                    .ok()
                    .map(Version::Semver),
                "ECOSYSTEM" => Version::parse(ecosystem, text).ok(),
                _ => None,
            }
        };
        if !matches!(range.kind.as_str(), "SEMVER" | "ECOSYSTEM") {
            continue;
        }
        let mut events = Vec::new();
        let mut limits = Vec::new();
        let mut ok = true;
        for e in &range.events {
            let (text, kind) = if let Some(t) = &e.introduced {
                (t, EventKind::Introduced)
            } else if let Some(t) = &e.fixed {
                (t, EventKind::Fixed)
            } else if let Some(t) = &e.last_affected {
                (t, EventKind::LastAffected)
            } else if let Some(t) = &e.limit {
                match parse(t) {
                    Some(v) => limits.push(v),
                    None if t == "*" => {}
                    None => ok = false,
                }
                continue;
            } else {
                continue;
            };
            if kind == EventKind::Introduced && text == "0" {
                events.push((None, kind));
                continue;
            }
            match parse(text) {
                Some(v) => events.push((Some(v), kind)),
                None => ok = false,
            }
        }
        if !ok {
            tracing::debug!(range = ?range.kind, "skipping an OSV range with unparsable versions");
            continue;
        }
        events.sort_by(|a, b| a.0.cmp(&b.0));
        out.ranges.push(CompiledRange { events, limits });
    }
    out
}

impl Compiled {
    fn affects(&self, text: &str, parsed: Option<&Version>) -> bool {
        if self.versions.iter().any(|v| v == text) {
            return true;
        }
        let Some(v) = parsed else {
            return false;
        };
        if self.parsed_versions.iter().any(|p| p == v) {
            return true;
        }
        self.ranges.iter().any(|r| r.affects(v))
    }
}

impl CompiledRange {
    fn affects(&self, v: &Version) -> bool {
        if !self.limits.is_empty() && !self.limits.iter().any(|l| v < l) {
            return false;
        }
        let mut affected = false;
        for (at, kind) in &self.events {
            match (kind, at) {
                (EventKind::Introduced, None) => affected = true,
                (EventKind::Introduced, Some(at)) if v >= at => affected = true,
                (EventKind::Fixed, Some(at)) if v >= at => affected = false,
                (EventKind::LastAffected, Some(at)) if v > at => affected = false,
                _ => {}
            }
        }
        affected
    }
}

#[cfg(test)]
pub(super) mod tests;
