//! Tests of the composer.lock and composer.json parsers, on files written after Composer's
//! documented layout (`packages`, `packages-dev`, each package's `require`).

use super::parse_lock;
use crate::analysis::{analyze, Scope};
use crate::files::Snapshot;

pub(crate) const COMPOSER_JSON: &str = r#"{
    "name": "acme/shop",
    "require": {
        "php": "^8.1",
        "ext-json": "*",
        "composer/composer": "^2.7",
        "monolog/monolog": "^2.0"
    },
    "require-dev": {
        "phpunit/phpunit": "^9.5"
    }
}
"#;

pub(crate) const COMPOSER_LOCK: &str = r#"{
    "_readme": [
        "This file locks the dependencies of your project to a known state"
    ],
    "content-hash": "0123456789abcdef0123456789abcdef",
    "packages": [
        {
            "name": "composer/composer",
            "version": "2.7.6",
            "require": {
                "php": "^7.2.5 || ^8.0",
                "psr/log": "^1.0 || ^2.0 || ^3.0"
            },
            "type": "library"
        },
        {
            "name": "monolog/monolog",
            "version": "2.9.1",
            "require": {
                "php": ">=7.2",
                "psr/log": "^1.0.1 || ^2.0 || ^3.0"
            }
        },
        {
            "name": "psr/log",
            "version": "3.0.0",
            "require": {
                "php": ">=8.0.0"
            }
        }
    ],
    "packages-dev": [
        {
            "name": "phpunit/phpunit",
            "version": "9.6.13"
        }
    ],
    "aliases": [],
    "minimum-stability": "stable",
    "platform": {
        "php": "^8.1"
    },
    "plugin-api-version": "2.6.0"
}
"#;

#[test]
fn lock_packages_dev_packages_and_requires() {
    let packages = parse_lock("composer.lock", COMPOSER_LOCK).expect("parses");
    let names: Vec<(&str, &str, bool, u32)> = packages
        .iter()
        .map(|p| (p.name.as_str(), p.version.as_str(), p.dev, p.line))
        .collect();
    assert_eq!(
        names,
        [
            ("composer/composer", "2.7.6", false, 8),
            ("monolog/monolog", "2.9.1", false, 17),
            ("psr/log", "3.0.0", false, 25),
            ("phpunit/phpunit", "9.6.13", true, 34),
        ]
    );
    assert_eq!(
        packages[0].require,
        [("psr/log".to_string(), "^1.0 || ^2.0 || ^3.0".to_string())],
        "platform requirements are left out"
    );
}

#[test]
fn analysis_reports_direct_transitive_dev_and_lines() {
    let snapshot = Snapshot::new()
        .with("composer.json", COMPOSER_JSON)
        .with("composer.lock", COMPOSER_LOCK);
    let a = analyze(&snapshot);
    assert!(a.problems.is_empty(), "{:?}", a.problems);
    let composer = a.find("composer/composer", "2.7.6").expect("composer");
    assert!(composer.direct);
    assert_eq!(composer.requirement.as_deref(), Some("^2.7"));
    assert_eq!(composer.location.to_string(), "composer.lock:8");
    assert_eq!(
        composer
            .declared_in
            .as_ref()
            .map(ToString::to_string)
            .as_deref(),
        Some("composer.json:6")
    );
    let log = a.find("psr/log", "3.0.0").expect("psr/log");
    assert!(!log.direct);
    assert_eq!(
        log.parents,
        ["composer/composer@2.7.6", "monolog/monolog@2.9.1"]
    );
    assert_eq!(
        log.constraints,
        ["^1.0 || ^2.0 || ^3.0", "^1.0.1 || ^2.0 || ^3.0"]
    );
    let phpunit = a.find("phpunit/phpunit", "9.6.13").expect("phpunit");
    assert_eq!(phpunit.scope, Scope::Dev);
    assert!(phpunit.direct);
    assert!(a.dependencies.iter().all(|d| d.name != "php"));
}

#[test]
fn a_composer_json_alone_gives_constraints_and_exact_pins() {
    let snapshot = Snapshot::new().with(
        "composer.json",
        r#"{"require": {"composer/composer": "2.7.6", "monolog/monolog": "^2.0"}}"#,
    );
    let a = analyze(&snapshot);
    assert!(a.find("composer/composer", "2.7.6").is_some());
    let monolog = a
        .dependencies
        .iter()
        .find(|d| d.name == "monolog/monolog")
        .expect("monolog");
    assert_eq!(monolog.version, None);
    assert_eq!(monolog.requirement.as_deref(), Some("^2.0"));
}

#[test]
fn malformed_locks_are_problems_of_their_file() {
    for bad in [
        "[]",
        r#"{"packages": [{"name": "a/b"}]}"#,
        r#"{"packages": [{"name": "a/b", "version": "1.0.0""#,
    ] {
        let a = analyze(&Snapshot::new().with("composer.lock", bad));
        assert_eq!(a.problems.len(), 1, "{bad}");
    }
    let deep = format!("{}{}", "[".repeat(300), "]".repeat(300));
    let a = analyze(&Snapshot::new().with("composer.lock", deep));
    assert!(
        a.problems[0].to_string().contains("nested deeper"),
        "{:?}",
        a.problems
    );
}
