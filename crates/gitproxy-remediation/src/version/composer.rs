//! Packagist versions ordered as Composer orders them, and Composer version constraints.
//!
//! Composer normalises a version to four numeric parts (`v1.2` is `1.2.0.0`) and a stability
//! suffix (`-alpha2`, `-beta`, `-RC1`, `-patch1`, `-dev`), then compares the normalised strings
//! the way PHP's `version_compare` does: numbers numerically, and stabilities ordered
//! `dev < alpha < beta < RC < (a number, that is stable) < patch`. Branch versions
//! (`dev-main`, `1.x-dev`) have no place in that order and do not parse.

use std::cmp::Ordering;
use std::fmt;

/// Stability ranks, as `version_compare` orders its special forms; a number ranks as `STABLE`.
const DEV: u8 = 0;
const ALPHA: u8 = 1;
const BETA: u8 = 2;
const RC: u8 = 3;
const STABLE: u8 = 4;
const PATCH: u8 = 5;

/// One part of a normalised version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Part {
    Num(u64),
    Special(u8),
}

/// A Packagist version.
#[derive(Clone, Debug)]
pub struct Version {
    text: String,
    parts: Vec<Part>,
}

/// Splits `s` into its leading ASCII digits and the rest.
fn digits(s: &str) -> (&str, &str) {
    let n = s.bytes().take_while(u8::is_ascii_digit).count();
    s.split_at(n)
}

impl Version {
    /// Parses and normalises a version (`1.2.3`, `v2.0`, `1.0.0-beta2`, `3.4.1-RC1`,
    /// `1.0.0.1-patch1`, `2.0.x-dev` is refused as a branch).
    pub fn parse(text: &str) -> Result<Version, String> {
        let t = text.trim();
        if t.is_empty() {
            return Err("an empty version".into());
        }
        let lower = t.to_ascii_lowercase();
        if lower.starts_with("dev-") || lower.contains(".x") || lower.contains(".*") {
            return Err("a branch or wildcard is not a version".into());
        }
        let mut rest = lower.strip_prefix('v').unwrap_or(&lower);
        let mut parts = Vec::new();
        for i in 0..4 {
            if i > 0 {
                match rest.strip_prefix('.') {
                    Some(r) if r.starts_with(|c: char| c.is_ascii_digit()) => rest = r,
                    _ => break,
                }
            }
            let (num, r) = digits(rest);
            if num.is_empty() {
                return Err("a version starts with a number".into());
            }
            parts.push(Part::Num(
                num.parse().map_err(|_| "a version number is too large")?,
            ));
            rest = r;
        }
        parts.resize(4, Part::Num(0));
        let mut rest = rest.trim_start_matches(['.', '-', '_', '+']);
        if !rest.is_empty() {
            let words: [(&str, u8); 11] = [
                ("stable", STABLE),
                ("alpha", ALPHA),
                ("beta", BETA),
                ("patch", PATCH),
                ("rc", RC),
                ("pl", PATCH),
                ("dev", DEV),
                ("a", ALPHA),
                ("b", BETA),
                ("p", PATCH),
                ("", STABLE),
            ];
            let (rank, r) = words
                .iter()
                .find_map(|(w, rank)| {
                    let r = rest.strip_prefix(w)?;
                    (!w.is_empty()).then_some((*rank, r))
                })
                .ok_or_else(|| {
                    format!("`{rest}` is not a stability (alpha, beta, RC, patch, dev)")
                })?;
            rest = r;
            if rank != STABLE {
                parts.push(Part::Special(rank));
            }
            if rank != DEV {
                // Stability numbers: `beta2`, `beta.2`, `RC-1`, `rc1.2`.
                loop {
                    let r = rest.trim_start_matches(['.', '-']);
                    let (num, after) = digits(r);
                    if num.is_empty() {
                        break;
                    }
                    parts.push(Part::Num(
                        num.parse().map_err(|_| "a version number is too large")?,
                    ));
                    rest = after;
                }
                let r = rest.trim_start_matches(['.', '-']);
                if let Some(after) = r.strip_prefix("dev") {
                    parts.push(Part::Special(DEV));
                    rest = after;
                }
            }
            if !rest.is_empty() {
                return Err(format!("unexpected `{rest}` after the version"));
            }
        }
        Ok(Version {
            text: t.to_string(),
            parts,
        })
    }

