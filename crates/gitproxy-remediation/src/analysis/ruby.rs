//! Ruby: `Gemfile.lock` (Bundler's lockfile: the `GEM` sections' specs, their dependencies one
//! level deeper, `DEPENDENCIES` for the direct gems) with the `Gemfile` for the lines that declare
//! them and their groups; a `Gemfile` alone gives the direct gems and their requirements. The
//! same holds for the newer names `gems.locked` and `gems.rb`.
//!
//! A lockfile nests three levels by its format (section, spec, dependency of a spec); a line
//! indented deeper inside a spec list is refused as a problem of the file, and the file size is
//! bounded by [`crate::ScanOptions::max_file_bytes`].

use std::collections::{BTreeMap, BTreeSet};

use super::{file_name, label, parse_error, Dependency, Location, Scope, Sink};
use crate::files::{dir_of, join, Snapshot};
use crate::{Ecosystem, Error};

/// `(lockfile, manifest)` file names.
const PAIRS: [(&str, &str); 2] = [("Gemfile.lock", "Gemfile"), ("gems.locked", "gems.rb")];

/// Bundler groups whose gems only serve development and tests.
const DEV_GROUPS: [&str; 2] = ["development", "test"];

/// One locked gem of a `GEM` section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Spec {
    pub(crate) name: String,
    pub(crate) version: String,
    /// The platform suffix (`x86_64-linux`), absent for pure-Ruby gems.
    pub(crate) platform: Option<String>,
    pub(crate) line: u32,
    /// Its dependencies: name and requirement (`~> 2.0`), when one is written.
    pub(crate) deps: Vec<(String, Option<String>)>,
}

/// A parsed lockfile.
#[derive(Debug, Default)]
pub(crate) struct GemLock {
    pub(crate) specs: Vec<Spec>,
    /// The `remote:` lines of the `GEM` sections, each once.
    pub(crate) remotes: Vec<String>,
    /// `DEPENDENCIES`: name, requirement and line.
    pub(crate) direct: Vec<(String, Option<String>, u32)>,
}

/// One `gem` line of a Gemfile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct GemLine {
    pub(crate) name: String,
    /// The requirement arguments (`~> 6.1.0`, `>= 1.0`), without quotes.
    pub(crate) requirements: Vec<String>,
    /// Byte span in the line of the requirement arguments with their quotes, or the position
    /// right after the name's closing quote when there are none.
    pub(crate) span: (usize, usize),
    /// The quote character the line uses.
    pub(crate) quote: char,
    /// Declared in (or with) a development or test group.
    pub(crate) dev: bool,
}

pub(super) fn analyze(snapshot: &Snapshot, out: &mut dyn Sink) {
    for (lock_name, manifest_name) in PAIRS {
        let locks: Vec<&str> = snapshot
            .paths()
            .filter(|p| file_name(p) == lock_name)
            .collect();
        for path in &locks {
            if let Err(e) = analyze_lock(snapshot, path, manifest_name, out) {
                out.problem(e);
            }
        }
        let manifests = snapshot.paths().filter(|p| {
            file_name(p) == manifest_name && !snapshot.contains(&join(dir_of(p), lock_name))
        });
        for path in manifests {
            if let Err(e) = analyze_manifest_only(snapshot, path, out) {
                out.problem(e);
            }
        }
    }
}

fn text<'a>(snapshot: &'a Snapshot, path: &str) -> Result<std::borrow::Cow<'a, str>, Error> {
    snapshot
        .text(path)
        .ok_or_else(|| parse_error(path, None, "not valid UTF-8"))
}

