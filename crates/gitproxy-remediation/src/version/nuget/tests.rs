//! Tests for NuGet version ordering, normalisation and ranges.

use super::*;

fn v(s: &str) -> Version {
    Version::parse(s).unwrap()
}

fn r(s: &str) -> VersionRange {
    VersionRange::parse(s).unwrap()
}

#[test]
fn normalisation_drops_leading_zeros_missing_parts_and_metadata() {
    assert_eq!(v("1.0"), v("1.0.0"));
    assert_eq!(v("1.0.0"), v("1.0.0.0"));
    assert_eq!(v("01.002.03"), v("1.2.3"));
    assert_eq!(v("1.0.0+build.5"), v("1.0.0"));
    assert_eq!(v("1.0.0-Beta"), v("1.0.0-beta"));
    assert_eq!(v("1").to_string(), "1.0.0");
    assert_eq!(v("1.0.0.0").to_string(), "1.0.0");
    assert_eq!(v("4.3.0.1").to_string(), "4.3.0.1");
    assert_eq!(v("01.2.3-RC.1+sha.abc").to_string(), "1.2.3-RC.1");
}

#[test]
fn ordering_follows_nugets_comparer() {
    let ordered = [
        "0.9.9",
        "1.0.0-alpha",
        "1.0.0-alpha.1",
        "1.0.0-alpha.beta",
        "1.0.0-BETA",
        "1.0.0-beta.2",
        "1.0.0-beta.11",
        "1.0.0-rc.1",
        "1.0.0",
        "1.0.0.1",
        "1.0.1",
        "1.10.0",
        "13.0.1",
    ];
    for pair in ordered.windows(2) {
        assert!(v(pair[0]) < v(pair[1]), "{} < {}", pair[0], pair[1]);
    }
    assert!(v("1.0.0-beta1") < v("1.0.0-beta2"), "legacy labels");
    assert!(v("1.0.0-1") < v("1.0.0-a"), "numbers sort before text");
}

#[test]
fn invalid_versions_are_refused() {
    for bad in [
        "",
        "a.b",
        "1.2.3.4.5",
        "1..2",
        "1.0-",
        "1.0-beta..1",
        "1.0-be$ta",
    ] {
        assert!(Version::parse(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn ranges_in_nugets_notation() {
    // A bare version is a minimum, inclusive.
    let min = r("1.0");
    assert!(min.contains(&v("1.0.0")) && min.contains(&v("99.0")));
    assert!(!min.contains(&v("0.9")));
    assert_eq!(min.resolved_minimum(), Some(&v("1.0.0")));
    assert_eq!(min.to_lock_string(), "[1.0.0, )");
    // Exact.
    let exact = r("[1.0]");
    assert!(exact.contains(&v("1.0.0.0")) && !exact.contains(&v("1.0.1")));
    assert_eq!(exact.to_lock_string(), "[1.0.0]");
    // Half-open and open-ended.
    let half = r("[1.0,2.0)");
    assert!(half.contains(&v("1.5")) && !half.contains(&v("2.0")));
    assert_eq!(half.to_lock_string(), "[1.0.0, 2.0.0)");
    let upto = r("(,1.0]");
    assert!(upto.contains(&v("0.1")) && upto.contains(&v("1.0")) && !upto.contains(&v("1.0.1")));
    assert_eq!(upto.resolved_minimum(), None);
    let above = r("(1.0,)");
    assert!(!above.contains(&v("1.0")) && above.contains(&v("1.0.1")));
    let spaced = r("[ 1.0 , 2.0 ]");
    assert!(spaced.contains(&v("2.0")));
    for bad in [
        "",
        "[1.0",
        "(1.0)",
        "[2.0,1.0]",
        "(,)",
        "[1,2,3]",
        "1.*.2",
        "1.0-*beta",
    ] {
        assert!(VersionRange::parse(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn floating_ranges_admit_the_versions_they_can_land_on() {
    let major = r("1.*");
    assert!(major.is_floating());
    assert!(major.contains(&v("1.0.0")) && major.contains(&v("1.9.3")));
    assert!(!major.contains(&v("2.0.0")) && !major.contains(&v("1.5.0-beta")));
    assert_eq!(major.resolved_minimum(), None);
    assert_eq!(major.to_lock_string(), "[1.*, )");
    let locked = r("[1.*, )");
    assert!(locked.is_floating() && locked.contains(&v("1.4")) && !locked.contains(&v("2.0")));
    let minor = r("1.2.*");
    assert!(minor.contains(&v("1.2.9")) && !minor.contains(&v("1.3.0")));
    let any = r("*");
    assert!(any.contains(&v("42.0")) && !any.contains(&v("42.0-rc")));
    let pre = r("1.0.0-beta.*");
    assert!(pre.contains(&v("1.0.0-beta.3")) && pre.contains(&v("1.0.0")));
    assert!(!pre.contains(&v("1.0.0-alpha")));
    let everything = r("*-*");
    assert!(everything.contains(&v("3.0.0-preview.1")));
}
