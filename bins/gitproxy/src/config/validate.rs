//! The value check of each setting: text in, the typed value or a message saying what to write
//! instead out (the caller names the value's source). Checks whose contract lives in a library
//! (agent ids, branch prefixes, project keys, registries, proxies, CAs) call it there.

use std::net::SocketAddr;
use std::time::Duration;

use gitproxy_remediation::registry::RegistryUrls;
use gitproxy_remediation::ScanOptions;
use url::Url;

/// `url` with its query and fragment replaced by `?...`, for messages.
fn without_query(text: &str) -> String {
    match text.split_once(['?', '#']) {
        Some((base, _)) => format!("{base}?..."),
        None => text.to_owned(),
    }
}

/// An http(s) URL with a host and no credentials; `what` says what to give instead.
fn parse_url(value: &str, what: &str) -> Result<Url, String> {
    let shown = without_query(value.trim());
    let url = Url::parse(value.trim())
        .map_err(|e| format!("`{shown}` is not a valid URL ({e}); {what}"))?;
    if !matches!(url.scheme(), "https" | "http") || url.host_str().is_none() {
        return Err(format!(
            "`{shown}` must be an http(s) URL with a host; {what}"
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        let fix = "give them as username and token settings";
        return Err(format!("the URL must not carry credentials; {fix}"));
    }
    match gitproxy_egress::credential_query_key(&url) {
        Some(key) => Err(format!(
            "the URL must not carry credentials (query parameter `{key}`); remove the query"
        )),
        None => Ok(url),
    }
}

/// The cloud endpoint: an https URL.
pub(super) fn cloud_url(value: &str) -> Result<Url, String> {
    let url = parse_url(
        value,
        "use the cloud endpoint, e.g. https://app.backline.ai",
    )?;
    match url.scheme() {
        "https" => Ok(url),
        _ => Err("the cloud endpoint must use https".to_owned()),
    }
}

/// Bitbucket's base URL.
pub(super) fn bitbucket_url(value: &str) -> Result<Url, String> {
    let fix = "use the base URL of Bitbucket Data Center, e.g. https://bitbucket.company.com";
    parse_url(value, fix)
}

/// Text checked by a library's rule (agent id, project key, branch prefix), trimmed.
pub(super) fn checked(
    check: fn(&str) -> Result<(), String>,
) -> impl Fn(&str) -> Result<String, String> {
    move |value| check(value.trim()).map(|()| value.trim().to_owned())
}

/// Tunnel connections, 1 to 16.
pub(super) fn connections(value: &str) -> Result<u32, String> {
    match value.trim().parse::<u32>() {
        Ok(n) if (1..=16).contains(&n) => Ok(n),
        _ => Err(format!(
            "`{value}` is not a number of connections from 1 to 16"
        )),
    }
}

/// Scan options with the largest file a scan reads, at least 1 KiB.
pub(super) fn scan_options(value: &str) -> Result<ScanOptions, String> {
    match value.trim().parse::<u64>() {
        Ok(n) if n >= 1024 => Ok(ScanOptions::default().max_file_bytes(n)),
        _ => Err(format!(
            "`{value}` is not a file size in bytes of at least 1024; use e.g. 67108864 for 64 MiB"
        )),
    }
}

/// A listen address.
pub(super) fn listen(value: &str) -> Result<SocketAddr, String> {
    value
        .trim()
        .parse()
        .map_err(|e| format!("`{value}` is not an address ({e}); write it like 0.0.0.0:8080"))
}

/// `true`/`1` or `false`/`0`.
pub(super) fn boolean(value: &str) -> Result<bool, String> {
    match value.trim() {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        other => Err(format!("`{other}` is not a boolean; use true or false")),
    }
}

/// The registries list (see [`RegistryUrls`]'s `FromStr`).
pub(super) fn registries(value: &str) -> Result<RegistryUrls, String> {
    value
        .parse()
        .map_err(|e: gitproxy_remediation::Error| e.to_string())
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