fn analyze_lock(
    snapshot: &Snapshot,
    path: &str,
    manifest_name: &str,
    out: &mut dyn Sink,
) -> Result<(), Error> {
    let lock = parse_lock(path, &text(snapshot, path)?)?;
    if lock.remotes.len() > 1 {
        // The agent cannot tell which source serves a gem, and never rewrites a private gem with
        // another source's build: Bundler relocks.
        out.relock_only(
            path,
            &format!(
                "{path} locks gems from several sources ({}), so the agent cannot tell which one serves it",
                lock.remotes.join(", ")
            ),
        );
    }
    let manifest_path = join(dir_of(path), manifest_name);
    let manifest: BTreeMap<String, (GemLine, u32)> = match snapshot.text(&manifest_path) {
        Some(t) => parse_gemfile(&t)
            .into_iter()
            .map(|(g, line)| (g.name.clone(), (g, line)))
            .collect(),
        None => BTreeMap::new(),
    };
    // Parents and the requirements they place, by child name (each parent once: its platform
    // variants list the same dependencies).
    let mut parents: BTreeMap<&str, BTreeMap<String, Option<&str>>> = BTreeMap::new();
    for s in &lock.specs {
        for (dep, req) in &s.deps {
            parents
                .entry(dep.as_str())
                .or_default()
                .entry(label(&s.name, &s.version))
                .or_insert(req.as_deref());
        }
    }
    // The platform variants of each version, and the direct requirements, by name.
    let mut variants: BTreeMap<(&str, &str), Vec<&Spec>> = BTreeMap::new();
    for s in &lock.specs {
        variants
            .entry((s.name.as_str(), s.version.as_str()))
            .or_default()
            .push(s);
    }
    let direct_of: BTreeMap<&str, &(String, Option<String>, u32)> =
        lock.direct.iter().map(|d| (d.0.as_str(), d)).collect();
    let dev = dev_only(&lock, &manifest);
    let mut seen = BTreeSet::new();
    for s in &lock.specs {
        // Platform variants of one version are one dependency.
        if !seen.insert((s.name.as_str(), s.version.as_str())) {
            continue;
        }
        let mut locked = crate::analysis::LockedDependencies::new();
        for variant in variants
            .get(&(s.name.as_str(), s.version.as_str()))
            .map_or(&[][..], Vec::as_slice)
        {
            let platform = variant.platform.clone().unwrap_or_else(|| "ruby".into());
            locked.insert(
                platform,
                variant
                    .deps
                    .iter()
                    .map(|(n, r)| canonical_dependency(n, r.as_deref()))
                    .collect(),
            );
        }
        out.locked_dependencies(&Location::new(path, s.line), locked);
        let direct = direct_of.get(s.name.as_str()).copied();
        let of = parents.get(s.name.as_str());
        out.dependency(Dependency {
            ecosystem: Ecosystem::RubyGems,
            name: s.name.clone(),
            version: Some(s.version.clone()),
            requirement: direct.and_then(|d| d.1.clone()),
            direct: direct.is_some(),
            parents: of.map_or_else(Vec::new, |p| p.iter().map(|x| x.0.clone()).collect()),
            scope: if dev.contains(s.name.as_str()) {
                Scope::Dev
            } else {
                Scope::Runtime
            },
            location: Location::new(path, s.line),
            declared_in: manifest
                .get(&s.name)
                .filter(|_| direct.is_some())
                .map(|(_, line)| Location::new(&manifest_path, *line)),
            constraints: of.map_or_else(Vec::new, |p| {
                p.iter().filter_map(|x| x.1.map(String::from)).collect()
            }),
        });
    }
    Ok(())
}

/// Gems reachable only from direct gems of development or test groups.
fn dev_only<'a>(
    lock: &'a GemLock,
    manifest: &BTreeMap<String, (GemLine, u32)>,
) -> BTreeSet<&'a str> {
    let by_name: BTreeMap<&str, &Spec> = lock.specs.iter().map(|s| (s.name.as_str(), s)).collect();
    let reach = |dev: bool| -> BTreeSet<&'a str> {
        let mut stack: Vec<&str> = lock
            .direct
            .iter()
            .filter(|(n, _, _)| manifest.get(n).is_some_and(|(g, _)| g.dev) == dev)
            .map(|(n, _, _)| n.as_str())
            .collect();
        let mut seen = BTreeSet::new();
        while let Some(name) = stack.pop() {
            if let Some(spec) = by_name.get(name) {
                if seen.insert(spec.name.as_str()) {
                    stack.extend(spec.deps.iter().map(|(d, _)| d.as_str()));
                }
            }
        }
        seen
    };
    let runtime = reach(false);
    reach(true).difference(&runtime).copied().collect()
}

