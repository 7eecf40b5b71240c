//! Unit tests of the chart checks' bookkeeping (the checks themselves run in `cargo xtask chart`).

use super::*;

#[test]
fn report_counts_passes_and_names_failures() {
    let mut report = Report::default();
    report.check("a", true, "never shown");
    report.eq("b", "replicas", Some("2".to_owned()), "2");
    report.eq("c", "replicas", Some("1".to_owned()), "2");
    report.eq("d", "label", None, "gitproxy");
    assert_eq!(report.passed, 2);
    assert_eq!(
        report.failures,
        [
            "[c] replicas: expected \"2\", found Some(\"1\")",
            "[d] label: expected \"gitproxy\", found None"
        ]
    );
}

#[test]
fn the_contract_is_the_settings_table_of_the_docs() {
    let names = contract::contract_env(&crate::project_root()).expect("docs/configuration.md");
    for name in [
        "GITPROXY_CONFIG",
        "GITPROXY_ACCESS_KEY_FILE",
        "HTTPS_PROXY",
        "no_proxy",
        "SSL_CERT_DIR",
        "GITPROXY_BRANCH_PREFIX",
        "GITPROXY_REGISTRIES",
    ] {
        assert!(
            names.iter().any(|n| n == name),
            "{name} missing from {names:?}"
        );
    }
    assert!(
        !names.iter().any(|n| n == "true" || n == "HOSTNAME"),
        "{names:?}"
    );
}
