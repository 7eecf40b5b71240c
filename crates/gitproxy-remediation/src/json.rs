//! A small JSON parser that keeps byte spans, so lockfile entries get line numbers and edits can
//! replace exactly one value without reformatting the file. [`cursor`] reads large files without
//! building the tree.

pub(crate) mod cursor;

/// A JSON value with the byte span it occupies in the source text.
#[derive(Debug)]
pub(crate) struct Node {
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) value: Value,
}

/// The value kinds; numbers, booleans and null keep only their span.
#[derive(Debug)]
pub(crate) enum Value {
    Object(Vec<Member>),
    Array(Vec<Node>),
    String(String),
    Other,
}

/// One `"key": value` pair of an object.
#[derive(Debug)]
pub(crate) struct Member {
    pub(crate) key: String,
    pub(crate) key_start: usize,
    pub(crate) value: Node,
}

impl Node {
    pub(crate) fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Object(members) => members.iter().find(|m| m.key == key).map(|m| &m.value),
            _ => None,
        }
    }
    pub(crate) fn member(&self, key: &str) -> Option<&Member> {
        self.members().iter().find(|m| m.key == key)
    }

    pub(crate) fn members(&self) -> &[Member] {
        match &self.value {
            Value::Object(members) => members,
            _ => &[],
        }
    }

    pub(crate) fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub(crate) fn items(&self) -> &[Node] {
        match &self.value {
            Value::Array(items) => items,
            _ => &[],
        }
    }
}

/// Parses `text`; the error names the byte offset of the problem.
pub(crate) fn parse(text: &str) -> Result<Node, (usize, String)> {
    parse_with(text, false)
}

/// Parses `text` allowing a comma after the last member of an object or array, as Bun writes
/// `bun.lock`.
pub(crate) fn parse_trailing_commas(text: &str) -> Result<Node, (usize, String)> {
    parse_with(text, true)
}

fn parse_with(text: &str, trailing_commas: bool) -> Result<Node, (usize, String)> {
    let mut p = Parser {
        s: text.as_bytes(),
        text,
        i: 0,
        trailing_commas,
    };
    p.ws();
    let node = p.value(0)?;
    p.ws();
    if p.i != p.s.len() {
        return Err((p.i, "trailing characters after the JSON value".into()));
    }
    Ok(node)
}

