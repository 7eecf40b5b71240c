//! The next tier of a `poetry.lock` fix: a locked package whose requirement excludes the fixed
//! version moves to its lowest later release that accepts it (Requires-Python admitting the
//! project's Python), as Poetry would pick when told to update both.

use super::lock::{admits_python, marker_admits, satisfies};
use super::requires::Requires;
use crate::registry::Registry;
use crate::version::Version;
use crate::{Ecosystem, Error};

/// How many dependents deep a fix may climb, as for Cargo.
pub(super) const MAX_CLIMB: usize = 3;

/// The lowest published, non-yanked final release of `name` after `from` whose requirements on
/// `dep` (those whose markers hold on `python`) all accept `dep_to`.
pub(super) async fn lowest_accepting(
    registry: &dyn Registry,
    name: &str,
    from: &str,
    dep: &str,
    dep_to: &str,
    python: Option<&str>,
) -> Result<Option<String>, Error> {
    let Ok(current) = Version::parse(Ecosystem::PyPI, from) else {
        return Ok(None);
    };
    let mut candidates: Vec<(Version, String)> = Vec::new();
    for rv in registry.versions(Ecosystem::PyPI, name).await? {
        let Ok(v) = Version::parse(Ecosystem::PyPI, &rv.version) else {
            continue;
        };
        if !rv.yanked && !v.is_prerelease() && v > current {
            candidates.push((v, rv.version));
        }
    }
    candidates.sort_by(|a, b| a.0.cmp(&b.0));
    for (_, version) in candidates {
        let Some(release) = registry.pypi_release(name, &version).await? else {
            continue;
        };
        if !admits_python(&release, python) {
            continue;
        }
        let accepts = release
            .requires_dist
            .iter()
            .filter_map(|r| Requires::parse(r))
            .filter(|r| r.in_extras.is_empty() && r.key() == dep)
            .filter(|r| match (&r.marker, python) {
                (Some(m), Some(p)) => marker_admits(m, p),
                _ => true,
            })
            .all(|r| satisfies(r.constraint(), dep_to));
        if accepts {
            return Ok(Some(version));
        }
    }
    Ok(None)
}
