//! A strict reader for the YAML that pnpm writes in `pnpm-lock.yaml`: block mappings and
//! sequences, one-line or multi-line flow collections (`{integrity: sha512-...}`, `[x64]`),
//! plain, single- and double-quoted scalars, block scalars (`|`, `>`), comments and `---`
//! documents (the last document is read). Every value keeps its byte span, so lockfile entries
//! get lines and edits replace exactly one value.
//!
//! Written here rather than taken from a crate because pnpm uses a small, fixed subset, the
//! analysis needs byte spans, and what lies outside the subset is refused with its offset:
//! anchors, aliases and tags (so no alias expansion, no billion laughs), explicit `?` keys,
//! tab indentation, duplicate keys, and nesting deeper than [`MAX_NESTING`]. Scalars stay text
//! (`true`, `6.0`, `null` are strings); an empty value is [`Value::Null`].

use crate::limits::{too_deep, MAX_NESTING};

/// A value with the byte span it occupies in the source text (for a quoted scalar, the quotes
/// included).
#[derive(Debug)]
pub(crate) struct Node {
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) value: Value,
}

/// The value kinds.
#[derive(Debug)]
pub(crate) enum Value {
    Map(Vec<Entry>),
    Seq(Vec<Node>),
    Str(String),
    Null,
}

/// One `key: value` pair of a mapping.
#[derive(Debug)]
pub(crate) struct Entry {
    pub(crate) key: String,
    pub(crate) key_start: usize,
    pub(crate) value: Node,
}

impl Node {
    pub(crate) fn get(&self, key: &str) -> Option<&Node> {
        self.entries()
            .iter()
            .find(|e| e.key == key)
            .map(|e| &e.value)
    }

    pub(crate) fn entries(&self) -> &[Entry] {
        match &self.value {
            Value::Map(entries) => entries,
            _ => &[],
        }
    }

    pub(crate) fn items(&self) -> &[Node] {
        match &self.value {
            Value::Seq(items) => items,
            _ => &[],
        }
    }

    pub(crate) fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }
}

/// A failure: the byte offset and what is wrong.
pub(crate) type Failure = (usize, String);

/// Parses `text`; the error names the byte offset of the problem.
pub(crate) fn parse(text: &str) -> Result<Node, Failure> {
    let mut lines = Vec::new();
    let mut offset = 0;
    for raw in text.split_inclusive('\n') {
        let body = raw.trim_end_matches(['\n', '\r']);
        let indent = body.len() - body.trim_start_matches(' ').len();
        let rest = &body[indent..];
        if rest.starts_with('\t') {
            return Err((
                offset + indent,
                "a tab indents this line; use spaces".into(),
            ));
        }
        let blank = rest.trim_end().is_empty() || rest.starts_with('#');
        if indent == 0 && (rest == "---" || rest.starts_with("--- ") || rest == "...") {
            if rest.starts_with("--- ") && !rest[4..].trim_start().starts_with('#') {
                return Err((offset, "a value on the `---` line is not supported".into()));
            }
            // A new document: only the last one is read.
            lines.clear();
        } else if !blank {
            lines.push(Line {
                start: offset,
                indent,
                end: offset + body.len(),
            });
        }
        offset += raw.len();
    }
    let mut reader = Reader { text, lines, at: 0 };
    if reader.lines.is_empty() {
        return Ok(Node {
            start: 0,
            end: 0,
            value: Value::Null,
        });
    }
    let first = reader.lines[0].indent;
    let root = reader.block(first, 0)?;
    if let Some(line) = reader.lines.get(reader.at) {
        return Err((line.start + line.indent, "unexpected indentation".into()));
    }
    Ok(root)
}

/// A line with content: where it starts, how far it is indented (the column its content
/// starts at), and where it ends (before the line break).
#[derive(Clone, Copy)]
struct Line {
    start: usize,
    indent: usize,
    end: usize,
}

struct Reader<'a> {
    text: &'a str,
    lines: Vec<Line>,
    /// The next line to read.
    at: usize,
}

