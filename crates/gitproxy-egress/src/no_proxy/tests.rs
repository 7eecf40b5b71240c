//! Table-driven tests of the NO_PROXY rules: every vector of section 1.5 plus edge cases.

use super::{is_loopback, NoProxy};

/// `(noProxy list, target host, target port, reached directly?)`.
const VECTORS: &[(&str, &str, u16, bool)] = &[
    // Section 1.5 test vectors.
    ("example.com", "example.com", 443, true),
    ("example.com", "a.b.example.com", 443, true),
    ("example.com", "notexample.com", 443, false),
    (".corp", "corp", 443, true),
    (".corp", "x.corp", 443, true),
    ("*.corp", "corp", 443, true),
    ("*.corp", "x.corp", 443, true),
    ("10.0.0.0/8", "10.1.2.3", 443, true),
    ("10.0.0.0/8", "bitbucket.corp", 443, false),
    ("10.0.0.0/8", "10.example.com", 443, false),
    ("[::1]:8443", "::1", 8443, true),
    ("[::1]:8443", "[::1]", 8443, true),
    ("[::1]:8443", "::1", 443, false),
    ("*", "anything.example", 443, true),
    ("*", "10.9.8.7", 80, true),
    ("", "example.com", 443, false),
    ("EXAMPLE.COM.", "example.com", 443, true),
    // Separators, blanks and case.
    (" a.test , example.com ,", "example.com", 443, true),
    (",,,", "example.com", 443, false),
    ("Example.Com", "WWW.EXAMPLE.COM", 443, true),
    ("example.com", "www.example.com.", 443, true),
    ("example.com.", "www.example.com.", 443, true),
    // Label boundary.
    ("ample.com", "example.com", 443, false),
    (".example.com", "badexample.com", 443, false),
    ("example.com", "example.com.evil.test", 443, false),
    // `*` anywhere in the list.
    ("foo.test,*", "bar.test", 443, true),
    ("*:443", "bar.test", 443, true),
    ("*:443", "bar.test", 80, false),
    // Literal wildcard in the middle never matches.
    ("exa*.com", "example.com", 443, false),
    // Ports restrict the entry.
    ("bitbucket.corp:7990", "bitbucket.corp", 7990, true),
    ("bitbucket.corp:7990", "bitbucket.corp", 443, false),
    (".corp:443", "git.corp", 443, true),
    ("10.0.0.1:80", "10.0.0.1", 80, true),
    ("10.0.0.1:80", "10.0.0.1", 8080, false),
    ("10.0.0.0/8:443", "10.20.30.40", 443, true),
    ("10.0.0.0/8:443", "10.20.30.40", 22, false),
    // IPv4 literals and ranges.
    ("192.168.1.10", "192.168.1.10", 443, true),
    ("192.168.1.10", "192.168.1.11", 443, false),
    ("192.168.0.0/16", "192.169.0.1", 443, false),
    ("172.16.0.0/12", "172.31.255.255", 443, true),
    ("172.16.0.0/12", "172.32.0.0", 443, false),
    ("10.1.2.3/8", "10.200.0.1", 443, true),
    ("0.0.0.0/0", "203.0.113.9", 443, true),
    ("0.0.0.0/0", "2001:db8::1", 443, false),
    ("192.168.1.10/32", "192.168.1.10", 443, true),
    // IPv6 literals and ranges, with or without brackets.
    ("::1", "::1", 443, true),
    ("[2001:db8::1]", "2001:db8::1", 443, true),
    ("2001:db8::1", "[2001:db8::1]", 443, true),
    ("2001:db8::/32", "2001:db8:ffff::1", 443, true),
    ("2001:db8::/32", "2001:db9::1", 443, false),
    ("[fd00::]/8", "fd12::34", 443, true),
    ("fd00::/8", "fd12::34", 443, true),
    ("2001:DB8::/32", "2001:db8::7", 443, true),
    // IPv4-mapped IPv6 targets compare as IPv4.
    ("10.0.0.0/8", "::ffff:10.1.1.1", 443, true),
    // IP rules never match names, names never match IPs (no DNS).
    ("127.0.0.1", "localhost", 443, false),
    ("localhost", "127.0.0.1", 443, false),
    // Kubernetes-style lists.
    (
        ".svc,.cluster.local,10.96.0.0/12,bitbucket.corp",
        "gitproxy.backline.svc",
        443,
        true,
    ),
    (
        ".svc,.cluster.local,10.96.0.0/12,bitbucket.corp",
        "kubernetes.default.svc.cluster.local",
        443,
        true,
    ),
    (
        ".svc,.cluster.local,10.96.0.0/12,bitbucket.corp",
        "10.100.0.1",
        443,
        true,
    ),
    (
        ".svc,.cluster.local,10.96.0.0/12,bitbucket.corp",
        "app.backline.ai",
        443,
        false,
    ),
    // Invalid entries are ignored without breaking the rest.
    ("10.0.0.0/33,good.test", "good.test", 443, true),
    ("10.0.0.0/33", "10.0.0.1", 443, false),
    ("host:notaport,good.test", "host", 443, false),
    ("fe80::1:443,good.test", "good.test", 443, true),
    // Without brackets `::1:8443` is the IPv6 address ::1:8443, not ::1 on port 8443.
    ("::1:8443", "::1", 8443, false),
    ("::1:8443", "::1:8443", 443, true),
];

