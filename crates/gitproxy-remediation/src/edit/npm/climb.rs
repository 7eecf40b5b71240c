//! The dependent-bump tier of a `package-lock.json` fix: a package whose range on the vulnerable
//! one admits no fixed version moves to its lowest later release that accepts one, within the
//! ranges of the packages (or the project) that require it; when those ranges exclude every such
//! release, the requirer climbs the same way, at most [`MAX_CLIMB`] packages deep. Each move is
//! made by the resolver (`resolve.rs`), so the moved package's dependencies are reconciled as
//! npm would; no tier working is a [`Conflict`] naming the exact range.

use std::collections::BTreeSet;

use super::resolve::{
    accepts, depth, describe, is_top, name_of, reachable, version_of, Collated, Conflict, Mover,
    Packages,
};
use crate::json;
use crate::version::Version;
use crate::{Ecosystem, Error};

/// How many dependents deep a fix may climb, as for Cargo and Poetry.
pub(in crate::edit) const MAX_CLIMB: usize = 3;

/// Moves a fix may take before it gives up.
const MAX_STEPS: usize = 32;

/// One climb: the package at `at` moves to `version`, for the reason `why`.
struct Step {
    at: String,
    version: String,
    level: usize,
    why: String,
}

/// What a fix did besides moving the vulnerable package.
#[derive(Debug, Default, PartialEq, Eq)]
pub(in crate::edit) struct Climbed {
    /// Why each dependent moved, one sentence each (empty: no dependent had to).
    pub(in crate::edit) steps: Vec<String>,
    /// The names of the dependents that moved.
    pub(in crate::edit) bumped: Vec<String>,
    /// Every other package whose version changed: `name old -> new`.
    pub(in crate::edit) moved: Vec<String>,
    /// The versions of the fixed package the lockfile now holds.
    pub(in crate::edit) versions: BTreeSet<String>,
}