fn analyze_manifest_only(snapshot: &Snapshot, path: &str, out: &mut dyn Sink) -> Result<(), Error> {
    for (g, line) in parse_gemfile(&text(snapshot, path)?) {
        let requirement = (!g.requirements.is_empty()).then(|| g.requirements.join(", "));
        // An exact pin (`= 1.2.3` or a bare version) is the version in use.
        let version = match g.requirements.as_slice() {
            [one] => {
                let v = one.strip_prefix('=').unwrap_or(one).trim();
                (!one.starts_with(['~', '>', '<', '!'])
                    && crate::version::rubygems::Version::parse(v).is_ok())
                .then(|| v.to_string())
            }
            _ => None,
        };
        out.dependency(Dependency {
            ecosystem: Ecosystem::RubyGems,
            name: g.name,
            version,
            requirement,
            direct: true,
            parents: Vec::new(),
            scope: if g.dev { Scope::Dev } else { Scope::Runtime },
            location: Location::new(path, line),
            declared_in: None,
            constraints: Vec::new(),
        });
    }
    Ok(())
}

/// A gem dependency as one canonical line: `name` alone when it accepts any version (`>= 0`),
/// else `name (r1, r2)` with the requirements sorted, whitespace normalised. `Gemfile.lock`'s
/// `rack (< 3, >= 2.0)` and the compact index's `rack:>= 2.0&< 3` give the same line.
pub(crate) fn canonical_dependency(name: &str, requirement: Option<&str>) -> String {
    let mut parts: Vec<String> = requirement
        .unwrap_or("")
        .split(',')
        .map(|r| r.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|r| !r.is_empty() && r != ">= 0")
        .collect();
    parts.sort();
    parts.dedup();
    if parts.is_empty() {
        name.to_string()
    } else {
        format!("{name} ({})", parts.join(", "))
    }
}

/// `name (inner)` or `name`: the name and what the parentheses hold.
fn name_and_paren(entry: &str) -> Option<(&str, Option<&str>)> {
    match entry.split_once(" (") {
        Some((name, rest)) => Some((name, Some(rest.strip_suffix(')')?))),
        None => (!entry.contains(' ')).then_some((entry, None)),
    }
}

/// Parses a Bundler lockfile.
pub(crate) fn parse_lock(path: &str, text: &str) -> Result<GemLock, Error> {
    let mut lock = GemLock::default();
    let mut section = "";
    let mut in_specs = false;
    for (i, raw) in text.lines().enumerate() {
        let line_no = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let line = raw.trim_end();
        if line.is_empty() {
            continue;
        }
        let indent = line.len() - line.trim_start_matches(' ').len();
        let body = &line[indent..];
        if indent == 0 {
            section = body;
            in_specs = false;
            continue;
        }
        let bad = |reason: &str| parse_error(path, Some(line_no), reason);
        match section {
            "GEM" => {
                if indent == 2 {
                    in_specs = body == "specs:";
                    if let Some(remote) = body.strip_prefix("remote:") {
                        let remote = remote.trim();
                        if !lock.remotes.iter().any(|r| r == remote) {
                            lock.remotes.push(remote.to_string());
                        }
                    }
                    continue;
                }
                if !in_specs {
                    continue;
                }
                let (name, paren) =
                    name_and_paren(body).ok_or_else(|| bad("expected `name (version)`"))?;
                match indent {
                    4 => {
                        let paren = paren.ok_or_else(|| bad("a locked gem has no version"))?;
                        // Bundler writes `version-platform`; a version itself has no `-`.
                        let (version, platform) = match paren.split_once('-') {
                            Some((v, p)) => (v, Some(p.to_string())),
                            None => (paren, None),
                        };
                        if version.is_empty() || name.is_empty() {
                            return Err(bad("a locked gem needs a name and a version"));
                        }
                        lock.specs.push(Spec {
                            name: name.to_string(),
                            version: version.to_string(),
                            platform,
                            line: line_no,
                            deps: Vec::new(),
                        });
                    }
                    6 => {
                        let spec = lock
                            .specs
                            .last_mut()
                            .ok_or_else(|| bad("a dependency before any locked gem"))?;
                        spec.deps
                            .push((name.to_string(), paren.map(str::to_string)));
                    }
                    _ => {
                        return Err(bad(
                            "indented deeper than a Gemfile.lock nests (section, gem, dependency)",
                        ))
                    }
                }
            }
            "DEPENDENCIES" if indent == 2 => {
                let (name, paren) =
                    name_and_paren(body).ok_or_else(|| bad("expected `name (requirement)`"))?;
                // `name!` comes from a git or path source, not the registry.
                let name = name.trim_end_matches('!');
                lock.direct
                    .push((name.to_string(), paren.map(str::to_string), line_no));
            }
            _ => {}
        }
    }
    Ok(lock)
}

