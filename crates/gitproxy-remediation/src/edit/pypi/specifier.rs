//! What the Pipenv and uv fixes share: a PEP 440 specifier raised to admit a version, the checks
//! that the new release fits the lock as it stands (the other packages' requirements on it, its
//! own dependencies), and the relock note when it does not.

use std::collections::BTreeSet;

use super::lock::marker_admits;
use super::requires::Requires;
use crate::edit::Work;
use crate::registry::{PypiRelease, Registry};
use crate::version::{Requirement, Version};
use crate::{Ecosystem, Error};

/// `spec` (`==2.25.1`, `>=2.25,<3`, `~=2.25`) raised so that it admits `to`: exact pins and
/// lower bounds move to `to`, upper bounds and exclusions that still admit it stay, the others
/// are dropped. `None` when `to` is not a PEP 440 version.
pub(crate) fn bump_specifier(spec: &str, to: &str) -> Option<String> {
    let target = Version::parse(Ecosystem::PyPI, to).ok()?;
    let mut out: Vec<String> = Vec::new();
    let mut lower = false;
    for clause in spec.split(',').map(str::trim).filter(|c| !c.is_empty()) {
        let clause = clause.replace(' ', "");
        let op_len = clause
            .find(|c: char| !matches!(c, '<' | '>' | '=' | '!' | '~'))
            .unwrap_or(clause.len());
        let op = &clause[..op_len];
        match op {
            "==" | "===" if !clause.ends_with(".*") => {
                out.push(format!("=={to}"));
                lower = true;
            }
            ">=" | ">" | "~=" => {
                out.push(format!("{}{to}", if op == "~=" { "~=" } else { ">=" }));
                lower = true;
            }
            _ => {
                let keeps =
                    Requirement::parse(Ecosystem::PyPI, &clause).is_ok_and(|r| r.matches(&target));
                if keeps {
                    out.push(clause);
                }
            }
        }
    }
    if !lower {
        out.insert(0, format!(">={to}"));
    }
    Some(out.join(","))
}

/// Whether a PEP 440 specifier admits `version` (any version when it is empty or unreadable).
pub(crate) fn admits(spec: &str, version: &str) -> bool {
    let spec = spec.replace(' ', "");
    if spec.is_empty() || spec == "*" {
        return true;
    }
    let Ok(v) = Version::parse(Ecosystem::PyPI, version) else {
        return true;
    };
    Requirement::parse(Ecosystem::PyPI, &spec).map_or(true, |r| r.matches(&v))
}

/// The canonical names a release requires outside its extras, on `python` when known (a
/// requirement whose Python marker excludes it is left out).
pub(crate) fn required_names(release: &PypiRelease, python: Option<&str>) -> BTreeSet<String> {
    release
        .requires_dist
        .iter()
        .filter_map(|r| Requires::parse(r))
        .filter(|r| r.in_extras.is_empty())
        .filter(|r| match (&r.marker, python) {
            (Some(m), Some(p)) => marker_admits(m, p),
            _ => true,
        })
        .map(|r| r.key())
        .collect()
}

/// What a lock knows around the package being moved.
pub(crate) struct Context<'a> {
    /// Every locked `(canonical name, version)`.
    pub locked: &'a [(String, String)],
    /// The dependencies the lock records for the package, when it records them (uv).
    pub recorded: Option<BTreeSet<String>>,
    /// The lowest Python the lock is for, when it says.
    pub python: Option<String>,
}

/// Why `name` cannot move to `to` inside the lock as it stands, or `None` when it can: its
/// dependencies at `to` must be the ones the lock records (or the ones at `from`) and all be
/// locked in versions they admit (a new or dropped dependency needs the resolver), and every
/// locked package must admit `to`. Releases the registry does not describe are not checked.
pub(crate) async fn misfit(
    registry: &dyn Registry,
    name: &str,
    from: &str,
    to: &str,
    lock: Context<'_>,
) -> Result<Option<String>, Error> {
    let key = Ecosystem::PyPI.normalize_name(name);
    let locked = lock.locked;
    let python = lock.python.as_deref();
    let Some(new) = registry.pypi_release(name, to).await? else {
        return Ok(Some(format!(
            "the registry gave no dependencies for {name} {to}"
        )));
    };
    let now = required_names(&new, python);
    let was = match lock.recorded {
        Some(recorded) => Some(recorded),
        None => registry
            .pypi_release(name, from)
            .await?
            .map(|old| required_names(&old, python)),
    };
    if let Some(missing) = now.iter().find(|d| !locked.iter().any(|(n, _)| n == *d)) {
        return Ok(Some(format!(
            "{name} {to} needs {missing}, which the lock does not hold"
        )));
    }
    if let Some(was) = was {
        if was != now {
            let added: Vec<&String> = now.difference(&was).collect();
            let dropped: Vec<&String> = was.difference(&now).collect();
            return Ok(Some(format!(
                "{name} {to} changes its dependencies (new: {added:?}, dropped: {dropped:?})"
            )));
        }
    }
    for r in new.requires_dist.iter().filter_map(|r| Requires::parse(r)) {
        if !r.in_extras.is_empty() {
            continue;
        }
        let dep = r.key();
        for (_, version) in locked.iter().filter(|(n, _)| *n == dep) {
            if !admits(&r.spec, version) {
                return Ok(Some(format!(
                    "{name} {to} requires {} {}, and the lock holds {version}",
                    r.name, r.spec
                )));
            }
        }
    }
    for (parent, version) in locked.iter().filter(|(n, _)| *n != key) {
        let Some(release) = registry.pypi_release(parent, version).await? else {
            continue;
        };
        for r in release
            .requires_dist
            .iter()
            .filter_map(|r| Requires::parse(r))
        {
            if r.in_extras.is_empty() && r.key() == key && !admits(&r.spec, to) {
                return Ok(Some(format!(
                    "{parent} {version} requires {name} {}",
                    r.spec
                )));
            }
        }
    }
    Ok(None)
}

/// Leaves the lock to the package manager: the note names why and the command.
pub(crate) fn relock_note(work: &mut Work, path: &str, why: &str, command: &str) {
    work.out.needs_package_manager = true;
    work.out.relock = Some(command.to_string());
    work.out
        .note(format!("{path} was not updated: {why}; run `{command}`"));
}
