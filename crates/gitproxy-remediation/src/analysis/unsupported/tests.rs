//! Tests of the table of recognised but unsupported formats.

use super::{classify, recognise, FORMATS};
use crate::analysis::analyze;
use crate::files::{is_manifest_path, Snapshot};

#[test]
fn every_line_of_the_table_is_recognised_by_its_own_pattern() {
    for &(pattern, format, ecosystem) in FORMATS {
        let name = pattern.replace('*', "Example");
        assert_eq!(recognise(&name), Some((format, ecosystem)), "{pattern}");
        assert!(is_manifest_path(&format!("svc/{name}")), "{pattern}");
        assert!(!format.is_empty() && !ecosystem.is_empty());
    }
}

#[test]
fn the_table_names_each_pattern_once_and_leaves_out_the_supported_formats() {
    let mut patterns: Vec<&str> = FORMATS.iter().map(|f| f.0).collect();
    patterns.sort_unstable();
    let n = patterns.len();
    patterns.dedup();
    assert_eq!(patterns.len(), n, "a pattern is listed twice");
    for supported in [
        "package.json",
        "package-lock.json",
        "Cargo.lock",
        "poetry.lock",
        "go.mod",
        "pom.xml",
        "requirements.txt",
        "Gemfile",
        "Gemfile.lock",
        "composer.json",
        "composer.lock",
    ] {
        assert_eq!(recognise(supported), None, "{supported}");
    }
}

#[test]
fn globs_match_suffixes_and_names_match_exactly() {
    assert_eq!(recognise("Api.csproj").map(|f| f.1), Some("NuGet"));
    assert_eq!(recognise("build.gradle.kts").map(|f| f.1), Some("Maven"));
    assert_eq!(recognise("settings.gradle").map(|f| f.1), Some("Maven"));
    assert_eq!(recognise("libs.versions.toml").map(|f| f.1), Some("Maven"));
    assert_eq!(recognise("mix.lock").map(|f| f.1), Some("Hex"));
    // A bare suffix is not a file of that format, and near names are not either.
    assert_eq!(recognise(".csproj"), None);
    assert_eq!(recognise("yarn.lock.bak"), None);
    assert_eq!(recognise("my-yarn.lock"), None);
    let u = classify("web/yarn.lock").expect("yarn.lock");
    assert_eq!(
        (u.file.as_str(), u.format.as_str(), u.ecosystem.as_str()),
        ("web/yarn.lock", "Yarn lockfile", "npm")
    );
    assert_eq!(
        u.to_string(),
        "web/yarn.lock: Yarn lockfile (npm) is not supported yet; its dependencies were not checked"
    );
}

#[test]
fn an_analysis_lists_each_unsupported_file_and_still_reads_the_rest() {
    let snapshot = Snapshot::new()
        .with(
            "yarn.lock",
            "# yarn lockfile v1\n\nlodash@^4.17.0:\n  version \"4.17.20\"\n",
        )
        .with("package.json", r#"{"dependencies": {"lodash": "4.17.20"}}"#)
        .with("src/Api/Api.csproj", "<Project />")
        .with("README.md", "# not a manifest");
    let analysis = analyze(&snapshot);
    let files: Vec<&str> = analysis
        .unsupported
        .iter()
        .map(|u| u.file.as_str())
        .collect();
    assert_eq!(files, ["src/Api/Api.csproj", "yarn.lock"]);
    assert!(analysis.problems.is_empty(), "{:?}", analysis.problems);
    assert!(analysis.find("lodash", "4.17.20").is_some());
}

#[test]
fn an_oversized_unsupported_file_is_reported_as_unsupported_not_as_too_large() {
    let mut snapshot = Snapshot::new();
    snapshot.leave_out("pnpm-lock.yaml", Some(1 << 30), 1 << 26);
    let analysis = analyze(&snapshot);
    assert!(analysis.problems.is_empty(), "{:?}", analysis.problems);
    assert_eq!(analysis.unsupported.len(), 1);
    assert_eq!(analysis.unsupported[0].format, "pnpm lockfile");
}
