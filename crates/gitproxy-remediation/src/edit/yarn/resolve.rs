//! Moves patterns of a classic `yarn.lock` to another version the way yarn 1 resolves them: the
//! new version's entry from the registry's metadata (`resolved` with the tarball's SHA-1,
//! `integrity`, `dependencies`, `optionalDependencies` without the ones also listed as
//! optional), each dependency pattern not yet in the lockfile given to the highest entry
//! already there that satisfies it, else to the highest published version that does (both as
//! yarn's resolver does), and patterns nothing reaches any more dropped with their entries.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use crate::analysis::yarn::lock::{plain_range, Entry, Pattern};
use crate::analysis::yarn::{registry_package, EDGE_BLOCKS};
use crate::json::{self, Node};
use crate::registry::Registry;
use crate::version::{Requirement, Version};
use crate::{Ecosystem, Error};

/// Why the lockfile cannot be moved here; the reason names the package and range.
pub(super) struct Conflict(pub(super) String);

/// A classic lockfile being moved, with the registry that gives new entries.
pub(super) struct Resolver<'a> {
    pub(super) registry: &'a dyn Registry,
    pub(super) entries: Vec<Entry>,
    /// `resolutions` of the project's package.json that force a package everywhere.
    pub(super) resolutions: BTreeMap<String, String>,
    /// The `name@version` entries this move added, for the pull request.
    pub(super) added: Vec<String>,
}

/// Whether `version` satisfies the npm range `range`; ranges that are not semver (tags) count
/// as satisfied, as they did when the lockfile was written.
pub(super) fn accepts(range: &str, version: &str) -> bool {
    match (
        Requirement::parse(Ecosystem::Npm, range),
        Version::parse(Ecosystem::Npm, version),
    ) {
        (Ok(r), Ok(v)) => r.matches(&v),
        _ => true,
    }
}

/// The package and range a dependency pattern asks the registry for (an alias names another).
fn target(name: &str, range: &str) -> (String, String) {
    let plain = plain_range(range);
    match plain.strip_prefix("npm:") {
        Some(alias) => {
            let p = Pattern::parse(alias);
            (p.name, p.range)
        }
        None => (name.to_string(), plain.to_string()),
    }
}

