//! Tests of the table of recognised but unsupported formats.

use super::{classify, recognise, FORMATS, UNTIL_SUPPORTED};
use crate::analysis::analyze;
use crate::files::{is_manifest_path, Snapshot};

#[test]
fn every_line_of_the_table_is_recognised_by_its_own_pattern() {
    for &(pattern, format, ecosystem, _) in FORMATS {
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
        "yarn.lock",
        "pnpm-lock.yaml",
        "Pipfile.lock",
        "uv.lock",
        "packages.lock.json",
        "Directory.Packages.props",
        "packages.config",
        "Api.csproj",
        "gradle.lockfile",
    ] {
        assert_eq!(recognise(supported), None, "{supported}");
    }
}

#[test]
fn globs_match_suffixes_and_names_match_exactly() {
    assert_eq!(recognise("bun.lockb").map(|f| f.1), Some("npm"));
    assert_eq!(recognise("build.gradle.kts").map(|f| f.1), Some("Maven"));
    assert_eq!(recognise("settings.gradle").map(|f| f.1), Some("Maven"));
    assert_eq!(recognise("libs.versions.toml").map(|f| f.1), Some("Maven"));
    assert_eq!(recognise("mix.lock").map(|f| f.1), Some("Hex"));
    // A bare suffix is not a file of that format, and near names are not either.
    assert_eq!(recognise(".gradle"), None);
    assert_eq!(recognise("mix.lock.bak"), None);
    assert_eq!(recognise("my-mix.lock"), None);
    let u = classify("web/bun.lockb").expect("bun.lockb");
    assert_eq!(
        (u.file.as_str(), u.format.as_str(), u.ecosystem.as_str()),
        ("web/bun.lockb", "Bun binary lockfile", "npm")
    );
    assert_eq!(
        u.to_string(),
        "web/bun.lockb: Bun binary lockfile (npm) is not supported yet; its dependencies were not checked; \
         Bun 1.2 and later write the text bun.lock, which the agent reads and Bun prefers: run \
         `bun install --save-text-lockfile --frozen-lockfile --lockfile-only`, delete bun.lockb and commit bun.lock"
    );
    // The Gradle reader takes build scripts, catalogs under gradle/ and lockfiles; other scripts
    // and catalogs match the table.
    assert_eq!(classify("app/build.gradle.kts"), None);
    assert_eq!(classify("gradle/libs.versions.toml"), None);
    assert_eq!(classify("app/gradle.lockfile"), None);
    assert!(classify("gradle/dependencies.gradle").is_some());
    assert!(classify("catalogs/libs.versions.toml").is_some());
}

