//! A uv.lock move whose new release depends on other packages than the lock records: the
//! dependencies it adds join the lock at the highest version its requirement allows whose
//! Requires-Python admits the lock's Python (as uv picks), and packages nothing reaches any more
//! leave it. Anything that would need the resolver further (a new package's own new
//! dependencies, markers, extras) is refused with the reason.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use super::super::lock::joining;
use super::super::requires::Requires;
use super::super::specifier::required_names;
use super::files_text;
use crate::analysis::pypi::uv::Package;
use crate::registry::{PypiRelease, Registry};
use crate::Error;

/// What the move changes besides the package's own entry.
#[derive(Debug, Default)]
pub(super) struct Changes {
    /// The moved package's dependencies, sorted.
    pub deps: Vec<String>,
    /// New `[[package]]` blocks by name.
    pub added: BTreeMap<String, (String, String)>,
    /// Packages nothing reaches any more.
    pub dropped: BTreeSet<String>,
}

/// The changes that bring the lock's packages in line with `release` (of the package `key`), or
/// why it cannot be done without uv.
pub(super) async fn reconcile(
    registry: &dyn Registry,
    key: &str,
    release: &PypiRelease,
    pkgs: &[Package],
    python: Option<&str>,
    source_line: &str,
    upload_times: bool,
) -> Result<Result<Changes, String>, Error> {
    let mut changes = Changes::default();
    let reqs: Vec<Requires> = release
        .requires_dist
        .iter()
        .filter_map(|r| Requires::parse(r))
        .filter(|r| r.in_extras.is_empty())
        .collect();
    if let Some(r) = reqs
        .iter()
        .find(|r| r.marker.is_some() || !r.extras.is_empty())
    {
        return Ok(Err(format!(
            "{key}'s requirement `{}` carries a marker or extras uv resolves itself",
            r.extras_entry()
        )));
    }
    changes.deps = required_names(release, python).into_iter().collect();
    let mut added_deps: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in &reqs {
        let dep = r.key();
        if pkgs.iter().any(|p| p.name == dep) {
            continue;
        }
        let (version, own, mut files) = match joining(registry, r, python).await? {
            Ok(found) => found,
            Err(why) => return Ok(Err(why)),
        };
        if let Some(missing) = required_names(&own, python)
            .into_iter()
            .find(|d| !pkgs.iter().any(|p| p.name == *d))
        {
            return Ok(Err(format!(
                "{} {version} needs {missing}, which the lock does not hold",
                r.name
            )));
        }
        files.sort_by(|a, b| a.filename.cmp(&b.filename));
        let mut block = format!(
            "[[package]]\nname = {}\nversion = {}\n{source_line}\n",
            super::toml_string(&dep),
            super::toml_string(&version)
        );
        let own_deps: Vec<String> = required_names(&own, python).into_iter().collect();
        block.push_str(&super::deps_text(&own_deps));
        block.push_str(&files_text(&files, upload_times));
        added_deps.insert(dep.clone(), own_deps);
        changes.added.insert(dep, (version, block));
    }
    // What the members reach once the package depends on `deps` and the new packages are in.
    let mut edges: BTreeMap<String, Vec<String>> = added_deps;
    for p in pkgs {
        let deps = if p.name == key {
            changes.deps.clone()
        } else {
            let mut d: Vec<String> = p.deps.iter().map(|(n, _)| n.clone()).collect();
            if p.is_member() {
                d.extend(p.dev_deps.iter().map(|(n, _)| n.clone()));
            }
            d
        };
        edges.entry(p.name.clone()).or_default().extend(deps);
    }
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut queue: VecDeque<String> = pkgs
        .iter()
        .filter(|p| p.is_member())
        .map(|p| p.name.clone())
        .collect();
    while let Some(name) = queue.pop_front() {
        if !seen.insert(name.clone()) {
            continue;
        }
        queue.extend(edges.get(&name).into_iter().flatten().cloned());
    }
    changes.dropped = pkgs
        .iter()
        .filter(|p| p.source == "registry" && !seen.contains(&p.name))
        .map(|p| p.name.clone())
        .collect();
    Ok(Ok(changes))
}
