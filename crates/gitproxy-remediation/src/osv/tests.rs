//! Tests for OSV record decoding.

use super::*;

#[test]
fn records_decode_with_nulls_and_informational() {
    let json = br#"{
      "id": "RUSTSEC-2020-0071", "aliases": null, "summary": "s",
      "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N"}],
      "affected": [{
        "package": {"ecosystem": "crates.io", "name": "time"},
        "ecosystem_specific": {"affects": {"functions": ["time::at"]}},
        "database_specific": {"informational": "unsound", "categories": ["x"], "cvss": null},
        "ranges": [{"type": "SEMVER", "events": [{"introduced": "0.0.0-0"}, {"fixed": "0.2.23"}]}]
      }],
      "database_specific": {"severity": ["odd"]}
    }"#;
    let r = Record::from_json("r.json", json).unwrap();
    assert!(r.aliases.is_empty());
    assert_eq!(r.informational(), Some("unsound"));
    assert_eq!(r.cvss_vector(), Some("CVSS:3.1/AV:N"));
    assert_eq!(
        r.affected[0].ranges[0].events[1].fixed.as_deref(),
        Some("0.2.23")
    );
    let err = Record::from_json("bad.json", b"{\"affected\": 3}").unwrap_err();
    assert!(
        err.to_string().starts_with("invalid OSV record bad.json"),
        "{err}"
    );
}
