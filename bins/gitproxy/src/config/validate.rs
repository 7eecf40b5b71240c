//! Value checks shared by the settings: durations and URLs (no credentials, in user info or in
//! the query).

use std::time::Duration;

use url::Url;

/// `url` with its query and fragment replaced by `?...`, for messages.
fn without_query(text: &str) -> String {
    match text.split_once(['?', '#']) {
        Some((base, _)) => format!("{base}?..."),
        None => text.to_owned(),
    }
}

/// Parses `30s`, `500ms`, `2m`, `1h` or a number of seconds.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => text.split_at(i),
        None => (text, "s"),
    };
    let n: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration; write it like 30s, 500ms or 2m"))?;
    match unit.trim() {
        "ms" => Ok(Duration::from_millis(n)),
        "s" => Ok(Duration::from_secs(n)),
        "m" => Ok(Duration::from_secs(n * 60)),
        "h" => Ok(Duration::from_secs(n * 3600)),
        other => Err(format!(
            "`{text}` has unknown unit `{other}`; use ms, s, m or h (e.g. 30s)"
        )),
    }
}

/// An http(s) URL with a host and no credentials; `what` says what to give instead.
pub(super) fn parse_url(value: &str, what: &str) -> Result<Url, String> {
    let shown = without_query(value.trim());
    let url = Url::parse(value.trim())
        .map_err(|e| format!("`{shown}` is not a valid URL ({e}); {what}"))?;
    if !matches!(url.scheme(), "https" | "http") || url.host_str().is_none() {
        return Err(format!(
            "`{shown}` must be an http(s) URL with a host; {what}"
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(
            "the URL must not carry credentials; give them as username and token settings".into(),
        );
    }
    if let Some(key) = gitproxy_egress::credential_query_key(&url) {
        return Err(format!(
            "the URL must not carry credentials (query parameter `{key}`); remove the query"
        ));
    }
    Ok(url)
}
