//! Just enough Rust lexing for the text rules: comments, string and char literals blanked out, and
//! `#[cfg(test)]` items removed, keeping every line break so line numbers stay true.

/// `text` with comments and the contents of string and char literals replaced by spaces (the quotes stay),
/// and every item under `#[cfg(test)]` blanked the same way. Same number of chars and lines as `text`.
pub(super) fn code_only(text: &str) -> Vec<char> {
    let mut code = blank_comments_and_literals(&text.chars().collect::<Vec<char>>());
    blank_test_items(&mut code);
    code
}

/// Whether a file is test code as a whole (`#![cfg(test)]`).
pub(super) fn is_test_only(code: &[char]) -> bool {
    let squeezed: String = code.iter().filter(|c| !c.is_whitespace()).collect();
    squeezed.contains("#![cfg(test)]")
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn blank(out: &mut [char], from: usize, to: usize) {
    let to = to.min(out.len());
    for c in &mut out[from.min(to)..to] {
        if *c != '\n' {
            *c = ' ';
        }
    }
}

/// The number of `#` of a raw string opening at `i` (`r"`, `r#"`, `br##"`), or `None`.
fn raw_string_hashes(src: &[char], i: usize) -> Option<usize> {
    if src[i] != 'r' {
        return None;
    }
    let before_ok = |at: usize| at == 0 || !is_ident(src[at - 1]);
    let prefix_ok = before_ok(i) || (i > 0 && src[i - 1] == 'b' && before_ok(i - 1));
    if !prefix_ok {
        return None;
    }
    let hashes = src[i + 1..].iter().take_while(|c| **c == '#').count();
    (src.get(i + 1 + hashes) == Some(&'"')).then_some(hashes)
}

fn blank_comments_and_literals(src: &[char]) -> Vec<char> {
    let mut out = src.to_vec();
    let at = |i: usize| src.get(i).copied().unwrap_or('\0');
    let mut i = 0;
    while i < src.len() {
        let c = src[i];
        if c == '/' && at(i + 1) == '/' {
            let end = (i..src.len())
                .find(|&j| src[j] == '\n')
                .unwrap_or(src.len());
            blank(&mut out, i, end);
            i = end;
        } else if c == '/' && at(i + 1) == '*' {
            let (mut depth, mut j) = (1, i + 2);
            while j < src.len() && depth > 0 {
                if src[j] == '/' && at(j + 1) == '*' {
                    depth += 1;
                    j += 2;
                } else if src[j] == '*' && at(j + 1) == '/' {
                    depth -= 1;
                    j += 2;
                } else {
                    j += 1;
                }
            }
            blank(&mut out, i, j);
            i = j;
        } else if let Some(hashes) = raw_string_hashes(src, i) {
            let open = i + 1 + hashes;
            let mut j = open + 1;
            while j < src.len() && !(src[j] == '"' && (1..=hashes).all(|k| at(j + k) == '#')) {
                j += 1;
            }
            blank(&mut out, open + 1, j);
            i = j + 1 + hashes;
        } else if c == '"' {
            let mut j = i + 1;
            while j < src.len() && src[j] != '"' {
                j += if src[j] == '\\' { 2 } else { 1 };
            }
            blank(&mut out, i + 1, j);
            i = j + 1;
        } else if c == '\'' && at(i + 1) == '\\' {
            let end = (i + 3..src.len())
                .find(|&j| src[j] == '\'')
                .unwrap_or(src.len());
            blank(&mut out, i + 1, end);
            i = end + 1;
        } else if c == '\'' && at(i + 2) == '\'' {
            blank(&mut out, i + 1, i + 2);
            i += 3;
        } else {
            // Code, or a lifetime's quote.
            i += 1;
        }
    }
    out
}

/// The index just past the bracket that closes the one at `open`, counting only `open_c`/`close_c`.
fn matching(code: &[char], open: usize, open_c: char, close_c: char) -> usize {
    let mut depth = 0usize;
    for (j, c) in code.iter().enumerate().skip(open) {
        if *c == open_c {
            depth += 1;
        } else if *c == close_c {
            depth -= 1;
            if depth == 0 {
                return j + 1;
            }
        }
    }
    code.len()
}

/// Blanks every item that follows a `#[cfg(test)]` attribute: up to its `;`, or through its `{ ... }` body.
fn blank_test_items(code: &mut [char]) {
    let mut i = 0;
    while i < code.len() {
        if code[i] != '#' || code.get(i + 1) != Some(&'[') {
            i += 1;
            continue;
        }
        let end = matching(code, i + 1, '[', ']');
        let attribute: String = code[i..end].iter().filter(|c| !c.is_whitespace()).collect();
        if attribute != "#[cfg(test)]" {
            i = end;
            continue;
        }
        let item_end = match (end..code.len()).find(|&j| code[j] == ';' || code[j] == '{') {
            Some(j) if code[j] == '{' => matching(code, j, '{', '}'),
            Some(j) => j + 1,
            None => code.len(),
        };
        blank(code, i, item_end);
        i = item_end;
    }
}

#[cfg(test)]
mod tests;
