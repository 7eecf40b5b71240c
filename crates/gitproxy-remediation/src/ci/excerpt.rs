//! What a CI-failure comment quotes from a job log: the lines that say why the build failed
//! (errors, failed tests, panics) with a little context, the command that was running, bounded in
//! lines and bytes, with the CI credential and anything that looks like a secret masked.

use serde::Serialize;

use super::CiKind;

/// The most lines quoted.
pub const MAX_LINES: usize = 30;
/// The most bytes quoted.
pub const MAX_BYTES: usize = 4096;
/// The longest line quoted; longer ones are cut.
const MAX_LINE: usize = 300;

/// The part of a job log worth showing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LogExcerpt {
    /// Which CI server it came from.
    pub server: CiKind,
    /// The command that was running when the build failed (`cargo test`), when the log says.
    pub command: Option<String>,
    /// The lines, in log order, secrets masked.
    pub lines: Vec<String>,
    /// Whether lines were left out.
    pub truncated: bool,
}

/// Whether a line says something failed.
fn matters(line: &str) -> bool {
    let lower = line.to_ascii_lowercase();
    const MARKERS: &[&str] = &[
        "error",
        "fail",
        "panicked",
        "exception",
        "fatal",
        "npm err!",
        "assertion",
        "build failed",
        "cannot find",
        "could not",
        "not found",
    ];
    MARKERS.iter().any(|m| lower.contains(m))
        && !lower.contains("0 failed")
        && !lower.contains("failed=0")
        && !lower.contains("errors: 0")
}

/// The command a shell trace or a CI runner announces on `line`, if any.
fn command_of(line: &str) -> Option<&str> {
    let line = line.trim();
    line.strip_prefix("+ ")
        .or_else(|| line.strip_prefix("$ "))
        .or_else(|| line.split_once("Running command: ").map(|(_, c)| c))
        .map(str::trim)
        .filter(|c| !c.is_empty())
}

/// The excerpt of `log` from a `kind` server, with each of `secrets` masked.
pub fn excerpt(kind: CiKind, log: &str, secrets: &[&str]) -> LogExcerpt {
    let lines: Vec<&str> = log.lines().collect();
    // The first line that matters after the last command before it, and the lines that
    // matter from there on with one line of context after each.
    let first = lines.iter().position(|l| matters(l));
    let command = first.and_then(|f| lines[..f].iter().rev().find_map(|l| command_of(l)));
    let mut keep = vec![false; lines.len()];
    match first {
        Some(_) => {
            for (i, line) in lines.iter().enumerate() {
                if matters(line) {
                    keep[i] = true;
                    if let Some(next) = keep.get_mut(i + 1) {
                        *next = true;
                    }
                }
            }
        }
        None => {
            let from = lines.len().saturating_sub(20);
            keep[from..].iter_mut().for_each(|k| *k = true);
        }
    }
    let chosen: Vec<String> = lines
        .iter()
        .zip(&keep)
        .filter(|(l, k)| **k && !l.trim().is_empty())
        .map(|(l, _)| mask(&cut(l), secrets))
        .collect();
    // The last lines matter most: keep the tail within the bounds.
    let mut out: Vec<String> = Vec::new();
    let mut bytes = 0;
    for line in chosen.iter().rev() {
        if out.len() == MAX_LINES || bytes + line.len() + 1 > MAX_BYTES {
            break;
        }
        bytes += line.len() + 1;
        out.push(line.clone());
    }
    out.reverse();
    LogExcerpt {
        server: kind,
        command: command.map(|c| mask(&cut(c), secrets)),
        truncated: out.len() < chosen.len() || keep.iter().filter(|k| !**k).count() > 0,
        lines: out,
    }
}

fn cut(line: &str) -> String {
    let line = line.trim_end();
    if line.len() <= MAX_LINE {
        return line.to_owned();
    }
    let mut end = MAX_LINE;
    while !line.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &line[..end])
}

/// `line` with each secret, URL user info, `Authorization`/`Bearer` values, `password=`-style
/// assignments and well-known token shapes replaced by `****`.
pub fn mask(line: &str, secrets: &[&str]) -> String {
    let mut out = line.to_owned();
    for secret in secrets.iter().filter(|s| s.len() >= 4) {
        out = out.replace(secret, "****");
    }
    // URL user info: scheme://user:pass@host
    let mut from = 0;
    while let Some(i) = out[from..].find("://").map(|i| from + i + 3) {
        let end = out[i..]
            .find(|c: char| c.is_whitespace() || c == '/')
            .map_or(out.len(), |e| i + e);
        match out[i..end].rfind('@') {
            Some(at) => {
                out.replace_range(i..i + at, "****");
                from = i + 5;
            }
            None => from = end,
        }
    }
    // key=value / key: value for secret-looking keys, and Bearer/Basic values.
    const KEYS: &[&str] = &[
        "password",
        "passwd",
        "token",
        "secret",
        "api_key",
        "apikey",
        "api-key",
        "bearer ",
        "basic ",
        "authorization:",
    ];
    let lower = out.to_ascii_lowercase();
    let mut spans: Vec<(usize, usize)> = Vec::new();
    for key in KEYS {
        let mut start = 0;
        while let Some(pos) = lower[start..].find(key).map(|p| start + p) {
            let mut v = pos + key.len();
            let bytes = out.as_bytes();
            let mut assigned = key.ends_with(' ') || key.ends_with(':');
            while v < bytes.len() && matches!(bytes[v], b'=' | b':' | b' ' | b'"' | b'\'') {
                assigned |= matches!(bytes[v], b'=' | b':');
                v += 1;
            }
            // `token` in `tokenizer` or prose is not an assignment.
            if !assigned {
                start = pos + key.len();
                continue;
            }
            // An `Authorization:` header's whole value (scheme and credential) is secret.
            let end = if *key == "authorization:" {
                out.len()
            } else {
                out[v..]
                    .find(|c: char| {
                        c.is_whitespace() || c == '"' || c == '\'' || c == ',' || c == '&'
                    })
                    .map_or(out.len(), |e| v + e)
            };
            if end > v && !out[v..end].starts_with("****") {
                spans.push((v, end));
            }
            start = pos + key.len();
        }
    }
    // Token shapes: GitHub, Bitbucket DC HTTP access tokens, AWS access keys.
    for prefix in ["ghp_", "gho_", "ghs_", "github_pat_", "BBDC-", "AKIA"] {
        let mut start = 0;
        while let Some(pos) = out[start..].find(prefix).map(|p| start + p) {
            let end = out[pos..]
                .find(|c: char| {
                    !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '+' | '/' | '='))
                })
                .map_or(out.len(), |e| pos + e);
            if end - pos >= prefix.len() + 12 {
                spans.push((pos, end));
            }
            start = end.max(pos + 1);
        }
    }
    spans.sort_unstable();
    let mut masked = String::with_capacity(out.len());
    let mut at = 0;
    for (s, e) in spans {
        if s < at {
            continue;
        }
        masked.push_str(&out[at..s]);
        masked.push_str("****");
        at = e;
    }
    masked.push_str(&out[at..]);
    masked
}

#[cfg(test)]
mod tests;
