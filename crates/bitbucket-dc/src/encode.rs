//! Percent-encoding of URL path segments, file paths and query values, and ref-name helpers.
//!
//! Bitbucket routes on the raw path, so every value placed in a URL is encoded here: a single
//! path parameter (project key, slug, commit id, report key) has *every* byte outside the RFC 3986
//! unreserved set encoded, including `/`; a repository file path is split on `/` and each segment is
//! encoded on its own so the separators survive; query keys and values are encoded the same way
//! (so `&`, `+`, `#`, `=` and spaces can never change the meaning of the query).

use http::Method;
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use crate::error::Error;

/// Everything except the RFC 3986 unreserved characters `A-Z a-z 0-9 - . _ ~`.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Encodes one path segment: every byte outside the unreserved set, `/` included, is escaped.
///
/// Encoding cannot make every value safe: the client refuses to send a request whose path has a
/// segment that is empty, `.` or `..`, or that contains `/` or `\` even encoded
/// ([`Error::InvalidPathSegment`]), since servers and proxies resolve those to another path.
///
/// ```
/// assert_eq!(bitbucket_dc::encode::segment("a b/c#d"), "a%20b%2Fc%23d");
/// assert_eq!(bitbucket_dc::encode::segment("~jdoe"), "~jdoe");
/// ```
pub fn segment(value: &str) -> String {
    utf8_percent_encode(value, COMPONENT).to_string()
}

/// Encodes a query key or value: every byte outside the unreserved set is escaped (`+` as `%2B`,
/// space as `%20`, `/` as `%2F`).
///
/// ```
/// assert_eq!(bitbucket_dc::encode::query_value("refs/heads/a+b&c"), "refs%2Fheads%2Fa%2Bb%26c");
/// ```
pub fn query_value(value: &str) -> String {
    utf8_percent_encode(value, COMPONENT).to_string()
}

/// Encodes a repository file path: splits on `/`, drops empty segments (leading, trailing or
/// doubled slashes) and encodes each segment, keeping `/` between them.
///
/// Fails when the path is empty or contains a `.` or `..` segment, which intermediaries may
/// normalise away and which never name a file in a repository.
///
/// ```
/// assert_eq!(bitbucket_dc::encode::file_path("/dir one/a#b.txt").unwrap(), "dir%20one/a%23b.txt");
/// ```
pub fn file_path(path: &str) -> Result<String, Error> {
    let mut out = String::with_capacity(path.len());
    for part in path.split('/').filter(|part| !part.is_empty()) {
        if part == "." || part == ".." {
            return Err(Error::InvalidArgument {
                reason: format!(
                    "file path {path:?} contains a `{part}` segment: pass a path relative to the repository root"
                ),
            });
        }
        if !out.is_empty() {
            out.push('/');
        }
        out.push_str(&segment(part));
    }
    if out.is_empty() {
        return Err(Error::InvalidArgument {
            reason: format!(
                "file path {path:?} is empty: pass a path relative to the repository root"
            ),
        });
    }
    Ok(out)
}

/// Refuses a request path (already encoded, starting with `/`) with a segment that is empty,
/// `.` or `..` (even percent-encoded), or a project key, repository slug or user slug that
/// contains `/` or `\`: such a segment would make a server or proxy resolve another path than
/// the one the caller named. The segment is named by the literal before it (`projects/{key}`,
/// `repos/{slug}`, …). Other values (report keys, annotation ids) keep an encoded `/`.
pub(crate) fn check_path(method: &Method, path: &str) -> Result<(), Error> {
    let mut previous = "";
    for part in path.strip_prefix('/').unwrap_or(path).split('/') {
        let value = percent_decode_str(part).decode_utf8_lossy();
        let what = segment_role(previous);
        let names_a_path = matches!(what, "project key" | "repository slug" | "user slug");
        if value.is_empty()
            || value == "."
            || value == ".."
            || (names_a_path && value.contains(['/', '\\']))
        {
            return Err(Error::InvalidPathSegment {
                what,
                value: value.into_owned(),
                method: method.clone(),
                path: path.to_owned(),
            });
        }
        previous = part;
    }
    Ok(())
}

/// What the segment after the literal `previous` names, for [`check_path`]'s error.
fn segment_role(previous: &str) -> &'static str {
    match previous {
        "projects" => "project key",
        "repos" => "repository slug",
        "users" | "participants" => "user slug",
        "commits" | "stats" => "commit id",
        "reports" => "report key",
        "annotations" => "annotation external id",
        _ => "path segment",
    }
}

/// Encodes a list of query pairs as `k=v&k=v` (without the leading `?`).
pub(crate) fn query_string(pairs: &[(String, String)]) -> String {
    let mut out = String::new();
    for (key, value) in pairs {
        if !out.is_empty() {
            out.push('&');
        }
        out.push_str(&query_value(key));
        out.push('=');
        out.push_str(&query_value(value));
    }
    out
}

/// Qualifies a branch name as a full ref id: `main` becomes `refs/heads/main`; a value that
/// already starts with `refs/` is returned unchanged.
///
/// ```
/// assert_eq!(bitbucket_dc::encode::branch_ref("fix/x"), "refs/heads/fix/x");
/// assert_eq!(bitbucket_dc::encode::branch_ref("refs/tags/v1"), "refs/tags/v1");
/// ```
pub fn branch_ref(name: &str) -> String {
    if name.starts_with("refs/") {
        name.to_owned()
    } else {
        format!("refs/heads/{name}")
    }
}

/// Whether `id` looks like a commit SHA (4 to 40 hexadecimal digits), the only form
/// `GET …/commits/{commitId}` accepts.
pub fn is_commit_sha(id: &str) -> bool {
    (4..=40).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests;