struct Parser<'a> {
    s: &'a [u8],
    text: &'a str,
    i: usize,
    trailing_commas: bool,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && matches!(self.s[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
    }

    fn err<T>(&self, msg: &str) -> Result<T, (usize, String)> {
        Err((self.i, msg.to_string()))
    }

    fn value(&mut self, depth: usize) -> Result<Node, (usize, String)> {
        if depth >= crate::limits::MAX_NESTING {
            return Err((self.i, crate::limits::too_deep()));
        }
        let start = self.i;
        let value = match self.s.get(self.i) {
            Some(b'{') => {
                self.i += 1;
                let mut members = Vec::new();
                self.ws();
                if self.s.get(self.i) == Some(&b'}') {
                    self.i += 1;
                } else {
                    loop {
                        self.ws();
                        if self.trailing_commas
                            && self.s.get(self.i) == Some(&b'}')
                            && !members.is_empty()
                        {
                            self.i += 1;
                            break;
                        }
                        let key_start = self.i;
                        let key = self.string()?;
                        self.ws();
                        if self.s.get(self.i) != Some(&b':') {
                            return self.err("expected `:`");
                        }
                        self.i += 1;
                        self.ws();
                        let value = self.value(depth + 1)?;
                        members.push(Member {
                            key,
                            key_start,
                            value,
                        });
                        self.ws();
                        match self.s.get(self.i) {
                            Some(b',') => self.i += 1,
                            Some(b'}') => {
                                self.i += 1;
                                break;
                            }
                            _ => return self.err("expected `,` or `}`"),
                        }
                    }
                }
                Value::Object(members)
            }
            Some(b'[') => {
                self.i += 1;
                let mut items = Vec::new();
                self.ws();
                if self.s.get(self.i) == Some(&b']') {
                    self.i += 1;
                } else {
                    loop {
                        self.ws();
                        if self.trailing_commas
                            && self.s.get(self.i) == Some(&b']')
                            && !items.is_empty()
                        {
                            self.i += 1;
                            break;
                        }
                        items.push(self.value(depth + 1)?);
                        self.ws();
                        match self.s.get(self.i) {
                            Some(b',') => self.i += 1,
                            Some(b']') => {
                                self.i += 1;
                                break;
                            }
                            _ => return self.err("expected `,` or `]`"),
                        }
                    }
                }
                Value::Array(items)
            }
            Some(b'"') => Value::String(self.string()?),
            Some(b't') if self.s[self.i..].starts_with(b"true") => {
                self.i += 4;
                Value::Other
            }
            Some(b'f') if self.s[self.i..].starts_with(b"false") => {
                self.i += 5;
                Value::Other
            }
            Some(b'n') if self.s[self.i..].starts_with(b"null") => {
                self.i += 4;
                Value::Other
            }
            Some(b'-' | b'0'..=b'9') => {
                while self.i < self.s.len()
                    && matches!(
                        self.s[self.i],
                        b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9'
                    )
                {
                    self.i += 1;
                }
                Value::Other
            }
            _ => return self.err("expected a JSON value"),
        };
        Ok(Node {
            start,
            end: self.i,
            value,
        })
    }

    fn string(&mut self) -> Result<String, (usize, String)> {
        if self.s.get(self.i) != Some(&b'"') {
            return self.err("expected a string");
        }
        self.i += 1;
        let start = self.i;
        // Fast path: no escapes.
        while self.i < self.s.len() && self.s[self.i] != b'"' && self.s[self.i] != b'\\' {
            self.i += 1;
        }
        if self.s.get(self.i) == Some(&b'"') {
            let out = self.text[start..self.i].to_string();
            self.i += 1;
            return Ok(out);
        }
        let mut out = self.text[start..self.i].to_string();
        loop {
            match self.s.get(self.i) {
                None => return self.err("unterminated string"),
                Some(b'"') => {
                    self.i += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.i += 1;
                    let at = self.i;
                    unescape(self.text, &mut self.i, &mut out)
                        .ok_or((at, "unterminated escape".to_string()))?;
                }
                Some(_) => {
                    let ch_start = self.i;
                    self.i += 1;
                    while self.i < self.s.len() && !self.text.is_char_boundary(self.i) {
                        self.i += 1;
                    }
                    out.push_str(&self.text[ch_start..self.i]);
                }
            }
        }
    }
}

/// Decodes the escape whose letter is at `*i` (just past the backslash) into `out` and moves
/// `*i` past it; `None` at the end of the text. Unknown escapes keep their character.
fn unescape(text: &str, i: &mut usize, out: &mut String) -> Option<()> {
    let c = text.get(*i..)?.chars().next()?;
    *i += c.len_utf8();
    match c {
        'n' => out.push('\n'),
        't' => out.push('\t'),
        'r' => out.push('\r'),
        'b' => out.push('\u{8}'),
        'f' => out.push('\u{c}'),
        'u' => {
            let hex_at = |at: usize| {
                text.get(at..at + 4)
                    .and_then(|h| u32::from_str_radix(h, 16).ok())
            };
            let mut code = hex_at(*i).unwrap_or(0xfffd);
            *i = (*i + 4).min(text.len());
            // A character outside the BMP is written as a UTF-16 surrogate pair.
            if (0xD800..0xDC00).contains(&code) && text.get(*i..*i + 2) == Some("\\u") {
                if let Some(low) = hex_at(*i + 2).filter(|l| (0xDC00..0xE000).contains(l)) {
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
                    *i += 6;
                }
            }
            out.push(char::from_u32(code).unwrap_or('\u{fffd}'));
            while !text.is_char_boundary(*i) {
                *i += 1;
            }
        }
        c => out.push(c),
    }
    Some(())
}

/// Encodes `s` as a JSON string literal (quotes included).
pub(crate) fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("\"{s}\""))
}

#[cfg(test)]
mod tests;
