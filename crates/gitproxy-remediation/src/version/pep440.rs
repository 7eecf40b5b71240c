//! PEP 440 versions (PyPI): parsing with the standard normalisations, ordering and specifiers.

use std::cmp::Ordering;
use std::fmt;

/// The kind of a pre-release segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PreKind {
    /// `a`, `alpha`
    Alpha,
    /// `b`, `beta`
    Beta,
    /// `rc`, `c`, `pre`, `preview`
    Rc,
}

/// One segment of a local version label (`+ubuntu.1`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum LocalSegment {
    /// A number; numbers sort after strings.
    Number(u64),
    /// A lowercase alphanumeric string.
    Text(String),
}

impl Ord for LocalSegment {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (LocalSegment::Number(a), LocalSegment::Number(b)) => a.cmp(b),
            (LocalSegment::Text(a), LocalSegment::Text(b)) => a.cmp(b),
            (LocalSegment::Number(_), LocalSegment::Text(_)) => Ordering::Greater,
            (LocalSegment::Text(_), LocalSegment::Number(_)) => Ordering::Less,
        }
    }
}

impl PartialOrd for LocalSegment {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A PEP 440 version in normal form.
#[derive(Clone, Debug)]
pub struct Version {
    /// `N!` epoch, 0 when absent.
    pub epoch: u64,
    /// The release segment (`1.2.3`).
    pub release: Vec<u64>,
    /// Pre-release (`a1`, `b2`, `rc3`).
    pub pre: Option<(PreKind, u64)>,
    /// Post-release number (`.post1`, `-1`).
    pub post: Option<u64>,
    /// Developmental release number (`.dev1`).
    pub dev: Option<u64>,
    /// Local version label segments.
    pub local: Vec<LocalSegment>,
}

impl Version {
    /// Parses a version, accepting the spellings PEP 440 normalises (`1.0-alpha2`, `v1.0`,
    /// `1.0.RC1`, `1.0-1`, `1.0_post2`, ...).
    pub fn parse(text: &str) -> Result<Version, String> {
        let lower = text.trim().to_ascii_lowercase();
        let s = lower.strip_prefix('v').unwrap_or(&lower);
        let (s, local) = match s.split_once('+') {
            Some((a, l)) => (a, Some(l)),
            None => (s, None),
        };
        let mut cur = Cursor {
            s: s.as_bytes(),
            i: 0,
        };
        let mut epoch = 0;
        let first = cur.number().ok_or("version does not start with a number")?;
        let mut release = vec![first];
        if cur.eat(b'!') {
            epoch = first;
            release = vec![cur.number().ok_or("missing release after epoch")?];
        }
        while cur.peek() == Some(b'.') && cur.peek_at(1).is_some_and(|b| b.is_ascii_digit()) {
            cur.i += 1;
            release.push(cur.number().ok_or("bad release segment")?);
        }
        let mut out = Version {
            epoch,
            release,
            pre: None,
            post: None,
            dev: None,
            local: Vec::new(),
        };
        // Pre-release.
        let save = cur.i;
        cur.sep();
        if let Some(kind) = cur.word(&[
            ("alpha", PreKind::Alpha),
            ("a", PreKind::Alpha),
            ("beta", PreKind::Beta),
            ("b", PreKind::Beta),
            ("preview", PreKind::Rc),
            ("pre", PreKind::Rc),
            ("rc", PreKind::Rc),
            ("c", PreKind::Rc),
        ]) {
            cur.sep();
            out.pre = Some((kind, cur.number().unwrap_or(0)));
        } else {
            cur.i = save;
        }
        // Post-release.
        let save = cur.i;
        if cur.peek() == Some(b'-') && cur.peek_at(1).is_some_and(|b| b.is_ascii_digit()) {
            cur.i += 1;
            out.post = cur.number();
        } else {
            cur.sep();
            if cur.word(&[("post", ()), ("rev", ()), ("r", ())]).is_some() {
                cur.sep();
                out.post = Some(cur.number().unwrap_or(0));
            } else {
                cur.i = save;
            }
        }
        // Developmental release.
        let save = cur.i;
        cur.sep();
        if cur.word(&[("dev", ())]).is_some() {
            cur.sep();
            out.dev = Some(cur.number().unwrap_or(0));
        } else {
            cur.i = save;
        }
        if cur.i != cur.s.len() {
            return Err(format!("unexpected `{}`", &s[cur.i..]));
        }
        if let Some(local) = local {
            for seg in local.split(['.', '-', '_']) {
                if seg.is_empty() || !seg.bytes().all(|b| b.is_ascii_alphanumeric()) {
                    return Err(format!("invalid local label `{local}`"));
                }
                out.local.push(match seg.parse() {
                    Ok(n) => LocalSegment::Number(n),
                    Err(_) => LocalSegment::Text(seg.to_string()),
                });
            }
        }
        Ok(out)
    }