impl Reader<'_> {
    fn content(&self, line: Line) -> &str {
        &self.text[line.start + line.indent..line.end]
    }

    fn is_item(&self, line: Line) -> bool {
        let c = self.content(line);
        c == "-" || c.starts_with("- ")
    }

    /// The block collection whose first line is the next one, indented exactly `indent`.
    fn block(&mut self, indent: usize, depth: usize) -> Result<Node, Failure> {
        if depth >= MAX_NESTING {
            let at = self.lines.get(self.at).map_or(0, |l| l.start);
            return Err((at, too_deep()));
        }
        let line = self.lines[self.at];
        if self.is_item(line) {
            self.sequence(indent, depth)
        } else {
            self.mapping(indent, depth)
        }
    }

    fn sequence(&mut self, indent: usize, depth: usize) -> Result<Node, Failure> {
        let start = self.lines[self.at].start + indent;
        let mut items = Vec::new();
        let mut end = start;
        while let Some(&line) = self.lines.get(self.at) {
            if line.indent != indent || !self.is_item(line) {
                break;
            }
            let dash = line.start + indent;
            let after = self.text[dash + 1..line.end].len()
                - self.text[dash + 1..line.end].trim_start_matches(' ').len();
            let item = if dash + 1 + after >= line.end {
                self.at += 1;
                self.nested(indent, depth, dash + 1, false)?
            } else {
                // `- key: value` or `- value`: the rest of the line read as if it began a line.
                let column = indent + 1 + after;
                self.lines[self.at].indent = column;
                let rest = self.lines[self.at];
                if self.is_item(rest) || self.starts_mapping(rest) {
                    self.block(column, depth + 1)?
                } else {
                    self.inline_to_end(line.start + column, indent, depth + 1)?
                }
            };
            end = item.end;
            items.push(item);
        }
        Ok(Node {
            start,
            end,
            value: Value::Seq(items),
        })
    }

    /// Whether a line's content is a `key:` or `key: value`.
    fn starts_mapping(&self, line: Line) -> bool {
        let from = line.start + line.indent;
        match self.key(from, line.end) {
            Ok((_, _, after)) => after <= line.end,
            Err(_) => false,
        }
    }

    fn mapping(&mut self, indent: usize, depth: usize) -> Result<Node, Failure> {
        let start = self.lines[self.at].start + indent;
        let mut entries: Vec<Entry> = Vec::new();
        let mut end = start;
        while let Some(&line) = self.lines.get(self.at) {
            if line.indent != indent {
                if line.indent > indent {
                    return Err((line.start + line.indent, "unexpected indentation".into()));
                }
                break;
            }
            if self.is_item(line) {
                break;
            }
            let key_start = line.start + indent;
            let (key, key_end, after) = self.key(key_start, line.end)?;
            let rest = self.text[after..line.end].trim_start_matches(' ');
            let value = if rest.is_empty() || rest.starts_with('#') {
                self.at += 1;
                self.nested(indent, depth, key_end, true)?
            } else {
                self.inline_to_end(line.end - rest.len(), indent, depth + 1)?
            };
            end = value.end.max(key_end);
            entries.push(Entry {
                key,
                key_start,
                value,
            });
        }
        no_duplicates(&entries)?;
        Ok(Node {
            start,
            end,
            value: Value::Map(entries),
        })
    }

    /// The value of a key or dash with nothing after it on its line: a block indented deeper,
    /// a sequence at the key's own indentation (`in_mapping`), or null.
    fn nested(
        &mut self,
        indent: usize,
        depth: usize,
        at: usize,
        in_mapping: bool,
    ) -> Result<Node, Failure> {
        match self.lines.get(self.at).copied() {
            Some(next) if next.indent > indent => self.block(next.indent, depth + 1),
            Some(next) if in_mapping && next.indent == indent && self.is_item(next) => {
                self.sequence(indent, depth + 1)
            }
            _ => Ok(null_at(at)),
        }
    }

    /// A key at `from` (plain or quoted) and its colon: the key, where it ends, and the offset
    /// after the colon.
    fn key(&self, from: usize, line_end: usize) -> Result<(String, usize, usize), Failure> {
        let bytes = self.text.as_bytes();
        match bytes.get(from) {
            Some(b'\'' | b'"') => {
                let (key, end) = quoted(self.text, from)?;
                // YAML keeps an implicit key on one line; a quote closed on a later line is not one.
                if end > line_end {
                    return Err((from, "a quoted key must end on its own line".into()));
                }
                if bytes.get(end) != Some(&b':') {
                    return Err((end, "expected `:` after the key".into()));
                }
                check_after_colon(bytes, end + 1, line_end)?;
                Ok((key, end, end + 1))
            }
            Some(b'?') => Err((from, "explicit `?` keys are not supported".into())),
            Some(b'&' | b'*' | b'!') => Err((from, refused(bytes[from]))),
            Some(b'{' | b'[') => Err((from, "flow collections as keys are not supported".into())),
            _ => {
                let line = &self.text[from..line_end];
                let colon = line
                    .match_indices(':')
                    .map(|(i, _)| i)
                    .find(|&i| matches!(line.as_bytes().get(i + 1), None | Some(b' ')))
                    .ok_or((from, "expected `key: value`".to_string()))?;
                let key = line[..colon].trim_end();
                if key.is_empty() {
                    return Err((from, "empty key".into()));
                }
                Ok((key.to_string(), from + key.len(), from + colon + 1))
            }
        }
    }

    /// A value that starts at `from` on the current line (a scalar, a flow collection or a
    /// block scalar), after which only a comment may follow; the reader moves past it.
    fn inline_to_end(&mut self, from: usize, indent: usize, depth: usize) -> Result<Node, Failure> {
        if depth >= MAX_NESTING {
            return Err((from, too_deep()));
        }
        let line = self.lines[self.at];
        let bytes = self.text.as_bytes();
        match bytes[from] {
            b'|' | b'>' => {
                self.at += 1;
                return self.block_scalar(from, line.end, indent);
            }
            b'{' | b'[' => {
                let (node, end) = flow(self.text, from, depth)?;
                self.finish_line_at(end)?;
                return Ok(node);
            }
            b'\'' | b'"' => {
                let (value, end) = quoted(self.text, from)?;
                self.finish_line_at(end)?;
                return Ok(Node {
                    start: from,
                    end,
                    value: Value::Str(value),
                });
            }
            b'&' | b'*' | b'!' => return Err((from, refused(bytes[from]))),
            b'?' if matches!(bytes.get(from + 1), None | Some(b' ')) => {
                return Err((from, "explicit `?` keys are not supported".into()))
            }
            _ => {}
        }
        let text = &self.text[from..line.end];
        let text = match text.find(" #") {
            Some(i) => &text[..i],
            None => text,
        };
        let text = text.trim_end();
        if text.contains(": ") || text.ends_with(':') {
            return Err((from, "a mapping cannot start on the line of a key".into()));
        }
        self.at += 1;
        if let Some(next) = self.lines.get(self.at) {
            if next.indent > indent {
                return Err((
                    next.start + next.indent,
                    "multi-line plain scalars are not supported".into(),
                ));
            }
        }
        Ok(Node {
            start: from,
            end: from + text.len(),
            value: Value::Str(text.to_string()),
        })
    }

    /// Moves past the line holding byte `end`, which may only be followed by a comment.
    fn finish_line_at(&mut self, end: usize) -> Result<(), Failure> {
        while self.at < self.lines.len() && self.lines[self.at].end < end {
            self.at += 1;
        }
        let Some(line) = self.lines.get(self.at).copied() else {
            return Ok(());
        };
        let rest = self.text[end..line.end].trim_start_matches(' ');
        if !rest.is_empty() && !rest.starts_with('#') {
            return Err((
                line.end - rest.len(),
                "unexpected text after the value".into(),
            ));
        }
        self.at += 1;
        Ok(())
    }

    /// A `|` or `>` scalar whose header is `from..header_end`: the lines indented deeper than
    /// `indent` that follow (blank lines were dropped, so they join as one line break).
    fn block_scalar(
        &mut self,
        from: usize,
        header_end: usize,
        indent: usize,
    ) -> Result<Node, Failure> {
        let header = self.text[from..header_end].trim_end();
        let header = header.split(" #").next().unwrap_or("").trim_end();
        if !header[1..]
            .chars()
            .all(|c| matches!(c, '-' | '+' | '1'..='9'))
        {
            return Err((from, format!("invalid block scalar header `{header}`")));
        }
        let folded = header.starts_with('>');
        let mut parts: Vec<&str> = Vec::new();
        let mut end = header_end;
        while let Some(&line) = self.lines.get(self.at) {
            if line.indent <= indent {
                break;
            }
            parts.push(&self.text[line.start + line.indent..line.end]);
            end = line.end;
            self.at += 1;
        }
        let mut value = parts.join(if folded { " " } else { "\n" });
        if !header.contains('-') && !value.is_empty() {
            value.push('\n');
        }
        Ok(Node {
            start: from,
            end,
            value: Value::Str(value),
        })
    }
}

