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
    assert_eq!(snap.text("go.mod").as_deref(), Some("module x\n"));
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

#[tokio::test]
async fn large_files_are_kept_deflated_and_read_back_unchanged() {
    let mut big = String::from("\u{feff}{\"packages\": {");
    while big.len() <= DEFLATE_ABOVE {
        big.push_str("\"node_modules/a\": {\"version\": \"1.0.0\"},\n");
    }
    big.push_str("\"x\": 1}}");
    let snap = Snapshot::new().with("package-lock.json", big.clone());
    assert!(matches!(
        snap.files["package-lock.json"],
        Contents::Deflated { .. }
    ));
    assert_eq!(snap.size("package-lock.json"), Some(big.len()));
    assert!(snap.contains("package-lock.json"));
    assert_eq!(snap.get("package-lock.json").unwrap(), big.as_bytes());
    assert_eq!(
        snap.text("package-lock.json").unwrap(),
        big.trim_start_matches('\u{feff}')
    );
    assert_eq!(
        snap.read("package-lock.json").await.unwrap(),
        big.as_bytes()
    );
    // Bytes that do not deflate read back unchanged too.
    let noise: Vec<u8> = (0..DEFLATE_ABOVE + 10)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let snap = Snapshot::new().with("go.sum", noise.clone());
    assert_eq!(snap.get("go.sum").unwrap(), noise.as_slice());
}

/// External files are shared by clones until one of them adds another (copy on write): what a
/// clone adds is its own.
#[test]
fn external_files_are_shared_by_clones_and_copied_on_write() {
    let mut snapshot = Snapshot::new().with("pom.xml", "<project/>");
    snapshot.insert_external("g:a:1", "<project/>");
    let mut clone = snapshot.clone();
    assert_eq!(clone.external("g:a:1"), Some("<project/>"));
    clone.insert_external("g:b:1", "<project/>");
    clone.insert_external_failure("g:c:1", "not published");
    assert_eq!((snapshot.external_count(), clone.external_count()), (1, 2));
    assert_eq!(snapshot.external("g:b:1"), None);
    assert_eq!(snapshot.external_failure("g:c:1"), None);
    assert_eq!(clone.external_failure("g:c:1"), Some("not published"));
}
