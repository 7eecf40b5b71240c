//! Unit tests of the CI servers setting and of which build URLs a server hosts.

use super::{CiCredential, CiKind, CiServers};
use crate::policy::Token;
use crate::Error;

#[test]
fn servers_parse_from_kind_and_url_entries() {
    let servers: CiServers =
        "jenkins=https://ci.example.com/jenkins, bamboo=https://bamboo.example.com/"
            .parse()
            .unwrap();
    assert_eq!(servers.servers.len(), 2);
    assert_eq!(servers.servers[0].kind, CiKind::Jenkins);
    assert_eq!(
        servers.servers[0].base.as_str(),
        "https://ci.example.com/jenkins/"
    );
    assert!("none".parse::<CiServers>().unwrap().is_empty());
    assert!("".parse::<CiServers>().unwrap().is_empty());
}

#[test]
fn bad_entries_say_what_to_write_without_showing_credentials() {
    for (entry, reason) in [
        ("gitlab=https://x/", "the kind must be jenkins or bamboo"),
        ("jenkins https://x/", "no `=`"),
        ("jenkins=ftp://x/", "http or https"),
        (
            "jenkins=https://bob:pw@ci.example.com/",
            "must not carry credentials",
        ),
    ] {
        let err = entry.parse::<CiServers>().unwrap_err();
        assert!(matches!(err, Error::InvalidCiServer { .. }));
        let text = err.to_string();
        assert!(text.contains(reason), "{text}");
        assert!(text.contains("write jenkins=URL or bamboo=URL"), "{text}");
        assert!(!text.contains("pw@"), "{text}");
    }
}

#[test]
fn only_build_urls_under_a_configured_server_are_followed() {
    let servers: CiServers = "jenkins=https://ci.example.com/jenkins/".parse().unwrap();
    let under = url::Url::parse("https://ci.example.com/jenkins/job/web/7/").unwrap();
    assert!(servers.server_for(&under).is_some());
    for other in [
        "https://ci.example.com/other/job/web/7/",
        "http://ci.example.com/jenkins/job/web/7/",
        "https://ci.example.com:8443/jenkins/job/web/7/",
        "https://evil.example.com/jenkins/job/web/7/",
    ] {
        let url = url::Url::parse(other).unwrap();
        assert!(servers.server_for(&url).is_none(), "{other}");
    }
}

#[test]
fn credentials_never_show_in_debug_output() {
    let servers: CiServers = "jenkins=https://ci.example.com/".parse().unwrap();
    let servers = servers.with_credential(
        CiKind::Jenkins,
        CiCredential::Basic {
            user: "ci-bot".into(),
            token: Token::new("jenkins-api-token-1"),
        },
    );
    let shown = format!("{servers:?}");
    assert!(shown.contains("ci-bot"));
    assert!(!shown.contains("jenkins-api-token-1"), "{shown}");
    let bearer = format!("{:?}", CiCredential::Bearer(Token::new("bamboo-pat-1")));
    assert!(!bearer.contains("bamboo-pat-1"));
}
