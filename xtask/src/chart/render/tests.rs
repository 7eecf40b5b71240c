//! Unit tests of the value sets `cargo xtask chart` renders.

use std::path::Path;

use super::*;

#[test]
fn cases_cover_the_value_sets_the_brief_names() {
    let names: Vec<&str> = cases(Path::new("/tmp/ca.b64"))
        .iter()
        .map(|c| c.name)
        .collect();
    for wanted in [
        "defaults",
        "proxy",
        "custom-ca",
        "local-bitbucket",
        "existing-secret",
        "registries",
        "single-replica",
        "disabled",
    ] {
        assert!(names.contains(&wanted), "value set {wanted} is missing");
    }
    let ca = cases(Path::new("/tmp/ca.b64"))
        .into_iter()
        .find(|c| c.name == "custom-ca")
        .expect("custom-ca");
    assert!(ca
        .args
        .windows(2)
        .any(|w| w[0] == "--set-file" && w[1] == "customCaCert=/tmp/ca.b64"));
}
