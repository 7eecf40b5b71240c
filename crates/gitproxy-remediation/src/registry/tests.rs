//! Unit tests for registry paths and hashes (the HTTP clients are tested against a local
//! stand-in in `tests/it/registry.rs`).

use super::*;

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
        urls.npm.as_ref().map(Url::as_str),
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
    assert_eq!(public.configured().count(), 5);
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
