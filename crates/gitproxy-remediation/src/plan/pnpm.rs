//! What a `pnpm-lock.yaml` does not record but planning needs: the ranges the parents of a
//! transitive dependency place on it, read from the parents' manifests in the npm registry,
//! and the parent releases that accept a fix the current parents exclude (the parent bump).

use crate::analysis::{Analysis, Dependency};
use crate::json;
use crate::registry::Registry;
use crate::version::{Requirement, Version};
use crate::{Ecosystem, Error};

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

/// A parent that moves to a release accepting the fix: `name` from `from` to `to`, whose
/// range on the fixed package is `range`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ParentMove {
    pub(crate) name: String,
    pub(crate) from: String,
    pub(crate) to: String,
    pub(crate) range: String,
}

/// The parent bumps that let `dep` move to `to` without an override: for every parent whose
/// range excludes `to`, its lowest later release of the same major whose range accepts `to`
/// and that every range on the parent itself (its own parents', or the importer's specifier)
/// accepts. `None` when some parent has no such release or the registry cannot say.
pub(crate) async fn parent_moves(
    analysis: &Analysis,
    dep: &Dependency,
    to: &str,
    registry: &dyn Registry,
) -> Result<Option<Vec<ParentMove>>, Error> {
    let Ok(target) = Version::parse(Ecosystem::Npm, to) else {
        return Ok(None);
    };
    let accepts = |range: &str, v: &Version| {
        Requirement::parse(Ecosystem::Npm, range).is_ok_and(|r| r.matches(v))
    };
    let mut moves = Vec::new();
    for parent in &dep.parents {
        let Some((name, from)) = crate::analysis::pnpm::split_key(parent) else {
            return Ok(None);
        };
        let Some(range) = parent_range(registry, name, from, &dep.name).await? else {
            return Ok(None);
        };
        if accepts(&range, &target) {
            continue;
        }
        let Some(parent_dep) = analysis.dependencies.iter().find(|d| {
            d.name == name
                && d.version.as_deref() == Some(from)
                && d.location.file == dep.location.file
        }) else {
            return Ok(None);
        };
        let mut on_parent: Vec<String> = parent_dep.requirement.iter().cloned().collect();
        for grandparent in &parent_dep.parents {
            let Some((g, gv)) = crate::analysis::pnpm::split_key(grandparent) else {
                return Ok(None);
            };
            match parent_range(registry, g, gv, name).await? {
                Some(r) => on_parent.push(r),
                None => return Ok(None),
            }
        }
        let Ok(current) = Version::parse(Ecosystem::Npm, from) else {
            return Ok(None);
        };
        let mut candidates: Vec<(Version, String)> = registry
            .versions(Ecosystem::Npm, name)
            .await?
            .into_iter()
            .filter(|v| !v.yanked)
            .filter_map(|v| Some((Version::parse(Ecosystem::Npm, &v.version).ok()?, v.version)))
            .filter(|(v, _)| *v > current && !current.is_breaking_to(v) && !v.is_prerelease())
            .filter(|(v, _)| on_parent.iter().all(|r| accepts(r, v)))
            .collect();
        candidates.sort();
        let mut found = None;
        for (_, version) in candidates {
            if let Some(r) = parent_range(registry, name, &version, &dep.name).await? {
                if accepts(&r, &target) {
                    found = Some(ParentMove {
                        name: name.to_string(),
                        from: from.to_string(),
                        to: version,
                        range: r,
                    });
                    break;
                }
            }
        }
        match found {
            Some(m) => moves.push(m),
            None => return Ok(None),
        }
    }
    Ok(Some(moves))
}
