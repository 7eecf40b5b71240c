//! Maven versions ordered like `org.apache.maven.artifact.versioning.ComparableVersion`, and
//! Maven version ranges (`[1.0,2.0)`).

use std::cmp::Ordering;
use std::fmt;

/// One parsed item of a Maven version.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Item {
    Int(u128),
    Str(String),
    List(Vec<Item>),
}

const QUALIFIERS: [&str; 7] = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];
const RELEASE_INDEX: usize = 5;

fn comparable_qualifier(q: &str) -> String {
    match QUALIFIERS.iter().position(|x| *x == q) {
        Some(i) => i.to_string(),
        None => format!("{}-{q}", QUALIFIERS.len()),
    }
}

fn string_item(value: &str, followed_by_digit: bool) -> Item {
    let mut v = value;
    if followed_by_digit && v.len() == 1 {
        v = match v {
            "a" => "alpha",
            "b" => "beta",
            "m" => "milestone",
            other => other,
        };
    }
    let v = match v {
        "ga" | "final" | "release" => "",
        "cr" => "rc",
        other => other,
    };
    Item::Str(v.to_string())
}

impl Item {
    fn is_null(&self) -> bool {
        match self {
            Item::Int(n) => *n == 0,
            Item::Str(s) => comparable_qualifier(s) == RELEASE_INDEX.to_string(),
            Item::List(l) => l.is_empty(),
        }
    }

    /// Compares with another item; `None` stands for a missing item (padding).
    fn compare(&self, other: Option<&Item>) -> Ordering {
        match (self, other) {
            (Item::Int(n), None) => n.cmp(&0),
            (Item::Int(a), Some(Item::Int(b))) => a.cmp(b),
            (Item::Int(_), Some(_)) => Ordering::Greater,
            (Item::Str(s), None) => comparable_qualifier(s).cmp(&RELEASE_INDEX.to_string()),
            (Item::Str(_), Some(Item::Int(_))) => Ordering::Less,
            (Item::Str(a), Some(Item::Str(b))) => {
                comparable_qualifier(a).cmp(&comparable_qualifier(b))
            }
            (Item::Str(_), Some(Item::List(_))) => Ordering::Less,
            (Item::List(l), None) => match l.first() {
                None => Ordering::Equal,
                Some(first) => first.compare(None),
            },
            (Item::List(_), Some(Item::Int(_))) => Ordering::Less,
            (Item::List(_), Some(Item::Str(_))) => Ordering::Greater,
            (Item::List(a), Some(Item::List(b))) => compare_lists(a, b),
        }
    }
}

fn compare_lists(a: &[Item], b: &[Item]) -> Ordering {
    let n = a.len().max(b.len());
    for i in 0..n {
        let res = match (a.get(i), b.get(i)) {
            (None, None) => Ordering::Equal,
            (None, Some(r)) => r.compare(None).reverse(),
            (Some(l), r) => l.compare(r),
        };
        if res != Ordering::Equal {
            return res;
        }
    }
    Ordering::Equal
}

fn normalize(list: &mut Vec<Item>) {
    let mut i = list.len();
    while i > 0 {
        i -= 1;
        if list[i].is_null() {
            list.remove(i);
        } else if !matches!(list[i], Item::List(_)) {
            break;
        }
    }
}

/// A Maven version with `ComparableVersion` ordering (`1-alpha2 < 1-rc < 1-SNAPSHOT < 1 < 1-sp`).
#[derive(Clone, Debug)]
pub struct Version {
    text: String,
    items: Vec<Item>,
}

impl Version {
    /// Parses any string; Maven accepts every version string and orders unknown qualifiers last.
    pub fn parse(text: &str) -> Version {
        let text = text.trim().to_string();
        let lower = text.to_ascii_lowercase();
        // Lists are built on a stack of paths into the tree; each frame is a Vec being filled.
        let mut stack: Vec<Vec<Item>> = vec![Vec::new()];
        let bytes = lower.as_bytes();
        let mut is_digit = false;
        let mut start = 0;
        let parse_item = |digit: bool, s: &str| -> Item {
            if digit {
                Item::Int(s.trim_start_matches('0').parse().unwrap_or(0))
            } else {
                string_item(s, false)
            }
        };
        for i in 0..bytes.len() {
            let c = bytes[i];
            if c == b'.' {
                let top = stack.last_mut().expect("stack is never empty");
                if i == start {
                    top.push(Item::Int(0));
                } else {
                    top.push(parse_item(is_digit, &lower[start..i]));
                }
                start = i + 1;
            } else if c == b'-' {
                let top = stack.last_mut().expect("stack is never empty");
                if i == start {
                    top.push(Item::Int(0));
                } else {
                    top.push(parse_item(is_digit, &lower[start..i]));
                }
                start = i + 1;
                stack.push(Vec::new());
            } else if c.is_ascii_digit() {
                if !is_digit && i > start {
                    let top = stack.last_mut().expect("stack is never empty");
                    top.push(string_item(&lower[start..i], true));
                    start = i;
                    stack.push(Vec::new());
                }
                is_digit = true;
            } else {
                if is_digit && i > start {
                    let top = stack.last_mut().expect("stack is never empty");
                    top.push(parse_item(true, &lower[start..i]));
                    start = i;
                    stack.push(Vec::new());
                }
                is_digit = false;
            }
        }
        if lower.len() > start {
            let top = stack.last_mut().expect("stack is never empty");
            top.push(parse_item(is_digit, &lower[start..]));
        }
        // Close the nested lists from the innermost out, normalising each.
        while stack.len() > 1 {
            let mut inner = stack.pop().expect("checked length");
            normalize(&mut inner);
            stack
                .last_mut()
                .expect("checked length")
                .push(Item::List(inner));
        }
        let mut items = stack.pop().expect("checked length");
        normalize(&mut items);
        Version { text, items }
    }

