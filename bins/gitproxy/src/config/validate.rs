//! Value checks shared by the settings: durations, URLs (no credentials, in user info or in the
//! query) and the package registries list.

use std::time::Duration;

use gitproxy_remediation::registry::RegistryUrls;
use gitproxy_remediation::Ecosystem;
use url::Url;

use super::sources::Raw;
use super::{err, ConfigError};

/// Query parameters that carry credentials; a URL with one is refused (it would be printed).
const SECRET_QUERY_KEYS: &[&str] = &[
    "token",
    "access_token",
    "auth",
    "authorization",
    "key",
    "api_key",
    "apikey",
    "secret",
    "client_secret",
    "password",
    "passwd",
    "pwd",
    "sig",
    "signature",
    "x-amz-signature",
    "x-amz-credential",
    "sas",
];

/// The first query parameter of `url` that looks like a credential, by name.
pub(super) fn secret_query_key(url: &Url) -> Option<String> {
    url.query_pairs()
        .map(|(k, _)| k.to_ascii_lowercase())
        .find(|k| {
            SECRET_QUERY_KEYS.contains(&k.as_str())
                || k.ends_with("_token")
                || k.ends_with("-token")
                || k.ends_with("_key")
                || k.ends_with("_secret")
        })
}

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

pub(super) fn parse_url(raw: &Raw, what: &str) -> Result<Url, ConfigError> {
    let url = Url::parse(raw.value.trim()).map_err(|e| {
        err(
            &raw.source,
            format!(
                "`{}` is not a valid URL ({e}); {what}",
                without_query(raw.value.trim())
            ),
        )
    })?;
    if !matches!(url.scheme(), "https" | "http") || url.host_str().is_none() {
        return Err(err(
            &raw.source,
            format!(
                "`{}` must be an http(s) URL with a host; {what}",
                without_query(raw.value.trim())
            ),
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(err(
            &raw.source,
            "the URL must not carry credentials; give them as username and token settings",
        ));
    }
    if let Some(key) = secret_query_key(&url) {
        return Err(err(
            &raw.source,
            format!(
                "the URL must not carry credentials (query parameter `{key}`); remove the query"
            ),
        ));
    }
    Ok(url)
}

/// Parses the registries list: comma-separated `ECOSYSTEM=URL` entries, `public` for the five
/// public registries, `none` for no registry; a later entry replaces an earlier one.
pub(crate) fn parse_registries(list: &str) -> Result<RegistryUrls, String> {
    let mut urls = RegistryUrls::none();
    for entry in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        match entry.to_ascii_lowercase().as_str() {
            // `public` names every ecosystem, so it replaces whatever came before it.
            "public" => {
                urls = RegistryUrls::public();
                continue;
            }
            "none" => {
                urls = RegistryUrls::none();
                continue;
            }
            _ => {}
        }
        let Some((name, url)) = entry.split_once('=') else {
            // The entry may be a bare URL with a password in it: show it without user info.
            let shown = match entry.rsplit_once('@') {
                Some((before, after)) => match before.split_once("://") {
                    Some((scheme, _)) => format!("{scheme}://***@{after}"),
                    None => format!("***@{after}"),
                },
                None => without_query(entry),
            };
            return Err(format!(
                "`{shown}` is not a registry entry; write ECOSYSTEM=URL (e.g. npm=https://registry.npmjs.org/), public or none"
            ));
        };
        let ecosystem: Ecosystem = name.trim().parse().map_err(|_| {
            format!(
                "`{}` is not an ecosystem; use npm, crates.io, PyPI, Go or Maven",
                name.trim()
            )
        })?;
        if let Ok(parsed) = Url::parse(url.trim()) {
            if !parsed.username().is_empty() || parsed.password().is_some() {
                return Err(format!(
                    "the {ecosystem} registry URL must not carry credentials; use a mirror that allows anonymous reads"
                ));
            }
            if let Some(key) = secret_query_key(&parsed) {
                return Err(format!(
                    "the {ecosystem} registry URL must not carry credentials (query parameter `{key}`); use a mirror that allows anonymous reads"
                ));
            }
        }
        urls = urls.with(ecosystem, url).map_err(|e| e.to_string())?;
    }
    Ok(urls)
}
