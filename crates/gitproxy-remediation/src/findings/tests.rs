//! Tests for the OSV-Scanner and gitproxy findings formats.

use super::*;
use crate::analysis::analyze;
use crate::files::Snapshot;

const SCANNER: &str = r#"{
  "results": [{
    "source": {"path": "/src/web/package-lock.json", "type": "lockfile"},
    "packages": [{
      "package": {"name": "minimist", "version": "1.2.5", "ecosystem": "npm"},
      "vulnerabilities": [{
        "id": "GHSA-xvch-5gv4-984h", "aliases": ["CVE-2021-44906"], "summary": "Prototype Pollution in minimist",
        "affected": [{"package": {"ecosystem": "npm", "name": "minimist"},
          "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "0.2.4"}, {"introduced": "1.0.0"}, {"fixed": "1.2.6"}]}]}]
      }],
      "groups": [{"ids": ["GHSA-xvch-5gv4-984h"], "aliases": ["CVE-2021-44906"]}]
    }]
  }]
}"#;

const OURS: &str = r#"{
  "format": "gitproxy-findings/v1",
  "findings": [{
    "ecosystem": "Maven", "package": "org.apache.logging.log4j:log4j-core", "version": "2.14.1",
    "id": "GHSA-jfh8-c2jp-5v3q", "aliases": ["CVE-2021-44228"], "summary": "Log4Shell",
    "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H"}],
    "fixed": ["2.3.1", "2.12.2", "2.15.0"], "references": ["https://logging.apache.org/log4j/2.x/security.html"]
  }]
}"#;

#[test]
fn osv_scanner_output_feeds_the_database() {
    let findings = parse(SCANNER.as_bytes()).unwrap();
    assert_eq!(findings.len(), 1);
    assert_eq!(
        findings[0].path.as_deref(),
        Some("/src/web/package-lock.json")
    );
    let mut db = AdvisoryDb::new();
    assert_eq!(db.add_findings(findings), 1);
    assert!(db.is_affected(Ecosystem::Npm, "minimist", "1.2.5"));
    assert!(!db.is_affected(Ecosystem::Npm, "minimist", "1.2.6"));
}

#[test]
fn gitproxy_findings_synthesize_a_bounded_range() {
    let findings = parse(OURS.as_bytes()).unwrap();
    let mut db = AdvisoryDb::new();
    db.add_findings(findings);
    let name = "org.apache.logging.log4j:log4j-core";
    assert!(db.is_affected(Ecosystem::Maven, name, "2.14.1"));
    assert!(db.is_affected(Ecosystem::Maven, name, "2.14.0"));
    assert!(
        !db.is_affected(Ecosystem::Maven, name, "2.15.0"),
        "the lowest fix above 2.14.1"
    );
    let pom = "<project><dependencies><dependency><groupId>org.apache.logging.log4j</groupId>\
        <artifactId>log4j-core</artifactId><version>2.14.1</version></dependency></dependencies></project>";
    let analysis = analyze(&Snapshot::new().with("pom.xml", pom));
    let scan = db.scan(&analysis);
    assert_eq!(scan.len(), 1);
    assert_eq!(scan[0].id, "GHSA-jfh8-c2jp-5v3q");
    assert_eq!(scan[0].fixed, ["2.15.0"]);
}

#[test]
fn malformed_documents_are_rejected_with_guidance() {
    let err = parse(b"{\"x\": 1}").unwrap_err().to_string();
    assert!(
        err.starts_with("invalid findings document: neither"),
        "{err}"
    );
    let err = parse(br#"{"format": "gitproxy-findings/v9"}"#)
        .unwrap_err()
        .to_string();
    assert!(err.contains("unsupported format"), "{err}");
    let err = parse(br#"{"format": "gitproxy-findings/v1", "findings": [{"ecosystem": "Hex", "package": "a", "version": "1", "id": "X"}]}"#)
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("unknown ecosystem `Hex`"), "{err}");
}
