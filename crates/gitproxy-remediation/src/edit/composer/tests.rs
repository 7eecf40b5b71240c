//! Tests of the composer.json constraint bump and the in-place composer.lock bump.

use super::bumped_constraint;
use super::content_hash;

#[test]
fn the_authors_operator_is_kept_and_complex_constraints_become_a_caret() {
    assert_eq!(bumped_constraint("^2.7", "2.7.7"), "^2.7.7");
    assert_eq!(bumped_constraint("~2.7.0", "2.7.7"), "~2.7.7");
    assert_eq!(bumped_constraint(">=2.0", "2.7.7"), ">=2.7.7");
    assert_eq!(bumped_constraint("2.7.6", "2.7.7"), "2.7.7");
    assert_eq!(bumped_constraint("v2.7.6", "2.7.7"), "2.7.7");
    assert_eq!(bumped_constraint("^1.0 || ^2.0", "2.7.7"), "^2.7.7");
    assert_eq!(bumped_constraint(">=2.0 <2.7.7", "2.7.7"), "^2.7.7");
    assert_eq!(bumped_constraint("2.7.*", "2.7.7"), "^2.7.7");
}

#[test]
fn an_exact_pin_moves_to_the_target_in_the_same_style() {
    assert_eq!(bumped_constraint("=1.2.3", "1.2.4"), "=1.2.4");
    assert_eq!(bumped_constraint("==1.2.3", "1.2.4"), "==1.2.4");
    assert_eq!(bumped_constraint("1.2.3", "1.2.4"), "1.2.4");
    assert_eq!(bumped_constraint(" =1.2.3 ", "1.2.4"), "=1.2.4");
    // Not exact: a bound keeps its operator, a negation is not a pin.
    assert_eq!(bumped_constraint(">=1.2.3", "1.2.4"), ">=1.2.4");
    assert_eq!(bumped_constraint("!=1.2.3", "1.2.4"), "^1.2.4");
}

/// A composer.lock entry as Composer 2 writes it (four-space indent, Composer's key order).
const PSR7_LOCK: &str = r#"{
    "_readme": [
        "This file locks the dependencies of your project to a known state"
    ],
    "content-hash": "0123456789abcdef0123456789abcdef",
    "packages": [
        {
            "name": "guzzlehttp/psr7",
            "version": "2.4.4",
            "source": {
                "type": "git",
                "url": "https://github.com/guzzle/psr7.git",
                "reference": "3cf1b6d4f0c820a2cf8bcaec39fc698f3443b5cf"
            },
            "dist": {
                "type": "zip",
                "url": "https://api.github.com/repos/guzzle/psr7/zipball/3cf1b6d4f0c820a2cf8bcaec39fc698f3443b5cf",
                "reference": "3cf1b6d4f0c820a2cf8bcaec39fc698f3443b5cf",
                "shasum": ""
            },
            "require": {
                "php": "^7.2.5 || ^8.0",
                "psr/http-message": "^1.0"
            },
            "type": "library",
            "autoload": {
                "psr-4": {
                    "GuzzleHttp\\Psr7\\": "src/"
                }
            },
            "time": "2023-03-09T13:19:02+00:00"
        }
    ],
    "packages-dev": []
}
"#;

const PSR7_JSON: &str = "{\n    \"require\": {\n        \"guzzlehttp/psr7\": \"^2.4\"\n    }\n}\n";