    /// True below stable (`dev`, `alpha`, `beta`, `RC`); `patch` releases are stable.
    pub fn is_prerelease(&self) -> bool {
        self.parts
            .iter()
            .any(|p| matches!(p, Part::Special(r) if *r < STABLE))
    }

    /// The `i`th numeric part of the release (`0` for major).
    pub fn release(&self, i: usize) -> u64 {
        match self.parts.get(i) {
            Some(Part::Num(n)) if i < 4 => *n,
            _ => 0,
        }
    }

    fn from_release(release: [u64; 4], dev: bool) -> Version {
        let mut parts: Vec<Part> = release.iter().map(|&n| Part::Num(n)).collect();
        if dev {
            parts.push(Part::Special(DEV));
        }
        let text = format!(
            "{}.{}.{}.{}{}",
            release[0],
            release[1],
            release[2],
            release[3],
            if dev { "-dev" } else { "" }
        );
        Version { text, parts }
    }
}

/// How a part compares with a missing one: a number is more, a stability against a number.
fn against_end(p: Part) -> Ordering {
    match p {
        Part::Num(_) => Ordering::Greater,
        Part::Special(r) => r.cmp(&STABLE),
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Version) -> Ordering {
        for i in 0..self.parts.len().max(other.parts.len()) {
            let ord = match (self.parts.get(i), other.parts.get(i)) {
                (Some(Part::Num(a)), Some(Part::Num(b))) => a.cmp(b),
                (Some(Part::Special(a)), Some(Part::Special(b))) => a.cmp(b),
                (Some(Part::Num(_)), Some(Part::Special(b))) => STABLE.cmp(b),
                (Some(Part::Special(a)), Some(Part::Num(_))) => a.cmp(&STABLE),
                (Some(&a), None) => against_end(a),
                (None, Some(&b)) => against_end(b).reverse(),
                (None, None) => Ordering::Equal,
            };
            if ord != Ordering::Equal {
                return ord;
            }
        }
        Ordering::Equal
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Version) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Version) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Version {}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// One bound of a constraint.
#[derive(Clone, Debug)]
enum Bound {
    Ge(Version),
    Gt(Version),
    Le(Version),
    Lt(Version),
    Eq(Version),
    Ne(Version),
}

/// A Composer constraint: alternatives (`||`) of conjunctions (space or comma separated).
#[derive(Clone, Debug)]
pub struct Constraint {
    any: Vec<Vec<Bound>>,
}

impl Constraint {
    /// Parses `^1.2`, `~1.2.3`, `>=1.0 <2.0`, `>= 1.0, < 2.0`, `1.0.*`, `1.0 - 2.0`, `*`,
    /// `^1.0 || ^2.0` (stability flags such as `@dev` are ignored).
    pub fn parse(text: &str) -> Result<Constraint, String> {
        let mut any = Vec::new();
        for alt in text.split("||").flat_map(|a| a.split('|')) {
            let alt = alt.trim();
            if alt.is_empty() {
                return Err("an empty alternative".into());
            }
            // Composer allows space between an operator and its version (`>= 1.0, < 2.0`): an
            // operator-only token belongs to the token after it.
            let mut tokens: Vec<String> = Vec::new();
            let mut pending_operator = false;
            for t in alt
                .split([' ', ','])
                .map(str::trim)
                .filter(|t| !t.is_empty())
            {
                match tokens.last_mut() {
                    Some(last) if pending_operator => last.push_str(t),
                    _ => tokens.push(t.to_string()),
                }
                pending_operator = t.bytes().all(|b| matches!(b, b'<' | b'>' | b'=' | b'!'));
            }
            let mut all = Vec::new();
            let mut i = 0;
            while i < tokens.len() {
                if tokens.get(i + 1).is_some_and(|t| t == "-") {
                    let to = tokens
                        .get(i + 2)
                        .ok_or("a hyphen range needs an upper end")?;
                    all.push(Bound::Ge(Version::parse(&tokens[i])?));
                    all.extend(hyphen_upper(to)?);
                    i += 3;
                    continue;
                }
                all.extend(atom(&tokens[i])?);
                i += 1;
            }
            any.push(all);
        }
        Ok(Constraint { any })
    }