impl Resolver<'_> {
    /// The entry holding a pattern.
    fn holder(&self, pattern: &Pattern) -> Option<usize> {
        self.entries
            .iter()
            .position(|e| e.patterns.contains(pattern))
    }

    /// The entry of `name` at `version`.
    pub(super) fn entry_of(&self, name: &str, version: &str) -> Option<usize> {
        self.entries.iter().position(|e| {
            registry_package(e, false).is_some_and(|(n, v)| n == name && v == version)
        })
    }

    /// Moves `patterns` (of package `name`) to `version`: to the entry already at that version,
    /// or a new one from the registry whose dependencies are then resolved.
    pub(super) async fn assign(
        &mut self,
        name: &str,
        patterns: &[Pattern],
        version: &str,
    ) -> Result<Result<(), Conflict>, Error> {
        for entry in &mut self.entries {
            entry.patterns.retain(|p| !patterns.contains(p));
        }
        let at = match self.entry_of(name, version) {
            Some(i) => i,
            None => match self.new_entry(name, version, patterns).await? {
                Ok(entry) => {
                    self.added.push(format!("{name}@{version}"));
                    self.entries.push(entry);
                    self.entries.len() - 1
                }
                Err(c) => return Ok(Err(c)),
            },
        };
        for p in patterns {
            if !self.entries[at].patterns.contains(p) {
                self.entries[at].patterns.push(p.clone());
            }
        }
        self.settle(at).await
    }

    /// The entry yarn writes for `name@version`, from the registry's metadata.
    async fn new_entry(
        &self,
        name: &str,
        version: &str,
        patterns: &[Pattern],
    ) -> Result<Result<Entry, Conflict>, Error> {
        let Some(text) = self.registry.npm_manifest(name, version).await? else {
            return Ok(Err(Conflict(format!(
                "the npm registry gave no metadata for {name}@{version}"
            ))));
        };
        let Ok(manifest) = json::parse(&text) else {
            return Ok(Err(Conflict(format!(
                "the npm registry's metadata for {name}@{version} is not JSON"
            ))));
        };
        let dist = manifest.get("dist");
        let text_of = |n: Option<&Node>| n.and_then(Node::as_str).map(String::from);
        let integrity = match text_of(dist.and_then(|d| d.get("integrity"))) {
            Some(i) => Some(i),
            None => self
                .registry
                .digests(Ecosystem::Npm, name, version)
                .await?
                .into_iter()
                .next()
                .map(|d| d.value),
        };
        let Some(integrity) = integrity else {
            return Ok(Err(Conflict(format!(
                "the npm registry gave no integrity for {name}@{version}"
            ))));
        };
        let tarball = text_of(dist.and_then(|d| d.get("tarball")));
        let shasum = text_of(dist.and_then(|d| d.get("shasum")));
        let resolved = self.resolved_url(name, version, tarball.as_deref(), shasum.as_deref());
        let mut fields = vec![("version".to_string(), version.to_string())];
        if let Some(url) = resolved {
            fields.push(("resolved".to_string(), url));
        }
        fields.push(("integrity".to_string(), integrity));
        let optional: Vec<(String, String)> = members(manifest.get("optionalDependencies"));
        let mut blocks = Vec::new();
        let deps: Vec<(String, String)> = members(manifest.get("dependencies"))
            .into_iter()
            .filter(|(n, _)| !optional.iter().any(|(o, _)| o == n))
            .collect();
        if !deps.is_empty() {
            blocks.push(("dependencies".to_string(), deps));
        }
        if !optional.is_empty() {
            blocks.push(("optionalDependencies".to_string(), optional));
        }
        Ok(Ok(Entry {
            line: 0,
            patterns: patterns.to_vec(),
            fields,
            blocks,
        }))
    }

    /// The `resolved` URL of a new entry: on the registry host the lockfile already uses (yarn
    /// 1 writes `registry.yarnpkg.com`), with the tarball's SHA-1 after `#`.
    fn resolved_url(
        &self,
        name: &str,
        version: &str,
        tarball: Option<&str>,
        shasum: Option<&str>,
    ) -> Option<String> {
        let base = name.rsplit('/').next().unwrap_or(name);
        let file = format!("/-/{base}-{version}.tgz");
        let host = self.entries.iter().find_map(|e| {
            let (pname, _) = registry_package(e, false)?;
            let url = e.field("resolved")?;
            let marker = format!("/{pname}/-/");
            url.find(&marker).map(|i| url[..i].to_string())
        });
        let url = match (host, tarball) {
            (Some(host), _) => format!("{host}/{name}{file}"),
            (None, Some(t)) => t.to_string(),
            (None, None) => return None,
        };
        Some(match shasum {
            Some(sha) => format!("{url}#{sha}"),
            None => url,
        })
    }

    /// Resolves every dependency pattern of the entry at `at`, and of the entries that adds.
    async fn settle(&mut self, at: usize) -> Result<Result<(), Conflict>, Error> {
        let mut queue = VecDeque::from([at]);
        let mut steps = 0usize;
        while let Some(i) = queue.pop_front() {
            let wanted: Vec<(String, String, bool)> = EDGE_BLOCKS
                .iter()
                .flat_map(|b| {
                    let optional = *b == "optionalDependencies";
                    self.entries[i]
                        .block(b)
                        .iter()
                        .map(move |(n, r)| (n.clone(), r.clone(), optional))
                })
                .collect();
            for (dep, range, optional) in wanted {
                let pattern = Pattern {
                    name: dep.clone(),
                    range: range.clone(),
                };
                if self.holder(&pattern).is_some() {
                    continue;
                }
                steps += 1;
                if steps > 10_000 {
                    return Ok(Err(Conflict("the dependency graph does not settle".into())));
                }
                let (real, real_range) = target(&dep, &range);
                let existing = match self.resolutions.get(&real) {
                    Some(forced) => self.entry_of(&real, forced).map(|e| (e, forced.clone())),
                    None => self.highest_existing(&real, &real_range),
                };
                if let Some((e, _)) = existing {
                    self.entries[e].patterns.push(pattern);
                    continue;
                }
                let version = match self.resolutions.get(&real) {
                    Some(forced) => Some(forced.clone()),
                    None => self.pick(&real, &real_range).await?,
                };
                let Some(version) = version else {
                    if optional {
                        continue;
                    }
                    return Ok(Err(Conflict(format!(
                        "no published version of {real} satisfies {real_range}"
                    ))));
                };
                match self.new_entry(&real, &version, &[pattern]).await? {
                    Ok(entry) => {
                        self.added.push(format!("{real}@{version}"));
                        self.entries.push(entry);
                        queue.push_back(self.entries.len() - 1);
                    }
                    Err(_) if optional => {}
                    Err(c) => return Ok(Err(c)),
                }
            }
        }
        Ok(Ok(()))
    }

    /// The entry of `name` with the highest version that satisfies `range`.
    fn highest_existing(&self, name: &str, range: &str) -> Option<(usize, String)> {
        let mut best: Option<(usize, String)> = None;
        for (i, e) in self.entries.iter().enumerate() {
            let Some((n, v)) = registry_package(e, false) else {
                continue;
            };
            if n != name || e.patterns.is_empty() || !accepts(range, &v) {
                continue;
            }
            let higher = best.as_ref().is_none_or(|(_, b)| {
                Version::compare_str(Ecosystem::Npm, &v, b).is_some_and(|o| o.is_gt())
            });
            if higher {
                best = Some((i, v));
            }
        }
        best
    }

    /// The highest published version of `name` that `range` accepts, prereleases left out.
    /// (yarn takes the `latest` tag first when the range accepts it, which on the public
    /// registry is that same version unless a maintainer tagged an older release `latest`.)
    pub(super) async fn pick(&self, name: &str, range: &str) -> Result<Option<String>, Error> {
        let Ok(req) = Requirement::parse(Ecosystem::Npm, range) else {
            return Ok(None);
        };
        let mut best: Option<(Version, String)> = None;
        for v in self.registry.versions(Ecosystem::Npm, name).await? {
            let Ok(parsed) = Version::parse(Ecosystem::Npm, &v.version) else {
                continue;
            };
            if parsed.is_prerelease() || !req.matches(&parsed) {
                continue;
            }
            if best.as_ref().is_none_or(|(b, _)| parsed > *b) {
                best = Some((parsed, v.version));
            }
        }
        Ok(best.map(|(_, v)| v))
    }

    /// Drops the patterns nothing reaches from `roots` (the manifests' patterns), then the
    /// entries left without patterns. A `resolutions` pattern stays while its package does.
    pub(super) fn prune(&mut self, roots: &[Pattern]) {
        let mut reached: BTreeSet<Pattern> = BTreeSet::new();
        let mut queue: VecDeque<Pattern> = roots.iter().cloned().collect();
        while let Some(p) = queue.pop_front() {
            if !reached.insert(p.clone()) {
                continue;
            }
            let Some(i) = self.holder(&p) else {
                continue;
            };
            for block in EDGE_BLOCKS {
                for (n, r) in self.entries[i].block(block) {
                    queue.push_back(Pattern {
                        name: n.clone(),
                        range: r.clone(),
                    });
                }
            }
        }
        let forced: Vec<Pattern> = self
            .resolutions
            .iter()
            .map(|(n, v)| Pattern {
                name: n.clone(),
                range: v.clone(),
            })
            .collect();
        for entry in &mut self.entries {
            let alive = entry.patterns.iter().any(|p| reached.contains(p));
            entry
                .patterns
                .retain(|p| reached.contains(p) || alive && forced.contains(p));
        }
        self.entries.retain(|e| !e.patterns.is_empty());
    }
}

/// The `name: range` members of a JSON object.
fn members(node: Option<&Node>) -> Vec<(String, String)> {
    node.map(|n| {
        n.members()
            .iter()
            .map(|m| (m.key.clone(), m.value.as_str().unwrap_or("*").to_string()))
            .collect()
    })
    .unwrap_or_default()
}