    /// True for pre-releases and developmental releases.
    pub fn is_prerelease(&self) -> bool {
        self.pre.is_some() || self.dev.is_some()
    }

    /// The version without its local label.
    pub fn public(&self) -> Version {
        Version {
            local: Vec::new(),
            ..self.clone()
        }
    }

    fn release_at(&self, i: usize) -> u64 {
        self.release.get(i).copied().unwrap_or(0)
    }

    fn cmp_release(&self, other: &Self) -> Ordering {
        let n = self.release.len().max(other.release.len());
        (0..n)
            .map(|i| self.release_at(i).cmp(&other.release_at(i)))
            .find(|o| *o != Ordering::Equal)
            .unwrap_or(Ordering::Equal)
    }
}

struct Cursor<'a> {
    s: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn peek_at(&self, n: usize) -> Option<u8> {
        self.s.get(self.i + n).copied()
    }
    fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn sep(&mut self) {
        if matches!(self.peek(), Some(b'.' | b'-' | b'_')) {
            self.i += 1;
        }
    }
    fn number(&mut self) -> Option<u64> {
        let start = self.i;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.i += 1;
        }
        if start == self.i {
            return None;
        }
        std::str::from_utf8(&self.s[start..self.i])
            .ok()?
            .parse()
            .ok()
    }
    fn word<T: Copy>(&mut self, words: &[(&str, T)]) -> Option<T> {
        let rest = &self.s[self.i..];
        for (w, t) in words {
            if rest.starts_with(w.as_bytes()) {
                self.i += w.len();
                return Some(*t);
            }
        }
        None
    }
}

/// Sort key helper: `None` pre-release on a dev-only version sorts before every pre-release.
fn pre_key(v: &Version) -> (i8, Option<(PreKind, u64)>) {
    match (v.pre, v.post, v.dev) {
        (None, None, Some(_)) => (-1, None),
        (None, _, _) => (1, None),
        (Some(p), _, _) => (0, Some(p)),
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.epoch
            .cmp(&other.epoch)
            .then_with(|| self.cmp_release(other))
            .then_with(|| pre_key(self).cmp(&pre_key(other)))
            .then_with(|| match (self.post, other.post) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Less,
                (Some(_), None) => Ordering::Greater,
                (Some(a), Some(b)) => a.cmp(&b),
            })
            .then_with(|| match (self.dev, other.dev) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Greater,
                (Some(_), None) => Ordering::Less,
                (Some(a), Some(b)) => a.cmp(&b),
            })
            .then_with(|| self.local.cmp(&other.local))
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
        if self.epoch != 0 {
            write!(f, "{}!", self.epoch)?;
        }
        let rel: Vec<String> = self.release.iter().map(u64::to_string).collect();
        f.write_str(&rel.join("."))?;
        if let Some((k, n)) = self.pre {
            let k = match k {
                PreKind::Alpha => "a",
                PreKind::Beta => "b",
                PreKind::Rc => "rc",
            };
            write!(f, "{k}{n}")?;
        }
        if let Some(p) = self.post {
            write!(f, ".post{p}")?;
        }
        if let Some(d) = self.dev {
            write!(f, ".dev{d}")?;
        }
        if !self.local.is_empty() {
            let segs: Vec<String> = self
                .local
                .iter()
                .map(|s| match s {
                    LocalSegment::Number(n) => n.to_string(),
                    LocalSegment::Text(t) => t.clone(),
                })
                .collect();
            write!(f, "+{}", segs.join("."))?;
        }
        Ok(())
    }
}

/// A specifier operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpecOp {
    /// `~=`
    Compatible,
    /// `==`
    Equal,
    /// `!=`
    NotEqual,
    /// `<=`
    LessEqual,
    /// `>=`
    GreaterEqual,
    /// `<`
    Less,
    /// `>`
    Greater,
    /// `===` (string identity)
    Arbitrary,
}

/// One version specifier such as `>=1.2` or `==1.4.*`.
#[derive(Clone, Debug)]
pub struct Specifier {
    /// The operator.
    pub op: SpecOp,
    /// The operand as written.
    pub text: String,
    /// The parsed operand (absent for `===` on a non-PEP 440 string).
    version: Option<Version>,
    /// `==1.2.*` / `!=1.2.*`.
    wildcard: bool,
}

