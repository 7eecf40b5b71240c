//! Tests of `Gem::Version` ordering and gem requirements.

use super::{Requirement, Version};

fn v(s: &str) -> Version {
    Version::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
}

#[test]
fn versions_order_like_gem_version() {
    // Pre-releases (any letter) come before their release; segments split at letter/digit
    // boundaries; strings compare byte-wise.
    let ordered = [
        "0.9",
        "1.0.0.a",
        "1.0.0.a1",
        "1.0.0.b",
        "1.0.0.beta.2",
        "1.0.0.pre",
        "1.0.0.rc1",
        "1.0.0",
        "1.0.1",
        "1.1",
        "1.9.3",
        "1.10",
        "2.0.0-rc.1",
        "2.0.0",
        "7.0.8.1",
        "10",
    ];
    for pair in ordered.windows(2) {
        assert!(v(pair[0]) < v(pair[1]), "{} < {}", pair[0], pair[1]);
    }
    assert_eq!(v("1.0"), v("1"));
    assert_eq!(v("1.0.0"), v("1.0.0.0"));
    assert_eq!(v("1.0.0.rc1"), v("1.0.0rc1"));
    assert_eq!(v("2.0.0-beta"), v("2.0.0.pre.beta"));
    assert!(v("1.0.0.rc1").is_prerelease());
    assert!(!v("7.0.8.1").is_prerelease());
    assert_eq!(v("7.0.8.1").to_string(), "7.0.8.1");
}

#[test]
fn malformed_versions_are_errors() {
    for bad in ["", "a1", "1..2", "1.", "1.0 beta", "1_0"] {
        assert!(Version::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn requirements_follow_rubygems_operators() {
    let r = |s: &str| Requirement::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
    assert!(r("~> 6.1.0").matches(&v("6.1.7.3")));
    assert!(!r("~> 6.1.0").matches(&v("6.2.0")));
    assert!(r("~> 6.1").matches(&v("6.9")));
    assert!(!r("~> 6.1").matches(&v("7.0")));
    assert!(
        !r("~> 6.1").matches(&v("7.0.0.rc1")),
        "the release of 7.0.0.rc1 is 7.0.0"
    );
    assert!(r("~> 2").matches(&v("2.9")));
    assert!(!r("~> 2").matches(&v("3.0")));
    assert!(r(">= 1.0, < 2").matches(&v("1.5")));
    assert!(!r(">= 1.0, < 2").matches(&v("2.0")));
    assert!(r("= 1.13.10").matches(&v("1.13.10")));
    assert!(r("1.13.10").matches(&v("1.13.10.0")));
    assert!(r("!= 1.1").matches(&v("1.2")));
    assert!(r("> 1.1, <= 1.3").matches(&v("1.3")));
    assert!(Requirement::parse("~> ").is_err());
    assert!(Requirement::parse(">= 1,").is_err());
}