#[test]
fn an_analysis_lists_each_unsupported_file_and_still_reads_the_rest() {
    let snapshot = Snapshot::new()
        .with("bun.lockb", "{\"lockfileVersion\": 1}")
        .with("package.json", r#"{"dependencies": {"lodash": "4.17.20"}}"#)
        .with("src/app/mix.lock", "%{}")
        .with("README.md", "# not a manifest");
    let analysis = analyze(&snapshot);
    let files: Vec<&str> = analysis
        .unsupported
        .iter()
        .map(|u| u.file.as_str())
        .collect();
    assert_eq!(files, ["bun.lockb", "src/app/mix.lock"]);
    assert!(analysis.problems.is_empty(), "{:?}", analysis.problems);
    assert!(analysis.find("lodash", "4.17.20").is_some());
}

#[test]
fn an_oversized_unsupported_file_is_reported_as_unsupported_not_as_too_large() {
    let mut snapshot = Snapshot::new();
    snapshot.leave_out("pubspec.lock", Some(1 << 30), 1 << 26);
    let analysis = analyze(&snapshot);
    assert!(analysis.problems.is_empty(), "{:?}", analysis.problems);
    assert_eq!(analysis.unsupported.len(), 1);
    assert_eq!(analysis.unsupported[0].format, "Dart/Flutter pub lockfile");
}

#[test]
fn a_pipfile_is_unsupported_only_without_its_lockfile() {
    let pipfile = "[packages]\nrequests = \"==2.25.1\"\n";
    let alone = analyze(&Snapshot::new().with("svc/Pipfile", pipfile));
    assert_eq!(alone.unsupported.len(), 1, "{:?}", alone.unsupported);
    assert_eq!(alone.unsupported[0].file, "svc/Pipfile");
    let lock = r#"{"_meta": {}, "default": {"requests": {"version": "==2.25.1"}}, "develop": {}}"#;
    let both = analyze(
        &Snapshot::new()
            .with("svc/Pipfile", pipfile)
            .with("svc/Pipfile.lock", lock),
    );
    assert!(both.unsupported.is_empty(), "{:?}", both.unsupported);
    assert!(both.find("requests", "2.25.1").is_some());
}

#[test]
fn a_gradle_settings_script_is_unsupported_only_when_it_declares_dependencies() {
    let plain = "rootProject.name = 'shop'\ninclude 'app'\n";
    let analysis = analyze(&Snapshot::new().with("settings.gradle", plain));
    assert!(
        analysis.unsupported.is_empty(),
        "{:?}",
        analysis.unsupported
    );
    let catalog = "dependencyResolutionManagement {\n  versionCatalogs {\n    libs { library('x', 'g:a:1.0') }\n  }\n}\n";
    let analysis = analyze(&Snapshot::new().with("settings.gradle", catalog));
    assert_eq!(analysis.unsupported.len(), 1, "{:?}", analysis.unsupported);
}

#[test]
fn an_oversized_pipfile_beside_its_lock_is_too_large_not_silently_skipped() {
    let lock = r#"{"_meta": {}, "default": {}, "develop": {}}"#;
    let mut snapshot = Snapshot::new().with("Pipfile.lock", lock);
    snapshot.leave_out("Pipfile", Some(1 << 30), 1 << 26);
    let analysis = analyze(&snapshot);
    assert!(
        analysis.unsupported.is_empty(),
        "{:?}",
        analysis.unsupported
    );
    assert!(
        analysis
            .problems
            .iter()
            .any(|p| p.to_string().starts_with("left Pipfile out of the scan")),
        "{:?}",
        analysis.problems
    );
}

#[test]
fn each_report_says_what_to_do_and_the_formats_without_a_way_say_so() {
    let remedy = |path: &str| {
        classify(path)
            .map(|u| u.remedy().to_string())
            .unwrap_or_default()
    };
    assert!(remedy("bun.lockb").contains("bun install --save-text-lockfile"));
    assert!(remedy("svc/Pipfile").contains("pipenv lock"));
    for gradle in [
        "gradle/deps.gradle",
        "ci/x.gradle.kts",
        "catalogs/libs.versions.toml",
    ] {
        assert!(remedy(gradle).contains("--write-locks"), "{gradle}");
    }
    assert_eq!(remedy("mix.lock"), UNTIL_SUPPORTED);
    assert_eq!(remedy("app/pubspec.lock"), UNTIL_SUPPORTED);
    // A format not in the table (a report from an older agent) falls back too.
    let old = super::Unsupported {
        file: "yarn.lock".into(),
        format: "Yarn lockfile".into(),
        ecosystem: "npm".into(),
        remedy: String::new(),
    };
    assert_eq!(old.remedy(), UNTIL_SUPPORTED);
    // An older agent's report of bun.lockb, without the field, still gets the table's remedy.
    let old: super::Unsupported = serde_json::from_str(
        r#"{"file": "bun.lockb", "format": "Bun binary lockfile", "ecosystem": "npm"}"#,
    )
    .expect("an older report");
    assert!(old.remedy().contains("--save-text-lockfile"), "{old}");
    let new = serde_json::to_value(classify("svc/Pipfile").expect("Pipfile")).expect("json");
    assert!(
        new["remedy"]
            .as_str()
            .is_some_and(|r| r.contains("pipenv lock")),
        "{new}"
    );
}

#[test]
fn a_bun_lockb_beside_a_bun_lock_is_not_reported_because_bun_reads_the_text_one() {
    let lock = "{\n  \"lockfileVersion\": 1,\n  \"workspaces\": {\n    \"\": {\n      \"name\": \"web\",\n      \"dependencies\": {\n        \"lodash\": \"4.17.20\",\n      },\n    },\n  },\n  \"packages\": {\n    \"lodash\": [\"lodash@4.17.20\", \"\", {}, \"sha512-x\"],\n  }\n}\n";
    let manifest = r#"{"name": "web", "dependencies": {"lodash": "4.17.20"}}"#;
    let both = analyze(
        &Snapshot::new()
            .with("web/package.json", manifest)
            .with("web/bun.lock", lock)
            .with("web/bun.lockb", "binary"),
    );
    assert!(both.unsupported.is_empty(), "{:?}", both.unsupported);
    assert!(both.problems.is_empty(), "{:?}", both.problems);
    assert!(both.find("lodash", "4.17.20").is_some());
    // A bun.lock elsewhere does not cover it.
    let apart = analyze(
        &Snapshot::new()
            .with("api/bun.lock", lock)
            .with("api/package.json", manifest)
            .with("web/bun.lockb", "binary"),
    );
    let files: Vec<&str> = apart.unsupported.iter().map(|u| u.file.as_str()).collect();
    assert_eq!(files, ["web/bun.lockb"]);
}