fn psr7_release(require: &[(&str, &str)]) -> crate::registry::ComposerRelease {
    let reference = "67c26b443f348a51926030c83481b85718457d3d";
    crate::registry::ComposerRelease {
        version: "2.4.5".into(),
        links: require
            .iter()
            .map(|(n, c)| ("require".to_string(), n.to_string(), c.to_string()))
            .collect(),
        autoload: Some(r#"{"psr-4":{"GuzzleHttp\\Psr7\\":"src/"}}"#.into()),
        dist: Some(crate::registry::ComposerSource {
            kind: "zip".into(),
            url: format!("https://api.github.com/repos/guzzle/psr7/zipball/{reference}"),
            reference: Some(reference.into()),
            shasum: Some(String::new()),
        }),
        source: Some(crate::registry::ComposerSource {
            kind: "git".into(),
            url: "https://github.com/guzzle/psr7.git".into(),
            reference: Some(reference.into()),
            shasum: None,
        }),
        time: Some("2023-04-17T16:00:45+00:00".into()),
        support: Vec::new(),
    }
}

async fn psr7_fix(require: &[(&str, &str)]) -> (crate::plan::Plan, crate::edit::EditSet) {
    psr7_fix_of(PSR7_LOCK, require).await
}

async fn psr7_fix_of(
    lock: &str,
    require: &[(&str, &str)],
) -> (crate::plan::Plan, crate::edit::EditSet) {
    psr7_fix_with(PSR7_JSON, lock, require).await
}

async fn psr7_fix_with(
    json: &str,
    lock: &str,
    require: &[(&str, &str)],
) -> (crate::plan::Plan, crate::edit::EditSet) {
    use crate::edit::tests::{db, edits};
    use crate::files::Snapshot;
    use crate::registry::StaticRegistry;
    use crate::Ecosystem;
    let snapshot = Snapshot::new()
        .with("composer.json", json)
        .with("composer.lock", lock);
    let db = db(&[(
        "GHSA-wxmh-65f7-jcvw",
        "Packagist",
        "guzzlehttp/psr7",
        "2.4.5",
    )]);
    let registry = StaticRegistry::new()
        .publish(Ecosystem::Packagist, "guzzlehttp/psr7", "2.4.5", &[])
        .composer_release("guzzlehttp/psr7", psr7_release(require));
    edits(&snapshot, &db, &registry).await
}

#[tokio::test]
async fn an_entry_whose_links_stay_moves_in_place_and_the_content_hash_stays() {
    let (plan, out) = psr7_fix(&[("php", "^7.2.5 || ^8.0"), ("psr/http-message", "^1.0")]).await;
    let fix = &plan.fixes[0];
    assert_eq!(fix.tier, crate::plan::Tier::LockfileUpdate);
    assert_eq!(fix.lockfile, crate::plan::LockfileRefresh::Agent);
    assert!(
        fix.notes.iter().any(|n| n.contains("`content-hash`")),
        "{:?}",
        fix.notes
    );
    assert_eq!(out.files.keys().collect::<Vec<_>>(), ["composer.lock"]);
    assert_eq!(
        out.files["composer.lock"],
        PSR7_LOCK
            .replace("\"2.4.4\"", "\"2.4.5\"")
            .replace(
                "3cf1b6d4f0c820a2cf8bcaec39fc698f3443b5cf",
                "67c26b443f348a51926030c83481b85718457d3d"
            )
            .replace("2023-03-09T13:19:02+00:00", "2023-04-17T16:00:45+00:00")
    );
}

#[tokio::test]
async fn changed_links_leave_the_lockfile_to_composer_and_the_note_says_which() {
    let (plan, out) = psr7_fix(&[
        ("php", "^7.2.5 || ^8.0"),
        ("psr/http-message", "^1.1 || ^2.0"),
    ])
    .await;
    let fix = &plan.fixes[0];
    assert_eq!(fix.tier, crate::plan::Tier::ManifestBump);
    assert_eq!(
        fix.lockfile,
        crate::plan::LockfileRefresh::Command("composer update guzzlehttp/psr7".into())
    );
    assert!(
        fix.notes.iter().any(|n| {
            n.contains(
            "adds `require psr/http-message ^1.1 || ^2.0` and drops `require psr/http-message ^1.0`"
        )
        }),
        "{:?}",
        fix.notes
    );
    assert!(!out.files.contains_key("composer.lock"));
    assert_eq!(
        out.files["composer.json"],
        PSR7_JSON.replace("^2.4", "^2.4.5")
    );
}

#[tokio::test]
async fn a_package_locked_from_another_repository_is_left_to_composer_and_the_note_says_so() {
    let private = PSR7_LOCK.replace(
        "https://api.github.com/repos/guzzle/psr7/zipball/",
        "https://satis.corp.example/dist/guzzlehttp/psr7/",
    );
    let (plan, out) = psr7_fix_of(
        &private,
        &[("php", "^7.2.5 || ^8.0"), ("psr/http-message", "^1.0")],
    )
    .await;
    let fix = &plan.fixes[0];
    assert_eq!(
        fix.lockfile,
        crate::plan::LockfileRefresh::Command("composer update guzzlehttp/psr7".into())
    );
    assert!(
        fix.notes.iter().any(|n| n.contains(
            "guzzlehttp/psr7 2.4.4 was locked from satis.corp.example, not from the configured"
        ) && n.contains("repository (api.github.com)")),
        "{:?}",
        fix.notes
    );
    // The pull request still carries the fix: the manifest moves, Composer relocks.
    assert!(!out.files.contains_key("composer.lock"));
    assert_eq!(
        out.files["composer.json"],
        PSR7_JSON.replace("^2.4", "^2.4.5")
    );
}

#[tokio::test]
async fn an_exact_pin_moves_with_the_lock_entry_and_a_new_content_hash() {
    let pinned = PSR7_JSON.replace("^2.4", "2.4.4");
    let links = [("php", "^7.2.5 || ^8.0"), ("psr/http-message", "^1.0")];
    let lock = PSR7_LOCK.replace(
        "0123456789abcdef0123456789abcdef",
        &content_hash(&pinned).unwrap(),
    );
    let (plan, out) = psr7_fix_with(&pinned, &lock, &links).await;
    let fix = &plan.fixes[0];
    assert_eq!(fix.tier, crate::plan::Tier::ManifestBump);
    assert_eq!(fix.lockfile, crate::plan::LockfileRefresh::Agent);
    assert!(
        fix.notes.iter().any(|n| n.ends_with(
            "so the requirement moves, and composer.lock with it (the entry and `content-hash`)"
        )),
        "{:?}",
        fix.notes
    );
    let json = &out.files["composer.json"];
    assert_eq!(*json, PSR7_JSON.replace("^2.4", "2.4.5"));
    let new_hash = content_hash(json).unwrap();
    assert_ne!(new_hash, content_hash(&pinned).unwrap());
    assert!(out.files["composer.lock"].contains(&format!("\"content-hash\": \"{new_hash}\"")));
    assert!(out.files["composer.lock"].contains("\"version\": \"2.4.5\""));
    assert!(!out.needs_package_manager);

    // A lock whose hash is not that of its composer.json (stale, or a layout not reproduced
    // here): the requirement still moves and Composer relocks.
    let (_, out) = psr7_fix_with(&pinned, PSR7_LOCK, &links).await;
    assert_eq!(out.files["composer.json"], *json);
    assert!(!out.files.contains_key("composer.lock"));
    assert!(out.needs_package_manager);
    assert!(
        out.notes.iter().any(|n| n.contains(
            "composer.lock was not bumped in place because its `content-hash` is not the one Composer computes for composer.json"
        )) && out.notes.iter().any(|n| n.contains("run `composer update guzzlehttp/psr7`")),
        "{:?}",
        out.notes
    );
}

#[tokio::test]
async fn a_pin_another_locked_package_also_constrains_is_left_to_composer() {
    // acme/client requires psr7 `2.4.4` exactly: moving psr7 alone would break it.
    let pinned = PSR7_JSON.replace("^2.4", "2.4.4");
    let links = [("php", "^7.2.5 || ^8.0"), ("psr/http-message", "^1.0")];
    let client = r#"        {
            "name": "acme/client",
            "version": "1.0.0",
            "require": {
                "guzzlehttp/psr7": "2.4.4"
            },
            "type": "library"
        },
        {
            "name": "guzzlehttp/psr7","#;
    let lock = PSR7_LOCK
        .replace(
            "0123456789abcdef0123456789abcdef",
            &content_hash(&pinned).unwrap(),
        )
        .replacen(
            "        {\n            \"name\": \"guzzlehttp/psr7\",",
            client,
            1,
        );
    assert!(lock.contains("acme/client"), "{lock}");
    let (plan, out) = psr7_fix_with(&pinned, &lock, &links).await;
    let fix = &plan.fixes[0];
    assert_eq!(
        fix.lockfile,
        crate::plan::LockfileRefresh::Command("composer update guzzlehttp/psr7".into())
    );
    assert!(
        fix.notes.iter().any(|n| n.contains(
            "acme/client@1.0.0 requires guzzlehttp/psr7 `2.4.4`, which excludes 2.4.5, so that entry would have to move as well"
        )),
        "{:?}",
        fix.notes
    );
    assert!(!out.files.contains_key("composer.lock"));
}