/// Refuses a mapping that names a key twice (checked by sorting, without copying the keys).
fn no_duplicates(entries: &[Entry]) -> Result<(), Failure> {
    if entries.len() < 2 {
        return Ok(());
    }
    let mut order: Vec<&Entry> = entries.iter().collect();
    order.sort_unstable_by(|a, b| a.key.cmp(&b.key).then(a.key_start.cmp(&b.key_start)));
    match order.windows(2).find(|w| w[0].key == w[1].key) {
        Some(w) => Err((w[1].key_start, format!("duplicate key `{}`", w[1].key))),
        None => Ok(()),
    }
}

fn null_at(at: usize) -> Node {
    Node {
        start: at,
        end: at,
        value: Value::Null,
    }
}

fn refused(indicator: u8) -> String {
    match indicator {
        b'&' => "anchors are not supported".into(),
        b'*' => "aliases are not supported".into(),
        _ => "tags are not supported".into(),
    }
}

fn check_after_colon(bytes: &[u8], at: usize, line_end: usize) -> Result<(), Failure> {
    if at < line_end && bytes[at] != b' ' {
        return Err((at, "expected a space after `:`".into()));
    }
    Ok(())
}

/// A single- or double-quoted scalar at `from`: its value and the offset after the closing quote.
/// A line break inside folds to a space (an empty line to a line break).
fn quoted(text: &str, from: usize) -> Result<(String, usize), Failure> {
    let bytes = text.as_bytes();
    let quote = bytes[from];
    let mut out = String::new();
    let mut i = from + 1;
    loop {
        let Some(&b) = bytes.get(i) else {
            return Err((from, "unterminated quoted string".into()));
        };
        match b {
            b'\'' if quote == b'\'' => {
                if bytes.get(i + 1) == Some(&b'\'') {
                    out.push('\'');
                    i += 2;
                    continue;
                }
                return Ok((out, i + 1));
            }
            b'"' if quote == b'"' => return Ok((out, i + 1)),
            b'\\' if quote == b'"' => {
                let (c, len) = escape(text, i)?;
                out.extend(c);
                i += len;
            }
            b'\n' | b'\r' => {
                while out.ends_with([' ', '\t']) {
                    out.pop();
                }
                let mut breaks = 0;
                while let Some(&c) = bytes.get(i) {
                    match c {
                        b'\n' => breaks += 1,
                        b' ' | b'\t' | b'\r' => {}
                        _ => break,
                    }
                    i += 1;
                }
                if breaks > 1 {
                    out.extend(std::iter::repeat_n('\n', breaks - 1));
                } else {
                    out.push(' ');
                }
            }
            _ => {
                let c = text[i..].chars().next().unwrap_or('\u{fffd}');
                out.push(c);
                i += c.len_utf8();
            }
        }
    }
}

