//! Pull request composition: stable branch names, titles and descriptions modelled on
//! Renovate's security pull requests, review comment texts, and CVSS scores, all within
//! Bitbucket's length limits. Pure functions: nothing here talks to Bitbucket.

use std::fmt::Write as _;

use crate::advisories::Finding;
use crate::analysis::{Analysis, Scope};
use crate::osv::Record;
use crate::plan::{PackageFix, Tier};
use crate::version::Version;
use crate::Ecosystem;

/// The default start of every remediation branch, so remediations can be found on Bitbucket
/// (the agent's `<branch prefix>security/`; see [`Remediator::with_branch_prefix`](crate::remediate::Remediator::with_branch_prefix)).
pub const BRANCH_PREFIX: &str = "gitproxy/security/";

/// Pull request descriptions are cut below Bitbucket Server's limit, as Renovate does.
pub const DESCRIPTION_LIMIT: usize = 30_000;

/// Bitbucket comments must stay below 32,768 characters.
pub const COMMENT_LIMIT: usize = 32_000;

/// Bitbucket pull request titles are limited to 255 characters.
pub const TITLE_LIMIT: usize = 255;

/// The marker that identifies a description written by gitproxy.
pub const MARKER: &str = "<!-- gitproxy:remediation -->";

/// The stable branch of the remediation of one package: re-running finds and updates it.
///
/// `gitproxy/security/<ecosystem>-<sanitized name>`, like Renovate's
/// `{{datasource}}-{{depNameSanitized}}-vulnerability` topic.
pub fn branch_name(ecosystem: Ecosystem, name: &str) -> String {
    branch_name_under(BRANCH_PREFIX, ecosystem, name)
}

/// [`branch_name`] under `prefix` (ending with `/`) instead of [`BRANCH_PREFIX`].
pub fn branch_name_under(prefix: &str, ecosystem: Ecosystem, name: &str) -> String {
    let eco = match ecosystem {
        Ecosystem::Npm => "npm",
        Ecosystem::PyPI => "pypi",
        Ecosystem::CratesIo => "crate",
        Ecosystem::Go => "go",
        Ecosystem::Maven => "maven",
        Ecosystem::NuGet => "nuget",
        Ecosystem::RubyGems => "gem",
        Ecosystem::Packagist => "composer",
    };
    let mut sanitized = String::new();
    for c in name.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_alphanumeric() || c == '.' || c == '_' {
            sanitized.push(c);
        } else if !sanitized.ends_with('-') {
            sanitized.push('-');
        }
    }
    let sanitized = sanitized.trim_matches(['-', '.']).to_string();
    format!("{prefix}{eco}-{sanitized}")
}

/// `Update dependency lodash to 4.17.21 [SECURITY]`, with `(major)` for breaking upgrades.
pub fn title(fix: &PackageFix) -> String {
    let major = if fix.breaking { " (major)" } else { "" };
    truncate(
        &format!(
            "Update dependency {} to {}{major} [SECURITY]",
            fix.name, fix.to
        ),
        TITLE_LIMIT,
    )
}

/// `major`, `minor` or `patch`.
pub fn update_kind(fix: &PackageFix) -> &'static str {
    if fix.breaking {
        return "major";
    }
    match (
        Version::parse(fix.ecosystem, &fix.from),
        Version::parse(fix.ecosystem, &fix.to),
    ) {
        (Ok(Version::Semver(a)), Ok(Version::Semver(b))) if a.minor != b.minor => "minor",
        (Ok(Version::Pep440(a)), Ok(Version::Pep440(b)))
            if a.release.get(1) != b.release.get(1) =>
        {
            "minor"
        }
        _ => "patch",
    }
}

