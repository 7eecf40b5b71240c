//! The `yarn.lock` reader, for both layouts yarn writes: classic (v1: `key "value"` fields,
//! `"name@range", name@range2:` headers) and Berry (v2+: a YAML subset with `__metadata`,
//! `key: value` fields and `"name@npm:range, ..."` headers). One [`Entry`] per block, with its
//! patterns, line, scalar fields and dependency blocks; deeper Berry maps
//! (`dependenciesMeta`) are skipped. The file is read line by line, so nothing recurses.

use crate::limits::{too_deep, MAX_NESTING};

/// A parsed `yarn.lock`.
#[derive(Debug, Default)]
pub(crate) struct Lock {
    /// True for a Berry (v2+) lockfile, which has a `__metadata` block.
    pub(crate) berry: bool,
    /// The blocks in file order, `__metadata` left out.
    pub(crate) entries: Vec<Entry>,
}

/// One block: the patterns it resolves and what it records.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Entry {
    /// One-based line of the header.
    pub(crate) line: u32,
    /// The patterns (`name@range`) the block resolves, as written.
    pub(crate) patterns: Vec<Pattern>,
    /// Scalar fields in file order: key and unquoted value.
    pub(crate) fields: Vec<(String, String)>,
    /// Blocks (`dependencies:` and the like) in file order: key and members (name, value).
    pub(crate) blocks: Vec<(String, Vec<(String, String)>)>,
}

/// `name@range`, split at the `@` after the name.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Pattern {
    pub(crate) name: String,
    pub(crate) range: String,
}

impl Pattern {
    /// Splits `name@range` (a scoped name keeps its leading `@`); a bare name means `latest`.
    pub(crate) fn parse(text: &str) -> Pattern {
        let at = text
            .char_indices()
            .skip(1)
            .find(|&(_, c)| c == '@')
            .map(|(i, _)| i);
        match at {
            Some(i) => Pattern {
                name: text[..i].to_string(),
                range: text[i + 1..].to_string(),
            },
            None => Pattern {
                name: text.to_string(),
                range: "latest".to_string(),
            },
        }
    }

    /// The range as dependency blocks write it: Berry's implicit `npm:` protocol dropped
    /// (`npm:^1.0.0` is `^1.0.0`); an alias (`npm:real@^1.0.0`) is kept.
    pub(crate) fn plain_range(&self) -> &str {
        plain_range(&self.range)
    }
}

/// See [`Pattern::plain_range`].
pub(crate) fn plain_range(range: &str) -> &str {
    match range.strip_prefix("npm:") {
        Some(rest) if !rest.get(1..).is_some_and(|r| r.contains('@')) => rest,
        _ => range,
    }
}

