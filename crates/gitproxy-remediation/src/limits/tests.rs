//! Deeply nested and oversized files are problems of their file, never a crash: every analysis
//! runs on a thread with a 2 MiB stack (a Tokio worker's) to prove nothing recurses with
//! the input's depth (`toml_edit` recurses, but at most 80 levels).

use crate::analysis::{analyze, Analysis};
use crate::files::Snapshot;

/// A manifest the scan must still read next to the hostile file.
const GOOD_PACKAGE_JSON: &str = r#"{"name": "ok", "dependencies": {"lodash": "4.17.20"}}"#;

/// Analyses `snapshot` on a thread with a small stack.
fn analyze_on_small_stack(snapshot: Snapshot) -> Analysis {
    std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(move || analyze(&snapshot))
        .expect("spawn the analysing thread")
        .join()
        .expect("the analysis did not panic")
}

/// Asserts one problem, for `file`, naming the nesting limit, and that the good manifest was read.
fn assert_too_deep(analysis: &Analysis, file: &str) {
    let problems: Vec<String> = analysis.problems.iter().map(ToString::to_string).collect();
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(
        problems[0].starts_with(&format!("could not parse {file}")),
        "{problems:#?}"
    );
    assert!(
        problems[0].contains("nested deeper than 256 levels")
            && problems[0].ends_with("fix the file or leave it out of the scan"),
        "{problems:#?}"
    );
    assert!(analysis.find("lodash", "4.17.20").is_some());
}

fn nested(open: &str, close: &str, depth: usize, inner: &str) -> String {
    let mut s = String::with_capacity((open.len() + close.len()) * depth + inner.len());
    for _ in 0..depth {
        s.push_str(open);
    }
    s.push_str(inner);
    for _ in 0..depth {
        s.push_str(close);
    }
    s
}

#[test]
fn a_pom_nested_20000_and_50000_elements_deep_is_a_problem_not_a_crash() {
    for depth in [20_000, 50_000] {
        let pom = format!(
            "<project>\n<dependencies>{}</dependencies>\n</project>\n",
            nested("<a>", "</a>", depth, "x")
        );
        assert!(depth != 20_000 || pom.len() > 140_000);
        let snapshot = Snapshot::new()
            .with("svc/pom.xml", pom)
            .with("web/package.json", GOOD_PACKAGE_JSON);
        assert_too_deep(&analyze_on_small_stack(snapshot), "svc/pom.xml");
    }
}

