//! Semantic Versioning 2.0 versions and the range syntaxes of npm (node-semver) and Cargo.

use std::cmp::Ordering;
use std::fmt;

/// A semantic version. Build metadata is kept for display but ignored by comparisons.
#[derive(Clone, Debug)]
pub struct Version {
    /// Major component.
    pub major: u64,
    /// Minor component.
    pub minor: u64,
    /// Patch component.
    pub patch: u64,
    /// Pre-release identifiers; empty for a release.
    pub pre: Vec<Identifier>,
    /// Build metadata without the leading `+`; empty when absent.
    pub build: String,
}

/// One dot-separated pre-release identifier.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Identifier {
    /// All digits; sorts before any alphanumeric identifier.
    Numeric(u64),
    /// Anything else, compared in ASCII order.
    Alpha(String),
}

impl Version {
    /// A release version `major.minor.patch`.
    pub fn new(major: u64, minor: u64, patch: u64) -> Version {
        Version {
            major,
            minor,
            patch,
            pre: Vec::new(),
            build: String::new(),
        }
    }

    /// Parses a strict `MAJOR.MINOR.PATCH[-PRE][+BUILD]` version.
    pub fn parse(text: &str) -> Result<Version, String> {
        parse(text, false)
    }

    /// Parses the way node-semver's loose mode does: leading `v`/`=` and spaces are dropped and
    /// numeric identifiers may carry leading zeros.
    pub fn parse_loose(text: &str) -> Result<Version, String> {
        let t = text.trim().trim_start_matches('=').trim_start();
        let t = t
            .strip_prefix('v')
            .or_else(|| t.strip_prefix('V'))
            .unwrap_or(t);
        parse(t, true)
    }

    /// True when the version carries pre-release identifiers.
    pub fn is_prerelease(&self) -> bool {
        !self.pre.is_empty()
    }

    /// `(major, minor, patch)`.
    pub fn triple(&self) -> (u64, u64, u64) {
        (self.major, self.minor, self.patch)
    }

    /// The lowest version that still has this triple (`x.y.z-0`).
    pub(crate) fn min_pre(major: u64, minor: u64, patch: u64) -> Version {
        Version {
            pre: vec![Identifier::Numeric(0)],
            ..Version::new(major, minor, patch)
        }
    }
}

fn parse(text: &str, loose: bool) -> Result<Version, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("empty version".into());
    }
    let (rest, build) = match text.split_once('+') {
        Some((r, b)) => {
            if b.is_empty()
                || b.split('.')
                    .any(|p| p.is_empty() || !p.chars().all(is_ident_char))
            {
                return Err("invalid build metadata".into());
            }
            (r, b.to_string())
        }
        None => (text, String::new()),
    };
    let (core, pre) = match rest.split_once('-') {
        Some((c, p)) => (c, Some(p)),
        None => (rest, None),
    };
    let mut parts = core.split('.');
    let mut num = |what: &str| -> Result<u64, String> {
        let p = parts
            .next()
            .ok_or_else(|| format!("missing {what} component"))?;
        numeric(p, loose).ok_or_else(|| format!("{what} component `{p}` is not a number"))
    };
    let major = num("major")?;
    let minor = num("minor")?;
    let patch = num("patch")?;
    if parts.next().is_some() {
        return Err("more than three numeric components".into());
    }
    let mut out = Version::new(major, minor, patch);
    out.build = build;
    if let Some(pre) = pre {
        for id in pre.split('.') {
            if id.is_empty() || !id.chars().all(is_ident_char) {
                return Err(format!("invalid pre-release identifier `{id}`"));
            }
            if id.bytes().all(|b| b.is_ascii_digit()) {
                if !loose && id.len() > 1 && id.starts_with('0') {
                    return Err(format!("numeric identifier `{id}` has a leading zero"));
                }
                match id.parse() {
                    Ok(n) => out.pre.push(Identifier::Numeric(n)),
                    Err(_) => out.pre.push(Identifier::Alpha(id.to_string())),
                }
            } else {
                out.pre.push(Identifier::Alpha(id.to_string()));
            }
        }
    }
    Ok(out)
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-'
}

