//! The value check of each setting: text in, the typed value or a message saying what to write
//! instead out (the caller names the value's source). Checks whose contract lives in a library
//! (server URLs, agent ids, branch prefixes, project keys, registries, proxies, CAs) call it there.

use std::net::SocketAddr;
use std::time::Duration;

use gitproxy_egress::Server;
use gitproxy_remediation::ci::CiServers;
use gitproxy_remediation::registry::RegistryUrls;
use gitproxy_remediation::ScanOptions;
use url::Url;

/// A server's base URL, checked by the egress rules ([`gitproxy_egress::server_url`]).
pub(super) fn server_url(server: Server) -> impl Fn(&str) -> Result<Url, String> {
    move |value| gitproxy_egress::server_url(server, value).map_err(|e| e.to_string())
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

/// The advisory memory limit: bytes, or a number with a `Ki`, `Mi` or `Gi` suffix (as Kubernetes
/// writes memory), at least 16 MiB.
pub(super) fn advisory_memory(value: &str) -> Result<u64, String> {
    let v = value.trim();
    let (digits, unit) = match v.len().checked_sub(2).and_then(|i| v.split_at_checked(i)) {
        Some((n, "Ki")) => (n, 1u64 << 10),
        Some((n, "Mi")) => (n, 1 << 20),
        Some((n, "Gi")) => (n, 1 << 30),
        _ => (v, 1),
    };
    match digits.parse::<u64>().ok().and_then(|n| n.checked_mul(unit)) {
        Some(bytes) if bytes >= 16 << 20 => Ok(bytes),
        _ => Err(format!(
            "`{value}` is not a memory size of at least 16 MiB; write it in bytes or like 192Mi or 1Gi"
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

/// The CI servers list (see [`CiServers`]'s `FromStr`).
pub(super) fn ci_servers(value: &str) -> Result<CiServers, String> {
    value
        .parse()
        .map_err(|e: gitproxy_remediation::Error| e.to_string())
}

/// The OSV mirror's base URL: http or https with a host, without credentials (they would end up
/// in logs; put the mirror behind the egress rules instead).
pub(super) fn mirror_url(value: &str) -> Result<Url, String> {
    let url = Url::parse(value.trim()).map_err(|e| {
        format!(
            "`{}` is not a URL ({e}); write it like https://osv-mirror.corp.example/",
            value.trim()
        )
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(format!(
            "`{url}` is not an http(s) URL with a host; write it like https://osv-mirror.corp.example/"
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(
            "the URL carries credentials; a mirror URL must not (they would be logged)".into(),
        );
    }
    Ok(url)
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
