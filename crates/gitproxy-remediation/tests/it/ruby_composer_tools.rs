//! In-place `Gemfile.lock` and `composer.lock` bumps checked by the ecosystems' own tools:
//! Bundler 2.3 and Composer 2.5 (Debian's `bundler` and `composer`, installed by `cargo xtask
//! test`), offline, against loopback stand-ins of a RubyGems server and a Composer repository.
//!
//! rubygems.org and packagist.org are not reachable from where these tests were written, so the
//! registry metadata is not captured but written here in the exact published formats: the
//! compact index (`versions`, `info/NAME`: `VERSION DEP:REQ&REQ,...|checksum:SHA256`),
//! `api/v1/versions/NAME.json` (`number`, `platform`, `sha`, ...) and Composer 2's minified
//! `p2/VENDOR/PACKAGE.json`. The gems are stand-ins built by the real `gem build` from
//! gemspecs with the published runtime dependencies of sinatra 2.2.3 and its tree, so every
//! checksum is the SHA-256 of the `.gem` the stand-in serves; the Composer dist URLs and
//! references are illustrative (Composer install never downloads here).
//!
//! Each original lockfile is written by the tool itself (`bundle lock`, `composer update
//! --no-install`) against a stand-in that does not publish the fixed version yet; the fix then
//! runs against one that does. The proofs: the agent's lockfile equals byte for byte the one the
//! tool writes for the same move (`bundle lock --update rack --conservative`, `composer update
//! guzzlehttp/psr7 --no-install`); Bundler installs it in frozen (deployment) mode, which
//! checks every locked spec and its dependencies against the server and refuses to change the
//! lockfile; `composer validate --check-lock` and `composer install --dry-run` accept it and
//! `composer update --lock`, which re-solves with every locked version required, leaves it
//! byte-identical.

use std::collections::BTreeMap;
use std::path::Path;

use gitproxy_remediation::advisories::AdvisoryDb;
use gitproxy_remediation::local::fix_dir;
use gitproxy_remediation::osv::Record;
use gitproxy_remediation::plan::{LockfileRefresh, PlanOptions};
use gitproxy_remediation::registry::{CachedRegistry, HttpRegistry, RegistryUrls};
use gitproxy_remediation::{Ecosystem, ScanOptions};
use hyper_util::client::legacy::connect::HttpConnector;
use sha2::{Digest as _, Sha256};

use crate::registry::StandIn;

/// Runs a tool to completion and returns its output (standard output, then standard error);
/// fails the test with it when the tool exits with an error.
async fn run(program: &str, args: &[&str], dir: &Path, env: &[(String, String)]) -> String {
    let out = tokio::process::Command::new(program)
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .envs(env.iter().map(|(k, v)| (k, v)))
        .kill_on_drop(true)
        .output()
        .await
        .unwrap_or_else(|e| panic!("cannot run {program} (cargo xtask test installs it): {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "{program} {args:?} failed ({}):\n{text}",
        out.status
    );
    text
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).expect("write");
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).expect("read")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("dir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        if entry.file_type().expect("type").is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name())).expect("copy");
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

async fn fix(
    dir: &Path,
    db: &AdvisoryDb,
    ecosystem: Ecosystem,
    url: &str,
) -> gitproxy_remediation::local::LocalPlan {
    let urls = RegistryUrls::none().with(ecosystem, url).expect("url");
    let registry = CachedRegistry::new(HttpRegistry::new(HttpConnector::new(), urls));
    fix_dir(
        dir,
        db,
        &registry,
        &PlanOptions::recommended(),
        "gitproxy/security/",
        &ScanOptions::default(),
    )
    .await
    .expect("plan")
}

// === Bundler ===

/// A stand-in gem: name, version and runtime dependencies (name, requirement).
type Gem = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
);

/// The gems of the stand-in: name, version and runtime dependencies as `gem build` records them
/// (sinatra 2.2.3's published ones and its tree's).
const GEMS: &[Gem] = &[
    ("mustermann", "2.0.2", &[("ruby2_keywords", "~> 0.0.1")]),
    ("rack", "2.2.4", &[]),
    ("rack", "2.2.6.2", &[]),
    ("rack-protection", "2.2.3", &[("rack", ">= 0")]),
    ("ruby2_keywords", "0.0.5", &[]),
    (
        "sinatra",
        "2.2.3",
        &[
            ("mustermann", "~> 2.0"),
            ("rack", "~> 2.2"),
            ("rack-protection", "= 2.2.3"),
            ("tilt", "~> 2.0"),
        ],
    ),
    ("tilt", "2.0.11", &[]),
];

