//! Gradle's string notation for a module, `group:artifact[:version[:classifier]][@ext]`: telling one
//! from other strings, and its name, version and the version's place.

/// `group:artifact:version` with no blanks, a dotted group and no URL.
pub(super) fn looks_like_coordinate(s: &str) -> bool {
    let parts: Vec<&str> = s.split(':').collect();
    parts.len() >= 3
        && parts.len() <= 4
        && parts[0].contains('.')
        && parts.iter().take(2).all(|p| {
            !p.is_empty()
                && p.chars().all(|c| {
                    c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '$' | '{' | '}')
                })
        })
        && !s.contains(char::is_whitespace)
        && !s.contains('/')
}

/// The version part of a coordinate as written (`${v}` in `g:a:${v}:jdk8@jar`), when it has one.
pub(super) fn written_version(raw: &str) -> Option<String> {
    let body = raw.split_once('@').map_or(raw, |(b, _)| b);
    let mut parts = body.splitn(3, ':');
    let (_, _, rest) = (parts.next()?, parts.next()?, parts.next()?);
    // A classifier follows the version's last `:` outside `${...}`.
    let mut depth = 0usize;
    let mut end = rest.len();
    for (i, c) in rest.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            ':' if depth == 0 => {
                end = i;
                break;
            }
            _ => {}
        }
    }
    Some(rest[..end].to_string()).filter(|v| !v.is_empty())
}

/// `group:artifact[:version[:classifier]][@ext]` -> name, version and the version's byte range
/// in `s`.
#[allow(clippy::type_complexity)]
pub(crate) fn split(s: &str) -> Option<(String, Option<String>, Option<(usize, usize)>)> {
    let body = s.split_once('@').map_or(s, |(b, _)| b);
    let parts: Vec<&str> = body.split(':').collect();
    if parts.len() < 2 || parts.len() > 4 {
        return None;
    }
    let ok = |p: &str| {
        !p.is_empty()
            && p.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
    };
    if !ok(parts[0]) || !ok(parts[1]) {
        return None;
    }
    let name = format!("{}:{}", parts[0], parts[1]);
    match parts.get(2) {
        Some(v) if !v.is_empty() => {
            let start = parts[0].len() + parts[1].len() + 2;
            Some((name, Some((*v).to_string()), Some((start, start + v.len()))))
        }
        _ => Some((name, None, None)),
    }
}
