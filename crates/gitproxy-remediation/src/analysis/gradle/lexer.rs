//! A lexer for Gradle build scripts, Groovy and Kotlin alike: identifiers, string literals with
//! the span of their contents, punctuation and line ends. Comments and blanks are skipped; what
//! it does not know (numbers, operators, other characters) becomes [`Kind::Other`].

/// What a token is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A name: `implementation`, `ext`, `val`.
    Ident,
    /// A string literal; see [`Token::content`] and [`Token::interpolates`].
    Str,
    /// One ASCII punctuation character.
    Punct(u8),
    /// The end of a line outside any string or comment.
    Newline,
    /// Anything else (numbers, non-ASCII text).
    Other,
}

/// One token and where it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Token {
    pub(crate) kind: Kind,
    /// Byte span of the whole token (quotes included).
    pub(crate) span: (usize, usize),
    /// Strings: byte span of the contents between the quotes.
    pub(crate) content: (usize, usize),
    /// Strings: double-quoted, so `$name` and `${...}` are interpolated.
    pub(crate) interpolates: bool,
    /// Strings: holds a backslash escape (its text is not its value).
    pub(crate) escaped: bool,
}

impl Token {
    fn new(kind: Kind, start: usize, end: usize) -> Token {
        Token {
            kind,
            span: (start, end),
            content: (start, end),
            interpolates: false,
            escaped: false,
        }
    }

    /// The token's text (strings: their contents).
    pub(crate) fn text<'t>(&self, source: &'t str) -> &'t str {
        source.get(self.content.0..self.content.1).unwrap_or("")
    }

    pub(crate) fn is(&self, c: u8) -> bool {
        self.kind == Kind::Punct(c)
    }
}

/// Splits `source` into tokens. Never fails: an unterminated string or comment runs to the end.
pub(crate) fn lex(source: &str) -> Vec<Token> {
    let bytes = source.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b'\n' => {
                out.push(Token::new(Kind::Newline, i, i + 1));
                i += 1;
            }
            b' ' | b'\t' | b'\r' | 0x0c => i += 1,
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                let end = source[i + 2..]
                    .find("*/")
                    .map_or(bytes.len(), |e| i + 2 + e + 2);
                // A block comment spanning lines still ends a statement.
                if source[i..end].contains('\n') {
                    out.push(Token::new(Kind::Newline, i, end));
                }
                i = end;
            }
            b'\'' | b'"' => {
                let token = string(source, i, c);
                i = token.span.1;
                out.push(token);
            }
            b'A'..=b'Z' | b'a'..=b'z' | b'_' => {
                let start = i;
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                    i += 1;
                }
                out.push(Token::new(Kind::Ident, start, i));
            }
            b'0'..=b'9' => {
                let start = i;
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'.') {
                    i += 1;
                }
                out.push(Token::new(Kind::Other, start, i));
            }
            c if c.is_ascii() => {
                out.push(Token::new(Kind::Punct(c), i, i + 1));
                i += 1;
            }
            _ => {
                let start = i;
                i += 1;
                while i < bytes.len() && !source.is_char_boundary(i) {
                    i += 1;
                }
                out.push(Token::new(Kind::Other, start, i));
            }
        }
    }
    out
}

/// The string literal opening at `start` with quote `q` (single, double or tripled).
fn string(source: &str, start: usize, q: u8) -> Token {
    let bytes = source.as_bytes();
    let triple = bytes.get(start + 1) == Some(&q) && bytes.get(start + 2) == Some(&q);
    let open = if triple { 3 } else { 1 };
    let mut i = start + open;
    let mut escaped = false;
    let mut brace_depth = 0usize;
    let content_end;
    loop {
        let Some(&c) = bytes.get(i) else {
            content_end = bytes.len();
            i = bytes.len();
            break;
        };
        if c == b'\\' {
            escaped = true;
            i += 2;
            continue;
        }
        if q == b'"' && c == b'$' && bytes.get(i + 1) == Some(&b'{') {
            brace_depth += 1;
            i += 2;
            continue;
        }
        if brace_depth > 0 {
            match c {
                b'{' => brace_depth += 1,
                b'}' => brace_depth -= 1,
                _ => {}
            }
            i += 1;
            continue;
        }
        if c == q && (!triple || (bytes.get(i + 1) == Some(&q) && bytes.get(i + 2) == Some(&q))) {
            content_end = i;
            i += open;
            break;
        }
        // A one-line string ends at the line's end even without its closing quote.
        if c == b'\n' && !triple {
            content_end = i;
            break;
        }
        i += 1;
    }
    let i = i.min(bytes.len());
    let mut end = i;
    while !source.is_char_boundary(end) {
        end += 1;
    }
    let mut content_end = content_end.min(end);
    while !source.is_char_boundary(content_end) {
        content_end += 1;
    }
    let content_start = (start + open).min(content_end);
    Token {
        kind: Kind::Str,
        span: (start, end),
        content: (content_start, content_end),
        interpolates: q == b'"',
        escaped,
    }
}