/// Builds every gem of [`GEMS`] with `gem build` (reproducibly) and returns the `.gem` bytes by
/// `(name, version)`.
async fn build_gems(dir: &Path) -> BTreeMap<(String, String), Vec<u8>> {
    let mut out = BTreeMap::new();
    for (name, version, deps) in GEMS {
        let mut spec = format!(
            "Gem::Specification.new do |s|\n  s.name = \"{name}\"\n  s.version = \"{version}\"\n  s.summary = \"stand-in\"\n  s.authors = [\"gitproxy tests\"]\n  s.files = []\n  s.license = \"MIT\"\n"
        );
        for (dep, req) in *deps {
            spec.push_str(&format!(
                "  s.add_runtime_dependency \"{dep}\", \"{req}\"\n"
            ));
        }
        spec.push_str("end\n");
        let file = format!("{name}-{version}");
        write(dir, &format!("{file}.gemspec"), &spec);
        let env = [("SOURCE_DATE_EPOCH".to_string(), "1700000000".to_string())];
        let gem = format!("{file}.gem");
        run(
            "gem",
            &["build", &format!("{file}.gemspec"), "--output", &gem],
            dir,
            &env,
        )
        .await;
        let bytes = std::fs::read(dir.join(&gem)).expect("gem");
        out.insert((name.to_string(), version.to_string()), bytes);
    }
    out
}

/// A RubyGems server publishing `gems` (those `published` accepts): the compact index Bundler
/// reads, the versions API the agent reads, and the `.gem` files.
async fn gem_server(
    gems: &BTreeMap<(String, String), Vec<u8>>,
    published: impl Fn(&str, &str) -> bool,
) -> StandIn {
    let mut routes: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut infos: BTreeMap<&str, (Vec<&str>, String)> = BTreeMap::new();
    let mut api: BTreeMap<&str, Vec<serde_json::Value>> = BTreeMap::new();
    for ((name, version), bytes) in gems {
        if !published(name, version) {
            continue;
        }
        let sha = hex(&Sha256::digest(bytes));
        let deps = GEMS
            .iter()
            .find(|(n, v, _)| n == name && v == version)
            .map(|g| g.2)
            .unwrap_or_default()
            .iter()
            .map(|(d, r)| format!("{d}:{r}"))
            .collect::<Vec<_>>()
            .join(",");
        let info = infos.entry(name).or_default();
        info.0.push(version);
        info.1
            .push_str(&format!("{version} {deps}|checksum:{sha}\n"));
        api.entry(name).or_default().insert(
            0,
            serde_json::json!({
                "authors": "gitproxy tests", "built_at": "2023-11-14T22:13:20.000Z",
                "created_at": "2023-11-14T22:13:20.000Z", "description": null,
                "downloads_count": 0, "metadata": {}, "number": version, "summary": "stand-in",
                "platform": "ruby", "rubygems_version": ">= 0", "ruby_version": ">= 0",
                "prerelease": false, "licenses": ["MIT"], "requirements": [], "sha": sha,
                "spec_sha": null
            }),
        );
        routes.insert(format!("/gems/{name}-{version}.gem"), bytes.clone());
    }
    let mut versions = String::from("created_at: 2023-11-14T22:13:20+00:00\n---\n");
    for (name, (list, lines)) in &infos {
        let info = format!("---\n{lines}");
        // The last field is the MD5 of the info file in the real index; Bundler only compares
        // it with a cached copy (a fresh BUNDLE_USER_HOME has none), so a digest of the same
        // length stands in.
        let digest = hex(&Sha256::digest(info.as_bytes())[..16]);
        versions.push_str(&format!("{name} {} {digest}\n", list.join(",")));
        routes.insert(format!("/info/{name}"), info.into_bytes());
    }
    routes.insert("/versions".into(), versions.into_bytes());
    for (name, list) in api {
        routes.insert(
            format!("/api/v1/versions/{name}.json"),
            serde_json::to_vec(&list).expect("json"),
        );
    }
    StandIn::start(routes).await
}

