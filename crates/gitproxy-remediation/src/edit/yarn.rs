//! yarn edits. A classic `yarn.lock` is moved as yarn 1 would move it when the registry gives
//! the new version's metadata (`yarn/resolve.rs`, printed by `yarn/write.rs`), in the least
//! invasive way that works, and the pull request says why: the entry alone when every range
//! that requires it accepts the fix; the declared range in `package.json` when the project's own
//! requirement excludes it; the parent, to its lowest release within its own ranges whose
//! requirement takes the fix; else a `resolutions` entry that forces it. A Berry lockfile
//! (whose `checksum` is of yarn's own cache archive, which the agent cannot compute), or any
//! yarn.lock without a registry, is left as it is: the manifest or `resolutions` change lands
//! and the pull request names the command that relocks.

mod resolve;
mod write;

use std::collections::BTreeMap;

use super::{bumped_requirement, edit_error, splice, Work};
use crate::analysis::yarn::lock::{self, Entry, Pattern};
use crate::analysis::yarn::{project_manifests, registry_package, EDGE_BLOCKS};
use crate::analysis::Dependency;
use crate::files::{dir_of, join};
use crate::json;
use crate::plan::PackageFix;
use crate::registry::Registry;
use crate::version::Version;
use crate::{Ecosystem, Error};
use resolve::{accepts, Conflict, Resolver};

pub(super) async fn edit(
    work: &mut Work,
    fix: &PackageFix,
    dep: &Dependency,
    registry: &dyn Registry,
) -> Result<(), Error> {
    let lock_path = dep.location.file.clone();
    let root_manifest = join(dir_of(&lock_path), "package.json");
    let from = dep.version.clone().unwrap_or_default();
    let to = fix.to.as_str();
    let text = work.text(&lock_path)?;
    let parsed = lock::parse(&text)
        .map_err(|(line, m)| edit_error(&lock_path, format!("line {line}: {m}")))?;
    let relock = fix.lockfile.command().map(String::from);
    let old_range = dep.requirement.clone();
    let declared_ok = old_range.as_deref().is_none_or(|r| accepts(r, to));

    // The project's own requirement: raised when it excludes the fix, or when yarn relocks.
    let mut new_range = None;
    if dep.direct && (!declared_ok || relock.is_some()) {
        let declared = dep
            .declared_in
            .clone()
            .unwrap_or_else(|| dep.location.clone());
        let range = bump_declared(work, &declared.file, &dep.name, to)?;
        let old = old_range.clone().unwrap_or_default();
        work.out.note(if declared_ok {
            format!(
                "{} declares {} as `{old}`; it becomes `{range}` so that relocking picks {to}",
                declared.file, dep.name
            )
        } else {
            format!(
                "{} declares {} as `{old}`, which does not allow {to}, so the requirement becomes `{range}`",
                declared.file, dep.name
            )
        });
        new_range = Some(range);
    }
    if let Some(command) = relock {
        if !dep.direct {
            set_resolution(work, &root_manifest, &dep.name, to)?;
            work.out.note(format!(
                "{} is forced to {to} with `resolutions` in {root_manifest}, because yarn.lock is left for yarn to rewrite and only the manifest can carry the fix",
                dep.name
            ));
        }
        work.out.needs_package_manager = true;
        let why = if parsed.berry {
            "is a yarn Berry lockfile, whose checksums are of yarn's own cache archives, which the agent cannot compute"
        } else {
            "needs the new version's integrity and dependencies, which no configured npm registry gave"
        };
        work.out.note(format!(
            "{lock_path} {why}: run `{command}` on this branch to relock"
        ));
        return Ok(());
    }
    if parsed.berry {
        return Err(edit_error(
            &lock_path,
            "a yarn Berry lockfile is only relocked by yarn; plan the fix with its command",
        ));
    }

    let manifest_text = work.text(&root_manifest).ok();
    let mut resolver = Resolver {
        registry,
        entries: parsed.entries,
        resolutions: read_resolutions(manifest_text.as_deref()),
        added: Vec::new(),
    };
    // An earlier occurrence of the same fix may have moved this entry already.
    let Some(at) = resolver.entry_of(&dep.name, &from) else {
        return Ok(());
    };
    let mut patterns = resolver.entries[at].patterns.clone();
    if let (Some(old), Some(new)) = (&old_range, &new_range) {
        for p in &mut patterns {
            if p.name == dep.name && p.plain_range() == lock::plain_range(old) {
                p.range.clone_from(new);
            }
        }
        // The renamed pattern is no longer the old entry's.
        for p in &mut resolver.entries[at].patterns {
            if p.name == dep.name && p.plain_range() == lock::plain_range(old) {
                p.range.clone_from(new);
            }
        }
    }
    let rejecting: Vec<Pattern> = patterns
        .iter()
        .filter(|p| !accepts(&resolve_range(p), to))
        .cloned()
        .collect();
    let outcome = if rejecting.is_empty() {
        let done = resolver.assign(&dep.name, &patterns, to).await?;
        if done.is_ok() {
            work.out.note(match &new_range {
                Some(range) => format!(
                    "{lock_path}: {} moves from {from} to {to} for `{range}`, with its integrity from the registry",
                    dep.name
                ),
                None => format!(
                    "{lock_path}: {} moves from {from} to {to} within the ranges that require it ({}), with its integrity from the registry",
                    dep.name,
                    ranges(&patterns)
                ),
            });
        }
        done
    } else {
        move_parents_or_force(
            work,
            &mut resolver,
            dep,
            &root_manifest,
            &patterns,
            &rejecting,
            to,
        )
        .await?
    };
    if let Err(Conflict(reason)) = outcome {
        return Err(Error::Unresolvable {
            ecosystem: Ecosystem::Npm,
            package: dep.name.clone(),
            from,
            to: to.to_string(),
            reason: format!("in {lock_path}, {reason}"),
        });
    }
    let snapshot_lock = lock::Lock {
        berry: false,
        entries: resolver.entries.clone(),
    };
    let (_, declared) = project_manifests(&work.snapshot, &lock_path, &snapshot_lock);
    let roots: Vec<Pattern> = declared
        .into_iter()
        .map(|(name, range, _, _)| Pattern { name, range })
        .collect();
    resolver.prune(&roots);
    let added: Vec<String> = resolver
        .added
        .iter()
        .filter(|l| {
            let (n, v) = l.rsplit_once('@').unwrap_or((l, ""));
            *n != dep.name && resolver.entry_of(n, v).is_some()
        })
        .cloned()
        .collect();
    if !added.is_empty() {
        work.out.note(format!(
            "{lock_path} gains what the new versions depend on, as yarn resolves it: {}",
            added.join(", ")
        ));
    }
    work.write(&lock_path, write::print(&resolver.entries));
    Ok(())
}

