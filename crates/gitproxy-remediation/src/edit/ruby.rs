//! RubyGems edits. When the plan lets the agent refresh `Gemfile.lock` (every requirement on the
//! gem accepts the fixed version and the registry lists the same runtime dependencies for it as
//! the lockfile records for the current one), only the gem's spec lines move, every platform
//! variant, with its `CHECKSUMS` line (Bundler 2.5+) getting the registry's SHA-256: that is the
//! lockfile `bundle update --conservative NAME` writes when nothing else has to move. When the
//! requirement of a direct gem in the `Gemfile` (or `gems.rb`) has to move so that Bundler must
//! pick the fixed version, the spec lines move the same way and the gem's `DEPENDENCIES` line
//! takes the new requirement as Bundler writes it, once the old line is confirmed to be the old
//! requirement so written. Otherwise `Gemfile.lock` is left as it was and the pull request names
//! `bundle update --conservative NAME`.

use super::{edit_error, leave_to_package_manager, manifest_to_bump, relock_instead, splice, Work};
use crate::analysis::ruby::parse_gemfile;
use crate::analysis::{file_name, Dependency};
use crate::plan::{LockfileRefresh, PackageFix};
use crate::registry::{GemBuild, Registry};
use crate::version::rubygems::{Requirement, Version};
use crate::Error;

pub(super) async fn edit(
    work: &mut Work,
    fix: &PackageFix,
    dep: &Dependency,
    registry: &dyn Registry,
) -> Result<(), Error> {
    let is_lock = matches!(
        file_name(&dep.location.file),
        "Gemfile.lock" | "gems.locked"
    );
    let mut moved = None;
    if let Some(at) = manifest_to_bump(fix, dep, is_lock) {
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
        let new_requirements = requirement_args(&g.requirements, &fix.to);
        moved = Some((
            at.file.clone(),
            g.requirements.clone(),
            new_requirements.clone(),
        ));
        let args = new_requirements
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
    if is_lock {
        match &fix.lockfile {
            LockfileRefresh::Command(command) | LockfileRefresh::LeftByEdit(command) => {
                leave_to_package_manager(work, &dep.location.file, "Bundler", command);
            }
            LockfileRefresh::Agent => {
                let Some(builds) = registry.gem_release(&fix.name, &fix.to).await? else {
                    return Err(edit_error(
                        &dep.location.file,
                        format!("the registry no longer describes {} {}", fix.name, fix.to),
                    ));
                };
                let text = work.text(&dep.location.file)?;
                let mut bumped = bump_lock(&text, &fix.name, &fix.from, &fix.to, &builds)
                    .map_err(|e| edit_error(&dep.location.file, e))?;
                if let Some((gemfile, old, new)) = &moved {
                    match move_dependency(&bumped, &fix.name, old, new) {
                        Ok(with_line) => bumped = with_line,
                        Err(reason) => {
                            // The requirement still moves; Bundler writes the lock.
                            let command = format!("bundle update --conservative {}", fix.name);
                            let lock = &dep.location.file;
                            relock_instead(work, lock, gemfile, &reason, "Bundler", &command);
                            return Ok(());
                        }
                    }
                }
                work.write(&dep.location.file, bumped);
            }
            LockfileRefresh::NotApplicable => {}
        }
    }
    Ok(())
}

/// `Gemfile.lock` with the `GEM` spec lines `name (from[-platform])` moved to `to` and the
/// matching `CHECKSUMS` lines (`name (from[-platform]) sha256=HEX`) given the SHA-256 of the new
/// build; every other byte is kept. Fails when the lockfile does not hold `name (from)` or a
/// platform it locks has no build (with a SHA-256, when a checksum is recorded) among `builds`.
pub(crate) fn bump_lock(
    text: &str,
    name: &str,
    from: &str,
    to: &str,
    builds: &[GemBuild],
) -> Result<String, String> {
    let mut out = String::with_capacity(text.len() + 16);
    let mut section = "";
    let mut moved = 0;
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches(['\n', '\r']);
        let ending = &line[body.len()..];
        let indent = body.len() - body.trim_start_matches(' ').len();
        if indent == 0 && !body.is_empty() {
            section = body;
        }
        let spec_indent = match section {
            "GEM" => 4,
            "CHECKSUMS" => 2,
            _ => usize::MAX,
        };
        let entry = (indent == spec_indent)
            .then(|| body[indent..].strip_prefix(name)?.strip_prefix(" ("))
            .flatten()
            .and_then(|rest| rest.split_once(')'));
        let Some((paren, tail)) = entry else {
            out.push_str(line);
            continue;
        };
        let (version, platform) = match paren.split_once('-') {
            Some((v, p)) => (v, Some(p)),
            None => (paren, None),
        };
        if version != from {
            out.push_str(line);
            continue;
        }
        let wanted = platform.unwrap_or("ruby");
        let build = builds
            .iter()
            .find(|b| b.platform == wanted)
            .ok_or_else(|| {
                format!("{name} {to} has no {wanted} build, which the lockfile locks")
            })?;
        let paren = match platform {
            Some(p) => format!("{to}-{p}"),
            None => to.to_string(),
        };
        let tail = match tail.trim_start().strip_prefix("sha256=") {
            Some(_) if section == "CHECKSUMS" => {
                let sha = build.sha256.as_deref().ok_or_else(|| {
                    format!("the registry gave no SHA-256 for {name} {to} ({wanted})")
                })?;
                format!(" sha256={sha}")
            }
            _ => tail.to_string(),
        };
        out.push_str(&format!(
            "{}{name} ({paren}){tail}{ending}",
            &body[..indent]
        ));
        moved += usize::from(section == "GEM");
    }
    if moved == 0 {
        return Err(format!("no `{name} ({from})` spec in the lockfile"));
    }
    Ok(out)
}