/// Bundler's environment: only the stand-in, as a mirror of rubygems.org, and a fresh cache.
fn bundler_env(home: &Path, server: &StandIn) -> Vec<(String, String)> {
    let home = home.to_string_lossy().into_owned();
    vec![
        ("HOME".into(), home.clone()),
        ("BUNDLE_USER_HOME".into(), format!("{home}/bundle")),
        ("BUNDLE_APP_CONFIG".into(), format!("{home}/app-config")),
        (
            "BUNDLE_MIRROR__HTTPS://RUBYGEMS__ORG/".into(),
            format!("http://{}", server.addr),
        ),
    ]
}

fn rack_advisory() -> AdvisoryDb {
    let mut db = AdvisoryDb::new();
    let rack = r#"{"id": "GHSA-65f5-mfpf-vfhj", "aliases": ["CVE-2022-44570"],
        "summary": "Denial of service via header parsing in Rack",
        "affected": [{"package": {"ecosystem": "RubyGems", "name": "rack"},
          "ranges": [{"type": "ECOSYSTEM", "events": [
            {"introduced": "2.2.0"}, {"fixed": "2.2.6.2"},
            {"introduced": "3.0.0"}, {"fixed": "3.0.0.1"}]}]}]}"#;
    db.insert(Record::from_json("test", rack.as_bytes()).expect("record"));
    db
}

#[tokio::test]
async fn bundler_accepts_the_in_place_gemfile_lock_bump_and_writes_the_same_itself() {
    check_rack_bump(
        "source \"https://rubygems.org\"\n\ngem \"rack\", \"~> 2.2.0\"\ngem \"sinatra\", \"~> 2.2\"\n",
    )
    .await;
}

/// rack only through sinatra (`~> 2.2`) and rack-protection (any version): the same bump.
#[tokio::test]
async fn bundler_accepts_the_in_place_bump_of_a_transitive_gem() {
    check_rack_bump("source \"https://rubygems.org\"\n\ngem \"sinatra\", \"~> 2.2\"\n").await;
}

/// rack pinned exactly in the Gemfile: the pin moves, and Gemfile.lock with it.
#[tokio::test]
async fn bundler_accepts_an_exact_pin_moved_in_the_gemfile_with_its_lock() {
    check_rack_bump(
        "source \"https://rubygems.org\"\n\ngem \"rack\", \"2.2.4\"\ngem \"sinatra\", \"~> 2.2\"\n",
    )
    .await;
}

/// Locks a project with `gemfile` before rack 2.2.6.2 is published, fixes rack with the agent
/// and checks the lockfile with Bundler.
async fn check_rack_bump(gemfile: &str) {
    let work = tempfile::tempdir().expect("tempdir");
    let root = work.path();
    let build = root.join("build");
    std::fs::create_dir_all(&build).expect("dir");
    let gems = build_gems(&build).await;
    let before = gem_server(&gems, |name, version| {
        !(name == "rack" && version == "2.2.6.2")
    })
    .await;
    let after = gem_server(&gems, |_, _| true).await;

    // The project, locked by Bundler before rack 2.2.6.2 was published.
    let project = root.join("project");
    std::fs::create_dir_all(&project).expect("dir");
    write(&project, "Gemfile", gemfile);
    run(
        "bundle",
        &["lock"],
        &project,
        &bundler_env(&root.join("h1"), &before),
    )
    .await;
    let original = read(&project, "Gemfile.lock");
    assert!(original.contains("    rack (2.2.4)\n"), "{original}");

    // The agent's fix, with the RubyGems registry configured.
    let plan = fix(
        &project,
        &rack_advisory(),
        Ecosystem::RubyGems,
        &format!("http://{}/", after.addr),
    )
    .await;
    assert!(plan.problems.is_empty(), "{:?}", plan.problems);
    let rack = plan
        .fixes
        .iter()
        .find(|f| f.package == "rack")
        .expect("rack");
    assert_eq!((rack.from.as_str(), rack.to.as_str()), ("2.2.4", "2.2.6.2"));
    assert_eq!(rack.lockfile, LockfileRefresh::Agent, "{:?}", rack.notes);
    let pinned = gemfile.contains("\"2.2.4\"");
    let bumped = &rack.files["Gemfile.lock"];
    if pinned {
        assert_eq!(
            rack.files.keys().collect::<Vec<_>>(),
            ["Gemfile", "Gemfile.lock"]
        );
        assert!(
            rack.notes
                .iter()
                .any(|n| n.contains("and Gemfile.lock with it")),
            "{:?}",
            rack.notes
        );
        assert!(bumped.contains("  rack (= 2.2.6.2)\n"), "{bumped}");
    } else {
        assert_eq!(
            rack.files.keys().collect::<Vec<_>>(),
            ["Gemfile.lock"],
            "every requirement already allows 2.2.6.2"
        );
        assert!(
            rack.notes.iter().any(|n| n.contains("only its spec line")),
            "{:?}",
            rack.notes
        );
        assert_eq!(
            *bumped,
            original.replace("    rack (2.2.4)\n", "    rack (2.2.6.2)\n")
        );
    }

    // Bundler's own move from the original lockfile (and the agent's Gemfile, when it changed)
    // writes the same bytes.
    let own = root.join("own");
    copy_dir(&project, &own);
    if let Some(gemfile) = rack.files.get("Gemfile") {
        write(&own, "Gemfile", gemfile);
    }
    run(
        "bundle",
        &["lock", "--update", "rack", "--conservative"],
        &own,
        &bundler_env(&root.join("h2"), &after),
    )
    .await;
    assert_eq!(read(&own, "Gemfile.lock"), *bumped);

    // Frozen install of the agent's lockfile: every spec and its dependencies are checked against
    // the server, the gems' checksums against the compact index, and the lockfile may not change.
    let branch = root.join("branch");
    copy_dir(&project, &branch);
    for (file, text) in &rack.files {
        write(&branch, file, text);
    }
    let mut env = bundler_env(&root.join("h3"), &after);
    env.push(("BUNDLE_DEPLOYMENT".into(), "true".into()));
    env.push((
        "BUNDLE_PATH".into(),
        root.join("vendor").to_string_lossy().into_owned(),
    ));
    let out = run("bundle", &["install"], &branch, &env).await;
    assert!(out.contains("Installing rack 2.2.6.2"), "{out}");
    run("bundle", &["check"], &branch, &env).await;
    assert_eq!(read(&branch, "Gemfile.lock"), *bumped);
}