impl Specifier {
    fn parse(text: &str) -> Result<Specifier, String> {
        let t = text.trim();
        let ops = [
            ("===", SpecOp::Arbitrary),
            ("~=", SpecOp::Compatible),
            ("==", SpecOp::Equal),
            ("!=", SpecOp::NotEqual),
            ("<=", SpecOp::LessEqual),
            (">=", SpecOp::GreaterEqual),
            ("<", SpecOp::Less),
            (">", SpecOp::Greater),
        ];
        let (op, rest) = ops
            .iter()
            .find_map(|(p, op)| t.strip_prefix(p).map(|r| (*op, r.trim())))
            .ok_or_else(|| format!("`{t}` has no comparison operator"))?;
        if op == SpecOp::Arbitrary {
            return Ok(Specifier {
                op,
                text: rest.to_string(),
                version: Version::parse(rest).ok(),
                wildcard: false,
            });
        }
        let (vtext, wildcard) = match rest.strip_suffix(".*") {
            Some(v) if matches!(op, SpecOp::Equal | SpecOp::NotEqual) => (v, true),
            Some(_) => return Err(format!("wildcard not allowed with `{t}`")),
            None => (rest, false),
        };
        let version = Version::parse(vtext)?;
        if op == SpecOp::Compatible && version.release.len() < 2 {
            return Err("`~=` needs at least two release components".into());
        }
        Ok(Specifier {
            op,
            text: rest.to_string(),
            version: Some(version),
            wildcard,
        })
    }

    /// Whether `v` satisfies this specifier (pre-release filtering is the set's business).
    pub fn contains(&self, v: &Version) -> bool {
        let Some(spec) = &self.version else {
            return self.op == SpecOp::Arbitrary && v.to_string() == self.text;
        };
        match self.op {
            SpecOp::Arbitrary => v.to_string() == self.text || v == spec,
            SpecOp::Equal if self.wildcard => prefix_match(v, spec),
            SpecOp::NotEqual if self.wildcard => !prefix_match(v, spec),
            SpecOp::Equal => {
                if spec.local.is_empty() {
                    v.public() == *spec
                } else {
                    v == spec
                }
            }
            SpecOp::NotEqual => {
                if spec.local.is_empty() {
                    v.public() != *spec
                } else {
                    v != spec
                }
            }
            SpecOp::LessEqual => v.public() <= *spec,
            SpecOp::GreaterEqual => v.public() >= *spec,
            SpecOp::Less => {
                let pv = v.public();
                pv < *spec
                    && !(!spec.is_prerelease()
                        && pv.is_prerelease()
                        && pv.epoch == spec.epoch
                        && pv.cmp_release(spec) == Ordering::Equal)
            }
            SpecOp::Greater => {
                let pv = v.public();
                let same_release =
                    pv.epoch == spec.epoch && pv.cmp_release(spec) == Ordering::Equal;
                pv > *spec
                    && !(spec.post.is_none() && pv.post.is_some() && same_release)
                    && (v.local.is_empty() || v.public() != *spec)
            }
            SpecOp::Compatible => {
                let mut prefix = spec.clone();
                prefix.release.pop();
                prefix.pre = None;
                prefix.post = None;
                prefix.dev = None;
                v.public() >= *spec && prefix_match(v, &prefix)
            }
        }
    }
}

/// `==1.2.*` semantics: the release of `v`, padded with zeros, starts with the spec's release.
fn prefix_match(v: &Version, spec: &Version) -> bool {
    if v.epoch != spec.epoch {
        return false;
    }
    let head = (0..spec.release.len()).all(|i| v.release_at(i) == spec.release[i]);
    if !head {
        return false;
    }
    // `==1.2.*` with pre/post/dev on the prefix is unusual; compare those when given.
    (spec.pre.is_none() || v.pre == spec.pre) && (spec.post.is_none() || v.post == spec.post)
}

/// A comma-separated list of specifiers, all of which must hold.
#[derive(Clone, Debug, Default)]
pub struct SpecifierSet {
    /// The specifiers.
    pub specifiers: Vec<Specifier>,
}

impl SpecifierSet {
    /// Parses `>=1.0,<2,!=1.5.*`; an empty string is the set that allows everything.
    pub fn parse(text: &str) -> Result<SpecifierSet, String> {
        let mut specifiers = Vec::new();
        for part in text.split(',') {
            if part.trim().is_empty() {
                continue;
            }
            specifiers.push(Specifier::parse(part)?);
        }
        Ok(SpecifierSet { specifiers })
    }

    /// Whether `v` satisfies every specifier. Pre-releases are only accepted when a specifier
    /// names one (PEP 440's default exclusion), or when `v` is the exact pin.
    pub fn contains(&self, v: &Version) -> bool {
        if v.is_prerelease()
            && !self
                .specifiers
                .iter()
                .any(|s| s.version.as_ref().is_some_and(Version::is_prerelease))
        {
            return false;
        }
        self.specifiers.iter().all(|s| s.contains(v))
    }

    /// The exact version pinned by a single `==V` (no wildcard) or `===V` specifier.
    pub fn pinned(&self) -> Option<&Version> {
        match self.specifiers.as_slice() {
            [s] if matches!(s.op, SpecOp::Equal | SpecOp::Arbitrary) && !s.wildcard => {
                s.version.as_ref()
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests;