impl Entry {
    /// The value of a scalar field.
    pub(crate) fn field(&self, key: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The members of a block; empty when absent.
    pub(crate) fn block(&self, key: &str) -> &[(String, String)] {
        self.blocks
            .iter()
            .find(|(k, _)| k == key)
            .map_or(&[], |(_, m)| m.as_slice())
    }
}

/// A failure and the one-based line it is on.
pub(crate) type Failure = (u32, String);

/// Reads a `yarn.lock`.
pub(crate) fn parse(text: &str) -> Result<Lock, Failure> {
    let berry = text
        .lines()
        .any(|l| l.trim_end() == "__metadata:" || l.starts_with("\"__metadata\":"));
    let mut lock = Lock {
        berry,
        entries: Vec::new(),
    };
    // Whether the open top-level block is `__metadata` (read and dropped).
    let mut in_metadata = false;
    // Whether the last field opened a block whose members follow at indent 4.
    let mut block_open = false;
    for (i, raw) in text.split('\n').enumerate() {
        let line_no = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        let trimmed = line.trim_start_matches(' ');
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if trimmed.starts_with('\t') {
            return Err((
                line_no,
                "indented with a tab; yarn indents with spaces".into(),
            ));
        }
        let indent = line.len() - trimmed.len();
        if indent > 2 * MAX_NESTING {
            return Err((line_no, too_deep()));
        }
        let trimmed = trimmed.trim_end();
        match indent {
            0 => {
                let Some(key) = trimmed.strip_suffix(':') else {
                    return Err((
                        line_no,
                        format!("expected a `pattern:` header, found `{}`", clip(trimmed)),
                    ));
                };
                block_open = false;
                in_metadata = key == "__metadata" || key == "\"__metadata\"";
                if in_metadata {
                    continue;
                }
                let patterns = split_header(key).map_err(|m| (line_no, m))?;
                lock.entries.push(Entry {
                    line: line_no,
                    patterns,
                    fields: Vec::with_capacity(4),
                    blocks: Vec::new(),
                });
            }
            2 => {
                if in_metadata {
                    continue;
                }
                let Some(entry) = lock.entries.last_mut() else {
                    return Err((line_no, "a field before the first header".into()));
                };
                let (key, value) = split_pair(trimmed, berry).map_err(|m| (line_no, m))?;
                block_open = value.is_none();
                match value {
                    Some(v) => entry.fields.push((key, v)),
                    None => entry.blocks.push((key, Vec::new())),
                }
            }
            4 if block_open => {
                let Some((_, members)) = lock.entries.last_mut().and_then(|e| e.blocks.last_mut())
                else {
                    continue;
                };
                let (name, value) = split_pair(trimmed, berry).map_err(|m| (line_no, m))?;
                members.push((name, value.unwrap_or_default()));
            }
            // `__metadata` members, Berry's nested maps (`dependenciesMeta`) and their members.
            _ if indent % 2 == 0 && (indent > 2 || in_metadata) => {}
            _ => {
                return Err((
                    line_no,
                    format!("unexpected indentation of {indent} spaces"),
                ))
            }
        }
    }
    Ok(lock)
}

/// The first characters of a line, for messages.
fn clip(text: &str) -> String {
    text.chars().take(60).collect()
}

/// The patterns of a header: comma-separated, each quoted or not; Berry quotes the whole list.
fn split_header(key: &str) -> Result<Vec<Pattern>, String> {
    let mut out = Vec::new();
    let mut rest = key.trim();
    while !rest.is_empty() {
        let (item, after): (std::borrow::Cow<'_, str>, &str) = if rest.starts_with('"') {
            let (item, after) = read_quoted(rest)?;
            (item.into(), after)
        } else {
            match rest.find(',') {
                Some(i) => (rest[..i].into(), &rest[i..]),
                None => (rest.into(), ""),
            }
        };
        for part in item.split(',') {
            let part = part.trim();
            if !part.is_empty() {
                out.push(Pattern::parse(part));
            }
        }
        rest = after.trim_start();
        if let Some(next) = rest.strip_prefix(',') {
            rest = next.trim_start();
        } else if !rest.is_empty() {
            return Err(format!("unexpected `{}` in a header", clip(rest)));
        }
    }
    if out.is_empty() {
        return Err("a header names no pattern".into());
    }
    Ok(out)
}

/// A quoted string at the start of `text` (JSON escapes), and what follows it.
fn read_quoted(text: &str) -> Result<(String, &str), String> {
    // Most strings hold no escape: one copy of the slice up to the closing quote.
    let inner = &text[1..];
    if let Some(end) = inner.find(['"', '\\']) {
        if inner.as_bytes()[end] == b'"' {
            return Ok((inner[..end].to_string(), &inner[end + 1..]));
        }
    }
    let mut out = String::new();
    let mut chars = text.char_indices().skip(1);
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Ok((out, &text[i + 1..])),
            '\\' => match chars.next().map(|(_, e)| e) {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('r') => out.push('\r'),
                Some('u') => {
                    let hex: String = (0..4)
                        .filter_map(|_| chars.next().map(|(_, h)| h))
                        .collect();
                    let code = u32::from_str_radix(&hex, 16)
                        .map_err(|_| format!("bad escape `\\u{hex}` in a quoted string"))?;
                    out.push(char::from_u32(code).unwrap_or('\u{fffd}'));
                }
                Some(e) => out.push(e),
                None => break,
            },
            c => out.push(c),
        }
    }
    Err("a quoted string is not closed".into())
}

/// `key value` (classic) or `key: value` (Berry), either side quoted or not; a key alone
/// (`dependencies:`) opens a block and has no value.
fn split_pair(text: &str, berry: bool) -> Result<(String, Option<String>), String> {
    let (key, rest) = if text.starts_with('"') {
        read_quoted(text)?
    } else {
        let end = if berry {
            text.find(": ")
                .or_else(|| text.ends_with(':').then(|| text.len() - 1))
        } else {
            text.find(' ')
                .or_else(|| text.ends_with(':').then(|| text.len() - 1))
        };
        match end {
            Some(i) => (text[..i].to_string(), &text[i..]),
            None => (text.to_string(), ""),
        }
    };
    if rest.trim() == ":" {
        return Ok((key, None));
    }
    let rest = if berry {
        rest.strip_prefix(':').unwrap_or(rest)
    } else {
        rest
    };
    let value = rest.trim();
    let value = if value.starts_with('"') {
        let (v, after) = read_quoted(value)?;
        if !after.trim().is_empty() {
            return Err(format!("unexpected `{}` after a value", clip(after.trim())));
        }
        v
    } else {
        value.to_string()
    };
    Ok((key, Some(value)))
}

#[cfg(test)]
mod tests;
