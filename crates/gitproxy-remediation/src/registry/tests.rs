//! Unit tests for registry paths and hashes (the HTTP clients are tested against a local
//! stand-in in `tests/it/registry.rs`).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use url::Url;

use super::http::{maven_path, npm_path};
use super::*;
use crate::advisories::AdvisoryDb;
use crate::osv::Record;

#[test]
fn sparse_index_paths_follow_cargo() {
    assert_eq!(crates_index_path("a"), "1/a");
    assert_eq!(crates_index_path("ab"), "2/ab");
    assert_eq!(crates_index_path("syn"), "3/s/syn");
    assert_eq!(crates_index_path("Serde"), "se/rd/serde");
    assert_eq!(crates_index_path("smallvec"), "sm/al/smallvec");
}

#[test]
fn go_paths_and_hashes() {
    assert_eq!(
        go_escape("github.com/BurntSushi/toml"),
        "github.com/!burnt!sushi/toml"
    );
    // The go.sum line `golang.org/x/text v0.3.0/go.mod h1:NqM8EUOU14njkJ3fqMW+pc6Ldnwhi/IjpwHt7yyuwOQ=`
    // hashes the go.mod the proxy serves for that version.
    let hash = go_hash1(&mut [("go.mod".into(), b"module golang.org/x/text\n".to_vec())]).unwrap();
    assert_eq!(hash, "h1:NqM8EUOU14njkJ3fqMW+pc6Ldnwhi/IjpwHt7yyuwOQ=");
    assert!(go_hash1(&mut [("a\nb".into(), Vec::new())]).is_err());
}

#[test]
fn registry_urls_are_validated() {
    assert!(RegistryUrls::new(
        "ftp://x/",
        "https://i/",
        "https://p/",
        "https://g/",
        "https://m/"
    )
    .is_err());
    let err = RegistryUrls::new(
        "not a url",
        "https://i/",
        "https://p/",
        "https://g/",
        "https://m/",
    )
    .unwrap_err();
    assert!(
        err.to_string().starts_with("invalid npm registry URL"),
        "{err}"
    );
    let urls = RegistryUrls::new(
        "http://127.0.0.1:1/npm",
        "https://i/",
        "https://p/",
        "https://g/",
        "https://m/",
    )
    .unwrap();
    assert_eq!(
        urls.get(Ecosystem::Npm).map(Url::as_str),
        Some("http://127.0.0.1:1/npm/")
    );
    assert_eq!(npm_path("@babel/core"), "@babel%2fcore");
    assert_eq!(
        maven_path("org.apache.logging.log4j:log4j-core").as_deref(),
        Some("org/apache/logging/log4j/log4j-core/")
    );
    assert_eq!(
        redact(&Url::parse("https://u:secret@h/p?token=x").unwrap()),
        "https://h/p"
    );
}

#[test]
fn registries_are_configured_per_ecosystem() {
    let urls = RegistryUrls::none()
        .with(Ecosystem::Npm, "https://npm.mirror.example/repo")
        .unwrap()
        .with(Ecosystem::Go, "http://goproxy.internal:8081")
        .unwrap();
    assert!(!urls.is_empty());
    assert!(RegistryUrls::none().is_empty());
    let configured: Vec<(Ecosystem, String)> =
        urls.configured().map(|(e, u)| (e, u.to_string())).collect();
    assert_eq!(
        configured,
        vec![
            (
                Ecosystem::Npm,
                "https://npm.mirror.example/repo/".to_string()
            ),
            (Ecosystem::Go, "http://goproxy.internal:8081/".to_string()),
        ]
    );
    assert!(urls.get(Ecosystem::PyPI).is_none());
    let public = RegistryUrls::public();
    // Every ecosystem has a registry client.
    assert_eq!(public.configured().count(), Ecosystem::ALL.len());
    assert_eq!(
        public.get(Ecosystem::NuGet).map(Url::as_str),
        Some("https://api.nuget.org/v3-flatcontainer/")
    );
    assert_eq!(
        public.get(Ecosystem::CratesIo).map(Url::as_str),
        Some("https://index.crates.io/")
    );
    let err = RegistryUrls::none()
        .with(Ecosystem::Maven, "mirror.example/maven2")
        .map(|_| ())
        .unwrap_err();
    assert!(err.to_string().contains("Maven registry URL"), "{err}");
}

