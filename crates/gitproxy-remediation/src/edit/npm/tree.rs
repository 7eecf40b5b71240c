//! An ordered JSON tree for rewriting `package-lock.json` whole, and the writer that prints it
//! the way npm does: every object's keys sorted (plain values before objects; `name`, `version`,
//! `lockfileVersion`, `resolved`, `integrity`, `requires`, `packages`, `dependencies` first, the
//! rest in English collation order), indented as the file was.

use std::cmp::Ordering;

use crate::json::{Node, Value};

/// A JSON value; numbers, booleans and null keep their source text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(in crate::edit) enum J {
    Obj(Vec<(String, J)>),
    Arr(Vec<J>),
    Str(String),
    Raw(String),
}

/// The keys npm prints first, in this order.
const FIRST_KEYS: [&str; 8] = [
    "name",
    "version",
    "lockfileVersion",
    "resolved",
    "integrity",
    "requires",
    "packages",
    "dependencies",
];

impl J {
    /// The tree of a parsed node of `text`.
    pub(in crate::edit) fn from_node(text: &str, node: &Node) -> J {
        match &node.value {
            Value::Object(members) => J::Obj(
                members
                    .iter()
                    .map(|m| (m.key.clone(), J::from_node(text, &m.value)))
                    .collect(),
            ),
            Value::Array(items) => J::Arr(items.iter().map(|i| J::from_node(text, i)).collect()),
            Value::String(s) => J::Str(s.clone()),
            Value::Other => J::Raw(text[node.start..node.end].to_string()),
        }
    }

    pub(in crate::edit) fn get(&self, key: &str) -> Option<&J> {
        match self {
            J::Obj(members) => members.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub(in crate::edit) fn get_mut(&mut self, key: &str) -> Option<&mut J> {
        match self {
            J::Obj(members) => members.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub(in crate::edit) fn as_str(&self) -> Option<&str> {
        match self {
            J::Str(s) => Some(s),
            _ => None,
        }
    }

    pub(in crate::edit) fn members(&self) -> &[(String, J)] {
        match self {
            J::Obj(members) => members,
            _ => &[],
        }
    }

    /// Sets `key` (replacing its value or appending it); no-op on non-objects.
    pub(in crate::edit) fn set(&mut self, key: &str, value: J) {
        if let J::Obj(members) = self {
            match members.iter_mut().find(|(k, _)| k == key) {
                Some((_, v)) => *v = value,
                None => members.push((key.to_string(), value)),
            }
        }
    }

    pub(in crate::edit) fn remove(&mut self, key: &str) -> Option<J> {
        match self {
            J::Obj(members) => {
                let i = members.iter().position(|(k, _)| k == key)?;
                Some(members.remove(i).1)
            }
            _ => None,
        }
    }

    /// Whether the value counts as present for npm (`if (val)`, non-empty objects and arrays).
    pub(in crate::edit) fn is_truthy(&self) -> bool {
        match self {
            J::Obj(m) => !m.is_empty(),
            J::Arr(a) => !a.is_empty(),
            J::Str(s) => !s.is_empty(),
            J::Raw(r) => !matches!(r.as_str(), "false" | "null" | "0"),
        }
    }
}

/// The indentation and line ending `text` uses (npm keeps both).
pub(in crate::edit) fn layout(text: &str) -> (String, &'static str) {
    let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let indent = text
        .lines()
        .nth(1)
        .map(|l| l.chars().take_while(|c| *c == ' ' || *c == '\t').collect())
        .filter(|s: &String| !s.is_empty())
        .unwrap_or_else(|| "  ".to_string());
    (indent, newline)
}

/// `value` printed as npm prints a lockfile, with a final newline.
pub(in crate::edit) fn print(value: &J, indent: &str, newline: &str) -> String {
    let mut out = String::new();
    write(value, indent, 0, &mut out);
    out.push('\n');
    if newline != "\n" {
        out = out.replace('\n', newline);
    }
    out
}

fn write(value: &J, indent: &str, depth: usize, out: &mut String) {
    match value {
        J::Str(s) => out.push_str(&crate::json::quote(s)),
        J::Raw(r) => out.push_str(r),
        J::Arr(items) if items.is_empty() => out.push_str("[]"),
        J::Obj(members) if members.is_empty() => out.push_str("{}"),
        J::Arr(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                out.push_str(if i == 0 { "\n" } else { ",\n" });
                out.push_str(&indent.repeat(depth + 1));
                write(item, indent, depth + 1, out);
            }
            out.push('\n');
            out.push_str(&indent.repeat(depth));
            out.push(']');
        }
        J::Obj(members) => {
            let mut sorted: Vec<&(String, J)> = members.iter().collect();
            sorted.sort_by(|(ak, av), (bk, bv)| {
                let (ao, bo) = (matches!(av, J::Obj(_)), matches!(bv, J::Obj(_)));
                ao.cmp(&bo).then_with(|| key_order(ak, bk))
            });
            out.push('{');
            for (i, (key, item)) in sorted.into_iter().enumerate() {
                out.push_str(if i == 0 { "\n" } else { ",\n" });
                out.push_str(&indent.repeat(depth + 1));
                out.push_str(&crate::json::quote(key));
                out.push_str(": ");
                write(item, indent, depth + 1, out);
            }
            out.push('\n');
            out.push_str(&indent.repeat(depth));
            out.push('}');
        }
    }
}

fn key_order(a: &str, b: &str) -> Ordering {
    let pa = FIRST_KEYS.iter().position(|k| *k == a);
    let pb = FIRST_KEYS.iter().position(|k| *k == b);
    match (pa, pb) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => collate(a, b),
    }
}

/// Printable ASCII in the order of the English collation npm sorts with (`Intl.Collator("en")`):
/// punctuation, digits, then letters with case ignored at first.
const ASCII_ORDER: &str =
    " _-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$0123456789aAbBcCdDeEfFgGhHiIjJkKlLmMnNoOpPqQrRsStTuUvVwWxXyYzZ";

fn primary(c: char) -> u32 {
    let lower = c.to_ascii_lowercase();
    match ASCII_ORDER.find(lower) {
        Some(i) => i as u32,
        None => 0x100 + c as u32,
    }
}

/// English collation as `Intl.Collator("en").compare` orders package paths: letters compare
/// without case first, lower case before upper case breaks ties.
pub(in crate::edit) fn collate(a: &str, b: &str) -> Ordering {
    let pa = a.chars().map(primary);
    let pb = b.chars().map(primary);
    pa.cmp(pb).then_with(|| {
        let ta = a.chars().map(|c| c.is_ascii_uppercase());
        let tb = b.chars().map(|c| c.is_ascii_uppercase());
        ta.cmp(tb)
    })
}

#[cfg(test)]
mod tests;
