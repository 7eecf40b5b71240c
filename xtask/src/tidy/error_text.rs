//! Finds error messages matched by their text: `.contains(`, `.starts_with(` or `.ends_with(` called on
//! an error's text. Errors cross crates as typed values (issue 10); matching their wording breaks silently
//! the day the wording changes.
//!
//! What counts as an error's text, seen through adapters like `.to_lowercase()` or `.as_str()`:
//! `x.to_string()`, `format!(...)`, and a variable, field or getter named like an error's text
//! (`message`, `msg`, `err`, `error`, `reason`, `detail`, or a name that starts or ends with one of
//! those words, such as `err_msg` or `last_error`). Ordinary string processing (`url.contains("://")`)
//! is not flagged.

use super::rust_code::code_only;

/// The string searches the rule looks for.
const SEARCHES: &[&str] = &["contains", "starts_with", "ends_with"];

/// Words that name an error's text.
const ERROR_WORDS: &[&str] = &[
    "message", "msg", "err", "error", "reason", "detail", "details",
];

/// No-argument calls that only reshape a string; the rule looks through them to the receiver.
const ADAPTERS: &[&str] = &[
    "as_deref",
    "as_ref",
    "as_str",
    "clone",
    "to_ascii_lowercase",
    "to_ascii_uppercase",
    "to_lowercase",
    "to_owned",
    "to_uppercase",
    "trim",
    "trim_end",
    "trim_start",
];

/// One link of a method chain, read backwards from a string search.
#[derive(Debug, PartialEq)]
enum Link {
    /// `name` (a variable or a field).
    Name(String),
    /// `name()` with no arguments.
    Getter(String),
    /// `name!(...)`.
    Macro(String),
    /// Anything else: a call with arguments, an index, a literal.
    Other,
}

/// A string search on an error's text: its 1-based line and that line of the original source, trimmed.
#[derive(Debug, PartialEq)]
pub(super) struct Finding {
    pub(super) line: usize,
    pub(super) text: String,
}

/// Every search on an error's text in `source`, outside comments, literals and `#[cfg(test)]` items.
pub(super) fn find(source: &str) -> Vec<Finding> {
    let code = code_only(source);
    if super::rust_code::is_test_only(&code) {
        return Vec::new();
    }
    let lines: Vec<&str> = source.lines().collect();
    let mut findings = Vec::new();
    for dot in (0..code.len()).filter(|&i| code[i] == '.') {
        let Some(search) = SEARCHES.iter().find(|s| starts_with_at(&code, dot + 1, s)) else {
            continue;
        };
        let after = dot + 1 + search.len();
        if code.get(after) != Some(&'(') {
            continue;
        }
        if is_error_text(&receiver_chain(&code, dot)) {
            let line = code[..dot].iter().filter(|c| **c == '\n').count();
            findings.push(Finding {
                line: line + 1,
                text: lines.get(line).map_or("", |l| l.trim()).to_owned(),
            });
        }
    }
    findings
}

fn starts_with_at(code: &[char], at: usize, word: &str) -> bool {
    let mut chars = word.chars();
    let matched = chars
        .by_ref()
        .zip(code.iter().skip(at))
        .all(|(w, c)| w == *c);
    matched && at + word.chars().count() <= code.len()
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The chain before the `.` at `dot`, nearest link first: `err.to_string().trim().contains(` reads
/// `[trim(), to_string(), err]`.
fn receiver_chain(code: &[char], dot: usize) -> Vec<Link> {
    let mut links = Vec::new();
    let mut end = dot;
    loop {
        let mut i = end;
        while i > 0 && code[i - 1].is_whitespace() {
            i -= 1;
        }
        if i > 0 && code[i - 1] == '?' {
            i -= 1;
        }
        let (link, start) = if i > 0 && code[i - 1] == ')' {
            let open = opening_paren(code, i - 1);
            let empty = code[open + 1..i - 1].iter().all(|c| c.is_whitespace());
            let (name, name_start) = ident_before(code, open);
            match name {
                Some(name) if code.get(open.wrapping_sub(1)) == Some(&'!') => {
                    (Link::Macro(name), name_start)
                }
                Some(name) if empty => (Link::Getter(name), name_start),
                _ => (Link::Other, open),
            }
        } else {
            match ident_before(code, i) {
                (Some(name), start) => (Link::Name(name), start),
                (None, start) => (Link::Other, start),
            }
        };
        let is_other = link == Link::Other;
        links.push(link);
        if is_other {
            return links;
        }
        let mut j = start;
        while j > 0 && code[j - 1].is_whitespace() {
            j -= 1;
        }
        if j == 0 || code[j - 1] != '.' || (j > 1 && code[j - 2] == '.') {
            return links;
        }
        end = j - 1;
    }
}

/// The index of the `(` that the `)` at `close` closes.
fn opening_paren(code: &[char], close: usize) -> usize {
    let mut depth = 0usize;
    for j in (0..=close).rev() {
        match code[j] {
            ')' => depth += 1,
            '(' => {
                depth -= 1;
                if depth == 0 {
                    return j;
                }
            }
            _ => {}
        }
    }
    0
}

/// The identifier ending just before `end` (skipping a macro's `!`), and where it starts.
fn ident_before(code: &[char], end: usize) -> (Option<String>, usize) {
    let end = if end > 0 && code[end - 1] == '!' {
        end - 1
    } else {
        end
    };
    let mut start = end;
    while start > 0 && is_ident(code[start - 1]) {
        start -= 1;
    }
    let name: String = code[start..end].iter().collect();
    let is_name = name.chars().next().is_some_and(|c| !c.is_ascii_digit());
    (is_name.then_some(name), start)
}

/// Whether a variable, field or getter name names an error's text; constants (`ERROR_CODES`) never do.
fn is_error_name(name: &str) -> bool {
    if !name.chars().any(|c| c.is_lowercase()) {
        return false;
    }
    let words: Vec<&str> = name.trim_start_matches('_').split('_').collect();
    let first = words.first().copied().unwrap_or_default();
    let last = words.last().copied().unwrap_or_default();
    [first, last]
        .iter()
        .any(|w| ERROR_WORDS.contains(&w.to_ascii_lowercase().as_str()))
}

fn is_error_text(chain: &[Link]) -> bool {
    let subject = chain
        .iter()
        .find(|link| !matches!(link, Link::Getter(name) if ADAPTERS.contains(&name.as_str())));
    match subject {
        Some(Link::Getter(name)) => name == "to_string" || is_error_name(name),
        Some(Link::Macro(name)) => name == "format",
        Some(Link::Name(name)) => is_error_name(name),
        Some(Link::Other) | None => false,
    }
}
