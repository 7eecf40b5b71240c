//! RubyGems edits: the requirement of a direct gem in the `Gemfile` (or `gems.rb`) is raised so
//! that Bundler must pick the fixed version, and `Gemfile.lock` is left to Bundler: an in-place
//! lockfile bump is only safe with the new version's dependencies from a registry, which the
//! agent does not read for RubyGems, so the pull request names `bundle update --conservative`.

use super::{edit_error, splice, Work};
use crate::analysis::ruby::parse_gemfile;
use crate::analysis::Dependency;
use crate::plan::{LockfileRefresh, PackageFix, Tier};
use crate::version::rubygems::{Requirement, Version};
use crate::Error;

pub(super) fn edit(work: &mut Work, fix: &PackageFix, dep: &Dependency) -> Result<(), Error> {
    let is_lock = matches!(
        dep.location.file.rsplit('/').next(),
        Some("Gemfile.lock" | "gems.locked")
    );
    let manifest = match &dep.declared_in {
        Some(d) => Some(d.clone()),
        None if !is_lock => Some(dep.location.clone()),
        None => None,
    };
    if dep.direct && (fix.tier == Tier::ManifestBump || !is_lock) {
        if let Some(at) = manifest {
            let text = work.text(&at.file)?;
            let Some((g, _)) = parse_gemfile(&text)
                .into_iter()
                .find(|(g, line)| *line == at.line && g.name == dep.name)
            else {
                return Err(edit_error(
                    &at.file,
                    format!("no `gem \"{}\"` on line {}", dep.name, at.line),
                ));
            };
            let start = line_start(&text, at.line);
            let args = requirement_args(&g.requirements, &fix.to)
                .iter()
                .map(|r| format!("{q}{r}{q}", q = g.quote))
                .collect::<Vec<_>>()
                .join(", ");
            let replacement = if g.requirements.is_empty() {
                format!(", {args}")
            } else {
                args
            };
            let edited = splice(
                &text,
                vec![(start + g.span.0, start + g.span.1, replacement)],
            );
            work.write(&at.file, edited);
        }
    }
    if is_lock {
        if let LockfileRefresh::Command(command) = &fix.lockfile {
            work.out.needs_package_manager = true;
            work.out.note(format!(
                "{} was not updated because an in-place bump needs {} {}'s dependencies from a registry: run `{command}`",
                dep.location.file, fix.name, fix.to
            ));
        }
    }
    Ok(())
}

/// Byte offset of the start of one-based `line`.
fn line_start(text: &str, line: u32) -> usize {
    let mut at = 0;
    for _ in 1..line {
        match text[at..].find('\n') {
            Some(i) => at += i + 1,
            None => break,
        }
    }
    at
}

/// The requirement arguments after the bump: each constraint that excludes `to` is moved to it
/// (`~> 6.1.0` becomes `~> 7.0.8` for 7.0.8.1, keeping its precision; `= 1.2` becomes `= to`),
/// an upper bound that excludes it is dropped, and the lower bound becomes `>= to`.
pub(crate) fn requirement_args(old: &[String], to: &str) -> Vec<String> {
    let Ok(target) = Version::parse(to) else {
        return vec![format!(">= {to}")];
    };
    let allows = |req: &str, v: &Version| Requirement::parse(req).is_ok_and(|r| r.matches(v));
    let mut out: Vec<String> = Vec::new();
    for req in old {
        if allows(req, &target) {
            out.push(req.clone());
            continue;
        }
        let r = req.trim();
        if let Some(v) = r.strip_prefix("~>") {
            let precision = v.trim().split('.').count().max(2);
            let kept: Vec<&str> = to.split('.').take(precision).collect();
            out.push(format!("~> {}", kept.join(".")));
        } else if r.starts_with('=') || r.starts_with(|c: char| c.is_ascii_digit()) {
            out.push(format!("= {to}"));
        }
        // An upper bound (`<`, `<=`) or an exclusion that rules the fix out is dropped.
    }
    // A floor at the fixed version, unless the fix is pinned exactly: the relock may then not
    // keep (or pick) a vulnerable version the other constraints still allow.
    if !out.iter().any(|r| r.starts_with('=')) {
        out.retain(|r| !r.starts_with('>'));
        out.push(format!(">= {to}"));
    }
    out
}

#[cfg(test)]
mod tests;