// === Composer ===

/// `p2/guzzlehttp/psr7.json` as Packagist serves it: minified, newest first, each later version
/// listing only what differs from the one before. 1.8.4 is left out of the "before" repository.
fn psr7_metadata(with_fix: bool) -> String {
    let fixed = r#"{"name":"guzzlehttp/psr7","description":"PSR-7 message implementation that also provides common utility methods","keywords":["http","message","psr-7","request","response","stream","uri","url"],"homepage":"","version":"1.8.4","version_normalized":"1.8.4.0","license":["MIT"],"authors":[{"name":"Michael Dowling","email":"mtdowling@gmail.com","homepage":"https://github.com/mtdowling"}],"source":{"url":"https://github.com/guzzle/psr7.git","type":"git","reference":"6a2b9d3a5e1b2e3fbd6c8b8ac5ba29d2ef38d0b6"},"dist":{"url":"https://api.github.com/repos/guzzle/psr7/zipball/6a2b9d3a5e1b2e3fbd6c8b8ac5ba29d2ef38d0b6","type":"zip","shasum":"","reference":"6a2b9d3a5e1b2e3fbd6c8b8ac5ba29d2ef38d0b6"},"type":"library","time":"2022-03-20T21:51:18+00:00","autoload":{"files":["src/functions_include.php"],"psr-4":{"GuzzleHttp\\Psr7\\":"src/"}},"extra":{"branch-alias":{"dev-master":"1.7-dev"}},"require":{"php":">=5.4.0","psr/http-message":"~1.0","ralouphie/getallheaders":"^2.0.5 || ^3.0.0"},"provide":{"psr/http-message-implementation":"1.0"},"require-dev":{"phpunit/phpunit":"~4.8.36 || ^5.7.27 || ^6.5.14 || ^7.5.20 || ^8.5.8 || ^9.3.10"},"suggest":{"laminas/laminas-httphandlerrunner":"Emit PSR-7 responses"},"support":{"issues":"https://github.com/guzzle/psr7/issues","source":"https://github.com/guzzle/psr7/tree/1.8.4"}}"#;
    let vulnerable = r#"{"version":"1.8.3","version_normalized":"1.8.3.0","source":{"url":"https://github.com/guzzle/psr7.git","type":"git","reference":"1afdd860a2566ed3c2b0b4a3de6e23434a79ec85"},"dist":{"url":"https://api.github.com/repos/guzzle/psr7/zipball/1afdd860a2566ed3c2b0b4a3de6e23434a79ec85","type":"zip","shasum":"","reference":"1afdd860a2566ed3c2b0b4a3de6e23434a79ec85"},"time":"2021-10-05T13:56:00+00:00","support":{"issues":"https://github.com/guzzle/psr7/issues","source":"https://github.com/guzzle/psr7/tree/1.8.3"}}"#;
    let versions = if with_fix {
        format!("{fixed},{vulnerable}")
    } else {
        // Alone, 1.8.3 is the first entry and must be complete: 1.8.4's with 1.8.3's values.
        fixed
            .replace("1.8.4", "1.8.3")
            .replace(
                "6a2b9d3a5e1b2e3fbd6c8b8ac5ba29d2ef38d0b6",
                "1afdd860a2566ed3c2b0b4a3de6e23434a79ec85",
            )
            .replace("2022-03-20T21:51:18+00:00", "2021-10-05T13:56:00+00:00")
    };
    format!(r#"{{"packages":{{"guzzlehttp/psr7":[{versions}]}},"minified":"composer/2.0"}}"#)
}

const HTTP_MESSAGE: &str = r#"{"packages":{"psr/http-message":[{"name":"psr/http-message","description":"Common interface for HTTP messages","keywords":["http","http-message","psr","psr-7","request","response"],"homepage":"https://github.com/php-fig/http-message","version":"1.0.1","version_normalized":"1.0.1.0","license":["MIT"],"authors":[{"name":"PHP-FIG","homepage":"http://www.php-fig.org/"}],"source":{"url":"https://github.com/php-fig/http-message.git","type":"git","reference":"f6561bf28d520154e4b0ec72be95418abe6d9363"},"dist":{"url":"https://api.github.com/repos/php-fig/http-message/zipball/f6561bf28d520154e4b0ec72be95418abe6d9363","type":"zip","shasum":"","reference":"f6561bf28d520154e4b0ec72be95418abe6d9363"},"type":"library","time":"2016-08-06T14:39:51+00:00","autoload":{"psr-4":{"Psr\\Http\\Message\\":"src/"}},"extra":{"branch-alias":{"dev-master":"1.0.x-dev"}},"require":{"php":">=5.3.0"},"support":{"source":"https://github.com/php-fig/http-message/tree/master"}}]},"minified":"composer/2.0"}"#;

const GETALLHEADERS: &str = r#"{"packages":{"ralouphie/getallheaders":[{"name":"ralouphie/getallheaders","description":"A polyfill for getallheaders.","keywords":[],"homepage":"","version":"3.0.3","version_normalized":"3.0.3.0","license":["MIT"],"authors":[{"name":"Ralph Khattar","email":"ralph.khattar@gmail.com"}],"source":{"url":"https://github.com/ralouphie/getallheaders.git","type":"git","reference":"120b605dfeb996808c31b6477290a714d356e822"},"dist":{"url":"https://api.github.com/repos/ralouphie/getallheaders/zipball/120b605dfeb996808c31b6477290a714d356e822","type":"zip","shasum":"","reference":"120b605dfeb996808c31b6477290a714d356e822"},"type":"library","time":"2019-03-08T08:55:37+00:00","autoload":{"files":["src/getallheaders.php"]},"require":{"php":">=5.6"},"require-dev":{"php-coveralls/php-coveralls":"^2.1","phpunit/phpunit":"^5 || ^6.5"},"support":{"issues":"https://github.com/ralouphie/getallheaders/issues","source":"https://github.com/ralouphie/getallheaders/tree/develop"}}]},"minified":"composer/2.0"}"#;

async fn composer_repository(with_fix: bool) -> StandIn {
    let routes: BTreeMap<String, Vec<u8>> = [
        (
            "/packages.json",
            r#"{"packages":[],"metadata-url":"/p2/%package%.json"}"#.to_string(),
        ),
        ("/p2/guzzlehttp/psr7.json", psr7_metadata(with_fix)),
        ("/p2/psr/http-message.json", HTTP_MESSAGE.to_string()),
        (
            "/p2/ralouphie/getallheaders.json",
            GETALLHEADERS.to_string(),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.into_bytes()))
    .collect();
    StandIn::start(routes).await
}

/// Composer's environment: a home whose only repository is the stand-in, and a fresh cache.
fn composer_env(home: &Path, repository: &StandIn) -> Vec<(String, String)> {
    std::fs::create_dir_all(home).expect("home");
    let config = format!(
        r#"{{"config": {{"secure-http": false}}, "repositories": [{{"type": "composer", "url": "http://{}"}}, {{"packagist.org": false}}]}}"#,
        repository.addr
    );
    std::fs::write(home.join("config.json"), config).expect("config");
    let home = home.to_string_lossy().into_owned();
    vec![
        ("HOME".into(), home.clone()),
        ("COMPOSER_HOME".into(), home.clone()),
        ("COMPOSER_CACHE_DIR".into(), format!("{home}/cache")),
        ("COMPOSER_ALLOW_SUPERUSER".into(), "1".into()),
        ("COMPOSER_NO_INTERACTION".into(), "1".into()),
    ]
}

fn psr7_advisory() -> AdvisoryDb {
    let mut db = AdvisoryDb::new();
    let psr7 = r#"{"id": "GHSA-q7rv-6hp3-vh96", "aliases": ["CVE-2022-24775"],
        "summary": "Improper Input Validation in guzzlehttp/psr7",
        "affected": [{"package": {"ecosystem": "Packagist", "name": "guzzlehttp/psr7"},
          "ranges": [{"type": "ECOSYSTEM", "events": [
            {"introduced": "0"}, {"fixed": "1.8.4"},
            {"introduced": "2.0.0"}, {"fixed": "2.1.1"}]}]}]}"#;
    db.insert(Record::from_json("test", psr7.as_bytes()).expect("record"));
    db
}