/// The range a pattern asks the registry for (an alias's own range).
fn resolve_range(p: &Pattern) -> String {
    let plain = p.plain_range();
    match plain.strip_prefix("npm:") {
        Some(alias) => Pattern::parse(alias).range,
        None => plain.to_string(),
    }
}

fn ranges(patterns: &[Pattern]) -> String {
    patterns
        .iter()
        .map(|p| format!("`{}`", p.plain_range()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The tier past a lockfile update for a transitive package some parent's range excludes:
/// move each such parent to its lowest release within its own ranges whose requirement takes
/// the fix, or, when one has none, force the fix with `resolutions`.
async fn move_parents_or_force(
    work: &mut Work,
    resolver: &mut Resolver<'_>,
    dep: &Dependency,
    root_manifest: &str,
    patterns: &[Pattern],
    rejecting: &[Pattern],
    to: &str,
) -> Result<Result<(), Conflict>, Error> {
    let parents: Vec<usize> = (0..resolver.entries.len())
        .filter(|&i| {
            EDGE_BLOCKS.iter().any(|b| {
                resolver.entries[i].block(b).iter().any(|(n, r)| {
                    rejecting.contains(&Pattern {
                        name: n.clone(),
                        range: r.clone(),
                    })
                })
            })
        })
        .collect();
    let mut moves = Vec::new();
    let mut blocked = Vec::new();
    for &p in &parents {
        let entry = resolver.entries[p].clone();
        let Some((pname, pfrom)) = registry_package(&entry, false) else {
            blocked.push(format!(
                "{} (not a registry package)",
                entry.patterns[0].name
            ));
            continue;
        };
        match parent_release(resolver, &entry, &pname, &pfrom, &dep.name, to).await? {
            Some((pto, why)) => moves.push((pname, pfrom, pto, entry.patterns.clone(), why)),
            None => blocked.push(format!(
                "{pname}@{pfrom} (within {})",
                ranges(&entry.patterns)
            )),
        }
    }
    let excluded = ranges(rejecting);
    if blocked.is_empty() && !moves.is_empty() {
        for (pname, pfrom, pto, ppatterns, why) in &moves {
            if let Err(c) = resolver.assign(pname, ppatterns, pto).await? {
                return Ok(Err(c));
            }
            work.out.note(format!(
                "{pname} {pfrom} requires {} as {excluded}, which excludes {to}, so {pname} moves to {pto}, its lowest release within {} {why}",
                dep.name,
                ranges(ppatterns)
            ));
        }
        // Whatever still requires the old version in a range that takes the fix moves too.
        let rest: Vec<Pattern> = patterns
            .iter()
            .filter(|p| {
                !rejecting.contains(p) && resolver.entries.iter().any(|e| e.patterns.contains(p))
            })
            .cloned()
            .collect();
        if !rest.is_empty() {
            return resolver.assign(&dep.name, &rest, to).await;
        }
        return Ok(Ok(()));
    }
    set_resolution(work, root_manifest, &dep.name, to)?;
    resolver
        .resolutions
        .insert(dep.name.clone(), to.to_string());
    let mut all = patterns.to_vec();
    all.push(Pattern {
        name: dep.name.clone(),
        range: to.to_string(),
    });
    work.out.note(format!(
        "{} requires {} as {excluded}, which excludes {to}, and no release of it that its own requirements allow takes {to} ({}), so {root_manifest} forces {} {to} with `resolutions`: check that it works with that version",
        dep.parents.join(", "),
        dep.name,
        blocked.join(", "),
        dep.name
    ));
    resolver.assign(&dep.name, &all, to).await
}

/// The lowest release of the parent `pname` after `pfrom` that all of its patterns accept and
/// whose requirement on `child` takes `to` (or that no longer depends on it), with a note.
async fn parent_release(
    resolver: &Resolver<'_>,
    entry: &Entry,
    pname: &str,
    pfrom: &str,
    child: &str,
    to: &str,
) -> Result<Option<(String, String)>, Error> {
    let registry = resolver.registry;
    let mut candidates: Vec<(Version, String)> = registry
        .versions(Ecosystem::Npm, pname)
        .await?
        .into_iter()
        .filter(|v| !v.yanked)
        .filter(|v| {
            entry
                .patterns
                .iter()
                .all(|p| accepts(&resolve_range(p), &v.version))
        })
        .filter(|v| {
            Version::compare_str(Ecosystem::Npm, &v.version, pfrom).is_some_and(|o| o.is_gt())
        })
        .filter_map(|v| {
            let parsed = Version::parse(Ecosystem::Npm, &v.version).ok()?;
            (!parsed.is_prerelease()).then_some((parsed, v.version))
        })
        .collect();
    candidates.sort();
    for (_, version) in candidates {
        let Some(text) = registry.npm_manifest(pname, &version).await? else {
            continue;
        };
        let Ok(manifest) = json::parse(&text) else {
            continue;
        };
        let range = ["dependencies", "optionalDependencies"]
            .iter()
            .find_map(|s| {
                manifest
                    .get(s)
                    .and_then(|d| d.get(child))
                    .and_then(|r| r.as_str())
                    .map(String::from)
            });
        let Some(range) = range else {
            return Ok(Some((
                version,
                format!("that no longer depends on {child}"),
            )));
        };
        let takes = accepts(&range, to)
            || resolver.pick(child, &range).await?.is_some_and(|v| {
                Version::compare_str(Ecosystem::Npm, &v, to).is_some_and(|o| o.is_ge())
            });
        if takes {
            return Ok(Some((version, format!("that requires {child}@{range}"))));
        }
    }
    Ok(None)
}

/// The simple `resolutions` of a package.json (`name` or `**/name` keys).
fn read_resolutions(manifest: Option<&str>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let Some(root) = manifest.and_then(|t| json::parse(t).ok()) else {
        return out;
    };
    if let Some(resolutions) = root.get("resolutions") {
        for m in resolutions.members() {
            let key = m.key.strip_prefix("**/").unwrap_or(&m.key);
            let simple = !key.trim_start_matches('@').contains('/')
                || key.matches('/').count() == 1 && key.starts_with('@');
            if let (true, Some(v)) = (simple, m.value.as_str()) {
                out.insert(key.to_string(), v.to_string());
            }
        }
    }
    out
}

/// Raises the range of `name` in the manifest at `path`, keeping its operator.
fn bump_declared(work: &mut Work, path: &str, name: &str, to: &str) -> Result<String, Error> {
    let text = work.text(path)?;
    let root = json::parse(&text).map_err(|(_, m)| edit_error(path, m))?;
    for (section, _) in crate::analysis::npm::SECTIONS {
        if let Some(m) = root.get(section).and_then(|s| s.member(name)) {
            let new = bumped_requirement(m.value.as_str().unwrap_or(""), to);
            let edited = splice(&text, vec![(m.value.start, m.value.end, json::quote(&new))]);
            work.write(path, edited);
            return Ok(new);
        }
    }
    Err(edit_error(path, format!("no `{name}` dependency to raise")))
}

/// Sets `resolutions[name]` in the manifest at `path`, adding the object when missing.
fn set_resolution(work: &mut Work, path: &str, name: &str, to: &str) -> Result<(), Error> {
    super::npm::set_in_object(work, path, "resolutions", name, to)
}

#[cfg(test)]
mod tests;
