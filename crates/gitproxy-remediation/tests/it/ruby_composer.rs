//! Ruby (`Gemfile.lock`) and PHP (`composer.lock`) end to end on a checkout, with OSV records
//! written here after real advisories (GHSA-65f5-mfpf-vfhj for rack, GHSA-v9qv-c7wm-wgmf for
//! composer/composer): detection, matching with RubyGems and Composer ordering, and the fix
//! without a registry: the manifest's requirement raised, the lockfile left exactly as it was and
//! the relock command named.

use gitproxy_remediation::advisories::AdvisoryDb;
use gitproxy_remediation::local::fix_dir;
use gitproxy_remediation::osv::Record;
use gitproxy_remediation::plan::{LockfileRefresh, PlanOptions};
use gitproxy_remediation::registry::OsvRegistry;
use gitproxy_remediation::scan::scan_dir;
use gitproxy_remediation::{Ecosystem, ScanOptions};

const GEMFILE: &str =
    "source \"https://rubygems.org\"\n\ngem \"rack\", \"~> 2.2.0\"\ngem \"sinatra\", \"~> 2.2\"\n";
const GEMFILE_LOCK: &str = "GEM\n  remote: https://rubygems.org/\n  specs:\n    mustermann (2.0.2)\n      ruby2_keywords (~> 0.0.1)\n    rack (2.2.4)\n    rack-protection (2.2.3)\n      rack\n    ruby2_keywords (0.0.5)\n    sinatra (2.2.3)\n      mustermann (~> 2.0)\n      rack (~> 2.2)\n      rack-protection (= 2.2.3)\n      tilt (~> 2.0)\n    tilt (2.0.11)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  rack (~> 2.2.0)\n  sinatra (~> 2.2)\n\nBUNDLED WITH\n   2.3.26\n";

const COMPOSER_JSON: &str =
    "{\n    \"require\": {\n        \"php\": \"^8.1\",\n        \"composer/composer\": \"^2.7\"\n    }\n}\n";
const COMPOSER_LOCK: &str = "{\n    \"content-hash\": \"abc\",\n    \"packages\": [\n        {\n            \"name\": \"composer/composer\",\n            \"version\": \"2.7.6\"\n        }\n    ],\n    \"packages-dev\": []\n}\n";

fn database() -> AdvisoryDb {
    let mut db = AdvisoryDb::new();
    let rack = r#"{"id": "GHSA-65f5-mfpf-vfhj", "aliases": ["CVE-2022-44570"],
        "summary": "Denial of service via header parsing in Rack",
        "affected": [{"package": {"ecosystem": "RubyGems", "name": "rack"},
          "ranges": [{"type": "ECOSYSTEM", "events": [
            {"introduced": "1.5.0"}, {"fixed": "2.0.9.2"},
            {"introduced": "2.1.0.0"}, {"fixed": "2.1.4.2"},
            {"introduced": "2.2.0"}, {"fixed": "2.2.6.2"},
            {"introduced": "3.0.0"}, {"fixed": "3.0.0.1"}]}]}]}"#;
    let composer = r#"{"id": "GHSA-v9qv-c7wm-wgmf", "aliases": ["CVE-2024-35242"],
        "summary": "command injection via crafted branch names",
        "affected": [{"package": {"ecosystem": "Packagist", "name": "composer/composer"},
          "ranges": [{"type": "ECOSYSTEM", "events": [
            {"introduced": "2.0.0"}, {"fixed": "2.2.24"},
            {"introduced": "2.3.0"}, {"fixed": "2.7.7"}]}]}]}"#;
    for r in [rack, composer] {
        db.insert(Record::from_json("test", r.as_bytes()).expect("record"));
    }
    db
}

fn checkout() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, text) in [
        ("ruby/Gemfile", GEMFILE),
        ("ruby/Gemfile.lock", GEMFILE_LOCK),
        ("php/composer.json", COMPOSER_JSON),
        ("php/composer.lock", COMPOSER_LOCK),
    ] {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("dir");
        std::fs::write(path, text).expect("write");
    }
    dir
}