#[tokio::test]
async fn composer_accepts_the_in_place_composer_lock_bump_and_writes_the_same_itself() {
    check_psr7_bump(
        "{\n    \"require\": {\n        \"guzzlehttp/psr7\": \"^1.8\"\n    }\n}\n",
        &["composer.lock"],
    )
    .await;
}

#[tokio::test]
async fn composer_accepts_the_bump_of_a_dev_package_in_packages_dev() {
    check_psr7_bump(
        "{\n    \"require-dev\": {\n        \"guzzlehttp/psr7\": \"^1.8\"\n    }\n}\n",
        &["composer.lock"],
    )
    .await;
}

#[tokio::test]
async fn composer_accepts_an_exact_pin_moved_in_composer_json_with_the_lock_and_its_hash() {
    check_psr7_bump(
        "{\n    \"require\": {\n        \"guzzlehttp/psr7\": \"1.8.3\"\n    }\n}\n",
        &["composer.json", "composer.lock"],
    )
    .await;
}

/// A project whose `composer.json` is `manifest`, locked by Composer at psr7 1.8.3, fixed to
/// 1.8.4 by the agent (changing `files`): Composer's own move from the agent's `composer.json`
/// writes the same `composer.lock`, which `composer validate --check-lock` (the content hash
/// included), `composer install --dry-run` and `composer update --lock` accept unchanged.
async fn check_psr7_bump(manifest: &str, files: &[&str]) {
    let work = tempfile::tempdir().expect("tempdir");
    let root = work.path();
    let before = composer_repository(false).await;
    let after = composer_repository(true).await;

    // The project, locked by Composer before psr7 1.8.4 was published.
    let project = root.join("project");
    std::fs::create_dir_all(&project).expect("dir");
    write(&project, "composer.json", manifest);
    let update = ["update", "--no-install", "--no-audit", "--no-plugins"];
    run(
        "composer",
        &update,
        &project,
        &composer_env(&root.join("h1"), &before),
    )
    .await;
    let original = read(&project, "composer.lock");
    assert!(original.contains("\"version\": \"1.8.3\""), "{original}");

    let plan = fix(
        &project,
        &psr7_advisory(),
        Ecosystem::Packagist,
        &format!("http://{}/", after.addr),
    )
    .await;
    assert!(plan.problems.is_empty(), "{:?}", plan.problems);
    let psr7 = plan
        .fixes
        .iter()
        .find(|f| f.package == "guzzlehttp/psr7")
        .expect("psr7");
    assert_eq!((psr7.from.as_str(), psr7.to.as_str()), ("1.8.3", "1.8.4"));
    assert_eq!(psr7.lockfile, LockfileRefresh::Agent, "{:?}", psr7.notes);
    assert_eq!(psr7.files.keys().collect::<Vec<_>>(), files);
    assert!(
        psr7.notes.iter().any(|n| n.contains("`content-hash`")),
        "{:?}",
        psr7.notes
    );
    let bumped = &psr7.files["composer.lock"];

    // Composer's own move from the original lockfile (and the agent's composer.json, when it
    // changed) writes the same bytes.
    let own = root.join("own");
    copy_dir(&project, &own);
    if let Some(json) = psr7.files.get("composer.json") {
        write(&own, "composer.json", json);
    }
    let args = [&update[..], &["guzzlehttp/psr7"]].concat();
    run(
        "composer",
        &args,
        &own,
        &composer_env(&root.join("h2"), &after),
    )
    .await;
    assert_eq!(read(&own, "composer.lock"), *bumped);

    // The lockfile is fresh for composer.json, installable, and Composer solving again with
    // every locked version required changes nothing.
    let branch = root.join("branch");
    copy_dir(&project, &branch);
    for (file, text) in &psr7.files {
        write(&branch, file, text);
    }
    let env = composer_env(&root.join("h3"), &after);
    run(
        "composer",
        &[
            "validate",
            "--check-lock",
            "--no-check-publish",
            "--no-check-all",
        ],
        &branch,
        &env,
    )
    .await;
    let out = run(
        "composer",
        &["install", "--dry-run", "--no-plugins"],
        &branch,
        &env,
    )
    .await;
    assert!(out.contains("Installing guzzlehttp/psr7 (1.8.4)"), "{out}");
    assert!(!out.contains("not up to date"), "{out}");
    run(
        "composer",
        &[
            "update",
            "--lock",
            "--no-install",
            "--no-audit",
            "--no-plugins",
        ],
        &branch,
        &env,
    )
    .await;
    assert_eq!(read(&branch, "composer.lock"), *bumped);
}