/// Every `gem` line of a Gemfile with its one-based line number.
pub(crate) fn parse_gemfile(text: &str) -> Vec<(GemLine, u32)> {
    let mut out = Vec::new();
    // One entry per open `do` block: whether it is a development or test group.
    let mut blocks: Vec<bool> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let code = raw.split(" #").next().unwrap_or(raw).trim_end();
        let line = code.trim();
        if line.starts_with('#') {
            continue;
        }
        if line == "end" {
            blocks.pop();
            continue;
        }
        let in_dev = blocks.iter().any(|&d| d);
        if line.ends_with(" do") || line.contains(" do |") {
            let group = line.starts_with("group ") || line.starts_with("group(");
            blocks.push(group && DEV_GROUPS.iter().any(|g| line.contains(&format!(":{g}"))));
            continue;
        }
        // Other blocks closed by `end` (`if ENV["CI"]`, `unless`, `case`, `begin`).
        if ["if ", "unless ", "case ", "begin"]
            .iter()
            .any(|k| line.starts_with(k))
        {
            blocks.push(false);
            continue;
        }
        let indent = code.len() - code.trim_start().len();
        if let Some(mut g) = parse_gem_line(&code[indent..]) {
            g.span = (g.span.0 + indent, g.span.1 + indent);
            g.dev |= in_dev;
            out.push((g, u32::try_from(i + 1).unwrap_or(u32::MAX)));
        }
    }
    out
}

/// Parses `gem "name", "req", ..., key: value` (spans relative to `line`).
pub(crate) fn parse_gem_line(line: &str) -> Option<GemLine> {
    let rest = line.strip_prefix("gem")?;
    if !rest.starts_with([' ', '(']) {
        return None;
    }
    // Top-level comma-separated arguments with their byte offsets.
    let mut args: Vec<(usize, usize)> = Vec::new();
    let (mut start, mut depth, mut quote) = (3usize, 0i32, None::<char>);
    for (i, c) in line.char_indices().skip(3) {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '[' | '{' | '(') => depth += 1,
            (None, ']' | '}' | ')') => depth -= 1,
            (None, ',') if depth <= 0 => {
                args.push((start, i));
                start = i + 1;
            }
            _ => {}
        }
    }
    args.push((start, line.len()));
    let trimmed = |(s, e): (usize, usize)| -> (usize, usize) {
        let a = &line[s..e];
        let rest = a.trim_start_matches([' ', '(']);
        // Trimmed from what is left after the start, so an argument of only spaces and brackets
        // becomes empty instead of ending before it starts.
        let tail = rest.len() - rest.trim_end_matches([' ', ')']).len();
        (e - rest.len(), e - tail)
    };
    let quoted = |(s, e): (usize, usize)| -> Option<(char, &str)> {
        let a = &line[s..e];
        let q = a.chars().next().filter(|c| matches!(c, '"' | '\''))?;
        a.strip_prefix(q)?.strip_suffix(q).map(|inner| (q, inner))
    };
    let name_span = trimmed(args[0]);
    let (q, name) = quoted(name_span)?;
    let mut requirements = Vec::new();
    let mut span = (name_span.1, name_span.1);
    let mut dev = false;
    // Requirements are the quoted arguments right after the name; options (`group: :test`,
    // `require: false`) follow them.
    let mut options = false;
    for &arg in &args[1..] {
        let arg = trimmed(arg);
        match quoted(arg) {
            Some((_, req)) if !options => {
                if requirements.is_empty() {
                    span.0 = arg.0;
                }
                requirements.push(req.to_string());
                span.1 = arg.1;
            }
            _ => {
                options = true;
                let text = &line[arg.0..arg.1];
                if text.starts_with("group") || text.starts_with(":group") {
                    dev |= DEV_GROUPS.iter().any(|g| text.contains(&format!(":{g}")));
                }
            }
        }
    }
    if requirements.is_empty() {
        span = (name_span.1, name_span.1);
    }
    Some(GemLine {
        name: name.to_string(),
        requirements,
        span,
        quote: q,
        dev,
    })
}

#[cfg(test)]
mod tests;
