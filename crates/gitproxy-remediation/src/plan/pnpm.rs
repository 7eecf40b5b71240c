//! What a `pnpm-lock.yaml` does not record but planning needs: the ranges the parents of a
//! transitive dependency place on it, read from the parents' manifests in the npm registry.

use crate::analysis::Dependency;
use crate::json;
use crate::registry::Registry;
use crate::Error;

/// Whether the occurrence is an entry of a `pnpm-lock.yaml`.
pub(crate) fn is_pnpm(dep: &Dependency) -> bool {
    dep.location.file.rsplit('/').next() == Some("pnpm-lock.yaml")
}

/// `dep` with the ranges its parents declare on it as constraints, when the registry gives
/// every parent's manifest; `dep` unchanged otherwise.
pub(super) async fn with_constraints(
    dep: &Dependency,
    registry: &dyn Registry,
) -> Result<Dependency, Error> {
    let mut ranges = Vec::new();
    for parent in &dep.parents {
        let Some((name, version)) = crate::analysis::pnpm::split_key(parent) else {
            return Ok(dep.clone());
        };
        match parent_range(registry, name, version, &dep.name).await? {
            Some(range) => ranges.push(range),
            None => return Ok(dep.clone()),
        }
    }
    ranges.sort();
    ranges.dedup();
    let mut out = dep.clone();
    out.constraints = ranges;
    Ok(out)
}

/// The range `name@version`'s manifest declares on `on`.
pub(crate) async fn parent_range(
    registry: &dyn Registry,
    name: &str,
    version: &str,
    on: &str,
) -> Result<Option<String>, Error> {
    let Some(text) = registry.npm_manifest(name, version).await? else {
        return Ok(None);
    };
    let Ok(root) = json::parse(&text) else {
        return Ok(None);
    };
    Ok(["dependencies", "optionalDependencies", "peerDependencies"]
        .iter()
        .find_map(|s| root.get(s).and_then(|d| d.get(on)).and_then(|r| r.as_str()))
        .map(String::from))
}