/// A double-quoted escape at `at` (the backslash): the character (none for an escaped line
/// break) and how many bytes it takes.
fn escape(text: &str, at: usize) -> Result<(Option<char>, usize), Failure> {
    let bytes = text.as_bytes();
    let simple = |c: char| Ok((Some(c), 2));
    let hex = |len: usize| {
        let digits = text
            .get(at + 2..at + 2 + len)
            .ok_or((at, "truncated escape".to_string()))?;
        let code =
            u32::from_str_radix(digits, 16).map_err(|_| (at, "invalid escape".to_string()))?;
        let c = char::from_u32(code).ok_or((at, "invalid escaped character".to_string()))?;
        Ok((Some(c), 2 + len))
    };
    match bytes.get(at + 1) {
        Some(b'0') => simple('\0'),
        Some(b'a') => simple('\u{7}'),
        Some(b'b') => simple('\u{8}'),
        Some(b't' | b'\t') => simple('\t'),
        Some(b'n') => simple('\n'),
        Some(b'v') => simple('\u{b}'),
        Some(b'f') => simple('\u{c}'),
        Some(b'r') => simple('\r'),
        Some(b'e') => simple('\u{1b}'),
        Some(b' ') => simple(' '),
        Some(b'"') => simple('"'),
        Some(b'/') => simple('/'),
        Some(b'\\') => simple('\\'),
        Some(b'N') => simple('\u{85}'),
        Some(b'_') => simple('\u{a0}'),
        Some(b'L') => simple('\u{2028}'),
        Some(b'P') => simple('\u{2029}'),
        Some(b'x') => hex(2),
        Some(b'u') => hex(4),
        Some(b'U') => hex(8),
        Some(b'\n') => {
            let rest = &text[at + 2..];
            let skipped = rest.len() - rest.trim_start_matches([' ', '\t']).len();
            Ok((None, 2 + skipped))
        }
        _ => Err((at, "invalid escape".into())),
    }
}

