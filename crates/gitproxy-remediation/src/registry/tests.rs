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
    assert_eq!(urls.npm.as_str(), "http://127.0.0.1:1/npm/");
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
