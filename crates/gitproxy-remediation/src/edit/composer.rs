//! Packagist edits: the constraint of a direct package in `composer.json` is raised to the fixed
//! version (keeping the author's operator), and `composer.lock` is left to Composer, whose
//! `content-hash` and dist metadata an in-place edit cannot produce without the registry: the
//! pull request names `composer update NAME`.

use super::{edit_error, splice, Work};
use crate::analysis::Dependency;
use crate::files::LineIndex;
use crate::json;
use crate::plan::{LockfileRefresh, PackageFix, Tier};
use crate::Error;

pub(super) fn edit(work: &mut Work, fix: &PackageFix, dep: &Dependency) -> Result<(), Error> {
    let is_lock = dep.location.file.ends_with("composer.lock");
    let manifest = match &dep.declared_in {
        Some(d) => Some(d.clone()),
        None if !is_lock => Some(dep.location.clone()),
        None => None,
    };
    if dep.direct && (fix.tier == Tier::ManifestBump || !is_lock) {
        if let Some(at) = manifest {
            let text = work.text(&at.file)?;
            let root = json::parse(&text).map_err(|(_, e)| edit_error(&at.file, e))?;
            let lines = LineIndex::new(&text);
            let found = ["require", "require-dev"]
                .iter()
                .filter_map(|s| root.get(s))
                .flat_map(json::Node::members)
                .find(|m| {
                    m.key.eq_ignore_ascii_case(&dep.name) && lines.line(m.key_start) == at.line
                });
            let Some(member) = found else {
                return Err(edit_error(
                    &at.file,
                    format!("no `{}` requirement on line {}", dep.name, at.line),
                ));
            };
            let old = member.value.as_str().unwrap_or("");
            let new = json::quote(&bumped_constraint(old, &fix.to));
            let edited = splice(&text, vec![(member.value.start, member.value.end, new)]);
            work.write(&at.file, edited);
        }
    }
    if is_lock {
        if let LockfileRefresh::Command(command) = &fix.lockfile {
            work.out.needs_package_manager = true;
            work.out.note(format!(
                "{} was not updated because Composer recomputes its content-hash and the new version's metadata: run `{command}`",
                dep.location.file
            ));
        }
    }
    Ok(())
}

/// The constraint after the bump: the author's operator (`^`, `~`, `>=`) on the fixed version,
/// an exact pin moved to it, and anything more complex (alternatives, ranges) replaced by `^to`.
pub(crate) fn bumped_constraint(old: &str, to: &str) -> String {
    let old = old.trim();
    let simple = !old.contains([' ', ',', '|']);
    for op in ["^", "~", ">=", "=="] {
        if simple && old.starts_with(op) {
            return format!("{op}{to}");
        }
    }
    if simple && old.starts_with(|c: char| c.is_ascii_digit() || c == 'v') && !old.contains('*') {
        return to.to_string();
    }
    format!("^{to}")
}

#[cfg(test)]
mod tests;
