//! PEP 508 requirements from a release's `requires_dist`, turned into the `[package.dependencies]`
//! and `[package.extras]` entries Poetry writes for them.

use crate::Ecosystem;

/// One `requires_dist` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Requires {
    /// The name as the release spells it (Poetry writes it so).
    pub name: String,
    /// Extras of the required package (`requests[socks]`).
    pub extras: Vec<String>,
    /// The version specifiers, lower bounds first (`>=2,<4`); empty for any version.
    pub spec: String,
    /// The environment marker without its `extra == ...` part, double-quoted as Poetry writes it.
    pub marker: Option<String>,
    /// The extras of the releasing package that pull this requirement in (canonical names).
    pub in_extras: Vec<String>,
}

impl Requires {
    /// Parses one PEP 508 line (`name [extras] (spec) ; marker` or `name[extras]spec; marker`).
    pub(crate) fn parse(line: &str) -> Option<Requires> {
        let (head, marker) = match line.split_once(';') {
            Some((h, m)) => (h.trim(), Some(m.trim())),
            None => (line.trim(), None),
        };
        if head.contains('@') {
            return None; // direct URL references are not PyPI dependencies
        }
        let end = head
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')))
            .unwrap_or(head.len());
        let name = head[..end].to_string();
        if name.is_empty() {
            return None;
        }
        let mut rest = head[end..].trim();
        let mut extras = Vec::new();
        if let Some(inner) = rest.strip_prefix('[') {
            let (list, after) = inner.split_once(']')?;
            extras = list
                .split(',')
                .map(str::trim)
                .filter(|e| !e.is_empty())
                .map(String::from)
                .collect();
            rest = after.trim();
        }
        let rest = rest.trim_start_matches('(').trim_end_matches(')');
        let spec = ordered_spec(rest);
        let (marker, in_extras) = split_marker(marker.unwrap_or(""));
        Some(Requires {
            name,
            extras,
            spec,
            marker,
            in_extras,
        })
    }

    /// The canonical (PEP 503) name.
    pub(crate) fn key(&self) -> String {
        Ecosystem::PyPI.normalize_name(&self.name)
    }

    /// The constraint Poetry records (`*` for any version).
    pub(crate) fn constraint(&self) -> &str {
        if self.spec.is_empty() {
            "*"
        } else {
            &self.spec
        }
    }

    /// The `[package.dependencies]` value: a plain constraint, or an inline table with extras
    /// and markers.
    pub(crate) fn lock_value(&self) -> String {
        if self.extras.is_empty() && self.marker.is_none() {
            return toml_string(self.constraint());
        }
        let mut parts = vec![format!("version = {}", toml_string(self.constraint()))];
        if !self.extras.is_empty() {
            let mut extras = self.extras.clone();
            extras.sort();
            let list: Vec<String> = extras.iter().map(|e| toml_string(e)).collect();
            parts.push(format!("extras = [{}]", list.join(", ")));
        }
        if let Some(m) = &self.marker {
            parts.push(format!("markers = {}", toml_string(m)));
        }
        format!("{{{}}}", parts.join(", "))
    }

    /// The `[package.extras]` list entry (`PySocks (>=1.5.6,!=1.5.7)`).
    pub(crate) fn extras_entry(&self) -> String {
        let mut out = self.name.clone();
        if !self.extras.is_empty() {
            out.push_str(&format!("[{}]", self.extras.join(",")));
        }
        if !self.spec.is_empty() {
            out.push_str(&format!(" ({})", self.spec));
        }
        out
    }
}

/// Specifiers without spaces, lower bounds first, then upper bounds, then the rest, as Poetry
/// prints a range.
fn ordered_spec(spec: &str) -> String {
    let mut parts: Vec<String> = spec
        .split(',')
        .map(|p| p.split_whitespace().collect::<String>())
        .filter(|p| !p.is_empty())
        .collect();
    parts.sort_by_key(|p| {
        if p.starts_with(">=") || (p.starts_with('>') && !p.starts_with(">=")) {
            0
        } else if p.starts_with('<') {
            1
        } else {
            2
        }
    });
    parts.join(",")
}

/// Splits `extra == "x"` clauses off a marker; what remains is returned double-quoted.
fn split_marker(marker: &str) -> (Option<String>, Vec<String>) {
    let marker = marker.replace('\'', "\"");
    let mut extras = Vec::new();
    let mut rest = marker.as_str();
    while let Some(at) = rest.find("extra") {
        let after = rest[at + 5..].trim_start();
        if let Some(value) = after.strip_prefix("==") {
            let value = value.trim_start().trim_start_matches('"');
            let name: String = value.chars().take_while(|c| *c != '"').collect();
            extras.push(Ecosystem::PyPI.normalize_name(&name));
        }
        rest = &rest[at + 5..];
    }
    if !extras.is_empty() {
        // The remaining clauses only narrow an optional requirement that the lock entry does
        // not carry; Poetry lists it under `[package.extras]` by name and constraint.
        return (None, extras);
    }
    let trimmed = marker.trim();
    if trimmed.is_empty() {
        (None, extras)
    } else {
        (Some(trimmed.to_string()), extras)
    }
}

/// A TOML basic string.
pub(crate) fn toml_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\u{:04X}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