fn numeric(p: &str, loose: bool) -> Option<u64> {
    if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if !loose && p.len() > 1 && p.starts_with('0') {
        return None;
    }
    p.parse().ok()
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.triple().cmp(&other.triple()).then_with(|| {
            match (self.pre.is_empty(), other.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => self.pre.cmp(&other.pre),
            }
        })
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Version {}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        for (i, id) in self.pre.iter().enumerate() {
            f.write_str(if i == 0 { "-" } else { "." })?;
            match id {
                Identifier::Numeric(n) => write!(f, "{n}")?,
                Identifier::Alpha(s) => f.write_str(s)?,
            }
        }
        if !self.build.is_empty() {
            write!(f, "+{}", self.build)?;
        }
        Ok(())
    }
}

/// A primitive comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `=`
    Eq,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

/// One primitive comparator such as `>=1.2.3`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comparator {
    /// The operator.
    pub op: Op,
    /// The operand.
    pub version: Version,
}

impl Comparator {
    fn new(op: Op, version: Version) -> Comparator {
        Comparator { op, version }
    }

    /// Whether `v` satisfies this comparator, ignoring the pre-release rule.
    pub fn test(&self, v: &Version) -> bool {
        let ord = v.cmp(&self.version);
        match self.op {
            Op::Eq => ord == Ordering::Equal,
            Op::Lt => ord == Ordering::Less,
            Op::Le => ord != Ordering::Greater,
            Op::Gt => ord == Ordering::Greater,
            Op::Ge => ord != Ordering::Less,
        }
    }
}

/// A set of comparators that must all hold (an intersection).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ComparatorSet {
    /// The comparators; empty matches every release.
    pub comparators: Vec<Comparator>,
}

impl ComparatorSet {
    /// Whether `v` satisfies every comparator. A pre-release only matches when some comparator
    /// names a pre-release of the same `major.minor.patch` (npm and Cargo agree on this rule).
    pub fn matches(&self, v: &Version) -> bool {
        if !self.comparators.iter().all(|c| c.test(v)) {
            return false;
        }
        if v.is_prerelease() {
            return self
                .comparators
                .iter()
                .any(|c| c.version.is_prerelease() && c.version.triple() == v.triple());
        }
        true
    }
}

/// A union of comparator sets: `||` in npm; Cargo requirements have exactly one set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Range {
    /// The alternatives; the range matches when any of them does.
    pub sets: Vec<ComparatorSet>,
}

impl Range {
    /// Whether `v` satisfies the range.
    pub fn matches(&self, v: &Version) -> bool {
        self.sets.iter().any(|s| s.matches(v))
    }

    /// Parses an npm (node-semver) range: `^`, `~`, x-ranges, hyphen ranges, `||`, comparators.
    pub fn parse_npm(text: &str) -> Result<Range, String> {
        let mut sets = Vec::new();
        for alt in text.split("||") {
            sets.push(parse_npm_set(alt.trim())?);
        }
        Ok(Range { sets })
    }

