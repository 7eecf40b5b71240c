//! Tests for the ecosystem-independent version API and Go module versions.

use super::*;
use crate::Ecosystem;

fn go(s: &str) -> Version {
    Version::parse(Ecosystem::Go, s).unwrap()
}

#[test]
fn go_pseudo_versions_and_incompatible_order_by_semver() {
    // Pseudo-version forms from the Go modules reference, "Pseudo-versions".
    let ordered = [
        "v0.0.0-20191109021931-daa7c04131f5",
        "v0.1.0",
        "v1.2.3",
        "v1.2.4-0.20191109021931-daa7c04131f5",
        "v1.2.4",
        "v1.3.0-pre",
        "v1.3.0-pre.0.20191109021931-daa7c04131f5",
        "v1.3.0",
    ];
    for pair in ordered.windows(2) {
        assert!(go(pair[0]) < go(pair[1]), "{} < {}", pair[0], pair[1]);
    }
    assert_eq!(go("v2.0.0+incompatible"), go("2.0.0"));
    let Version::Semver(p) = go("v1.2.4-0.20191109021931-daa7c04131f5") else {
        unreachable!("go versions are semver")
    };
    assert!(go::is_pseudo(&p));
    let Version::Semver(p) = go("v0.0.0-20191109021931-daa7c04131f5") else {
        unreachable!("go versions are semver")
    };
    assert!(go::is_pseudo(&p));
    let Version::Semver(i) = go("v2.0.0+incompatible") else {
        unreachable!("go versions are semver")
    };
    assert!(go::is_incompatible(&i));
    assert!(!go::is_pseudo(&i));
    assert_eq!(go::path_major_suffix(&i), None);
    assert_eq!(
        go::path_major_suffix(&semver::Version::new(3, 1, 0)).as_deref(),
        Some("/v3")
    );
    assert!(
        Version::parse(Ecosystem::Go, "v1.2").is_err(),
        "go.mod needs full versions"
    );
}

#[test]
fn go_minimum_requirement_stays_within_the_major() {
    let req = Requirement::parse(Ecosystem::Go, "v1.4.0").unwrap();
    assert!(req.matches(&go("v1.9.0")));
    assert!(!req.matches(&go("v1.3.9")));
    assert!(!req.matches(&go("v2.0.0+incompatible")));
}

#[test]
fn breaking_upgrades_follow_each_scheme() {
    let p = |e, s| Version::parse(e, s).unwrap();
    assert!(!p(Ecosystem::Npm, "1.2.3").is_breaking_to(&p(Ecosystem::Npm, "1.9.0")));
    assert!(p(Ecosystem::Npm, "1.2.3").is_breaking_to(&p(Ecosystem::Npm, "2.0.0")));
    assert!(p(Ecosystem::CratesIo, "0.3.1").is_breaking_to(&p(Ecosystem::CratesIo, "0.4.0")));
    assert!(!p(Ecosystem::CratesIo, "0.3.1").is_breaking_to(&p(Ecosystem::CratesIo, "0.3.9")));
    assert!(!p(Ecosystem::PyPI, "2.25.1").is_breaking_to(&p(Ecosystem::PyPI, "2.31.0")));
    assert!(p(Ecosystem::PyPI, "1.26.0").is_breaking_to(&p(Ecosystem::PyPI, "2.0.0")));
    assert!(!p(Ecosystem::Maven, "2.9.10").is_breaking_to(&p(Ecosystem::Maven, "2.12.1")));
    assert!(p(Ecosystem::Maven, "1.2.17").is_breaking_to(&p(Ecosystem::Maven, "2.17.1")));
}

#[test]
fn parse_errors_name_the_ecosystem_and_text() {
    let err = Version::parse(Ecosystem::CratesIo, "1.x")
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("invalid crates.io version `1.x`"), "{err}");
    let err = Requirement::parse(Ecosystem::PyPI, "~=1")
        .unwrap_err()
        .to_string();
    assert!(err.contains("PyPI") && err.contains("~=1"), "{err}");
}