#[test]
fn registry_lists_take_entries_public_and_none_in_order() {
    let shown = |list: &str| -> Vec<String> {
        let urls: RegistryUrls = list.parse().expect(list);
        urls.configured().map(|(e, u)| format!("{e}={u}")).collect()
    };
    assert_eq!(
        shown("npm=https://npm.mirror.example/repo, crates.io=https://index.crates.io/,golang=http://goproxy.internal:8081"),
        vec![
            "npm=https://npm.mirror.example/repo/",
            "crates.io=https://index.crates.io/",
            "Go=http://goproxy.internal:8081/",
        ]
    );
    let urls: RegistryUrls = "public,npm=https://npm.mirror.example/"
        .parse()
        .expect("list");
    assert_eq!(
        urls.configured().count(),
        RegistryUrls::public().configured().count()
    );
    assert_eq!(
        urls.get(Ecosystem::Npm).map(Url::as_str),
        Some("https://npm.mirror.example/")
    );
    assert_eq!(
        shown("npm=https://npm.mirror.example/,PUBLIC").len(),
        RegistryUrls::public().configured().count()
    );
    assert_eq!(
        shown("NuGet=https://nuget.mirror.example/v3-flatcontainer"),
        ["NuGet=https://nuget.mirror.example/v3-flatcontainer/"]
    );
    assert!(shown("public, none").is_empty());
    assert!(shown("").is_empty());
    assert_eq!(
        shown("npm=https://npm.mirror.example/?ref=main"),
        vec!["npm=https://npm.mirror.example/?ref=main"]
    );
}