    /// Whether `v` satisfies some alternative.
    pub fn matches(&self, v: &Version) -> bool {
        self.any.iter().any(|all| {
            all.iter().all(|b| match b {
                Bound::Ge(r) => v >= r,
                Bound::Gt(r) => v > r,
                Bound::Le(r) => v <= r,
                Bound::Lt(r) => v < r,
                Bound::Eq(r) => v == r,
                Bound::Ne(r) => v != r,
            })
        })
    }
}

/// The numeric parts written in `text` (`1.2` is `[1, 2]`), at most four.
fn written(text: &str) -> Result<Vec<u64>, String> {
    let t = text.trim_start_matches(['v', 'V']);
    let t = t.split(['-', '@', '+']).next().unwrap_or(t);
    let mut out = Vec::new();
    for p in t.split('.') {
        if matches!(p, "*" | "x" | "X") {
            break;
        }
        out.push(
            p.parse()
                .map_err(|_| format!("`{text}` is not a version"))?,
        );
    }
    if out.is_empty() || out.len() > 4 {
        return Err(format!("`{text}` is not a version"));
    }
    Ok(out)
}

/// `[a, b, c, d]` with the part at `i` incremented and everything after it zero.
fn next_at(parts: &[u64], i: usize) -> [u64; 4] {
    let mut out = [0u64; 4];
    for (k, slot) in out.iter_mut().enumerate().take(i) {
        *slot = parts.get(k).copied().unwrap_or(0);
    }
    out[i] = parts.get(i).copied().unwrap_or(0).saturating_add(1);
    out
}

/// The upper bound of `a - b`: `b` itself when complete, else below the next of its last part.
fn hyphen_upper(to: &str) -> Result<Vec<Bound>, String> {
    let parts = written(to)?;
    Ok(vec![if parts.len() >= 3 {
        Bound::Le(Version::parse(to)?)
    } else {
        Bound::Lt(Version::from_release(
            next_at(&parts, parts.len() - 1),
            true,
        ))
    }])
}

fn atom(token: &str) -> Result<Vec<Bound>, String> {
    let token = token.split('@').next().unwrap_or(token);
    if matches!(token, "" | "*" | "x") {
        return Ok(Vec::new());
    }
    for (op, make) in [
        (">=", Bound::Ge as fn(Version) -> Bound),
        ("<=", Bound::Le),
        ("!=", Bound::Ne),
        ("<>", Bound::Ne),
        ("==", Bound::Eq),
        (">", Bound::Gt),
        ("<", Bound::Lt),
        ("=", Bound::Eq),
    ] {
        if let Some(v) = token.strip_prefix(op) {
            return Ok(vec![make(Version::parse(v)?)]);
        }
    }
    if let Some(v) = token.strip_prefix('^') {
        let parts = written(v)?;
        // The first non-zero part may not change (`^0.3` is below 0.4, `^1.2` below 2).
        let i = parts
            .iter()
            .position(|&p| p != 0)
            .unwrap_or(parts.len() - 1);
        return Ok(vec![
            Bound::Ge(Version::parse(v)?),
            Bound::Lt(Version::from_release(next_at(&parts, i), true)),
        ]);
    }
    if let Some(v) = token.strip_prefix('~') {
        let parts = written(v)?;
        // The last written part may move, the one before it not (`~1.2` is below 2).
        let i = parts.len().saturating_sub(2);
        return Ok(vec![
            Bound::Ge(Version::parse(v)?),
            Bound::Lt(Version::from_release(next_at(&parts, i), true)),
        ]);
    }
    if token.contains('*') || token.to_ascii_lowercase().contains(".x") {
        let parts = written(token)?;
        let mut low = [0u64; 4];
        low[..parts.len()].copy_from_slice(&parts);
        return Ok(vec![
            Bound::Ge(Version::from_release(low, true)),
            Bound::Lt(Version::from_release(
                next_at(&parts, parts.len() - 1),
                true,
            )),
        ]);
    }
    Ok(vec![Bound::Eq(Version::parse(token)?)])
}

#[cfg(test)]
mod tests;
