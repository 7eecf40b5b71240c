//! NO_PROXY parsing and matching: which hosts are reached directly (rules in the crate docs).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A parsed NO_PROXY list: the hosts, domains, IPs and CIDR ranges reached without the proxy.
///
/// Parsing never fails: entries that cannot be understood are kept aside with a reason
/// ([`NoProxy::ignored`]) and logged, the way curl and Go skip them, so a stray token in a
/// cluster-wide `NO_PROXY` does not stop the agent. See the crate documentation for the rules.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NoProxy {
    entries: Vec<NoProxyEntry>,
    ignored: Vec<String>,
}

/// One understood entry of a NO_PROXY list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoProxyEntry {
    token: String,
    pattern: Pattern,
    port: Option<u16>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Pattern {
    Any,
    Domain(String),
    Ip(IpAddr),
    Cidr { network: IpAddr, prefix: u8 },
}

impl NoProxy {
    /// Parses a comma-separated list such as `.corp,10.0.0.0/8,[::1]:8443,bitbucket.example.com`.
    pub fn parse(list: &str) -> NoProxy {
        let mut out = NoProxy::default();
        for raw in list.split(',') {
            let token = raw.trim().to_ascii_lowercase();
            if token.is_empty() {
                continue;
            }
            match parse_entry(&token) {
                Ok(entry) => out.entries.push(entry),
                Err(reason) => {
                    tracing::warn!(entry = %token, %reason, "ignoring a noProxy entry");
                    out.ignored.push(format!("`{token}`: {reason}"));
                }
            }
        }
        out
    }

    /// The entries that were understood, in list order.
    pub fn entries(&self) -> &[NoProxyEntry] {
        &self.entries
    }

    /// Entries that were skipped, each with the reason.
    pub fn ignored(&self) -> &[String] {
        &self.ignored
    }

    /// Whether the list has no usable entry.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The first entry that sends `host` on `port` directly, if any.
    ///
    /// `host` may be a name, an IP literal, or a bracketed IPv6 literal; `port` is the effective
    /// port of the target (the scheme's default when the URL has none). Names are never resolved.
    pub fn find(&self, host: &str, port: u16) -> Option<&NoProxyEntry> {
        let host = normalize_host(host);
        let ip = parse_ip(&host);
        self.entries
            .iter()
            .find(|entry| entry.matches(&host, ip, port))
    }

    /// Whether `host` on `port` is reached directly.
    pub fn matches(&self, host: &str, port: u16) -> bool {
        self.find(host, port).is_some()
    }
}

impl NoProxyEntry {
    /// The entry as written (trimmed and lower-cased).
    pub fn as_str(&self) -> &str {
        &self.token
    }

    fn matches(&self, host: &str, ip: Option<IpAddr>, port: u16) -> bool {
        if self.port.is_some_and(|p| p != port) {
            return false;
        }
        match (&self.pattern, ip) {
            (Pattern::Any, _) => true,
            (Pattern::Domain(domain), None) => {
                host == domain
                    || (host.len() > domain.len()
                        && host.ends_with(domain.as_str())
                        && host.as_bytes()[host.len() - domain.len() - 1] == b'.')
            }
            (Pattern::Domain(_), Some(_)) => false,
            (Pattern::Ip(entry), Some(ip)) => *entry == ip,
            (Pattern::Cidr { network, prefix }, Some(ip)) => in_cidr(ip, *network, *prefix),
            (Pattern::Ip(_) | Pattern::Cidr { .. }, None) => false,
        }
    }
}

impl fmt::Display for NoProxyEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.token)
    }
}

impl fmt::Display for NoProxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tokens: Vec<&str> = self.entries.iter().map(NoProxyEntry::as_str).collect();
        f.write_str(&tokens.join(","))
    }
}

/// Whether `host` is loopback: `localhost`, a `.localhost` name, 127.0.0.0/8 or ::1.
pub(crate) fn is_loopback(host: &str) -> bool {
    let host = normalize_host(host);
    match parse_ip(&host) {
        Some(ip) => ip.is_loopback(),
        None => host == "localhost" || host.ends_with(".localhost"),
    }
}

/// Lower-cases, strips IPv6 brackets and one trailing dot.
pub(crate) fn normalize_host(host: &str) -> String {
    let host = host.trim();
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    let host = host.strip_suffix('.').unwrap_or(host);
    host.to_ascii_lowercase()
}

