//! Tests of Composer version normalisation, ordering and constraints.

use super::{Constraint, Version};

fn v(s: &str) -> Version {
    Version::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
}

#[test]
fn versions_normalise_and_order_as_composer_does() {
    // dev < alpha < beta < RC < stable < patch, numbers numerically, four release parts.
    let ordered = [
        "1.0.0-dev",
        "1.0.0-alpha1",
        "1.0.0-alpha2",
        "1.0.0-beta",
        "1.0.0-beta.2",
        "1.0.0-RC1",
        "1.0.0-rc2",
        "1.0.0",
        "1.0.0-patch1",
        "1.0.0.1",
        "1.0.1",
        "1.2",
        "1.10.0",
        "v2.0.0",
    ];
    for pair in ordered.windows(2) {
        assert!(v(pair[0]) < v(pair[1]), "{} < {}", pair[0], pair[1]);
    }
    assert_eq!(v("v1.2"), v("1.2.0.0"));
    assert_eq!(v("1.0.0-stable"), v("1.0.0"));
    assert_eq!(v("1.0.0-b2"), v("1.0.0-beta2"));
    assert_eq!(v("1.0.0-a1"), v("1.0.0-alpha.1"));
    assert_eq!(v("1.0.0-pl1"), v("1.0.0-p1"));
    assert!(v("1.0.0-beta2-dev") < v("1.0.0-beta2"));
    assert!(v("2.0.0-RC1").is_prerelease());
    assert!(!v("2.0.0-patch1").is_prerelease());
    assert_eq!(v("v2.0.0").release(0), 2);
    assert_eq!(v("v2.0.0").to_string(), "v2.0.0");
}

#[test]
fn branches_and_garbage_are_not_versions() {
    for bad in [
        "",
        "dev-main",
        "2.x-dev",
        "1.0.*",
        "abc",
        "1.0.0-gamma",
        "1.0.0-beta2x",
    ] {
        assert!(Version::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn constraints_follow_composer_syntax() {
    let c = |s: &str| Constraint::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
    assert!(c("^2.0").matches(&v("2.9.1")));
    assert!(!c("^2.0").matches(&v("3.0.0")));
    assert!(
        !c("^2.0").matches(&v("3.0.0-RC1")),
        "below 3.0.0-dev, so no 3.0 RC either"
    );
    assert!(c("^0.3.1").matches(&v("0.3.9")));
    assert!(!c("^0.3.1").matches(&v("0.4.0")));
    assert!(c("~1.2").matches(&v("1.9")));
    assert!(!c("~1.2").matches(&v("2.0")));
    assert!(c("~1.2.3").matches(&v("1.2.9")));
    assert!(!c("~1.2.3").matches(&v("1.3.0")));
    assert!(c(">=1.0 <2.0").matches(&v("1.5")));
    assert!(c(">=1.0,<2.0").matches(&v("1.5")));
    assert!(!c(">=1.0 <2.0").matches(&v("2.0")));
    assert!(c("^1.0 || ^2.0").matches(&v("2.1")));
    assert!(c("^1.0|^2.0").matches(&v("1.1")));
    assert!(c("1.0.*").matches(&v("1.0.7")));
    assert!(!c("1.0.*").matches(&v("1.1.0")));
    assert!(c("1.0 - 2.0").matches(&v("2.0.5")));
    assert!(!c("1.0 - 2.0").matches(&v("2.1")));
    assert!(c("1.0.0 - 2.1.0").matches(&v("2.1.0")));
    assert!(c("*").matches(&v("9.9")));
    assert!(c("5.4.3").matches(&v("v5.4.3")));
    assert!(c("^1.2@dev").matches(&v("1.3")));
    assert!(c("!=1.1").matches(&v("1.2")));
    assert!(Constraint::parse("^").is_err());
    assert!(Constraint::parse("1.0 -").is_err());
    assert!(Constraint::parse("|| ^1").is_err());
}

#[test]
fn an_operator_may_stand_apart_from_its_version() {
    let c = |s: &str| Constraint::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
    for text in [
        ">= 1.0 < 2.0",
        ">=1.0 <2.0",
        ">= 1.0, < 2.0",
        ">=  1.0 ,<  2.0",
    ] {
        assert!(c(text).matches(&v("1.0")), "{text}");
        assert!(c(text).matches(&v("1.9.9")), "{text}");
        assert!(!c(text).matches(&v("2.0")), "{text}");
        assert!(!c(text).matches(&v("0.9")), "{text}");
    }
    assert!(c("< 2.0").matches(&v("1.5")));
    assert!(!c("> 2.0").matches(&v("2.0")));
    assert!(c("<= 2.0").matches(&v("2.0")));
    assert!(c("== 1.5").matches(&v("1.5")));
    assert!(c("= 1.5").matches(&v("1.5")));
    assert!(!c("!= 1.5").matches(&v("1.5")));
    assert!(!c("<> 1.5").matches(&v("1.5")));
    assert!(c("^1.0 || >= 3.0").matches(&v("3.1")));
    assert!(
        Constraint::parse(">=").is_err(),
        "an operator needs a version"
    );
    assert!(Constraint::parse("1.0 >=").is_err());
}