/// A flow collection (`{...}` or `[...]`) at `from`: the node and the offset after it.
fn flow(text: &str, from: usize, depth: usize) -> Result<(Node, usize), Failure> {
    if depth >= MAX_NESTING {
        return Err((from, too_deep()));
    }
    let bytes = text.as_bytes();
    let close = if bytes[from] == b'{' { b'}' } else { b']' };
    let is_map = close == b'}';
    let mut i = from + 1;
    let mut entries: Vec<Entry> = Vec::new();
    let mut items = Vec::new();
    loop {
        i = skip_space(text, i);
        match bytes.get(i) {
            None => return Err((from, "unterminated flow collection".into())),
            Some(&c) if c == close => break,
            _ => {}
        }
        if is_map {
            let key_start = i;
            let (key, after) = flow_scalar(text, i, true)?;
            let key = match key.value {
                Value::Str(k) => k,
                _ => return Err((key_start, "empty key".into())),
            };
            i = skip_space(text, after);
            if bytes.get(i) != Some(&b':') {
                return Err((i, "expected `:` in a flow mapping".into()));
            }
            i = skip_space(text, i + 1);
            let (value, after) = flow_value(text, i, depth)?;
            entries.push(Entry {
                key,
                key_start,
                value,
            });
            i = after;
        } else {
            let (value, after) = flow_value(text, i, depth)?;
            items.push(value);
            i = after;
        }
        i = skip_space(text, i);
        match bytes.get(i) {
            Some(b',') => i += 1,
            Some(&c) if c == close => break,
            None => return Err((from, "unterminated flow collection".into())),
            _ => return Err((i, "expected `,` or the end of the flow collection".into())),
        }
    }
    let end = i + 1;
    no_duplicates(&entries)?;
    let value = if is_map {
        Value::Map(entries)
    } else {
        Value::Seq(items)
    };
    Ok((
        Node {
            start: from,
            end,
            value,
        },
        end,
    ))
}

fn flow_value(text: &str, at: usize, depth: usize) -> Result<(Node, usize), Failure> {
    match text.as_bytes().get(at) {
        Some(b'{' | b'[') => flow(text, at, depth + 1),
        _ => flow_scalar(text, at, false),
    }
}

/// A scalar inside a flow collection: quoted, or plain up to `,`, a closing bracket, a
/// comment or (for a key) `: `.
fn flow_scalar(text: &str, at: usize, key: bool) -> Result<(Node, usize), Failure> {
    let bytes = text.as_bytes();
    match bytes.get(at) {
        Some(b'\'' | b'"') => {
            let (value, end) = quoted(text, at)?;
            return Ok((
                Node {
                    start: at,
                    end,
                    value: Value::Str(value),
                },
                end,
            ));
        }
        Some(&c @ (b'&' | b'*' | b'!')) => return Err((at, refused(c))),
        _ => {}
    }
    let mut i = at;
    while let Some(&c) = bytes.get(i) {
        let next = bytes.get(i + 1).copied();
        let stop = match c {
            b',' | b'}' | b']' | b'\n' | b'\r' => true,
            b':' => key && matches!(next, None | Some(b' ' | b',' | b'}' | b']' | b'\n' | b'\r')),
            b' ' => next == Some(b'#'),
            _ => false,
        };
        if stop {
            break;
        }
        i += 1;
    }
    let raw = text[at..i].trim_end();
    let node = Node {
        start: at,
        end: at + raw.len(),
        value: if raw.is_empty() {
            Value::Null
        } else {
            Value::Str(raw.to_string())
        },
    };
    Ok((node, i))
}

/// Skips spaces, line breaks and comments inside a flow collection.
fn skip_space(text: &str, mut i: usize) -> usize {
    let bytes = text.as_bytes();
    while let Some(&c) = bytes.get(i) {
        match c {
            b' ' | b'\t' | b'\n' | b'\r' => i += 1,
            b'#' => {
                while bytes.get(i).is_some_and(|&c| c != b'\n') {
                    i += 1;
                }
            }
            _ => break,
        }
    }
    i
}

#[cfg(test)]
mod tests;