impl Mover<'_> {
    /// Moves every entry of `name` still at another version than `to` to `to`, as an override
    /// that replaces every range on the package requires (the vulnerable entries moved first).
    pub(in crate::edit) async fn force_everywhere(
        &mut self,
        name: &str,
        to: &str,
    ) -> Result<Result<(), Conflict>, Error> {
        let mut done = BTreeSet::new();
        loop {
            let reached = reachable(&self.packages);
            let other = self
                .packages
                .keys()
                .filter(|k| reached.contains(*k) && !is_top(k) && name_of(k) == name)
                .filter_map(|k| version_of(&self.packages, k))
                .find(|v| v != to);
            let Some(version) = other else {
                return Ok(Ok(()));
            };
            if !done.insert(version.clone()) {
                return Ok(Err(Conflict(format!(
                    "{name} {version} stays beside the override to {to}"
                ))));
            }
            if let Err(c) = self.fix(name, &version, to, &[to.to_string()]).await? {
                return Ok(Err(c));
            }
        }
    }

    /// Moves every entry of `name` at `from` to `to`; a dependent whose range admits none of
    /// `fixed` (versions no advisory affects, `to` among them) is bumped first.
    pub(in crate::edit) async fn fix(
        &mut self,
        name: &str,
        from: &str,
        to: &str,
        fixed: &[String],
    ) -> Result<Result<Climbed, Conflict>, Error> {
        let mut fixed = fixed.to_vec();
        if !fixed.iter().any(|v| v == to) {
            fixed.insert(0, to.to_string());
        }
        let original = self.packages.clone();
        let mut out = Climbed::default();
        let mut climbed = BTreeSet::new();
        // Releases whose move failed, and why the last one did: the next climb skips them.
        let mut excluded = BTreeSet::new();
        let mut unresolved: Option<String> = None;
        for _ in 0..MAX_STEPS {
            let reached = reachable(&self.packages);
            let Some(key) = self
                .packages
                .keys()
                .filter(|k| reached.contains(*k) && name_of(k) == name)
                .filter(|k| version_of(&self.packages, k).as_deref() == Some(from))
                .min_by_key(|k| (depth(k), Collated(k.to_string())))
                .cloned()
            else {
                return Ok(self.settle(name, &original, &fixed, &climbed, out));
            };
            let mut rejecting = Vec::new();
            for (dependent, spec) in self.dependents(&key) {
                if accepts(&spec, to) {
                    continue;
                }
                if is_top(&dependent) {
                    return Ok(Err(Conflict(format!(
                        "{} requires {name}@{spec}, which {to} does not satisfy",
                        describe(&dependent)
                    ))));
                }
                rejecting.push((dependent, spec));
            }
            if rejecting.is_empty() {
                match self.move_to(&key, to).await? {
                    Ok(kept) => match kept.first() {
                        None => continue,
                        Some(k) => {
                            return Ok(Err(Conflict(format!(
                                "{} requires {name}@{}, which {to} does not satisfy",
                                describe(&k.from),
                                k.spec
                            ))))
                        }
                    },
                    Err(c) => return Ok(Err(c)),
                }
            }
            // The shallowest climb first; a dependent whose own climb fails may still be
            // carried along by another's.
            let mut best: Option<Step> = None;
            let mut failure = None;
            for (dependent, spec) in &rejecting {
                match self.climb(dependent, name, spec, &fixed, &excluded).await? {
                    Ok(step) => {
                        if best.as_ref().is_none_or(|b| step.level < b.level) {
                            best = Some(step);
                        }
                    }
                    // The failure that climbed least says it most plainly.
                    Err((level, c)) => {
                        if failure.as_ref().is_none_or(|(l, _)| level < *l) {
                            failure = Some((level, c));
                        }
                    }
                }
            }
            let Some(step) = best else {
                let mut reason = failure
                    .map(|(_, c)| c.0)
                    .unwrap_or_else(|| format!("no dependent of {name} can move"));
                if let Some(last) = unresolved {
                    reason = format!("{reason}; {last}");
                }
                return Ok(Err(Conflict(reason)));
            };
            let before = self.packages.clone();
            let failed = match self.move_to(&step.at, &step.version).await? {
                Ok(kept) => kept.first().map(|k| {
                    format!(
                        "{} requires {}@{}, which {} does not satisfy",
                        describe(&k.from),
                        name_of(&step.at),
                        k.spec,
                        step.version
                    )
                }),
                Err(Conflict(c)) => Some(c),
            };
            if let Some(reason) = failed {
                // Another release (or another dependent) may still do.
                self.packages = before;
                unresolved = Some(format!(
                    "{} {} cannot be resolved: {reason}",
                    name_of(&step.at),
                    step.version
                ));
                excluded.insert((step.at, step.version));
                continue;
            }
            let bumped = name_of(&step.at).to_string();
            if !out.bumped.contains(&bumped) {
                out.bumped.push(bumped);
            }
            climbed.insert(step.at);
            out.steps.push(step.why);
        }
        Ok(Err(Conflict(format!(
            "moving the dependents of {name} does not settle within {MAX_STEPS} moves"
        ))))
    }

    /// Finds the lowest later release of the package at `at` (whose range on `target` is
    /// `spec`) that accepts one of `acceptable` within its requirers' ranges, climbing to a
    /// requirer whose range excludes every such release.
    async fn climb(
        &self,
        at: &str,
        target: &str,
        spec: &str,
        acceptable: &[String],
        excluded: &BTreeSet<(String, String)>,
    ) -> Result<Result<Step, (usize, Conflict)>, Error> {
        let (mut at, mut target, mut spec) = (at.to_string(), target.to_string(), spec.to_string());
        let mut acceptable = acceptable.to_vec();
        let mut wanted = format!("a fixed version of {target}");
        let mut why = Vec::new();
        for level in 1..=MAX_CLIMB {
            let name = name_of(&at).to_string();
            let current = version_of(&self.packages, &at).unwrap_or_default();
            let requirers = self.dependents(&at);
            why.push(format!(
                "{name} {current} requires {target}@{spec}, which excludes every {}",
                wanted.trim_start_matches("a ")
            ));
            let mut accepting = Vec::new();
            let mut other = "";
            for version in self.later_releases(&name, &current).await? {
                if excluded.contains(&(at.clone(), version.clone())) {
                    other = "other ";
                    continue;
                }
                if !self
                    .accepts_one(&name, &version, &target, &acceptable)
                    .await?
                {
                    continue;
                }
                if requirers.iter().all(|(_, s)| accepts(s, &version)) {
                    let within: Vec<String> = requirers
                        .iter()
                        .map(|(from, s)| format!("{name}@{s} ({})", describe(from)))
                        .collect();
                    let reason = format!(
                        "{}, so {name} moves to {version}, its lowest later release that accepts {wanted} within {}",
                        why.join("; "),
                        within.join(", ")
                    );
                    return Ok(Ok(Step {
                        at,
                        version,
                        level,
                        why: reason,
                    }));
                }
                accepting.push(version);
            }
            let Some(lowest) = accepting.first() else {
                return Ok(Err((
                    level,
                    Conflict(format!(
                        "{}, and no {other}later release of {name} accepts {wanted}",
                        why.join("; ")
                    )),
                )));
            };
            let Some((up, up_spec)) = requirers
                .iter()
                .find(|(_, s)| !accepting.iter().any(|v| accepts(s, v)))
                .or(requirers.first())
                .cloned()
            else {
                return Ok(Err((level, Conflict(why.join("; ")))));
            };
            let blocked = format!(
                "{}; {name} {lowest} accepts {wanted}, but {} requires {name}@{up_spec}",
                why.join("; "),
                describe(&up)
            );
            if is_top(&up) {
                return Ok(Err((level, Conflict(blocked))));
            }
            if level == MAX_CLIMB {
                return Ok(Err((
                    level,
                    Conflict(format!(
                        "{blocked}, and moving it would climb more than {MAX_CLIMB} packages deep"
                    )),
                )));
            }
            why = vec![blocked];
            wanted = format!("a release of {name} that accepts {wanted}");
            (at, target, spec) = (up, name, up_spec);
            acceptable = accepting;
        }
        Ok(Err((MAX_CLIMB, Conflict(why.join("; ")))))
    }

    /// The published, not deprecated, final releases of `name` after `current`, lowest first.
    async fn later_releases(&self, name: &str, current: &str) -> Result<Vec<String>, Error> {
        let Ok(current) = Version::parse(Ecosystem::Npm, current) else {
            return Ok(Vec::new());
        };
        let mut out: Vec<(Version, String)> = Vec::new();
        for v in self.registry.versions(Ecosystem::Npm, name).await? {
            let Ok(parsed) = Version::parse(Ecosystem::Npm, &v.version) else {
                continue;
            };
            if !v.yanked && !parsed.is_prerelease() && parsed > current {
                out.push((parsed, v.version));
            }
        }
        out.sort();
        Ok(out.into_iter().map(|(_, v)| v).collect())
    }

    /// Whether `name@version`'s range on `target` (if it still has one) admits one of
    /// `acceptable`; a release the registry gives no metadata for does not.
    async fn accepts_one(
        &self,
        name: &str,
        version: &str,
        target: &str,
        acceptable: &[String],
    ) -> Result<bool, Error> {
        let Some(text) = self.registry.npm_manifest(name, version).await? else {
            return Ok(false);
        };
        let Ok(manifest) = json::parse(&text) else {
            return Ok(false);
        };
        let spec = ["dependencies", "optionalDependencies", "peerDependencies"]
            .iter()
            .find_map(|s| manifest.get(s)?.get(target)?.as_str());
        Ok(spec.is_none_or(|s| acceptable.iter().any(|v| accepts(s, v))))
    }

    /// The outcome once no entry of `name` at the vulnerable version is left: no version of it
    /// that is neither fixed nor already there may have come in.
    fn settle(
        &self,
        name: &str,
        original: &Packages,
        fixed: &[String],
        climbed: &BTreeSet<String>,
        mut out: Climbed,
    ) -> Result<Climbed, Conflict> {
        let reached = reachable(&self.packages);
        let had: BTreeSet<String> = original
            .keys()
            .filter(|k| name_of(k) == name)
            .filter_map(|k| version_of(original, k))
            .collect();
        for key in self.packages.keys().filter(|k| reached.contains(*k)) {
            let Some(version) = version_of(&self.packages, key) else {
                continue;
            };
            if name_of(key) == name {
                if !fixed.contains(&version) && !had.contains(&version) {
                    return Err(Conflict(format!(
                        "the moved dependents would bring {name} {version} (at {key}), which is not a fixed version"
                    )));
                }
                out.versions.insert(version);
                continue;
            }
            let old = original.get(key).and_then(|_| version_of(original, key));
            if let Some(old) = old.filter(|o| *o != version && !climbed.contains(key)) {
                let line = format!("{} {old} -> {version}", name_of(key));
                if !out.moved.contains(&line) {
                    out.moved.push(line);
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests;
