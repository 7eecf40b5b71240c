//! Tests for PEP 440 parsing, ordering and specifiers.

use super::*;

fn v(s: &str) -> Version {
    Version::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
}

#[test]
fn ordering_follows_the_pep_440_example() {
    // The example from PEP 440, "Summary of permitted suffixes and relative ordering".
    let ordered = [
        "1.dev0",
        "1.0.dev456",
        "1.0a1",
        "1.0a2.dev456",
        "1.0a12.dev456",
        "1.0a12",
        "1.0b1.dev456",
        "1.0b2",
        "1.0b2.post345.dev456",
        "1.0b2.post345",
        "1.0rc1.dev456",
        "1.0rc1",
        "1.0",
        "1.0+abc.5",
        "1.0+abc.7",
        "1.0+5",
        "1.0.post456.dev34",
        "1.0.post456",
        "1.0.15",
        "1.1.dev1",
    ];
    for pair in ordered.windows(2) {
        assert!(v(pair[0]) < v(pair[1]), "{} < {}", pair[0], pair[1]);
    }
}

#[test]
fn normalisation_of_alternative_spellings() {
    let equal = [
        ("1.0-alpha2", "1.0a2"),
        ("1.0.RC1", "1.0rc1"),
        ("1.0c1", "1.0rc1"),
        ("1.0-preview.3", "1.0rc3"),
        ("1.0-1", "1.0.post1"),
        ("1.0_post2", "1.0.post2"),
        ("1.0-r4", "1.0.post4"),
        ("1.0a", "1.0a0"),
        ("1.0.dev", "1.0.dev0"),
        ("v1.0", "1.0"),
        ("1.0", "1.0.0"),
        ("0.8.0-alpha2", "0.8a2"),
    ];
    for (a, b) in equal {
        assert_eq!(v(a), v(b), "{a} == {b}");
    }
    assert_eq!(v("1.0-alpha2").to_string(), "1.0a2");
    assert!(v("1!0.1") > v("2.0"), "epochs dominate");
    assert!(Version::parse("1.0.foo").is_err());
    assert!(Version::parse("not-a-version").is_err());
}

fn spec(s: &str, version: &str) -> bool {
    SpecifierSet::parse(s).unwrap().contains(&v(version))
}

#[test]
fn specifiers_follow_pep_440() {
    assert!(spec("~=2.2", "2.3"));
    assert!(!spec("~=2.2", "3.0"));
    assert!(spec("~=1.4.5", "1.4.9"));
    assert!(!spec("~=1.4.5", "1.5.0"));
    assert!(!spec("~=1.4.5", "1.4.4"));
    assert!(spec("==1.1.*", "1.1.post1"));
    assert!(spec("==1.1.*", "1.1.0"));
    assert!(!spec("==1.1.*", "1.10"));
    assert!(spec("!=1.1.*", "1.2"));
    assert!(spec("==1.1", "1.1.0"));
    assert!(spec("==1.1", "1.1+local.7"));
    assert!(
        !spec(">1.7", "1.7.post1"),
        "> excludes post-releases of the same version"
    );
    assert!(spec(">1.7.post1", "1.7.post2"));
    assert!(
        !spec("<1.7", "1.7.0rc1"),
        "< excludes pre-releases of the same version"
    );
    assert!(
        !spec(">=1.0", "2.0b1"),
        "pre-releases are excluded by default"
    );
    assert!(spec(">=1.0b1", "2.0b1"));
    assert!(spec(">=2.0,<3,!=2.5", "2.6"));
    assert!(!spec(">=2.0,<3,!=2.5", "2.5"));
    assert!(spec("", "9.9"));
    assert_eq!(
        SpecifierSet::parse("==2.31.0").unwrap().pinned(),
        Some(&v("2.31.0"))
    );
    assert!(SpecifierSet::parse("==2.*").unwrap().pinned().is_none());
    assert!(SpecifierSet::parse("~=1").is_err());
}