/// The link for an advisory id, as Renovate links them.
pub fn advisory_link(id: &str) -> String {
    if id.starts_with("CVE-") {
        format!("https://nvd.nist.gov/vuln/detail/{id}")
    } else if id.starts_with("GHSA-") {
        format!("https://github.com/advisories/{id}")
    } else if id.starts_with("GO-") {
        format!("https://pkg.go.dev/vuln/{id}")
    } else if id.starts_with("RUSTSEC-") {
        format!("https://rustsec.org/advisories/{id}.html")
    } else {
        format!("https://osv.dev/vulnerability/{id}")
    }
}

/// A CVSS v3.x base score computed from its vector, with its severity rating.
#[derive(Clone, Debug, PartialEq)]
pub struct CvssScore {
    /// The base score, 0.0 to 10.0.
    pub score: f64,
    /// `None`, `Low`, `Medium`, `High` or `Critical`.
    pub rating: &'static str,
    /// The vector it was computed from.
    pub vector: String,
}

/// Computes the CVSS v3.0/v3.1 base score of a vector (`CVSS:3.1/AV:N/AC:L/...`); `None` for
/// other versions or incomplete vectors.
pub fn cvss3(vector: &str) -> Option<CvssScore> {
    let mut parts = vector.split('/');
    if !matches!(parts.next()?, "CVSS:3.0" | "CVSS:3.1") {
        return None;
    }
    let metrics: std::collections::HashMap<&str, &str> =
        parts.filter_map(|p| p.split_once(':')).collect();
    let get = |k: &str| metrics.get(k).copied();
    let changed = match get("S")? {
        "U" => false,
        "C" => true,
        _ => return None,
    };
    let av = match get("AV")? {
        "N" => 0.85,
        "A" => 0.62,
        "L" => 0.55,
        "P" => 0.2,
        _ => return None,
    };
    let ac = match get("AC")? {
        "L" => 0.77,
        "H" => 0.44,
        _ => return None,
    };
    let pr = match (get("PR")?, changed) {
        ("N", _) => 0.85,
        ("L", false) => 0.62,
        ("L", true) => 0.68,
        ("H", false) => 0.27,
        ("H", true) => 0.5,
        _ => return None,
    };
    let ui = match get("UI")? {
        "N" => 0.85,
        "R" => 0.62,
        _ => return None,
    };
    let cia = |k: &str| -> Option<f64> {
        match get(k)? {
            "H" => Some(0.56),
            "L" => Some(0.22),
            "N" => Some(0.0),
            _ => None,
        }
    };
    let (c, i, a) = (cia("C")?, cia("I")?, cia("A")?);
    let iss = 1.0 - (1.0 - c) * (1.0 - i) * (1.0 - a);
    let impact = if changed {
        7.52 * (iss - 0.029) - 3.25 * (iss - 0.02_f64).powi(15)
    } else {
        6.42 * iss
    };
    let exploitability = 8.22 * av * ac * pr * ui;
    let score = if impact <= 0.0 {
        0.0
    } else if changed {
        roundup((1.08 * (impact + exploitability)).min(10.0))
    } else {
        roundup((impact + exploitability).min(10.0))
    };
    let rating = match score {
        s if s <= 0.0 => "None",
        s if s < 4.0 => "Low",
        s if s < 7.0 => "Medium",
        s if s < 9.0 => "High",
        _ => "Critical",
    };
    Some(CvssScore {
        score,
        rating,
        vector: vector.to_string(),
    })
}

/// CVSS v3.1 `Roundup`: the smallest number with one decimal that is >= the input.
fn roundup(x: f64) -> f64 {
    let int = (x * 100_000.0).round() as i64;
    if int % 10_000 == 0 {
        int as f64 / 100_000.0
    } else {
        ((int / 10_000) + 1) as f64 / 10.0
    }
}

