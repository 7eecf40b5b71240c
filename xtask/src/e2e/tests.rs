//! Unit tests of the e2e step's arguments.

use super::{image_test_args, test_args, PACKAGE};

#[test]
fn runs_only_the_suite_of_the_e2e_package() {
    assert_eq!(
        test_args().join(" "),
        "test --package gitproxy-e2e --test it -- --skip image::"
    );
    assert_eq!(PACKAGE, "gitproxy-e2e");
}

#[test]
fn the_image_tests_run_on_their_own_after_the_image_is_built() {
    assert_eq!(
        image_test_args().join(" "),
        "test --package gitproxy-e2e --test it -- image::"
    );
}

#[test]
fn the_e2e_package_is_a_workspace_member() {
    let manifest = crate::project_root().join("tests/e2e/Cargo.toml");
    let text = std::fs::read_to_string(&manifest).expect("tests/e2e/Cargo.toml");
    assert!(text.contains(&format!("name = \"{PACKAGE}\"")), "{text}");
}
