//! NuGet versions and version ranges: SemVer 2.0 with NuGet's normalisation (leading zeros
//! dropped, `1.0` == `1.0.0` == `1.0.0.0`, an optional fourth "revision" part, pre-release labels
//! compared case-insensitively, build metadata ignored) and the range syntax of
//! `PackageReference` (`1.0` = at least 1.0, `[1.0]`, `[1.0,2.0)`, `(,1.0]`, floating `1.*`).

use std::cmp::Ordering;
use std::fmt;

/// One dot-separated part of a pre-release label.
#[derive(Clone, Debug)]
enum Label {
    Number(u64),
    Text(String),
}

impl Label {
    fn compare(&self, other: &Label) -> Ordering {
        match (self, other) {
            (Label::Number(a), Label::Number(b)) => a.cmp(b),
            (Label::Number(_), Label::Text(_)) => Ordering::Less,
            (Label::Text(_), Label::Number(_)) => Ordering::Greater,
            (Label::Text(a), Label::Text(b)) => a
                .bytes()
                .map(|c| c.to_ascii_lowercase())
                .cmp(b.bytes().map(|c| c.to_ascii_lowercase())),
        }
    }
}

/// A NuGet version. Equality and order follow NuGet's `VersionComparer` (metadata ignored,
/// labels case-insensitive); `Display` gives the normalised form NuGet writes in lockfiles.
#[derive(Clone, Debug)]
pub struct Version {
    /// Major, minor, patch and revision (0 when absent).
    pub release: [u64; 4],
    pre: Vec<Label>,
    /// The pre-release label as written (`beta.1`), without the `-`.
    pre_text: String,
}

impl Version {
    /// Parses a NuGet version: one to four numeric parts, an optional `-label` and `+metadata`.
    pub fn parse(text: &str) -> Result<Version, String> {
        let text = text.trim();
        if text.is_empty() {
            return Err("empty version".into());
        }
        let without_meta = text.split_once('+').map_or(text, |(v, _)| v);
        let (release_text, pre_text) = match without_meta.split_once('-') {
            Some((r, p)) => (r, Some(p)),
            None => (without_meta, None),
        };
        let parts: Vec<&str> = release_text.split('.').collect();
        if parts.len() > 4 {
            return Err(format!("`{text}` has more than four numeric parts"));
        }
        let mut release = [0u64; 4];
        for (slot, part) in release.iter_mut().zip(&parts) {
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!("`{part}` in `{text}` is not a number"));
            }
            *slot = part
                .parse()
                .map_err(|_| format!("`{part}` in `{text}` is too large"))?;
        }
        let mut pre = Vec::new();
        if let Some(p) = pre_text {
            for label in p.split('.') {
                if label.is_empty()
                    || !label
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                {
                    return Err(format!("invalid pre-release label `{p}` in `{text}`"));
                }
                pre.push(match label.parse::<u64>() {
                    Ok(n) if label.bytes().all(|b| b.is_ascii_digit()) => Label::Number(n),
                    _ => Label::Text(label.to_string()),
                });
            }
        }
        Ok(Version {
            release,
            pre,
            pre_text: pre_text.unwrap_or("").to_string(),
        })
    }

    /// True when the version carries a pre-release label.
    pub fn is_prerelease(&self) -> bool {
        !self.pre.is_empty()
    }

    /// The major part.
    pub fn major(&self) -> u64 {
        self.release[0]
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Version {}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.release.cmp(&other.release).then_with(|| {
            match (self.pre.is_empty(), other.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => {
                    for (a, b) in self.pre.iter().zip(&other.pre) {
                        let o = a.compare(b);
                        if o != Ordering::Equal {
                            return o;
                        }
                    }
                    self.pre.len().cmp(&other.pre.len())
                }
            }
        })
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [major, minor, patch, revision] = self.release;
        write!(f, "{major}.{minor}.{patch}")?;
        if revision != 0 {
            write!(f, ".{revision}")?;
        }
        if !self.pre_text.is_empty() {
            write!(f, "-{}", self.pre_text)?;
        }
        Ok(())
    }
}

/// A floating version: the highest published version matching a prefix.
#[derive(Clone, Debug)]
struct Float {
    /// The numeric parts every match starts with (empty for `*`).
    release: Vec<u64>,
    /// `None`: stable versions only; `Some(prefix)`: pre-releases whose label starts with
    /// `prefix` (lower case) too.
    pre: Option<String>,
    /// As written (`1.*`).
    text: String,
}

/// A NuGet version range.
#[derive(Clone, Debug)]
pub struct VersionRange {
    min: Option<(Version, bool)>,
    max: Option<(Version, bool)>,
    float: Option<Float>,
}