/// The severity line of a record: a computed CVSS v3 score with its vector, a CVSS v4 vector,
/// or the GHSA severity word.
pub fn severity_line(record: &Record) -> Option<String> {
    if let Some(vector) = record.cvss_vector() {
        return Some(match cvss3(vector) {
            Some(s) => format!(
                "CVSS Score: {:.1} / 10 ({}), vector `{}`",
                s.score, s.rating, s.vector
            ),
            None => format!("CVSS vector `{vector}`"),
        });
    }
    record
        .database_specific
        .as_ref()
        .and_then(|d| d.severity.as_deref())
        .map(|s| format!("Severity: {}", capitalize(s)))
}

fn capitalize(s: &str) -> String {
    let lower = s.to_ascii_lowercase();
    let mut chars = lower.chars();
    chars
        .next()
        .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

/// Cuts `text` to at most `limit` bytes on a character boundary, marking the cut.
pub fn truncate(text: &str, limit: usize) -> String {
    if text.len() <= limit {
        return text.to_string();
    }
    let mark = if limit >= 32 { " [truncated]" } else { "" };
    let mut end = limit - mark.len();
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{mark}", &text[..end])
}

fn tier_text(tier: Tier) -> &'static str {
    match tier {
        Tier::LockfileUpdate => "lockfile update within the existing version requirements",
        Tier::ManifestBump => "manifest version bump",
        Tier::DependentBump => {
            "dependent bump (the package that pins the vulnerable version moves to a release that accepts a fixed one, within the existing version requirements)"
        }
        Tier::Override => "override (forces the version over a dependency's own requirement)",
    }
}

/// The attribution line for the databases the records come from.
fn attribution(records: &[&Record]) -> String {
    let mut sources = Vec::new();
    let mut add = |s: &'static str| {
        if !sources.contains(&s) {
            sources.push(s);
        }
    };
    for r in records {
        let ids: Vec<&str> = r.ids().collect();
        if ids.iter().any(|i| i.starts_with("RUSTSEC-")) {
            add("the [RustSec Advisory Database](https://rustsec.org) (CC0 1.0)");
        }
        if ids.iter().any(|i| i.starts_with("GO-")) {
            add("the [Go vulnerability database](https://vuln.go.dev) (CC-BY 4.0)");
        }
        if ids.iter().any(|i| i.starts_with("PYSEC-")) {
            add("the [Python Packaging Advisory Database](https://github.com/pypa/advisory-database) (CC-BY 4.0)");
        }
        if ids.iter().any(|i| i.starts_with("GHSA-")) {
            add("the [GitHub Advisory Database](https://github.com/github/advisory-database) (CC-BY 4.0)");
        }
    }
    let mut line = String::from("This data is provided by [OSV](https://osv.dev/)");
    for s in sources {
        let _ = write!(line, " and {s}");
    }
    line.push('.');
    line
}

/// The findings a fix addresses (matching its dependencies and advisory ids).
pub fn findings_for<'a>(fix: &PackageFix, findings: &'a [Finding]) -> Vec<&'a Finding> {
    let mut out: Vec<&Finding> = Vec::new();
    for f in findings {
        if fix.dependencies.contains(&f.dependency)
            && fix.advisories.contains(&f.id)
            && !out.iter().any(|o| o.id == f.id)
        {
            out.push(f);
        }
    }
    out
}

/// The pull request description of one fix, under [`DESCRIPTION_LIMIT`].
pub fn description(
    fix: &PackageFix,
    analysis: &Analysis,
    findings: &[Finding],
    files: &[String],
    notes: &[String],
) -> String {
    let relevant = findings_for(fix, findings);
    // Full details first; shorter renderings when the limit is exceeded.
    for detail_limit in [usize::MAX, 2_000, 400, 0] {
        let text = render_description(fix, analysis, &relevant, files, notes, detail_limit);
        if text.len() <= DESCRIPTION_LIMIT {
            return text;
        }
    }
    let text = render_description(fix, analysis, &relevant, files, notes, 0);
    let mut cut = truncate(&text, DESCRIPTION_LIMIT - MARKER.len() - 1);
    cut.push('\n');
    cut.push_str(MARKER);
    cut
}

