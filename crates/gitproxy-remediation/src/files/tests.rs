//! Tests for snapshots, manifest selection and path helpers.

use super::*;

#[test]
fn manifest_selection_skips_installed_trees() {
    assert!(is_manifest_path("package-lock.json"));
    assert!(is_manifest_path("svc/api/requirements-dev.txt"));
    assert!(is_manifest_path("requirements/base.txt"));
    assert!(is_manifest_path("crates/x/Cargo.toml"));
    assert!(!is_manifest_path("node_modules/lodash/package.json"));
    assert!(!is_manifest_path("target/debug/Cargo.lock"));
    assert!(!is_manifest_path("docs/notes.txt"));
}

#[test]
fn from_dir_reads_only_manifests() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("web/node_modules/x")).unwrap();
    std::fs::write(dir.path().join("web/package.json"), "{}").unwrap();
    std::fs::write(dir.path().join("web/node_modules/x/package.json"), "{}").unwrap();
    std::fs::write(dir.path().join("README.md"), "# hi").unwrap();
    std::fs::write(dir.path().join("go.mod"), "module x\n").unwrap();
    let snap = Snapshot::from_dir(dir.path()).unwrap();
    let paths: Vec<&str> = snap.paths().collect();
    assert_eq!(paths, ["go.mod", "web/package.json"]);
    assert_eq!(snap.text("go.mod"), Some("module x\n"));
}

#[test]
fn from_dir_reports_a_missing_directory() {
    let err = Snapshot::from_dir(Path::new("/nonexistent/gitproxy")).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("could not read /nonexistent/gitproxy"),
        "{err}"
    );
}

#[tokio::test]
async fn from_repo_reads_through_the_trait() {
    let source = Snapshot::new()
        .with("a/pom.xml", "<project/>")
        .with("a/Main.java", "class Main {}");
    let snap = Snapshot::from_repo(&source).await.unwrap();
    assert_eq!(snap.paths().collect::<Vec<_>>(), ["a/pom.xml"]);
}

#[test]
fn line_index_and_paths() {
    let idx = LineIndex::new("a\nbc\n\nd");
    assert_eq!(idx.line(0), 1);
    assert_eq!(idx.line(2), 2);
    assert_eq!(idx.line(5), 3);
    assert_eq!(idx.line(6), 4);
    assert_eq!(dir_of("a/b/c.txt"), "a/b");
    assert_eq!(dir_of("c.txt"), "");
    assert_eq!(join("a/b", "../c/./d.txt"), "a/c/d.txt");
    assert_eq!(join("", "x.txt"), "x.txt");
}