/// `lock` with the `DEPENDENCIES` line of `name` moved from the `Gemfile` requirement `old` to
/// `new`, written as Bundler writes it; refused when the line there is not `old` so written.
pub(super) fn move_dependency(
    lock: &str,
    name: &str,
    old: &[String],
    new: &[String],
) -> Result<String, String> {
    let mut out = String::with_capacity(lock.len() + 16);
    let mut section = "";
    let mut found = false;
    for line in lock.split_inclusive('\n') {
        let body = line.trim_end_matches(['\n', '\r']);
        if !body.starts_with(' ') && !body.is_empty() {
            section = body;
        }
        let entry = body
            .strip_prefix("  ")
            .filter(|rest| section == "DEPENDENCIES" && !rest.starts_with(' '))
            .and_then(|rest| rest.strip_prefix(name))
            .filter(|tail| tail.is_empty() || tail.starts_with([' ', '!']));
        let Some(tail) = entry else {
            out.push_str(line);
            continue;
        };
        let (requirement, bang) = match tail.strip_suffix('!') {
            Some(t) => (t, "!"),
            None => (tail, ""),
        };
        if requirement != lock_requirement(old) {
            return Err(format!(
                "its `DEPENDENCIES` line for {name} is `{}`, not the Gemfile's requirement as Bundler writes it (`{name}{}`); the lock may be stale",
                body.trim(),
                lock_requirement(old)
            ));
        }
        out.push_str(&format!(
            "  {name}{}{bang}{}",
            lock_requirement(new),
            &line[body.len()..]
        ));
        found = true;
    }
    if !found {
        return Err(format!("it has no `DEPENDENCIES` line for {name}"));
    }
    Ok(out)
}

/// A `Gemfile` requirement as Bundler writes it after a `DEPENDENCIES` name: ` (REQ, REQ)` with
/// a bare version read as `= VERSION`, the parts sorted and reversed (`Gem::Dependency#to_lock`),
/// and nothing for no requirement or `>= 0`.
fn lock_requirement(requirements: &[String]) -> String {
    let mut parts: Vec<String> = requirements
        .iter()
        .map(|r| {
            let r = r.trim();
            let op_end = r
                .find(|c: char| c.is_ascii_alphanumeric())
                .unwrap_or(r.len());
            match r[..op_end].trim() {
                "" => format!("= {r}"),
                op => format!("{op} {}", r[op_end..].trim()),
            }
        })
        .filter(|r| r != ">= 0")
        .collect();
    parts.sort();
    parts.dedup();
    parts.reverse();
    if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join(", "))
    }
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