fn render_description(
    fix: &PackageFix,
    analysis: &Analysis,
    findings: &[&Finding],
    files: &[String],
    notes: &[String],
    detail_limit: usize,
) -> String {
    let mut out = String::new();
    let dev = fix
        .dependencies
        .iter()
        .all(|&i| analysis.dependencies[i].scope == Scope::Dev);
    let direct = fix
        .dependencies
        .iter()
        .any(|&i| analysis.dependencies[i].direct);
    let kind = match (dev, direct) {
        (true, _) => "devDependencies",
        (false, true) => "dependencies",
        (false, false) => "transitive",
    };
    let _ = writeln!(
        out,
        "This pull request fixes known vulnerabilities in `{}`.\n",
        fix.name
    );
    let _ = writeln!(out, "| Package | Type | Update | Change |");
    let _ = writeln!(out, "|---|---|---|---|");
    let _ = writeln!(
        out,
        "| {} ({}) | {kind} | {} | `{}` -> `{}` |\n",
        fix.name,
        fix.ecosystem,
        update_kind(fix),
        fix.from,
        fix.to
    );
    if fix.breaking {
        let _ = writeln!(
            out,
            "**Breaking change:** {} is a new major version of {}. Review its changelog and run the tests before merging.\n",
            fix.to, fix.name
        );
    }
    let _ = writeln!(out, "How: {}.\n", tier_text(fix.tier));
    if !files.is_empty() {
        let _ = writeln!(
            out,
            "Files changed: {}.\n",
            files
                .iter()
                .map(|f| format!("`{f}`"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if !notes.is_empty() {
        let _ = writeln!(out, "### Notes\n");
        for n in notes {
            let _ = writeln!(out, "- {n}");
        }
        out.push('\n');
    }
    let _ = writeln!(out, "---\n");
    let mut records = Vec::new();
    for f in findings {
        let record = f.records.first().map(|a| a.record());
        let summary = f.summary().unwrap_or_else(|| "Vulnerability".into());
        let mut ids: Vec<&str> = std::iter::once(f.id.as_str())
            .chain(f.aliases.iter().map(String::as_str))
            .collect();
        ids.sort();
        ids.dedup();
        let links: Vec<String> = ids
            .iter()
            .map(|i| format!("[{i}]({})", advisory_link(i)))
            .collect();
        let _ = writeln!(out, "### {summary}\n");
        let _ = writeln!(out, "{}\n", links.join(" / "));
        if let Some(record) = &record {
            if detail_limit > 0 {
                if let Some(details) = &record.details {
                    let _ = writeln!(
                        out,
                        "#### Details\n\n{}\n",
                        truncate(details.trim(), detail_limit)
                    );
                }
            }
            if let Some(sev) = severity_line(record) {
                let _ = writeln!(out, "#### Severity\n\n{sev}\n");
            }
            if !f.fixed.is_empty() {
                let _ = writeln!(out, "#### Fixed in\n\n{}\n", f.fixed.join(", "));
            }
            let refs: Vec<&str> = record
                .references
                .iter()
                .map(|r| r.url.as_str())
                .take(if detail_limit == 0 { 3 } else { 20 })
                .collect();
            if !refs.is_empty() {
                let _ = writeln!(out, "#### References\n");
                for r in refs {
                    let _ = writeln!(out, "- {r}");
                }
                out.push('\n');
            }
        }
        records.extend(f.records.iter().map(|a| a.record()));
    }
    let record_refs: Vec<&Record> = records.iter().map(|r| r.as_ref()).collect();
    let _ = writeln!(out, "{}\n", attribution(&record_refs));
    let _ = writeln!(out, "---\n");
    let _ = writeln!(
        out,
        "Opened by gitproxy. Re-running the remediation updates this pull request; gitproxy never merges it.\n"
    );
    out.push_str(MARKER);
    out
}

/// The review comment anchored on a changed manifest line: what is vulnerable, what the bump
/// changes, breaking-change notes, and what to do if the upgrade cannot be taken.
pub fn review_comment(fix: &PackageFix, findings: &[Finding]) -> String {
    let relevant = findings_for(fix, findings);
    let mut out = String::new();
    let _ = writeln!(out, "**{} {} is vulnerable.**\n", fix.name, fix.from);
    for f in &relevant {
        let _ = writeln!(
            out,
            "- [{}]({}): {}",
            f.id,
            advisory_link(&f.id),
            f.summary().unwrap_or_else(|| "no summary".into())
        );
    }
    let _ = writeln!(
        out,
        "\nThis change moves it to {} ({}), the lowest published version that none of these advisories affect.",
        fix.to,
        tier_text(fix.tier)
    );
    if fix.breaking {
        let _ = writeln!(
            out,
            "\n**Breaking:** {} is a new major version; expect API changes and check the changelog.",
            fix.to
        );
    }
    let _ = writeln!(
        out,
        "\nIf you cannot take this upgrade: read the advisories for mitigations, keep the vulnerable code path unused, and decline this pull request with the reason; gitproxy reports declined remediations and does not reopen them."
    );
    truncate(&out, COMMENT_LIMIT)
}

/// A failed build on a remediation's latest commit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FailedBuild {
    /// The build's key.
    pub key: String,
    /// Its display name, when set.
    pub name: Option<String>,
    /// Its link.
    pub url: String,
    /// Stopped before it finished (`CANCELLED`) rather than failed.
    pub stopped: bool,
    /// What its job log says, when a configured CI server hosts it: the excerpt, or why it
    /// could not be read.
    pub log: Option<Result<crate::ci::LogExcerpt, String>>,
}

/// The single comment listing failed builds of a commit (job logs are not retrievable from
/// Bitbucket, so it links to them).
pub fn ci_failure_comment(commit: &str, failed: &[FailedBuild]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "**CI failed on this remediation** (commit `{}`).\n",
        &commit[..commit.len().min(12)]
    );
    for b in failed {
        let _ = writeln!(
            out,
            "- [{}]({}) {}",
            b.name.as_deref().unwrap_or(&b.key),
            b.url,
            if b.stopped { "was stopped" } else { "failed" }
        );
        match &b.log {
            Some(Ok(log)) if !log.lines.is_empty() => {
                let _ = match &log.command {
                    Some(command) => writeln!(
                        out,
                        "\n  The build fails in `{}` after the upgrade:\n",
                        command.replace('`', "'")
                    ),
                    None => writeln!(out, "\n  The job log says:\n"),
                };
                out.push_str("  ```text\n");
                if log.truncated {
                    out.push_str("  …\n");
                }
                for line in &log.lines {
                    let _ = writeln!(out, "  {}", line.replace("```", "'''"));
                }
                out.push_str("  ```\n");
            }
            Some(Ok(_)) | None => {}
            Some(Err(reason)) => {
                let _ = writeln!(out, "  (gitproxy could not read its job log: {reason})");
            }
        }
    }
    if failed.iter().any(|b| b.log.is_none()) {
        let _ = writeln!(
            out,
            "\nBitbucket does not make job logs available through its API; gitproxy reads them only from CI servers configured in its settings (Jenkins, Bamboo), so open the links above. If the failure comes from the upgrade, see the review comments for what to do when it cannot be taken."
        );
    } else {
        let _ = writeln!(
            out,
            "\nIf the failure comes from the upgrade, see the review comments for what to do when it cannot be taken."
        );
    }
    out.push_str(&ci_marker(commit));
    truncate(&out, COMMENT_LIMIT)
}

/// The marker that keeps the CI comment to one per commit.
pub fn ci_marker(commit: &str) -> String {
    format!("\n<!-- gitproxy:ci-failed:{commit} -->")
}

#[cfg(test)]
mod tests;