#[test]
fn registry_lists_refuse_bad_entries_and_credentials_without_showing_them() {
    let refused = |list: &str| list.parse::<RegistryUrls>().expect_err(list);
    assert!(matches!(
        refused("hex=https://hex.pm/"),
        Error::UnknownRegistryEcosystem(name) if name == "hex"
    ));
    // RubyGems and Packagist have registry clients: accepted like the others.
    let urls: RegistryUrls =
        "rubygems=https://gems.mirror.example/,packagist=https://repo.packagist.org"
            .parse()
            .expect("rubygems and packagist entries");
    assert_eq!(
        urls.get(crate::Ecosystem::RubyGems).map(url::Url::as_str),
        Some("https://gems.mirror.example/")
    );
    assert_eq!(
        urls.get(crate::Ecosystem::Packagist).map(url::Url::as_str),
        Some("https://repo.packagist.org/")
    );
    assert_eq!(
        RegistryUrls::public()
            .get(crate::Ecosystem::RubyGems)
            .map(url::Url::as_str),
        Some("https://rubygems.org/")
    );
    assert!(matches!(
        refused("rubygems=https://deploy:hunter2@gems.mirror.example/"),
        Error::RegistryCredentials { .. }
    ));
    let err = refused("https://deploy:hunter2@mirror.example/");
    assert!(
        matches!(&err, Error::InvalidRegistryEntry { entry } if entry == "https://***@mirror.example/"),
        "{err:?}"
    );
    assert!(matches!(
        refused("https://mirror.example/?sekrit"),
        Error::InvalidRegistryEntry { entry } if entry == "https://mirror.example/?..."
    ));
    assert!(matches!(
        refused("npm=ftp://mirror.example/"),
        Error::InvalidRegistryUrl { .. }
    ));
    let err = refused("npm=https://deploy:hunter2@mirror.example/?token=sekrit");
    assert!(
        matches!(
            &err,
            Error::RegistryCredentials {
                ecosystem: Ecosystem::Npm,
                query_key: None
            }
        ),
        "{err:?}"
    );
    assert!(!err.to_string().contains("hunter2"), "{err}");
    for url in [
        "https://npm.mirror.example/?token=sekrit",
        "https://npm.mirror.example/repo?a=1&Access_Token=sekrit",
        "https://npm.mirror.example/?x_api_key=sekrit",
    ] {
        let err = refused(&format!("npm={url}"));
        assert!(
            matches!(
                &err,
                Error::RegistryCredentials {
                    query_key: Some(_),
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(!err.to_string().contains("sekrit"), "{err}");
    }
}

#[tokio::test]
async fn an_ecosystem_without_a_registry_is_never_asked() {
    let registry = HttpRegistry::new(
        hyper_util::client::legacy::connect::HttpConnector::new(),
        RegistryUrls::none()
            .with(Ecosystem::Npm, "http://127.0.0.1:9/")
            .unwrap(),
    );
    let err = registry
        .versions(Ecosystem::PyPI, "jinja2")
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("no PyPI registry is configured; add one to the agent's registries setting"),
        "{err}"
    );
}

#[derive(Debug, Default, Clone)]
struct Counting(Arc<AtomicUsize>);

#[async_trait]
impl Registry for Counting {
    async fn versions(&self, _: Ecosystem, _: &str) -> Result<Vec<RegistryVersion>, Error> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Ok(vec![RegistryVersion {
            version: "9.9.9".into(),
            yanked: false,
        }])
    }
    async fn digests(&self, _: Ecosystem, _: &str, _: &str) -> Result<Vec<Digest>, Error> {
        Ok(Vec::new())
    }
    async fn index_entries(
        &self,
        _: Ecosystem,
        name: &str,
    ) -> Result<Option<Vec<IndexEntry>>, Error> {
        self.0.fetch_add(1, Ordering::SeqCst);
        let line =
            format!(r#"{{"name":"{name}","vers":"1.0.0","deps":[],"cksum":"ab","features":{{}}}}"#);
        Ok(Some(vec![IndexEntry::from_index_line(&line).unwrap()]))
    }
}

#[tokio::test]
async fn cached_registry_asks_once() {
    let counting = Counting::default();
    let cached = CachedRegistry::new(counting.clone());
    for _ in 0..3 {
        assert_eq!(cached.versions(Ecosystem::Npm, "x").await.unwrap().len(), 1);
    }
    assert_eq!(counting.0.load(Ordering::SeqCst), 1);
}

fn osv_db() -> Arc<AdvisoryDb> {
    let mut db = AdvisoryDb::new();
    db.insert(
        Record::from_json(
            "t",
            br#"{"id":"GHSA-1","affected":[{"package":{"ecosystem":"npm","name":"lodash"},
                "ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"4.17.21"}]}]}]}"#,
        )
        .unwrap(),
    );
    Arc::new(db)
}

#[tokio::test]
async fn the_osv_registry_offers_the_fixed_versions_without_digests() {
    let osv = OsvRegistry::new(osv_db());
    let versions = osv.versions(Ecosystem::Npm, "lodash").await.unwrap();
    assert_eq!(versions.len(), 1);
    assert_eq!(versions[0].version, "4.17.21");
    assert!(osv
        .versions(Ecosystem::Npm, "other")
        .await
        .unwrap()
        .is_empty());
    assert!(osv
        .digests(Ecosystem::Npm, "lodash", "4.17.21")
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn selection_asks_the_configured_registry_only_for_its_ecosystems() {
    let counting = Counting::default();
    let urls = RegistryUrls::none()
        .with(Ecosystem::PyPI, "https://pypi.mirror/")
        .unwrap();
    let selected = SelectedRegistry::new(osv_db(), urls, counting.clone());
    // npm has no configured registry: the OSV data answers.
    let npm = selected.versions(Ecosystem::Npm, "lodash").await.unwrap();
    assert_eq!(npm[0].version, "4.17.21");
    assert_eq!(counting.0.load(Ordering::SeqCst), 0);
    // PyPI has one: it answers, once per run.
    for _ in 0..2 {
        let pypi = selected.versions(Ecosystem::PyPI, "jinja2").await.unwrap();
        assert_eq!(pypi[0].version, "9.9.9");
    }
    assert_eq!(counting.0.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn index_entries_come_from_the_configured_registry_once_per_run() {
    let counting = Counting::default();
    let urls = RegistryUrls::none()
        .with(Ecosystem::CratesIo, "https://index.mirror/")
        .unwrap();
    let selected = SelectedRegistry::new(osv_db(), urls, counting.clone());
    for _ in 0..2 {
        let entries = selected
            .index_entries(Ecosystem::CratesIo, "smallvec")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(entries[0].checksum.as_deref(), Some("ab"));
    }
    assert_eq!(counting.0.load(Ordering::SeqCst), 1);
    // Without a configured registry the OSV data cannot say: the lockfile edit is refused.
    let none = SelectedRegistry::new(osv_db(), RegistryUrls::none(), counting.clone());
    assert_eq!(
        none.index_entries(Ecosystem::CratesIo, "smallvec")
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        OsvRegistry::new(osv_db())
            .index_entries(Ecosystem::CratesIo, "smallvec")
            .await
            .unwrap(),
        None
    );
    // A static registry: a published crate has an entry with no dependencies, and whole index
    // files keep dependencies and yanked flags.
    let line = r#"{"name":"a","vers":"0.2.0","deps":[{"name":"b","req":"^1","features":[],"optional":false,"default_features":true,"target":null,"kind":"build"}],"cksum":"cd","features":{},"yanked":true}"#;
    let reg = StaticRegistry::new()
        .publish(Ecosystem::CratesIo, "a", "0.1.0", &[(None, "ef")])
        .index_file("a", line)
        .unwrap();
    let entries = reg
        .index_entries(Ecosystem::CratesIo, "a")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(entries[0].checksum.as_deref(), Some("ef"));
    assert!(entries[0].dependencies.is_empty());
    assert_eq!(entries[1].dependencies[0].kind, DepKind::Build);
    assert!(reg.versions(Ecosystem::CratesIo, "a").await.unwrap()[1].yanked);
    assert_eq!(reg.index_entries(Ecosystem::Npm, "a").await.unwrap(), None);
}
