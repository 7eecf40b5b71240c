//! Tests of the ecosystem names: spelled as osv.dev spells them, and read back from OSV records.

use super::Ecosystem;

#[test]
fn every_ecosystem_is_spelled_as_osv_dev_spells_it_and_reads_back() {
    let names: Vec<&str> = Ecosystem::ALL.iter().map(|e| e.osv_name()).collect();
    assert_eq!(
        names,
        [
            "npm",
            "PyPI",
            "crates.io",
            "Go",
            "Maven",
            "NuGet",
            "RubyGems",
            "Packagist"
        ]
    );
    for ecosystem in Ecosystem::ALL {
        assert_eq!(
            ecosystem.osv_name().parse::<Ecosystem>().ok(),
            Some(ecosystem)
        );
        assert_eq!(ecosystem.to_string(), ecosystem.osv_name());
    }
    // A release qualifier (`Debian:11`-style) is ignored; an unknown name is an error.
    assert_eq!(
        "Maven:central".parse::<Ecosystem>().ok(),
        Some(Ecosystem::Maven)
    );
    assert!("Hex".parse::<Ecosystem>().is_err());
}

#[test]
fn names_compare_as_each_ecosystem_compares_them() {
    assert_eq!(
        Ecosystem::PyPI.normalize_name("Zope.Interface"),
        "zope-interface"
    );
    assert_eq!(
        Ecosystem::CratesIo.normalize_name("Serde_JSON"),
        "serde-json"
    );
    assert_eq!(
        Ecosystem::NuGet.normalize_name("Newtonsoft.Json"),
        "newtonsoft.json"
    );
    assert_eq!(
        Ecosystem::Packagist.normalize_name("Monolog/Monolog"),
        "monolog/monolog"
    );
    assert_eq!(Ecosystem::RubyGems.normalize_name("Rack"), "Rack");
    assert_eq!(Ecosystem::Npm.normalize_name("@Scope/Pkg"), "@Scope/Pkg");
}