    /// The version as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// True for `-SNAPSHOT` and pre-release qualifiers (alpha, beta, milestone, rc).
    pub fn is_prerelease(&self) -> bool {
        fn walk(items: &[Item]) -> bool {
            items.iter().any(|i| match i {
                Item::Str(s) => {
                    let q = comparable_qualifier(s);
                    q.len() == 1 && q.as_str() < "5"
                }
                Item::List(l) => walk(l),
                Item::Int(_) => false,
            })
        }
        walk(&self.items)
    }

    /// The first numeric component (the "major"), 0 when there is none.
    pub fn major(&self) -> u128 {
        match self.items.first() {
            Some(Item::Int(n)) => *n,
            _ => 0,
        }
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        compare_lists(&self.items, &other.items)
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
        f.write_str(&self.text)
    }
}

/// One interval of a Maven range.
#[derive(Clone, Debug)]
struct Interval {
    lower: Option<(Version, bool)>,
    upper: Option<(Version, bool)>,
}

/// A Maven version requirement: a soft requirement (`1.0`, any version satisfies it, the
/// version is a preference) or hard ranges (`[1.0,2.0)`, `[1.5]`, `(,1.0],[1.2,)`).
#[derive(Clone, Debug)]
pub struct VersionRange {
    soft: Option<Version>,
    intervals: Vec<Interval>,
}

impl VersionRange {
    /// Parses a Maven version specification.
    pub fn parse(text: &str) -> Result<VersionRange, String> {
        let t = text.trim();
        if t.is_empty() {
            return Err("empty version".into());
        }
        if !t.starts_with(['[', '(']) {
            return Ok(VersionRange {
                soft: Some(Version::parse(t)),
                intervals: Vec::new(),
            });
        }
        let mut intervals = Vec::new();
        let mut rest = t;
        while !rest.is_empty() {
            let open = rest.chars().next().ok_or("unterminated range")?;
            if open != '[' && open != '(' {
                return Err(format!(
                    "`{t}` is not a version range: after `,` each range opens with `[` or `(`"
                ));
            }
            let close_at = rest
                .find([']', ')'])
                .ok_or_else(|| format!("unterminated range `{t}`"))?;
            let close = rest.as_bytes()[close_at];
            let body = &rest[1..close_at];
            let lower_inclusive = open == '[';
            let upper_inclusive = close == b']';
            let interval = match body.split_once(',') {
                None => {
                    if !(lower_inclusive && upper_inclusive) {
                        return Err(format!("single version range `{t}` must use brackets"));
                    }
                    let v = Version::parse(body);
                    Interval {
                        lower: Some((v.clone(), true)),
                        upper: Some((v, true)),
                    }
                }
                Some((lo, hi)) => Interval {
                    lower: (!lo.trim().is_empty()).then(|| (Version::parse(lo), lower_inclusive)),
                    upper: (!hi.trim().is_empty()).then(|| (Version::parse(hi), upper_inclusive)),
                },
            };
            intervals.push(interval);
            rest = rest[close_at + 1..].trim_start_matches([',', ' ']);
        }
        Ok(VersionRange {
            soft: None,
            intervals,
        })
    }

    /// Whether a candidate satisfies the requirement (soft requirements accept anything).
    pub fn contains(&self, v: &Version) -> bool {
        if self.soft.is_some() {
            return true;
        }
        self.intervals.iter().any(|i| {
            let lo = i
                .lower
                .as_ref()
                .is_none_or(|(l, inc)| if *inc { v >= l } else { v > l });
            let hi = i
                .upper
                .as_ref()
                .is_none_or(|(u, inc)| if *inc { v <= u } else { v < u });
            lo && hi
        })
    }

    /// The soft (preferred) version, when this is not a hard range.
    pub fn soft(&self) -> Option<&Version> {
        self.soft.as_ref()
    }
}

#[cfg(test)]
mod tests;
