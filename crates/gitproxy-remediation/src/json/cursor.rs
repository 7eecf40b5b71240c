//! A JSON reader that walks a document without building a tree: objects are visited member by
//! member with the line of each key, and values nobody asks for are checked and skipped. Large
//! lockfiles are read this way, so reading one costs little more memory than its text.

use std::borrow::Cow;

use crate::limits::{too_deep, MAX_NESTING};

/// A problem and the byte offset where it was found.
pub(crate) type Failure = (usize, String);

/// A position in a JSON text.
pub(crate) struct Cursor<'a> {
    s: &'a [u8],
    text: &'a str,
    i: usize,
    /// One-based line of `i`.
    line: u32,
    /// Containers open around `i`.
    depth: usize,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(text: &'a str) -> Cursor<'a> {
        Cursor {
            s: text.as_bytes(),
            text,
            i: 0,
            line: 1,
            depth: 0,
        }
    }

    /// Only whitespace may follow the value read.
    pub(crate) fn finish(mut self) -> Result<(), Failure> {
        self.ws();
        if self.i != self.s.len() {
            return self.err("trailing characters after the JSON value");
        }
        Ok(())
    }

    /// When the next value is an object, calls `member` with each key and the key's line;
    /// `member` must read or skip the value. Any other value is skipped. Returns whether the
    /// value was an object.
    pub(crate) fn object(
        &mut self,
        mut member: impl FnMut(&mut Cursor<'a>, Cow<'a, str>, u32) -> Result<(), Failure>,
    ) -> Result<bool, Failure> {
        self.ws();
        if self.s.get(self.i) != Some(&b'{') {
            self.skip()?;
            return Ok(false);
        }
        self.enter()?;
        self.i += 1;
        self.ws();
        if self.s.get(self.i) == Some(&b'}') {
            self.i += 1;
        } else {
            loop {
                self.ws();
                let line = self.line;
                let key = self.string_token()?;
                self.ws();
                if self.s.get(self.i) != Some(&b':') {
                    return self.err("expected `:`");
                }
                self.i += 1;
                member(self, key, line)?;
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
        self.depth -= 1;
        Ok(true)
    }

    /// The next value when it is a string; any other value is skipped.
    pub(crate) fn string(&mut self) -> Result<Option<Cow<'a, str>>, Failure> {
        self.ws();
        if self.s.get(self.i) == Some(&b'"') {
            return self.string_token().map(Some);
        }
        self.skip()?;
        Ok(None)
    }

    /// Whether the next value is `true`; any value is consumed.
    pub(crate) fn is_true(&mut self) -> Result<bool, Failure> {
        self.ws();
        if self.s[self.i..].starts_with(b"true") {
            self.i += 4;
            return Ok(true);
        }
        self.skip()?;
        Ok(false)
    }

    /// Checks and skips the next value.
    pub(crate) fn skip(&mut self) -> Result<(), Failure> {
        self.ws();
        match self.s.get(self.i) {
            Some(b'{') => {
                self.object(|c, _, _| c.skip())?;
            }
            Some(b'[') => {
                self.enter()?;
                self.i += 1;
                self.ws();
                if self.s.get(self.i) == Some(&b']') {
                    self.i += 1;
                } else {
                    loop {
                        self.skip()?;
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
                self.depth -= 1;
            }
            Some(b'"') => {
                self.string_token()?;
            }
            Some(b't') if self.s[self.i..].starts_with(b"true") => self.i += 4,
            Some(b'f') if self.s[self.i..].starts_with(b"false") => self.i += 5,
            Some(b'n') if self.s[self.i..].starts_with(b"null") => self.i += 4,
            Some(b'-' | b'0'..=b'9') => {
                while self.i < self.s.len()
                    && matches!(
                        self.s[self.i],
                        b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9'
                    )
                {
                    self.i += 1;
                }
            }
            _ => return self.err("expected a JSON value"),
        }
        Ok(())
    }

    fn enter(&mut self) -> Result<(), Failure> {
        if self.depth >= MAX_NESTING {
            return Err((self.i, too_deep()));
        }
        self.depth += 1;
        Ok(())
    }

    fn ws(&mut self) {
        while let Some(&b) = self.s.get(self.i) {
            match b {
                b'\n' => self.line += 1,
                b' ' | b'\t' | b'\r' => {}
                _ => break,
            }
            self.i += 1;
        }
    }

    fn err<T>(&self, msg: &str) -> Result<T, Failure> {
        Err((self.i, msg.to_string()))
    }

    /// A string literal: borrowed from the text unless it has escapes.
    fn string_token(&mut self) -> Result<Cow<'a, str>, Failure> {
        if self.s.get(self.i) != Some(&b'"') {
            return self.err("expected a string");
        }
        self.i += 1;
        let start = self.i;
        while self.i < self.s.len() && self.s[self.i] != b'"' && self.s[self.i] != b'\\' {
            if self.s[self.i] == b'\n' {
                self.line += 1;
            }
            self.i += 1;
        }
        if self.s.get(self.i) == Some(&b'"') {
            self.i += 1;
            return Ok(Cow::Borrowed(&self.text[start..self.i - 1]));
        }
        let mut out = self.text[start..self.i].to_string();
        loop {
            match self.s.get(self.i) {
                None => return self.err("unterminated string"),
                Some(b'"') => {
                    self.i += 1;
                    return Ok(Cow::Owned(out));
                }
                Some(b'\\') => {
                    self.i += 1;
                    let i = self.i;
                    super::unescape(self.text, &mut self.i, &mut out)
                        .ok_or((i, "unterminated escape".to_string()))?;
                }
                Some(_) => {
                    let ch_start = self.i;
                    self.i += 1;
                    while self.i < self.s.len() && !self.text.is_char_boundary(self.i) {
                        self.i += 1;
                    }
                    if self.s[ch_start] == b'\n' {
                        self.line += 1;
                    }
                    out.push_str(&self.text[ch_start..self.i]);
                }
            }
        }
    }
}

/// The one-based line of byte `offset` of `text`.
pub(crate) fn line_of(text: &str, offset: usize) -> u32 {
    let upto = &text.as_bytes()[..offset.min(text.len())];
    let newlines = upto.iter().filter(|&&b| b == b'\n').count();
    u32::try_from(newlines + 1).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests;