#[tokio::test]
async fn the_content_hash_of_a_composer_json_is_the_one_composer_writes() {
    let work = tempfile::tempdir().expect("tempdir");
    let root = work.path();
    let repository = composer_repository(false).await;
    // Every key the hash reads, with what PHP's encoder escapes: slashes, non-ASCII (one
    // outside the BMP), an empty object, a list-like object, numbers, booleans and null; and
    // keys it ignores (description, autoload, config other than platform).
    let manifests = [
        "{\n    \"require\": {\n        \"guzzlehttp/psr7\": \"^1.8\"\n    }\n}\n".to_owned(),
        format!(
            r#"{{
    "name": "acme/shop",
    "description": "Caf\u00e9 \ud83d\ude00 / ignored",
    "version": "1.0.0",
    "require": {{"php": ">=7.4", "guzzlehttp/psr7": "~1.8"}},
    "require-dev": {{}},
    "conflict": {{"acme/old": "<1.0"}},
    "replace": {{"acme/legacy": "self.version"}},
    "provide": {{"psr/http-message-implementation": "1.0"}},
    "minimum-stability": "dev",
    "prefer-stable": true,
    "repositories": [{{"type": "composer", "url": "http://{}"}}],
    "extra": {{"branch-alias": {{"dev-main": "1.x-dev"}}, "emoji": "\ud83d\ude00 😀", "note": "naïve <tag> & \"quoted\" \\ path/to", "list": {{"0": "a", "1": "b"}}, "n": 3, "ratio": 1.5, "whole": 2.0, "none": null, "off": false, "empty": []}},
    "autoload": {{"psr-4": {{"Acme\\": "src/"}}}},
    "config": {{"sort-packages": true, "platform": {{"php": "8.1.0", "ext-intl": "1.0"}}}}
}}
"#,
            repository.addr
        ),
    ];
    for (i, manifest) in manifests.iter().enumerate() {
        let project = root.join(format!("p{i}"));
        std::fs::create_dir_all(&project).expect("dir");
        write(&project, "composer.json", manifest);
        run(
            "composer",
            &["update", "--no-install", "--no-audit", "--no-plugins"],
            &project,
            &composer_env(&root.join(format!("h{i}")), &repository),
        )
        .await;
        let lock: serde_json::Value =
            serde_json::from_str(&read(&project, "composer.lock")).expect("lock");
        assert_eq!(
            gitproxy_remediation::edit::composer_content_hash(manifest).expect("hash"),
            lock["content-hash"].as_str().expect("content-hash"),
            "{manifest}"
        );
    }
}