impl VersionRange {
    /// Parses `1.0` (at least 1.0), `[1.0]` (exactly), `[1.0,2.0)`, `(,1.0]`, `(1.0,)`, and
    /// floating versions (`*`, `1.*`, `1.2.*`, `1.0.0-*`, `1.0.0-beta.*`, `*-*`).
    pub fn parse(text: &str) -> Result<VersionRange, String> {
        let t = text.trim();
        if t.is_empty() {
            return Err("empty version range".into());
        }
        if t.contains('*') {
            // Lockfiles write a float as the lower bound of a range: `[1.*, )`.
            let inner = t
                .strip_prefix('[')
                .and_then(|r| r.strip_suffix(')'))
                .and_then(|r| r.split_once(','))
                .filter(|(_, hi)| hi.trim().is_empty())
                .map_or(t, |(lo, _)| lo.trim());
            return VersionRange::parse_float(inner);
        }
        let Some(first) = t.chars().next().filter(|c| matches!(c, '[' | '(')) else {
            return Ok(VersionRange {
                min: Some((Version::parse(t)?, true)),
                max: None,
                float: None,
            });
        };
        let last = t.chars().last().unwrap_or(' ');
        if !matches!(last, ']' | ')') || t.len() < 2 {
            return Err(format!("`{t}` does not end with `]` or `)`"));
        }
        let inner = &t[1..t.len() - 1];
        let (lo, hi) = match inner.split_once(',') {
            Some((lo, hi)) => (lo.trim(), hi.trim()),
            None => {
                if first != '[' || last != ']' {
                    return Err(format!("an exact version is written `[{}]`", inner.trim()));
                }
                let v = Version::parse(inner)?;
                return Ok(VersionRange {
                    min: Some((v.clone(), true)),
                    max: Some((v, true)),
                    float: None,
                });
            }
        };
        if hi.contains(',') {
            return Err(format!("`{t}` has more than two bounds"));
        }
        let bound = |s: &str, inclusive: bool| -> Result<Option<(Version, bool)>, String> {
            if s.is_empty() {
                Ok(None)
            } else {
                Ok(Some((Version::parse(s)?, inclusive)))
            }
        };
        let range = VersionRange {
            min: bound(lo, first == '[')?,
            max: bound(hi, last == ']')?,
            float: None,
        };
        if range.min.is_none() && range.max.is_none() {
            return Err(format!("`{t}` has no bound"));
        }
        if let (Some((a, _)), Some((b, _))) = (&range.min, &range.max) {
            if a > b {
                return Err(format!("`{t}` has its lower bound above its upper bound"));
            }
        }
        Ok(range)
    }

    fn parse_float(t: &str) -> Result<VersionRange, String> {
        let bad = || format!("`{t}` is not a floating version (`1.*`, `1.0.0-*`)");
        let (release_text, pre) = match t.split_once('-') {
            Some((r, p)) => {
                let p = p.strip_suffix('*').ok_or_else(bad)?;
                if p.contains('*') {
                    return Err(bad());
                }
                (r, Some(p.to_ascii_lowercase()))
            }
            None => (t, None),
        };
        let mut release = Vec::new();
        let parts: Vec<&str> = release_text.split('.').collect();
        for (i, part) in parts.iter().enumerate() {
            if *part == "*" {
                if i + 1 != parts.len() || pre.as_deref().is_some_and(|p| !p.is_empty()) {
                    return Err(bad());
                }
                break;
            }
            if part.contains('*') || i >= 4 {
                return Err(bad());
            }
            release.push(part.parse::<u64>().map_err(|_| bad())?);
        }
        if release.len() == parts.len() && pre.is_none() {
            return Err(bad());
        }
        let mut min_text = release
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(".");
        if min_text.is_empty() {
            min_text.push('0');
        }
        let mut min = Version::parse(&min_text)?;
        if let Some(p) = &pre {
            // The lowest pre-release of the prefix.
            let label = p.trim_end_matches(['.', '-']);
            let label = if label.is_empty() { "0" } else { label };
            min = Version::parse(&format!("{min_text}-{label}"))?;
        }
        Ok(VersionRange {
            min: Some((min, true)),
            max: None,
            float: Some(Float {
                release,
                pre,
                text: t.to_string(),
            }),
        })
    }

    /// Whether `v` is in the range; for a floating range, whether the float can land on `v`.
    pub fn contains(&self, v: &Version) -> bool {
        if let Some(float) = &self.float {
            let prefix_ok = float
                .release
                .iter()
                .zip(v.release)
                .all(|(want, got)| *want == got);
            return prefix_ok
                && match &float.pre {
                    None => !v.is_prerelease(),
                    Some(p) => !v.is_prerelease() || v.pre_text.to_ascii_lowercase().starts_with(p),
                };
        }
        let above = self.min.as_ref().is_none_or(
            |(min, inclusive)| {
                if *inclusive {
                    v >= min
                } else {
                    v > min
                }
            },
        );
        let below = self.max.as_ref().is_none_or(
            |(max, inclusive)| {
                if *inclusive {
                    v <= max
                } else {
                    v < max
                }
            },
        );
        above && below
    }

    /// Whether the range floats (restore picks the highest match rather than the lowest).
    pub fn is_floating(&self) -> bool {
        self.float.is_some()
    }

    /// The version restore picks when it is published: the inclusive lower bound of a
    /// non-floating range (NuGet takes the lowest applicable version).
    pub fn resolved_minimum(&self) -> Option<&Version> {
        match (&self.float, &self.min) {
            (None, Some((v, true))) => Some(v),
            _ => None,
        }
    }

    /// The range as `packages.lock.json` writes a dependency's range: the bare minimum for
    /// `[1.0.0, )`, else [`VersionRange::to_lock_string`].
    pub fn to_short_string(&self) -> String {
        match (&self.float, &self.min, &self.max) {
            (None, Some((v, true)), None) => v.to_string(),
            _ => self.to_lock_string(),
        }
    }

    /// The range as NuGet writes it in `packages.lock.json`'s `requested` (`[1.0.0, )`).
    pub fn to_lock_string(&self) -> String {
        if let Some(float) = &self.float {
            return format!("[{}, )", float.text);
        }
        match (&self.min, &self.max) {
            (Some((a, true)), Some((b, true))) if a == b => format!("[{a}]"),
            (min, max) => format!(
                "{}{}, {}{}",
                if min.as_ref().is_some_and(|m| m.1) {
                    '['
                } else {
                    '('
                },
                min.as_ref().map(|m| m.0.to_string()).unwrap_or_default(),
                max.as_ref().map(|m| m.0.to_string()).unwrap_or_default(),
                if max.as_ref().is_some_and(|m| m.1) {
                    ']'
                } else {
                    ')'
                },
            ),
        }
    }
}

#[cfg(test)]
mod tests;
