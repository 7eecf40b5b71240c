//! Tests for Maven `ComparableVersion` ordering and ranges, using Maven's own test vectors.

use super::*;

fn v(s: &str) -> Version {
    Version::parse(s)
}

fn assert_increasing(list: &[&str]) {
    for i in 0..list.len() {
        for j in i + 1..list.len() {
            assert!(v(list[i]) < v(list[j]), "{} < {}", list[i], list[j]);
        }
    }
}

#[test]
fn qualifier_ordering_matches_maven() {
    // VERSIONS_QUALIFIER from maven-artifact's ComparableVersionTest.
    assert_increasing(&[
        "1-alpha2snapshot",
        "1-alpha2",
        "1-alpha-123",
        "1-beta-2",
        "1-beta123",
        "1-m2",
        "1-m11",
        "1-rc",
        "1-cr2",
        "1-rc123",
        "1-SNAPSHOT",
        "1",
        "1-sp",
        "1-sp2",
        "1-sp123",
        "1-abc",
        "1-def",
        "1-pom-1",
        "1-1-snapshot",
        "1-1",
        "1-2",
        "1-123",
    ]);
}

#[test]
fn number_ordering_matches_maven() {
    // VERSIONS_NUMBER from maven-artifact's ComparableVersionTest.
    assert_increasing(&[
        "2.0", "2-1", "2.0.a", "2.0.0.a", "2.0.2", "2.0.123", "2.1.0", "2.1-a", "2.1b", "2.1-c",
        "2.1-1", "2.1.0.1", "2.2", "2.123", "11.a2", "11.a11", "11.b2", "11.b11", "11.m2",
        "11.m11", "11", "11.a", "11b", "11c", "11m",
    ]);
}

#[test]
fn equal_spellings_match_maven() {
    let equal = [
        ("1", "1.0"),
        ("1", "1.0.0"),
        ("1.0", "1.0.0"),
        ("1", "1-0"),
        ("1", "1.0-0"),
        ("1a", "1-a"),
        ("1a", "1.0-a"),
        ("1x", "1-x"),
        ("1X", "1x"),
        ("1A", "1a"),
        ("1a1", "1-alpha-1"),
        ("1b2", "1-beta-2"),
        ("1m3", "1-milestone-3"),
        ("1-ga", "1"),
        ("1-final", "1"),
        ("1-release", "1"),
        ("1-cr1", "1-rc1"),
        ("1.0.0-ga", "1"),
    ];
    for (a, b) in equal {
        assert_eq!(v(a), v(b), "{a} == {b}");
    }
    assert!(v("1.0-SNAPSHOT").is_prerelease());
    assert!(v("2.0.0-RC1").is_prerelease());
    assert!(!v("2.0.0").is_prerelease());
    assert!(!v("1.0-sp1").is_prerelease());
    assert_eq!(v("2.13.4.2").major(), 2);
}

#[test]
fn ranges_follow_maven_syntax() {
    let r = VersionRange::parse("[1.0,2.0)").unwrap();
    assert!(r.contains(&v("1.0")));
    assert!(r.contains(&v("1.9.9")));
    assert!(!r.contains(&v("2.0")));
    let r = VersionRange::parse("(,1.0],[1.2,)").unwrap();
    assert!(r.contains(&v("0.9")));
    assert!(!r.contains(&v("1.1")));
    assert!(r.contains(&v("1.2")));
    let r = VersionRange::parse("[1.5]").unwrap();
    assert!(r.contains(&v("1.5")));
    assert!(!r.contains(&v("1.5.1")));
    let soft = VersionRange::parse("2.9.10").unwrap();
    assert!(
        soft.contains(&v("2.12.0")),
        "a soft requirement accepts any version"
    );
    assert_eq!(soft.soft().map(Version::as_str), Some("2.9.10"));
    assert!(VersionRange::parse("[1.0,2.0").is_err());
    // A stray bracket after a range (found by fuzzing: it sliced past its own end and panicked).
    for bad in ["[1.0,,.0))", "[1.0,2.0)]", "[1.0,2.0),x", "(,1.0],1.2"] {
        let err = VersionRange::parse(bad).unwrap_err();
        assert!(err.contains("each range opens with"), "{bad}: {err}");
    }
}