#[test]
fn deeply_nested_json_manifests_and_lockfiles_are_problems() {
    let depth = 100_000;
    let cases = [
        (
            "a/package-lock.json",
            format!(
                r#"{{"lockfileVersion": 3, "packages": {}}}"#,
                nested(r#"{"a": "#, "}", depth, "1")
            ),
        ),
        ("b/package-lock.json", nested("[", "]", depth, "")),
        (
            "c/package-lock.json",
            format!(
                r#"{{"lockfileVersion": 1, "dependencies": {}}}"#,
                nested(
                    r#"{"x": {"version": "1.0.0", "dependencies": "#,
                    "}}",
                    depth,
                    "{}"
                )
            ),
        ),
        (
            "d/package.json",
            format!(
                r#"{{"dependencies": {}}}"#,
                nested(r#"{"a": "#, "}", depth, "1")
            ),
        ),
    ];
    for (file, text) in cases {
        let snapshot = Snapshot::new()
            .with(file, text)
            .with("web/package.json", GOOD_PACKAGE_JSON);
        assert_too_deep(&analyze_on_small_stack(snapshot), file);
    }
}

#[test]
fn deeply_nested_toml_is_a_problem_of_its_file() {
    let depth = 50_000;
    let keys = vec!["a"; depth].join(".");
    let cases = [
        ("Cargo.toml", format!("[dependencies]\nx = {}\n", nested("[", "]", depth, ""))),
        ("Cargo.toml", format!("[dependencies]\nx = {}\n", nested("{a = ", "}", depth, "1"))),
        ("Cargo.toml", format!("[dependencies]\n{keys} = 1\n")),
        ("Cargo.toml", format!("[{keys}]\nx = 1\n")),
        ("Cargo.lock", format!("version = 3\n\n[[package]]\nname = \"a\"\nversion = \"1.0.0\"\ndependencies = {}\n", nested("[", "]", depth, ""))),
        ("pyproject.toml", format!("[tool.poetry.dependencies]\nx = {}\n", nested("{a = ", "}", depth, "1"))),
        ("poetry.lock", format!("[[package]]\nname = \"a\"\nversion = \"1.0\"\nx = {}\n", nested("[", "]", depth, ""))),
    ];
    for (file, text) in cases {
        let snapshot = Snapshot::new()
            .with(format!("r/{file}"), text)
            .with("web/package.json", GOOD_PACKAGE_JSON);
        let analysis = analyze_on_small_stack(snapshot);
        assert!(analysis.find("lodash", "4.17.20").is_some());
        // pyproject.toml is read only for Poetry's direct dependencies; the others are problems.
        if file != "pyproject.toml" {
            assert_eq!(
                analysis.problems.len(),
                1,
                "{file}: {:#?}",
                analysis.problems
            );
            let problem = analysis.problems[0].to_string();
            assert!(
                problem.starts_with(&format!("could not parse r/{file}")),
                "{problem}"
            );
        }
    }
}

/// Asserts that `analysis` reports `file` as left out at `size` bytes over `limit`, and still
/// read the good manifest.
fn assert_left_out(analysis: &Analysis, file: &str, size: u64, limit: u64) {
    let problems: Vec<String> = analysis.problems.iter().map(ToString::to_string).collect();
    assert_eq!(
        problems,
        [format!(
            "left {file} out of the scan: its {size} bytes exceed the limit of {limit} bytes for one file; raise the scan's file size limit if the file is genuine, or remove it from the repository"
        )]
    );
    assert!(analysis.find("lodash", "4.17.20").is_some());
}

#[test]
fn files_over_the_size_limit_are_left_out_of_a_directory_scan_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("big")).unwrap();
    std::fs::create_dir_all(dir.path().join("web")).unwrap();
    let big = format!(
        r#"{{"lockfileVersion": 3, "packages": {{}}, "pad": "{}"}}"#,
        "x".repeat(5000)
    );
    std::fs::write(dir.path().join("big/package-lock.json"), &big).unwrap();
    std::fs::write(dir.path().join("web/package.json"), GOOD_PACKAGE_JSON).unwrap();
    let options = crate::ScanOptions::default().max_file_bytes(4096);
    let snapshot = Snapshot::from_dir_with(dir.path(), &options).unwrap();
    assert_eq!(snapshot.get("big/package-lock.json"), None);
    assert_left_out(
        &analyze(&snapshot),
        "big/package-lock.json",
        big.len() as u64,
        4096,
    );
    // The default limit (64 MiB) reads it.
    let snapshot = Snapshot::from_dir(dir.path()).unwrap();
    assert!(snapshot.get("big/package-lock.json").is_some());
    assert!(analyze(&snapshot).problems.is_empty());
}

#[tokio::test]
async fn files_over_the_size_limit_are_dropped_from_a_repository_read_and_reported() {
    let source = Snapshot::new()
        .with("go.sum", "x".repeat(10_000))
        .with("web/package.json", GOOD_PACKAGE_JSON);
    let options = crate::ScanOptions::default().max_file_bytes(9_999);
    let snapshot = Snapshot::from_repo_with(&source, &options).await.unwrap();
    assert_eq!(snapshot.paths().collect::<Vec<_>>(), ["web/package.json"]);
    assert_left_out(&analyze(&snapshot), "go.sum", 10_000, 9_999);
}
