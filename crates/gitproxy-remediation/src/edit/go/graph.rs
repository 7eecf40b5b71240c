//! The module requirements a Go fix brings along: the new version's `go.mod` requirements,
//! raised in the main `go.mod` under minimal version selection (the maximum of every
//! requirement) or added with `// indirect`, and the `go.sum` lines the new build list needs.

use std::collections::{BTreeMap, BTreeSet};

use crate::registry::{go_hash1, Registry};
use crate::version::Version;
use crate::{Ecosystem, Error};

/// The `require`s of a `go.mod` (both the single-line and the block form), comments ignored.
pub(super) fn requires(gomod: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut in_block = false;
    for line in gomod.lines() {
        let code = line.split("//").next().unwrap_or("").trim();
        if in_block {
            if code == ")" {
                in_block = false;
                continue;
            }
            if let Some((m, v)) = pair(code) {
                out.push((m, v));
            }
        } else if let Some(rest) = code.strip_prefix("require") {
            let rest = rest.trim();
            if rest == "(" {
                in_block = true;
            } else if let Some((m, v)) = pair(rest) {
                out.push((m, v));
            }
        }
    }
    out
}

fn pair(code: &str) -> Option<(String, String)> {
    let mut parts = code.split_whitespace();
    let m = parts.next()?.trim_matches('"');
    let v = parts.next()?;
    Some((m.to_string(), v.to_string()))
}

/// Whether version `a` is newer than `b` (semver order; unparsable versions never are).
pub(super) fn newer(a: &str, b: &str) -> bool {
    match (
        Version::parse(Ecosystem::Go, a),
        Version::parse(Ecosystem::Go, b),
    ) {
        (Ok(a), Ok(b)) => a > b,
        _ => false,
    }
}

/// The `go` directive's version as (major, minor).
pub(super) fn go_directive(gomod: &str) -> (u64, u64) {
    gomod
        .lines()
        .find_map(|l| l.trim().strip_prefix("go "))
        .map(|v| {
            let mut p = v.trim().split('.').map(|x| x.parse().unwrap_or(0));
            (p.next().unwrap_or(0), p.next().unwrap_or(0))
        })
        .unwrap_or((0, 0))
}

/// What the fix does to the module graph.
#[derive(Debug, Default)]
pub(super) struct Moves {
    /// Module -> (old version, if required before; new version).
    pub changed: BTreeMap<String, (Option<String>, String)>,
    /// Every (module, version) some fetched `go.mod` requires: their `/go.mod` hashes belong
    /// in `go.sum`.
    pub referenced: BTreeSet<(String, String)>,
}

/// Follows the `go.mod` of every version that moves, raising or adding requirements until
/// nothing changes. `selected` is the main module's requirement list. `Ok(None)` when the
/// registry has no `go.mod` for a version.
pub(super) async fn resolve(
    registry: &dyn Registry,
    selected: &BTreeMap<String, String>,
    module: &str,
    from: &str,
    to: &str,
) -> Result<Option<Moves>, Error> {
    let mut moves = Moves::default();
    let mut now = selected.clone();
    now.insert(module.to_string(), to.to_string());
    moves
        .changed
        .insert(module.to_string(), (Some(from.to_string()), to.to_string()));
    let mut queue = vec![(module.to_string(), to.to_string())];
    let mut seen = BTreeSet::new();
    while let Some((m, v)) = queue.pop() {
        if !seen.insert((m.clone(), v.clone())) {
            continue;
        }
        let Some(gomod) = registry.go_mod(&m, &v).await? else {
            return Ok(None);
        };
        for (dep, want) in requires(&gomod) {
            moves.referenced.insert((dep.clone(), want.clone()));
            let current = now.get(&dep).cloned();
            if current.as_deref().is_some_and(|c| !newer(&want, c)) {
                continue;
            }
            now.insert(dep.clone(), want.clone());
            let old = selected.get(&dep).cloned();
            moves.changed.insert(dep.clone(), (old, want.clone()));
            queue.push((dep, want));
        }
    }
    Ok(Some(moves))
}

/// The `h1:` hash of a `go.mod` file as `go.sum` records it.
pub(super) async fn go_mod_hash(
    registry: &dyn Registry,
    module: &str,
    version: &str,
) -> Result<Option<String>, Error> {
    let Some(text) = registry.go_mod(module, version).await? else {
        return Ok(None);
    };
    Ok(go_hash1(&mut [("go.mod".to_string(), text.into_bytes())]).ok())
}