#[test]
fn a_scan_matches_gems_and_composer_packages_with_their_own_ordering() {
    let dir = checkout();
    let scan = scan_dir(dir.path(), &database(), &ScanOptions::default()).expect("scan");
    assert!(scan.problems.is_empty(), "{:?}", scan.problems);
    assert!(!scan.is_partly_unsupported(), "{:?}", scan.unsupported);
    let found: Vec<(&str, &str, &str, &str)> = scan
        .findings
        .iter()
        .map(|f| {
            (
                f.ecosystem.as_str(),
                f.package.as_str(),
                f.id.as_str(),
                f.location.as_str(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            (
                "RubyGems",
                "rack",
                "GHSA-65f5-mfpf-vfhj",
                "ruby/Gemfile.lock:6"
            ),
            (
                "Packagist",
                "composer/composer",
                "GHSA-v9qv-c7wm-wgmf",
                "php/composer.lock:5"
            ),
        ]
    );
    assert_eq!(scan.findings[0].fixed, ["2.2.6.2", "3.0.0.1"]);
    assert_eq!(scan.findings[1].fixed, ["2.7.7"]);
}

#[test]
fn rubygems_ordering_decides_what_is_affected() {
    let db = database();
    // 2.0.9.2 is the fix of its series; 2.0.9.1 (four segments) sorts below it.
    assert!(db.is_affected(Ecosystem::RubyGems, "rack", "2.0.9.1"));
    assert!(!db.is_affected(Ecosystem::RubyGems, "rack", "2.0.9.2"));
    assert!(!db.is_affected(Ecosystem::RubyGems, "rack", "2.0.10"));
    assert!(!db.is_affected(Ecosystem::RubyGems, "rack", "3.0.0.beta1"));
    assert!(db.is_affected(Ecosystem::RubyGems, "rack", "3.0.0"));
    // Composer: `v` prefixes and four-part versions normalise; RCs sort before the release.
    assert!(db.is_affected(Ecosystem::Packagist, "composer/composer", "v2.7.6"));
    assert!(db.is_affected(Ecosystem::Packagist, "composer/composer", "2.7.7-RC1"));
    assert!(!db.is_affected(Ecosystem::Packagist, "composer/composer", "2.7.7.0"));
    assert!(!db.is_affected(Ecosystem::Packagist, "Composer/Composer", "2.2.24"));
}

#[tokio::test]
async fn without_a_registry_the_manifest_is_raised_and_the_lockfile_left_to_the_relock_command() {
    let dir = checkout();
    let db = database();
    let registry = OsvRegistry::new(std::sync::Arc::new(database()));
    let plan = fix_dir(
        dir.path(),
        &db,
        &registry,
        &PlanOptions::recommended(),
        "gitproxy/security/",
        &ScanOptions::default(),
    )
    .await
    .expect("plan");
    assert!(plan.problems.is_empty(), "{:?}", plan.problems);
    assert_eq!(plan.fixes.len(), 2, "{plan:#?}");

    let rack = plan
        .fixes
        .iter()
        .find(|f| f.package == "rack")
        .expect("rack");
    assert_eq!((rack.from.as_str(), rack.to.as_str()), ("2.2.4", "2.2.6.2"));
    assert_eq!(rack.branch, "gitproxy/security/gem-rack");
    assert_eq!(
        rack.lockfile,
        LockfileRefresh::Command("bundle update --conservative rack".into())
    );
    assert_eq!(
        rack.files.keys().collect::<Vec<_>>(),
        ["ruby/Gemfile"],
        "Gemfile.lock is left to Bundler"
    );
    assert_eq!(
        rack.files["ruby/Gemfile"],
        GEMFILE.replace("\"~> 2.2.0\"", "\"~> 2.2.0\", \">= 2.2.6.2\"")
    );
    assert!(
        rack.notes
            .iter()
            .any(|n| n.contains("run `bundle update --conservative rack`")),
        "{:?}",
        rack.notes
    );

    let composer = plan
        .fixes
        .iter()
        .find(|f| f.package == "composer/composer")
        .expect("composer");
    assert_eq!(composer.to, "2.7.7");
    assert_eq!(
        composer.branch,
        "gitproxy/security/composer-composer-composer"
    );
    assert_eq!(
        composer.lockfile,
        LockfileRefresh::Command("composer update composer/composer".into())
    );
    assert_eq!(
        composer.files.keys().collect::<Vec<_>>(),
        ["php/composer.json"]
    );
    assert_eq!(
        composer.files["php/composer.json"],
        COMPOSER_JSON.replace("\"^2.7\"", "\"^2.7.7\"")
    );
}

#[tokio::test]
async fn a_transitive_gem_gets_no_file_change_only_the_relock_command() {
    let dir = checkout();
    // rack only through sinatra: no Gemfile line to raise.
    std::fs::write(
        dir.path().join("ruby/Gemfile"),
        "source \"https://rubygems.org\"\n\ngem \"sinatra\", \"~> 2.2\"\n",
    )
    .expect("Gemfile");
    std::fs::write(
        dir.path().join("ruby/Gemfile.lock"),
        GEMFILE_LOCK.replace("  rack (~> 2.2.0)\n", ""),
    )
    .expect("Gemfile.lock");
    let db = database();
    let registry = OsvRegistry::new(std::sync::Arc::new(database()));
    let plan = fix_dir(
        dir.path(),
        &db,
        &registry,
        &PlanOptions::recommended(),
        "gitproxy/security/",
        &ScanOptions::default(),
    )
    .await
    .expect("plan");
    let rack = plan
        .fixes
        .iter()
        .find(|f| f.package == "rack")
        .expect("rack");
    assert!(rack.files.is_empty(), "{:?}", rack.files);
    assert_eq!(
        rack.lockfile,
        LockfileRefresh::Command("bundle update --conservative rack".into())
    );
}