#[test]
fn every_vector_decides_as_documented() {
    let mut failures = Vec::new();
    for &(list, host, port, expected) in VECTORS {
        let no_proxy = NoProxy::parse(list);
        let got = no_proxy.matches(host, port);
        if got != expected {
            failures.push(format!(
                "noProxy `{list}`, host `{host}`:{port}: expected direct={expected}, got {got} (entries {:?}, ignored {:?})",
                no_proxy.entries(),
                no_proxy.ignored()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn find_names_the_deciding_entry() {
    let no_proxy = NoProxy::parse("a.test, .Corp., 10.0.0.0/8");
    let entry = no_proxy.find("git.corp", 443).expect("git.corp matches");
    assert_eq!(entry.as_str(), ".corp.");
    let entry = no_proxy.find("10.2.3.4", 443).expect("10.2.3.4 matches");
    assert_eq!(entry.to_string(), "10.0.0.0/8");
    assert_eq!(no_proxy.to_string(), "a.test,.corp.,10.0.0.0/8");
}

#[test]
fn invalid_entries_are_reported_with_a_reason() {
    let no_proxy = NoProxy::parse("10.0.0.0/33, host:x, a:b:443, ., [::1, ok.test");
    assert_eq!(no_proxy.entries().len(), 1);
    let ignored = no_proxy.ignored().join("\n");
    assert!(ignored.contains("`10.0.0.0/33`: `/33` is not a prefix length between 0 and 32"));
    assert!(ignored.contains("`host:x`: `x` is not a port number"));
    assert!(ignored
        .contains("`a:b:443`: more than one `:`; an IPv6 address with a port needs brackets"));
    assert!(ignored.contains("`.`: no domain after the leading dot"));
    assert!(ignored.contains("`[::1`: `[` without a closing `]`"));
}

#[test]
fn empty_list_is_empty() {
    assert!(NoProxy::parse("").is_empty());
    assert!(NoProxy::parse(" , ,").is_empty());
    assert!(!NoProxy::parse("x").is_empty());
}

#[test]
fn loopback_names_and_addresses() {
    for host in [
        "localhost",
        "LOCALHOST.",
        "api.localhost",
        "127.0.0.1",
        "127.9.8.7",
        "::1",
        "[::1]",
        "::ffff:127.0.0.1",
    ] {
        assert!(is_loopback(host), "{host} is loopback");
    }
    for host in [
        "localhost.corp",
        "128.0.0.1",
        "::2",
        "mylocalhost",
        "10.0.0.1",
    ] {
        assert!(!is_loopback(host), "{host} is not loopback");
    }
}