    /// Parses a Cargo version requirement: comma-separated comparators, bare versions are carets.
    pub fn parse_cargo(text: &str) -> Result<Range, String> {
        let mut set = ComparatorSet::default();
        let text = text.trim();
        if text.is_empty() {
            return Err("empty requirement".into());
        }
        for part in text.split(',') {
            let part = part.trim();
            let (op, rest) = split_op(part);
            let partial = Partial::parse(rest.trim(), false)?;
            // A bare version is a caret requirement; a bare wildcard (`1.2.*`) is an x-range.
            let op = match op {
                "" if rest.contains('*') => "=",
                "" => "^",
                op => op,
            };
            desugar(op, &partial, Flavor::Cargo, &mut set.comparators)?;
        }
        Ok(Range { sets: vec![set] })
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Flavor {
    Npm,
    Cargo,
}

/// A possibly partial version: `1`, `1.2`, `1.2.x`, `*`, `1.2.3-pre`.
#[derive(Clone, Debug)]
struct Partial {
    major: Option<u64>,
    minor: Option<u64>,
    patch: Option<u64>,
    pre: Vec<Identifier>,
}

impl Partial {
    fn parse(text: &str, loose: bool) -> Result<Partial, String> {
        let t = text.trim();
        let t = if loose {
            t.strip_prefix('v')
                .or_else(|| t.strip_prefix('V'))
                .unwrap_or(t)
        } else {
            t
        };
        let t = t.split_once('+').map_or(t, |(a, _)| a);
        if t.is_empty() || t == "*" || t == "x" || t == "X" {
            return Ok(Partial {
                major: None,
                minor: None,
                patch: None,
                pre: Vec::new(),
            });
        }
        let (core, pre) = match t.split_once('-') {
            Some((c, p)) => (c, Some(p)),
            None => (t, None),
        };
        let mut comps = [None, None, None];
        let parts: Vec<&str> = core.split('.').collect();
        if parts.len() > 3 {
            return Err(format!("`{text}` has more than three components"));
        }
        for (i, p) in parts.iter().enumerate() {
            if matches!(*p, "*" | "x" | "X") {
                break;
            }
            comps[i] = Some(numeric(p, true).ok_or_else(|| format!("`{p}` is not a number"))?);
        }
        let pre = match pre {
            Some(p) => {
                let full = Version::parse_loose(&format!("0.0.0-{p}"))?;
                full.pre
            }
            None => Vec::new(),
        };
        Ok(Partial {
            major: comps[0],
            minor: comps[1].filter(|_| comps[0].is_some()),
            patch: comps[2].filter(|_| comps[1].is_some() && comps[0].is_some()),
            pre,
        })
    }

    fn floor(&self) -> Version {
        let mut v = Version::new(
            self.major.unwrap_or(0),
            self.minor.unwrap_or(0),
            self.patch.unwrap_or(0),
        );
        if self.patch.is_some() {
            v.pre = self.pre.clone();
        }
        v
    }
}

fn split_op(s: &str) -> (&str, &str) {
    for op in [">=", "<=", "^", "~>", "~", ">", "<", "="] {
        if let Some(rest) = s.strip_prefix(op) {
            return (op, rest);
        }
    }
    ("", s)
}

/// Upper bound used when a range excludes everything from `v` on: npm writes `<v-0` so that
/// pre-releases of `v` are excluded too; Cargo writes `<v` and relies on the pre-release rule.
fn upper(flavor: Flavor, major: u64, minor: u64, patch: u64) -> Comparator {
    match flavor {
        Flavor::Npm => Comparator::new(Op::Lt, Version::min_pre(major, minor, patch)),
        Flavor::Cargo => Comparator::new(Op::Lt, Version::new(major, minor, patch)),
    }
}

fn desugar(op: &str, p: &Partial, flavor: Flavor, out: &mut Vec<Comparator>) -> Result<(), String> {
    let (Some(major), minor, patch) = (p.major, p.minor, p.patch) else {
        // `*`, `x`, `>=*`: anything (a `<*` matches nothing).
        if op == "<" || op == ">" {
            out.push(Comparator::new(Op::Lt, Version::min_pre(0, 0, 0)));
        }
        return Ok(());
    };
    match op {
        "^" => {
            out.push(Comparator::new(Op::Ge, p.floor()));
            let ub = match (major, minor, patch) {
                (0, Some(0), Some(pa)) => upper(flavor, 0, 0, pa + 1),
                (0, Some(mi), _) => upper(flavor, 0, mi + 1, 0),
                (ma, _, _) => upper(flavor, ma + 1, 0, 0),
            };
            out.push(ub);
        }
        "~" | "~>" => {
            out.push(Comparator::new(Op::Ge, p.floor()));
            let ub = match minor {
                Some(mi) => upper(flavor, major, mi + 1, 0),
                None => upper(flavor, major + 1, 0, 0),
            };
            out.push(ub);
        }
        "" | "=" => match (minor, patch) {
            (Some(_), Some(_)) => out.push(Comparator::new(Op::Eq, p.floor())),
            (Some(mi), None) => {
                out.push(Comparator::new(Op::Ge, p.floor()));
                out.push(upper(flavor, major, mi + 1, 0));
            }
            (None, _) => {
                out.push(Comparator::new(Op::Ge, p.floor()));
                out.push(upper(flavor, major + 1, 0, 0));
            }
        },
        ">=" => out.push(Comparator::new(Op::Ge, p.floor())),
        "<" => match (minor, patch) {
            (Some(_), Some(_)) => out.push(Comparator::new(Op::Lt, p.floor())),
            _ => out.push(upper(flavor, major, minor.unwrap_or(0), 0)),
        },
        ">" => match (minor, patch) {
            (Some(_), Some(_)) => out.push(Comparator::new(Op::Gt, p.floor())),
            (Some(mi), None) => out.push(Comparator::new(Op::Ge, Version::new(major, mi + 1, 0))),
            (None, _) => out.push(Comparator::new(Op::Ge, Version::new(major + 1, 0, 0))),
        },
        "<=" => match (minor, patch) {
            (Some(_), Some(_)) => out.push(Comparator::new(Op::Le, p.floor())),
            (Some(mi), None) => out.push(upper(flavor, major, mi + 1, 0)),
            (None, _) => out.push(upper(flavor, major + 1, 0, 0)),
        },
        other => return Err(format!("unknown operator `{other}`")),
    }
    Ok(())
}

fn parse_npm_set(text: &str) -> Result<ComparatorSet, String> {
    let mut set = ComparatorSet::default();
    if text.is_empty() || text == "*" || text.eq_ignore_ascii_case("x") || text == "latest" {
        if text == "latest" {
            return Err("dist-tag `latest` is not a range".into());
        }
        return Ok(set);
    }
    // Hyphen range: `a - b` (spaces are required around the hyphen).
    if let Some((lo, hi)) = text.split_once(" - ") {
        let lo = Partial::parse(lo.trim(), true)?;
        let hi = Partial::parse(hi.trim(), true)?;
        if lo.major.is_some() {
            set.comparators.push(Comparator::new(Op::Ge, lo.floor()));
        }
        match (hi.major, hi.minor, hi.patch) {
            (None, _, _) => {}
            (Some(_), Some(_), Some(_)) => {
                set.comparators.push(Comparator::new(Op::Le, hi.floor()))
            }
            (Some(ma), Some(mi), None) => set.comparators.push(upper(Flavor::Npm, ma, mi + 1, 0)),
            (Some(ma), None, _) => set.comparators.push(upper(Flavor::Npm, ma + 1, 0, 0)),
        }
        return Ok(set);
    }
    // Operators may be separated from their version by spaces (`>= 1.2.3`): glue them first.
    let mut tokens: Vec<String> = Vec::new();
    for tok in text.split_whitespace() {
        match tokens.last_mut() {
            Some(last) if matches!(last.as_str(), ">=" | "<=" | ">" | "<" | "=" | "^" | "~") => {
                last.push_str(tok)
            }
            _ => tokens.push(tok.to_string()),
        }
    }
    for tok in tokens {
        let (op, rest) = split_op(&tok);
        let partial = Partial::parse(rest, true)?;
        desugar(op, &partial, Flavor::Npm, &mut set.comparators)?;
    }
    Ok(set)
}

#[cfg(test)]
mod tests;