/// Parses an IP literal, mapping IPv4-mapped IPv6 addresses to IPv4.
fn parse_ip(text: &str) -> Option<IpAddr> {
    text.parse::<IpAddr>().ok().map(|ip| ip.to_canonical())
}

fn parse_entry(token: &str) -> Result<NoProxyEntry, String> {
    if token == "*" {
        return Ok(NoProxyEntry {
            token: token.to_owned(),
            pattern: Pattern::Any,
            port: None,
        });
    }
    let (host, port) = split_port(token)?;
    let host = host.strip_suffix('.').unwrap_or(host);
    let pattern = if host == "*" {
        Pattern::Any
    } else if let Some((addr, prefix)) = host.split_once('/') {
        let addr = addr
            .strip_prefix('[')
            .and_then(|a| a.strip_suffix(']'))
            .unwrap_or(addr);
        let network = parse_ip(addr).ok_or_else(|| format!("`{addr}` is not an IP address"))?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix: u8 = prefix
            .parse()
            .ok()
            .filter(|p| *p <= max)
            .ok_or_else(|| format!("`/{prefix}` is not a prefix length between 0 and {max}"))?;
        Pattern::Cidr {
            network: mask(network, prefix),
            prefix,
        }
    } else if let Some(ip) = parse_ip(host) {
        Pattern::Ip(ip)
    } else {
        let domain = host
            .strip_prefix("*.")
            .or_else(|| host.strip_prefix('.'))
            .unwrap_or(host);
        if domain.is_empty() {
            return Err("no domain after the leading dot".to_owned());
        }
        if domain.contains([':', '[', ']', '/', ' ']) {
            return Err("not a host name, IP address or CIDR range".to_owned());
        }
        Pattern::Domain(domain.to_owned())
    };
    Ok(NoProxyEntry {
        token: token.to_owned(),
        pattern,
        port,
    })
}

/// Splits an optional `:port`; IPv6 literals need brackets to carry one.
fn split_port(token: &str) -> Result<(&str, Option<u16>), String> {
    if let Some(rest) = token.strip_prefix('[') {
        let close = rest
            .find(']')
            .ok_or_else(|| "`[` without a closing `]`".to_owned())?;
        let (inside, after) = (&rest[..close], &rest[close + 1..]);
        return match after.strip_prefix(':') {
            Some(port) => Ok((inside, Some(parse_port(port)?))),
            // A bracketed CIDR such as `[fd00::]/8`: keep the prefix, drop the brackets later.
            None if after.starts_with('/') => Ok((token, None)),
            None if after.is_empty() => Ok((inside, None)),
            None => Err(format!("unexpected `{after}` after `]`")),
        };
    }
    if parse_ip(token).is_some() {
        return Ok((token, None));
    }
    if let Some((addr, prefix)) = token.split_once('/') {
        // `10.0.0.0/8:443`; IPv6 ranges with a port need brackets.
        return match prefix.split_once(':') {
            Some((_, port)) if addr.parse::<Ipv4Addr>().is_ok() => {
                let len = token.len() - port.len() - 1;
                Ok((&token[..len], Some(parse_port(port)?)))
            }
            _ => Ok((token, None)),
        };
    }
    match token.matches(':').count() {
        0 => Ok((token, None)),
        1 => {
            let (host, port) = token.split_once(':').unwrap_or((token, ""));
            Ok((host, Some(parse_port(port)?)))
        }
        _ => Err(
            "more than one `:`; an IPv6 address with a port needs brackets, e.g. [::1]:8443"
                .to_owned(),
        ),
    }
}

fn parse_port(text: &str) -> Result<u16, String> {
    text.parse::<u16>()
        .ok()
        .filter(|p| *p != 0)
        .ok_or_else(|| format!("`{text}` is not a port number"))
}

fn mask(ip: IpAddr, prefix: u8) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => {
            let bits = u32::from(v4);
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V4(Ipv4Addr::from(bits & mask))
        }
        IpAddr::V6(v6) => {
            let bits = u128::from(v6);
            let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V6(Ipv6Addr::from(bits & mask))
        }
    }
}

fn in_cidr(ip: IpAddr, network: IpAddr, prefix: u8) -> bool {
    match (ip, network) {
        (IpAddr::V4(_), IpAddr::V4(_)) | (IpAddr::V6(_), IpAddr::V6(_)) => {
            mask(ip, prefix) == network
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests;
