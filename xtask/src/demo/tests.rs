//! Unit tests of the demo's build arguments and its OSV data check.

use super::{build_args, shared_osv};

#[test]
fn builds_exactly_the_agent_and_the_driver() {
    let args = build_args().join(" ");
    assert_eq!(
        args,
        "build --package gitproxy --bin gitproxy --package gitproxy-e2e --bin gitproxy-demo"
    );
}

#[test]
fn missing_osv_data_names_the_path_and_the_ecosystems() {
    let dir = tempfile_dir();
    let root = dir.join("project");
    std::fs::create_dir_all(root.join("../shared/osv/Go")).expect("dirs");
    std::fs::write(root.join("../shared/osv/Go/all.zip"), b"zip").expect("zip");
    let message = shared_osv(&root).expect_err("incomplete").to_string();
    assert!(message.starts_with("OSV data missing: "), "{message}");
    assert!(message.contains("crates.io, PyPI"), "{message}");
    assert!(
        message.contains("../shared/osv beside the project root"),
        "{message}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_checkout_has_the_shared_osv_data() {
    let root = crate::project_root();
    let osv = shared_osv(&root).expect("../shared/osv is complete");
    assert!(osv.join("crates.io/all.zip").is_file());
}

/// A fresh directory under the system temp dir (xtask has no tempfile dependency).
fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "xtask-demo-test-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}
