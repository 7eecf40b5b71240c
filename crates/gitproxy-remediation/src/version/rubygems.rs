//! RubyGems versions ordered like `Gem::Version`, and gem requirements (`~> 1.2`, `>= 1.0, < 2`).
//!
//! A version splits into segments on dots and at every change between digits and letters
//! (`1.0.0.rc1` is `1, 0, 0, "rc", 1`); a `-` starts a pre-release (`1.0-x` is `1.0.pre.x`).
//! Trailing zeros of the release part and of the pre-release part are dropped before comparing,
//! missing segments count as `0`, a string segment sorts before any number (a pre-release comes
//! before its release) and strings compare byte-wise.

use std::cmp::Ordering;
use std::fmt;

/// One segment of a gem version.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Segment {
    Num(u64),
    Str(String),
}

/// A gem version.
#[derive(Clone, Debug)]
pub struct Version {
    text: String,
    segments: Vec<Segment>,
}

impl Version {
    /// Parses a gem version (`1.2.3`, `1.0.0.rc1`, `2.0.0-beta.2`, `7.0.8.1`).
    pub fn parse(text: &str) -> Result<Version, String> {
        let t = text.trim();
        let valid_start = t.bytes().next().is_some_and(|b| b.is_ascii_digit());
        if !valid_start {
            return Err("a gem version starts with a digit".into());
        }
        if !t
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
        {
            return Err("a gem version holds only letters, digits, `.` and `-`".into());
        }
        if t.contains("..") || t.ends_with('.') || t.ends_with('-') {
            return Err("a gem version has an empty segment".into());
        }
        let normalized = t.replace('-', ".pre.");
        let mut segments = Vec::new();
        let bytes = normalized.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let start = i;
            if bytes[i].is_ascii_digit() {
                while i < bytes.len() && bytes[i].is_ascii_digit() {
                    i += 1;
                }
                let n = normalized[start..i]
                    .parse::<u64>()
                    .map_err(|_| "a numeric segment is too large".to_string())?;
                segments.push(Segment::Num(n));
            } else if bytes[i].is_ascii_alphabetic() {
                while i < bytes.len() && bytes[i].is_ascii_alphabetic() {
                    i += 1;
                }
                segments.push(Segment::Str(normalized[start..i].to_string()));
            } else {
                i += 1;
            }
        }
        Ok(Version {
            text: t.to_string(),
            segments,
        })
    }

    /// True when any segment is a string (`1.0.0.rc1`, `2.0.0-beta`).
    pub fn is_prerelease(&self) -> bool {
        self.segments.iter().any(|s| matches!(s, Segment::Str(_)))
    }

    /// The first segment (the major version).
    pub fn major(&self) -> u64 {
        match self.segments.first() {
            Some(Segment::Num(n)) => *n,
            _ => 0,
        }
    }

    /// The release part: the segments before the first string segment.
    fn release(&self) -> Version {
        let segments: Vec<Segment> = self
            .segments
            .iter()
            .take_while(|s| matches!(s, Segment::Num(_)))
            .cloned()
            .collect();
        Version {
            text: join(&segments),
            segments,
        }
    }

    /// The upper bound of `~> self`: the release without its last segment (unless it has only
    /// one), the new last segment incremented (`~> 1.2.3` allows below `1.3`).
    fn bump(&self) -> Version {
        let mut segments = self.release().segments;
        if segments.len() > 1 {
            segments.pop();
        }
        if let Some(Segment::Num(n)) = segments.last_mut() {
            *n = n.saturating_add(1);
        }
        Version {
            text: join(&segments),
            segments,
        }
    }

    /// Segments without trailing zeros in the release part and in the pre-release part.
    fn canonical(&self) -> Vec<&Segment> {
        let split = self
            .segments
            .iter()
            .position(|s| matches!(s, Segment::Str(_)))
            .unwrap_or(self.segments.len());
        let (release, pre) = self.segments.split_at(split);
        let trim = |part: &'_ [Segment]| -> usize {
            part.iter()
                .rposition(|s| *s != Segment::Num(0))
                .map_or(0, |p| p + 1)
        };
        let mut out: Vec<&Segment> = release[..trim(release)].iter().collect();
        out.extend(pre[..trim(pre)].iter());
        out
    }
}

fn join(segments: &[Segment]) -> String {
    segments
        .iter()
        .map(|s| match s {
            Segment::Num(n) => n.to_string(),
            Segment::Str(s) => s.clone(),
        })
        .collect::<Vec<_>>()
        .join(".")
}

impl Ord for Version {
    fn cmp(&self, other: &Version) -> Ordering {
        let (a, b) = (self.canonical(), other.canonical());
        let zero = Segment::Num(0);
        for i in 0..a.len().max(b.len()) {
            let l = a.get(i).copied().unwrap_or(&zero);
            let r = b.get(i).copied().unwrap_or(&zero);
            let ord = match (l, r) {
                (Segment::Num(x), Segment::Num(y)) => x.cmp(y),
                (Segment::Str(x), Segment::Str(y)) => x.cmp(y),
                (Segment::Str(_), Segment::Num(_)) => Ordering::Less,
                (Segment::Num(_), Segment::Str(_)) => Ordering::Greater,
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

/// A requirement operator of RubyGems.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Gt,
    Lt,
    Ge,
    Le,
    Pessimistic,
}

/// A gem requirement: every comma-separated constraint must hold (`>= 1.0, < 2`).
#[derive(Clone, Debug)]
pub struct Requirement {
    constraints: Vec<(Op, Version)>,
}

impl Requirement {
    /// Parses `~> 1.2`, `>= 1.0, < 2`, `= 6.1.4`, `!= 1.1` or a bare version (`= `).
    pub fn parse(text: &str) -> Result<Requirement, String> {
        let mut constraints = Vec::new();
        for part in text.split(',') {
            let part = part.trim();
            if part.is_empty() {
                return Err("an empty constraint".into());
            }
            let (op, rest) = [
                ("~>", Op::Pessimistic),
                (">=", Op::Ge),
                ("<=", Op::Le),
                ("!=", Op::Ne),
                ("=", Op::Eq),
                (">", Op::Gt),
                ("<", Op::Lt),
            ]
            .iter()
            .find_map(|(p, op)| part.strip_prefix(p).map(|rest| (*op, rest)))
            .unwrap_or((Op::Eq, part));
            constraints.push((op, Version::parse(rest)?));
        }
        Ok(Requirement { constraints })
    }

    /// Whether `v` satisfies every constraint.
    pub fn matches(&self, v: &Version) -> bool {
        self.constraints.iter().all(|(op, r)| match op {
            Op::Eq => v == r,
            Op::Ne => v != r,
            Op::Gt => v > r,
            Op::Lt => v < r,
            Op::Ge => v >= r,
            Op::Le => v <= r,
            Op::Pessimistic => v >= r && v.release() < r.bump(),
        })
    }
}

#[cfg(test)]
mod tests;
