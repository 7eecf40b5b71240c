//! Tests for semver parsing, precedence and npm/Cargo ranges.

use super::*;

fn v(s: &str) -> Version {
    Version::parse(s).unwrap()
}

#[test]
fn precedence_follows_the_semver_spec_example() {
    // The ordering example from semver.org, section 11.
    let ordered = [
        "1.0.0-alpha",
        "1.0.0-alpha.1",
        "1.0.0-alpha.beta",
        "1.0.0-beta",
        "1.0.0-beta.2",
        "1.0.0-beta.11",
        "1.0.0-rc.1",
        "1.0.0",
        "2.0.0",
        "2.1.0",
        "2.1.1",
    ];
    for pair in ordered.windows(2) {
        assert!(v(pair[0]) < v(pair[1]), "{} < {}", pair[0], pair[1]);
    }
}

#[test]
fn build_metadata_is_ignored_in_comparisons() {
    assert_eq!(v("1.0.0+20130313144700"), v("1.0.0+exp.sha.5114f85"));
    assert_eq!(
        v("1.0.0-beta+exp.sha.5114f85").to_string(),
        "1.0.0-beta+exp.sha.5114f85"
    );
}

#[test]
fn strict_parse_rejects_what_semver_forbids() {
    for bad in [
        "1.2", "01.2.3", "1.2.3-01", "1.2.3.4", "v1.2.3", "1.2.3-", "1.2.3+",
    ] {
        assert!(Version::parse(bad).is_err(), "{bad} must be rejected");
    }
    assert_eq!(Version::parse_loose("v1.2.3").unwrap(), v("1.2.3"));
    assert_eq!(Version::parse_loose("=1.2.3").unwrap(), v("1.2.3"));
}

fn npm(range: &str, version: &str) -> bool {
    Range::parse_npm(range)
        .unwrap()
        .matches(&Version::parse_loose(version).unwrap())
}

#[test]
fn npm_caret_ranges_follow_node_semver() {
    // Cases from the node-semver README ("Caret Ranges").
    assert!(npm("^1.2.3", "1.8.1"));
    assert!(!npm("^1.2.3", "2.0.0"));
    assert!(!npm("^1.2.3", "1.2.2"));
    assert!(npm("^0.2.3", "0.2.9"));
    assert!(!npm("^0.2.3", "0.3.0"));
    assert!(npm("^0.0.3", "0.0.3"));
    assert!(!npm("^0.0.3", "0.0.4"));
    assert!(npm("^1.2.3-beta.2", "1.2.3-beta.4"));
    assert!(!npm("^1.2.3-beta.2", "1.2.4-beta.2"));
    assert!(npm("^1.x", "1.9.9"));
    assert!(npm("^0.0.x", "0.0.9"));
    assert!(!npm("^0.0", "0.1.0"));
    assert!(!npm("^1.2.3", "2.0.0-0"));
}

#[test]
fn npm_tilde_x_and_hyphen_ranges() {
    assert!(npm("~1.2.3", "1.2.9"));
    assert!(!npm("~1.2.3", "1.3.0"));
    assert!(npm("~1", "1.9.0"));
    assert!(npm("~1.2.3-beta.2", "1.2.3-beta.4"));
    assert!(!npm("~1.2.3-beta.2", "1.2.4-beta.2"));
    assert!(npm("1.2.x", "1.2.7"));
    assert!(!npm("1.2.x", "1.3.0"));
    assert!(npm("*", "3.0.0"));
    assert!(!npm("*", "3.0.0-rc.1"));
    assert!(npm("", "0.0.1"));
    assert!(npm("1.2.3 - 2.3.4", "2.3.4"));
    assert!(!npm("1.2.3 - 2.3.4", "2.3.5"));
    assert!(npm("1.2.3 - 2.3", "2.3.9"));
    assert!(!npm("1.2.3 - 2", "3.0.0"));
    assert!(npm(">1.2", "1.3.0"));
    assert!(!npm(">1.2", "1.2.9"));
    assert!(!npm("<=1.2", "1.3.0"));
    assert!(npm(">= 1.2.7 < 1.3.0", "1.2.8"));
}

#[test]
fn npm_unions_and_prerelease_exclusion() {
    // The node-semver README example `1.2.7 || >=1.2.9 <2.0.0`.
    let r = "1.2.7 || >=1.2.9 <2.0.0";
    assert!(npm(r, "1.2.7"));
    assert!(npm(r, "1.2.9"));
    assert!(npm(r, "1.4.6"));
    assert!(!npm(r, "1.2.8"));
    assert!(!npm(r, "2.0.0"));
    // `>1.2.3-alpha.3` allows `3.4.5-alpha.9`? No: pre-releases only on the same tuple.
    assert!(npm(">1.2.3-alpha.3", "1.2.3-alpha.7"));
    assert!(!npm(">1.2.3-alpha.3", "3.4.5-alpha.9"));
    assert!(npm(">1.2.3-alpha.3", "3.4.5"));
    assert!(Range::parse_npm("latest").is_err());
}

fn cargo(req: &str, version: &str) -> bool {
    Range::parse_cargo(req).unwrap().matches(&v(version))
}

#[test]
fn cargo_requirements_follow_the_cargo_book() {
    // The table in the Cargo book, "Specifying Dependencies".
    assert!(cargo("1.2.3", "1.9.0"));
    assert!(!cargo("1.2.3", "2.0.0"));
    assert!(cargo("1.2", "1.2.0"));
    assert!(cargo("1", "1.99.0"));
    assert!(cargo("0.2.3", "0.2.9"));
    assert!(!cargo("0.2.3", "0.3.0"));
    assert!(cargo("0.0.3", "0.0.3"));
    assert!(!cargo("0.0.3", "0.0.4"));
    assert!(!cargo("0.0", "0.1.0"));
    assert!(cargo("0", "0.9.0"));
    assert!(cargo("~1.2.3", "1.2.9"));
    assert!(!cargo("~1.2.3", "1.3.0"));
    assert!(cargo("~1", "1.5.0"));
    assert!(cargo("1.*", "1.5.0"));
    assert!(!cargo("1.2.*", "1.3.0"));
    assert!(cargo(">= 1.2, < 1.5", "1.4.9"));
    assert!(!cargo(">= 1.2, < 1.5", "1.5.0"));
    assert!(cargo("=1.2.3", "1.2.3"));
    assert!(!cargo("=1.2.3", "1.2.4"));
    // Pre-releases only match requirements that name one on the same version.
    assert!(!cargo("1.2.3", "1.3.0-alpha.1"));
    assert!(cargo("1.3.0-alpha.1", "1.3.0-alpha.2"));
    assert!(!cargo("1.2.3", "2.0.0-alpha"));
}
