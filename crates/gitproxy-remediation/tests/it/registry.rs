//! The HTTP registry clients against a local stand-in that serves the real metadata shapes of
//! the npm registry, the crates.io sparse index, the PyPI JSON API, the Go module proxy and a
//! Maven repository.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use gitproxy_remediation::registry::{go_hash1, HttpRegistry, RegistryUrls};
use gitproxy_remediation::registry::{CachedRegistry, DepKind, Registry, ReleaseCache};
use gitproxy_remediation::Ecosystem;
use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;

/// A loopback HTTP server answering fixed paths; counts the requests it served.
pub(crate) struct StandIn {
    pub(crate) addr: SocketAddr,
    pub(crate) hits: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for StandIn {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl StandIn {
    pub(crate) async fn start(routes: BTreeMap<String, Vec<u8>>) -> StandIn {
        StandIn::start_with(|_| routes).await
    }

    /// A stand-in whose routes may name its own address (a registry `config.json`).
    pub(crate) async fn start_with(
        routes: impl FnOnce(SocketAddr) -> BTreeMap<String, Vec<u8>>,
    ) -> StandIn {
        StandIn::serve(routes, None).await
    }

    /// A stand-in that answers a path under `prefix` it has no route for with the file of that
    /// path under `root` (a Maven repository directory, say); `..` is never followed.
    pub(crate) async fn start_with_files(
        routes: BTreeMap<String, Vec<u8>>,
        prefix: &str,
        root: PathBuf,
    ) -> StandIn {
        StandIn::serve(|_| routes, Some((prefix.to_string(), root))).await
    }

    async fn serve(
        routes: impl FnOnce(SocketAddr) -> BTreeMap<String, Vec<u8>>,
        files: Option<(String, PathBuf)>,
    ) -> StandIn {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let hits = Arc::new(AtomicUsize::new(0));
        let routes = Arc::new(routes(addr));
        let files = Arc::new(files);
        let counter = Arc::clone(&hits);
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let routes = Arc::clone(&routes);
                let counter = Arc::clone(&counter);
                let files = Arc::clone(&files);
                tokio::spawn(async move {
                    let service = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                        counter.fetch_add(1, Ordering::SeqCst);
                        let path = req.uri().path();
                        let found = routes.get(path).cloned().or_else(|| {
                            let (prefix, root) = files.as_ref().as_ref()?;
                            let rel = path.strip_prefix(prefix.as_str())?;
                            if rel.split('/').any(|part| part == "..") {
                                return None;
                            }
                            std::fs::read(root.join(rel)).ok()
                        });
                        async move {
                            let response = match found {
                                Some(body) => hyper::Response::new(Full::new(Bytes::from(body))),
                                None => hyper::Response::builder()
                                    .status(404)
                                    .body(Full::new(Bytes::from_static(
                                        b"{\"error\":\"Not found\"}",
                                    )))
                                    .unwrap(),
                            };
                            Ok::<_, Infallible>(response)
                        }
                    });
                    let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        StandIn { addr, hits, task }
    }

    pub(crate) fn urls(&self) -> RegistryUrls {
        let base = format!("http://{}", self.addr);
        RegistryUrls::new(
            &format!("{base}/npm/"),
            &format!("{base}/index/"),
            &format!("{base}/pypi-api/"),
            &format!("{base}/goproxy/"),
            &format!("{base}/maven2/"),
        )
        .unwrap()
    }
}

/// A zip archive of stored members, as the Go module proxy serves module zips.
pub(crate) fn stored_zip(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data) in files {
        let offset = out.len() as u32;
        let mut local = Vec::new();
        local.extend(0x0403_4b50u32.to_le_bytes());
        local.extend([20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        local.extend([0u8; 4]);
        local.extend((data.len() as u32).to_le_bytes());
        local.extend((data.len() as u32).to_le_bytes());
        local.extend((name.len() as u16).to_le_bytes());
        local.extend([0, 0]);
        local.extend(name.as_bytes());
        out.extend(local);
        out.extend(*data);
        central.extend(0x0201_4b50u32.to_le_bytes());
        central.extend([20, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        central.extend([0u8; 4]);
        central.extend((data.len() as u32).to_le_bytes());
        central.extend((data.len() as u32).to_le_bytes());
        central.extend((name.len() as u16).to_le_bytes());
        central.extend([0u8; 12]);
        central.extend(offset.to_le_bytes());
        central.extend(name.as_bytes());
    }
    let cd_offset = out.len() as u32;
    out.extend(&central);
    out.extend(0x0605_4b50u32.to_le_bytes());
    out.extend([0u8; 4]);
    out.extend((files.len() as u16).to_le_bytes());
    out.extend((files.len() as u16).to_le_bytes());
    out.extend((central.len() as u32).to_le_bytes());
    out.extend(cd_offset.to_le_bytes());
    out.extend([0, 0]);
    out
}

pub(crate) const GIN_MOD: &[u8] = b"module github.com/gin-gonic/gin\n\ngo 1.20\n";
pub(crate) const GIN_GO: &[u8] = b"package gin\n";

/// Metadata in the shapes the real registries answer with (trimmed to a few versions).
pub(crate) fn routes() -> BTreeMap<String, Vec<u8>> {
    let mut r = BTreeMap::new();
    r.insert(
        "/npm/lodash".to_string(),
        br#"{"name":"lodash","modified":"2024-01-01T00:00:00.000Z","dist-tags":{"latest":"4.17.21"},
        "versions":{
          "4.17.20":{"name":"lodash","version":"4.17.20","dist":{"integrity":"sha512-lodash-old","shasum":"b44b6fc3a5b9c08e8b2b67a4ce0a2b67d3ff2b67","tarball":"https://registry.npmjs.org/lodash/-/lodash-4.17.20.tgz"}},
          "4.17.21":{"name":"lodash","version":"4.17.21","dist":{"integrity":"sha512-lodash-new","shasum":"679591c564c3bffaae8454cf0b3df370c3d6911c","tarball":"https://registry.npmjs.org/lodash/-/lodash-4.17.21.tgz"}}}}"#
            .to_vec(),
    );
    r.insert(
        "/npm/qs".to_string(),
        br#"{"name":"qs","dist-tags":{"latest":"6.11.0"},"versions":{
          "6.7.0":{"name":"qs","version":"6.7.0","dist":{"integrity":"sha512-qs-old"}},
          "6.7.2":{"name":"qs","version":"6.7.2","deprecated":"please upgrade","dist":{"integrity":"sha512-qs-672"}},
          "6.7.3":{"name":"qs","version":"6.7.3","dist":{"integrity":"sha512-qs-new"}},
          "6.11.0":{"name":"qs","version":"6.11.0","dist":{"integrity":"sha512-qs-611"}}}}"#
            .to_vec(),
    );
    r.insert(
        "/npm/@babel%2fcore".to_string(),
        br#"{"name":"@babel/core","versions":{"7.0.0":{"name":"@babel/core","version":"7.0.0","dist":{"shasum":"0102030405060708090a0b0c0d0e0f1011121314"}}}}"#.to_vec(),
    );
    r.insert(
        "/index/sm/al/smallvec".to_string(),
        concat!(
            r#"{"name":"smallvec","vers":"1.6.0","deps":[{"name":"serde","req":"^1","features":["derive"],"optional":true,"default_features":false,"target":null,"kind":"normal"},{"name":"bc","package":"bincode","req":"^1.3","features":[],"optional":false,"default_features":true,"target":"cfg(unix)","kind":"dev"}],"cksum":"fe0f37c9e8f3c5a4a66ad655a93c74daac4ad00c441533bf5c6e7990bb42604e","features":{"union":[]},"yanked":false}"#,
            "\n",
            r#"{"name":"smallvec","vers":"1.6.1","deps":[],"cksum":"fe0f37c9e8f3c5a4a66ad655a93c74daac4ad00c441533bf5c6e7990bb42604f","features":{"union":[]},"yanked":false}"#,
            "\n",
            r#"{"name":"smallvec","vers":"1.6.2","deps":[],"cksum":"00","features":{},"yanked":true,"v":2,"features2":{"serde":["dep:serde"]}}"#,
            "\n"
        )
        .as_bytes()
        .to_vec(),
    );
    r.insert(
        "/pypi-api/pypi/requests/json".to_string(),
        br#"{"info":{"name":"requests","version":"2.31.0"},"last_serial":1,
        "releases":{
          "2.25.1":[{"filename":"requests-2.25.1-py2.py3-none-any.whl","digests":{"md5":"x","sha256":"aaa"},"yanked":false}],
          "2.31.0":[{"filename":"requests-2.31.0-py3-none-any.whl","digests":{"blake2b_256":"y","md5":"x","sha256":"58cd"},"yanked":false,"yanked_reason":null},
                    {"filename":"requests-2.31.0.tar.gz","digests":{"sha256":"942c"},"yanked":false}],
          "2.32.0":[{"filename":"requests-2.32.0.tar.gz","digests":{"sha256":"bbb"},"yanked":true,"yanked_reason":"conflict"}]},
        "urls":[],"vulnerabilities":[]}"#
            .to_vec(),
    );
    r.insert(
        "/pypi-api/pypi/urllib3/json".to_string(),
        br#"{"info":{"name":"urllib3"},"releases":{
          "1.26.4":[{"filename":"urllib3-1.26.4.tar.gz","digests":{"sha256":"old"},"yanked":false}],
          "1.26.5":[{"filename":"urllib3-1.26.5.tar.gz","digests":{"sha256":"a5"},"yanked":false}],
          "1.26.17":[{"filename":"urllib3-1.26.17.tar.gz","digests":{"sha256":"b17"},"yanked":false}],
          "1.26.18":[{"filename":"urllib3-1.26.18.tar.gz","digests":{"sha256":"new"},"yanked":false}],
          "2.0.7":[{"filename":"urllib3-2.0.7.tar.gz","digests":{"sha256":"c27"},"yanked":false}]}}"#
            .to_vec(),
    );
    // The per-release JSON Poetry entries take their dependencies from (trimmed real answer).
    r.insert(
        "/pypi-api/pypi/urllib3/1.26.18/json".to_string(),
        br#"{"info":{"name":"urllib3","version":"1.26.18",
        "summary":"HTTP library with thread-safe connection pooling, file post, and more.",
        "requires_dist":["PySocks !=1.5.7,<2.0,>=1.5.6 ; extra == 'socks'"],
        "requires_python":">=2.7, !=3.0.*, !=3.1.*, !=3.2.*, !=3.3.*, !=3.4.*, !=3.5.*","yanked":false},
        "urls":[]}"#
            .to_vec(),
    );
    r.insert(
        "/goproxy/github.com/gin-gonic/gin/@v/list".to_string(),
        b"v1.7.7\nv1.9.1\n".to_vec(),
    );
    r.insert(
        "/goproxy/github.com/gin-gonic/gin/@v/v1.9.1.mod".to_string(),
        GIN_MOD.to_vec(),
    );
    r.insert(
        "/goproxy/github.com/gin-gonic/gin/@v/v1.9.1.zip".to_string(),
        stored_zip(&[
            ("github.com/gin-gonic/gin@v1.9.1/go.mod", GIN_MOD),
            ("github.com/gin-gonic/gin@v1.9.1/gin.go", GIN_GO),
        ]),
    );
    r.insert(
        "/goproxy/github.com/!burnt!sushi/toml/@v/list".to_string(),
        b"v1.3.2\n".to_vec(),
    );
    // log4j-core's POM with its one non-optional dependency (the published one also inherits
    // from `org.apache.logging.log4j:log4j` and lists optional and test modules); log4j-api's
    // has none.
    for v in ["2.14.1", "2.17.1"] {
        r.insert(
            format!("/maven2/org/apache/logging/log4j/log4j-core/{v}/log4j-core-{v}.pom"),
            format!("<project>\n  <modelVersion>4.0.0</modelVersion>\n  <groupId>org.apache.logging.log4j</groupId>\n  <artifactId>log4j-core</artifactId>\n  <version>{v}</version>\n  <dependencies>\n    <dependency>\n      <groupId>org.apache.logging.log4j</groupId>\n      <artifactId>log4j-api</artifactId>\n      <version>{v}</version>\n    </dependency>\n    <dependency>\n      <groupId>com.fasterxml.jackson.core</groupId>\n      <artifactId>jackson-databind</artifactId>\n      <version>2.12.4</version>\n      <optional>true</optional>\n    </dependency>\n  </dependencies>\n</project>\n").into_bytes(),
        );
        r.insert(
            format!("/maven2/org/apache/logging/log4j/log4j-api/{v}/log4j-api-{v}.pom"),
            format!("<project>\n  <modelVersion>4.0.0</modelVersion>\n  <groupId>org.apache.logging.log4j</groupId>\n  <artifactId>log4j-api</artifactId>\n  <version>{v}</version>\n</project>\n").into_bytes(),
        );
    }
    r.insert(
        "/maven2/org/apache/logging/log4j/log4j-core/maven-metadata.xml".to_string(),
        br#"<?xml version="1.0" encoding="UTF-8"?>
<metadata>
  <groupId>org.apache.logging.log4j</groupId>
  <artifactId>log4j-core</artifactId>
  <versioning>
    <latest>2.17.1</latest>
    <release>2.17.1</release>
    <versions>
      <version>2.14.1</version>
      <version>2.15.0</version>
      <version>2.17.1</version>
    </versions>
    <lastUpdated>20211228000000</lastUpdated>
  </versioning>
</metadata>
"#
        .to_vec(),
    );
    r
}

fn versions(list: Vec<gitproxy_remediation::registry::RegistryVersion>) -> Vec<(String, bool)> {
    list.into_iter().map(|v| (v.version, v.yanked)).collect()
}

#[tokio::test]
async fn every_registry_reads_its_real_metadata_shape() {
    let stand_in = StandIn::start(routes()).await;
    let reg = HttpRegistry::new(HttpConnector::new(), stand_in.urls());

    // npm: integrity from the packument; deprecated releases are never proposed.
    assert_eq!(
        versions(reg.versions(Ecosystem::Npm, "qs").await.unwrap()),
        [
            ("6.11.0".into(), false),
            ("6.7.0".into(), false),
            ("6.7.2".into(), true),
            ("6.7.3".into(), false)
        ]
    );
    let d = reg
        .digests(Ecosystem::Npm, "lodash", "4.17.21")
        .await
        .unwrap();
    assert_eq!(d[0].value, "sha512-lodash-new");
    let d = reg
        .digests(Ecosystem::Npm, "@babel/core", "7.0.0")
        .await
        .unwrap();
    assert_eq!(
        d[0].value, "sha1-AQIDBAUGBwgJCgsMDQ4PEBESExQ=",
        "old packages: SHA-1 shasum as SRI"
    );
    assert!(reg
        .versions(Ecosystem::Npm, "no-such-package")
        .await
        .unwrap()
        .is_empty());

    // crates.io sparse index: checksum and yanked flag per line.
    assert_eq!(
        versions(reg.versions(Ecosystem::CratesIo, "smallvec").await.unwrap()),
        [
            ("1.6.0".into(), false),
            ("1.6.1".into(), false),
            ("1.6.2".into(), true)
        ]
    );
    let d = reg
        .digests(Ecosystem::CratesIo, "smallvec", "1.6.1")
        .await
        .unwrap();
    assert_eq!(
        d[0].value,
        "fe0f37c9e8f3c5a4a66ad655a93c74daac4ad00c441533bf5c6e7990bb42604f"
    );
    // The same lines carry each version's dependencies and features (`features2` merged).
    let entries = reg
        .index_entries(Ecosystem::CratesIo, "smallvec")
        .await
        .unwrap()
        .expect("a configured crates.io index answers");
    assert_eq!(entries.len(), 3);
    let deps = &entries[0].dependencies;
    assert_eq!(
        (
            deps[0].name.as_str(),
            deps[0].req.as_str(),
            deps[0].optional
        ),
        ("serde", "^1", true)
    );
    assert_eq!(deps[0].features, ["derive"]);
    assert!(!deps[0].default_features);
    assert_eq!(deps[0].kind, DepKind::Normal);
    assert_eq!(deps[1].package_name(), "bincode");
    assert_eq!(
        (deps[1].kind, deps[1].target.as_deref()),
        (DepKind::Dev, Some("cfg(unix)"))
    );
    assert!(entries[2].yanked);
    assert_eq!(entries[2].features["serde"], ["dep:serde"]);
    assert_eq!(
        entries[1].checksum.as_deref(),
        Some("fe0f37c9e8f3c5a4a66ad655a93c74daac4ad00c441533bf5c6e7990bb42604f")
    );
    // Other ecosystems' metadata is not read this way.
    assert_eq!(
        reg.index_entries(Ecosystem::Npm, "lodash").await.unwrap(),
        None
    );

    // PyPI JSON API: one sha256 per file; a release whose files are all yanked is yanked.
    assert_eq!(
        versions(reg.versions(Ecosystem::PyPI, "Requests").await.unwrap()),
        [
            ("2.25.1".into(), false),
            ("2.31.0".into(), false),
            ("2.32.0".into(), true)
        ]
    );
    let d = reg
        .digests(Ecosystem::PyPI, "requests", "2.31.0")
        .await
        .unwrap();
    let d: Vec<(Option<&str>, &str)> = d
        .iter()
        .map(|d| (d.artifact.as_deref(), d.value.as_str()))
        .collect();
    assert_eq!(
        d,
        [
            (Some("requests-2.31.0-py3-none-any.whl"), "sha256:58cd"),
            (Some("requests-2.31.0.tar.gz"), "sha256:942c")
        ]
    );

    // Go module proxy: the version list, and go.sum hashes computed from the .mod and .zip.
    assert_eq!(
        versions(
            reg.versions(Ecosystem::Go, "github.com/gin-gonic/gin")
                .await
                .unwrap()
        ),
        [("v1.7.7".into(), false), ("v1.9.1".into(), false)]
    );
    assert_eq!(
        reg.versions(Ecosystem::Go, "github.com/BurntSushi/toml")
            .await
            .unwrap()
            .len(),
        1,
        "case-encoded paths"
    );
    let d = reg
        .digests(Ecosystem::Go, "github.com/gin-gonic/gin", "v1.9.1")
        .await
        .unwrap();
    let zip_hash = go_hash1(&mut [
        (
            "github.com/gin-gonic/gin@v1.9.1/gin.go".into(),
            GIN_GO.to_vec(),
        ),
        (
            "github.com/gin-gonic/gin@v1.9.1/go.mod".into(),
            GIN_MOD.to_vec(),
        ),
    ])
    .unwrap();
    let mod_hash = go_hash1(&mut [("go.mod".into(), GIN_MOD.to_vec())]).unwrap();
    assert_eq!(d[0].artifact, None);
    assert_eq!(d[0].value, zip_hash);
    assert_eq!(d[1].artifact.as_deref(), Some("go.mod"));
    assert_eq!(d[1].value, mod_hash);

    // Maven repository metadata.
    assert_eq!(
        versions(
            reg.versions(Ecosystem::Maven, "org.apache.logging.log4j:log4j-core")
                .await
                .unwrap()
        ),
        [
            ("2.14.1".into(), false),
            ("2.15.0".into(), false),
            ("2.17.1".into(), false)
        ]
    );
}

#[tokio::test]
async fn lookups_are_cached_per_run_and_failures_are_explained() {
    let stand_in = StandIn::start(routes()).await;
    let cached = CachedRegistry::new(HttpRegistry::new(HttpConnector::new(), stand_in.urls()));
    for _ in 0..3 {
        assert_eq!(
            cached
                .versions(Ecosystem::CratesIo, "smallvec")
                .await
                .unwrap()
                .len(),
            3
        );
    }
    assert_eq!(stand_in.hits.load(Ordering::SeqCst), 1);

    // The observer hears of every request sent, with its status, and of none answered from the
    // per-run cache.
    type Seen = std::sync::Mutex<Vec<(Ecosystem, Option<u16>)>>;
    let seen: Arc<Seen> = Arc::default();
    let log = Arc::clone(&seen);
    let observed = HttpRegistry::new(HttpConnector::new(), stand_in.urls()).on_response(Arc::new(
        move |ecosystem, status| {
            log.lock()
                .unwrap()
                .push((ecosystem, status.map(|s| s.as_u16())));
        },
    ));
    observed
        .versions(Ecosystem::CratesIo, "smallvec")
        .await
        .unwrap();
    observed
        .digests(Ecosystem::CratesIo, "smallvec", "1.6.1")
        .await
        .unwrap();
    // The index entries come from the same fetch.
    assert!(observed
        .index_entries(Ecosystem::CratesIo, "smallvec")
        .await
        .unwrap()
        .is_some_and(|e| e.len() == 3));
    assert!(observed
        .versions(Ecosystem::Npm, "no-such-package")
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        *seen.lock().unwrap(),
        vec![
            (Ecosystem::CratesIo, Some(200)),
            (Ecosystem::Npm, Some(404))
        ]
    );

    // A registry that does not answer: the error says which package and what failed.
    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = closed.local_addr().unwrap();
    drop(closed);
    let base = format!("http://{addr}/");
    let urls = RegistryUrls::new(&base, &base, &base, &base, &base).unwrap();
    let err = HttpRegistry::new(HttpConnector::new(), urls)
        .versions(Ecosystem::Npm, "lodash")
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("registry lookup for npm package `lodash` failed: GET http://127.0.0.1"),
        "{err}"
    );
}

/// RubyGems (`api/v1/versions/NAME.json` and the compact index `info/NAME`, with a platform
/// build) and a Composer repository (minified composer 2 metadata, where a later version lists
/// only what changed and `__unset` removes a key), as those servers publish them.
#[tokio::test]
async fn rubygems_and_composer_repositories_read_their_published_shapes() {
    use gitproxy_remediation::registry::{ComposerSource, GemBuild};
    let routes: BTreeMap<String, Vec<u8>> = [
        (
            "/api/v1/versions/nokogiri.json",
            r#"[{"number":"1.13.10","platform":"x86_64-linux","prerelease":false,"sha":"aa11"},
                {"number":"1.13.10","platform":"ruby","prerelease":false,"sha":"bb22"},
                {"number":"1.13.9","platform":"ruby","prerelease":false,"sha":"cc33"}]"#,
        ),
        (
            "/info/nokogiri",
            "---\n1.13.9 mini_portile2:~> 2.8.0,racc:~> 1.4|checksum:cc33,ruby:>= 2.6.0\n1.13.10 mini_portile2:~> 2.8.0,racc:~> 1.4|checksum:bb22,ruby:>= 2.6.0\n1.13.10-x86_64-linux racc:~> 1.4|checksum:aa11,ruby:>= 2.6&< 3.2.dev\n",
        ),
        (
            "/p2/monolog/monolog.json",
            r#"{"packages":{"monolog/monolog":[
                {"name":"monolog/monolog","version":"2.9.1","require":{"php":">=7.2","psr/log":"^1.0.1 || ^2.0 || ^3.0"},"provide":{"psr/log-implementation":"1.0.0 || 2.0.0 || 3.0.0"},"autoload":{"psr-4":{"Monolog\\":"src/Monolog"}},"dist":{"type":"zip","url":"https://api.github.com/repos/Seldaek/monolog/zipball/f259","reference":"f259","shasum":""},"time":"2023-02-06T13:44:46+00:00"},
                {"version":"2.9.0","require":{"php":">=7.2","psr/log":"^1.0.1 || ^2.0 || ^3.0","ext-json":"*"},"provide":"__unset","dist":{"type":"zip","url":"https://api.github.com/repos/Seldaek/monolog/zipball/e1c0","reference":"e1c0","shasum":""}},
                {"version":"2.8.0","time":"2022-07-24T11:55:47+00:00"}
            ]},"minified":"composer/2.0"}"#,
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.as_bytes().to_vec()))
    .collect();
    let stand_in = StandIn::start(routes).await;
    let base = format!("http://{}/", stand_in.addr);
    let urls = RegistryUrls::none()
        .with(Ecosystem::RubyGems, &base)
        .unwrap()
        .with(Ecosystem::Packagist, &base)
        .unwrap();
    let reg = HttpRegistry::new(HttpConnector::new(), urls);

    assert_eq!(
        versions(reg.versions(Ecosystem::RubyGems, "nokogiri").await.unwrap()),
        [("1.13.10".into(), false), ("1.13.9".into(), false)]
    );
    let builds = reg
        .gem_release("nokogiri", "1.13.10")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        builds,
        [
            GemBuild {
                platform: "x86_64-linux".into(),
                sha256: Some("aa11".into()),
                dependencies: vec![("racc".into(), "~> 1.4".into())],
            },
            GemBuild {
                platform: "ruby".into(),
                sha256: Some("bb22".into()),
                dependencies: vec![
                    ("mini_portile2".into(), "~> 2.8.0".into()),
                    ("racc".into(), "~> 1.4".into())
                ],
            },
        ]
    );
    assert_eq!(reg.gem_release("nokogiri", "9.9.9").await.unwrap(), None);
    // 404: no such gem.
    assert!(reg
        .versions(Ecosystem::RubyGems, "no-such-gem")
        .await
        .unwrap()
        .is_empty());
    assert_eq!(reg.gem_release("no-such-gem", "1.0").await.unwrap(), None);

    assert_eq!(
        versions(
            reg.versions(Ecosystem::Packagist, "Monolog/Monolog")
                .await
                .unwrap()
        ),
        [
            ("2.9.1".into(), false),
            ("2.9.0".into(), false),
            ("2.8.0".into(), false)
        ]
    );
    let older = reg
        .composer_release("monolog/monolog", "2.9.0")
        .await
        .unwrap()
        .unwrap();
    // Inherited from 2.9.1: autoload and time; replaced: require and dist; unset: provide.
    assert_eq!(
        older.links,
        [
            (
                "require".to_string(),
                "ext-json".to_string(),
                "*".to_string()
            ),
            ("require".into(), "php".into(), ">=7.2".into()),
            (
                "require".into(),
                "psr/log".into(),
                "^1.0.1 || ^2.0 || ^3.0".into()
            ),
        ]
    );
    assert_eq!(
        older.autoload.as_deref(),
        Some(r#"{"psr-4":{"Monolog\\":"src/Monolog"}}"#)
    );
    assert_eq!(older.time.as_deref(), Some("2023-02-06T13:44:46+00:00"));
    assert_eq!(
        older.dist,
        Some(ComposerSource {
            kind: "zip".into(),
            url: "https://api.github.com/repos/Seldaek/monolog/zipball/e1c0".into(),
            reference: Some("e1c0".into()),
            shasum: Some(String::new()),
        })
    );
    let newer = reg
        .composer_release("monolog/monolog", "v2.9.1")
        .await
        .unwrap()
        .unwrap();
    assert!(newer.links.iter().any(|l| l.0 == "provide"), "{newer:?}");
    // Inheritance chains through the expanded item before: 2.8.0 lists only its time, so it has
    // 2.9.0's require and dist, 2.9.1's autoload, and no provide (unset by 2.9.0).
    let oldest = reg
        .composer_release("monolog/monolog", "2.8.0")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(oldest.links, older.links);
    assert_eq!(oldest.dist, older.dist);
    assert_eq!(oldest.autoload, older.autoload);
    assert_eq!(oldest.time.as_deref(), Some("2022-07-24T11:55:47+00:00"));
    assert_eq!(
        reg.composer_release("monolog/monolog", "2.7.0")
            .await
            .unwrap(),
        None
    );
    assert!(reg
        .versions(Ecosystem::Packagist, "acme/missing")
        .await
        .unwrap()
        .is_empty());
    // Names that would change the request path are never sent.
    assert!(reg
        .versions(Ecosystem::Packagist, "../../etc/passwd")
        .await
        .unwrap()
        .is_empty());
}

/// The POM of a released Maven version never changes, so runs that share a [`ReleaseCache`] ask
/// for it once; a snapshot, a version the registry does not have and a page that is no POM are
/// asked again each run, and the cache tells one registry's answers from another's.
#[tokio::test]
async fn released_poms_are_kept_across_runs_snapshots_misses_and_pages_are_asked_again() {
    const SNAPSHOT: &str = "2.18.0-SNAPSHOT";
    let mut r = routes();
    r.insert(
        format!("/maven2/org/apache/logging/log4j/log4j-core/{SNAPSHOT}/log4j-core-{SNAPSHOT}.pom"),
        b"<project><version>2.18.0-SNAPSHOT</version></project>\n".to_vec(),
    );
    // A repository manager's login page sent with status 200 where a release's POM should be.
    r.insert(
        "/maven2/org/apache/logging/log4j/log4j-core/2.16.0/log4j-core-2.16.0.pom".to_string(),
        b"<!DOCTYPE html><html><body>Sign in</body></html>".to_vec(),
    );
    let stand_in = StandIn::start(r).await;
    let cache = ReleaseCache::default();
    let sent = Arc::new(AtomicUsize::new(0));
    let run = |urls: RegistryUrls| {
        let sent = Arc::clone(&sent);
        HttpRegistry::new(HttpConnector::new(), urls)
            .with_release_cache(cache.clone())
            .on_response(Arc::new(move |_, _| {
                sent.fetch_add(1, Ordering::SeqCst);
            }))
    };
    let core = "org.apache.logging.log4j:log4j-core";
    let ask = |registry: HttpRegistry<HttpConnector>| async move {
        (
            registry.maven_pom(core, "2.17.1").await.unwrap(),
            registry.maven_pom(core, SNAPSHOT).await.unwrap(),
            registry.maven_pom(core, "9.9.9").await.unwrap(),
            registry.maven_pom(core, "2.16.0").await.unwrap(),
        )
    };

    let first = ask(run(stand_in.urls())).await;
    assert!(first
        .0
        .as_deref()
        .is_some_and(|p| p.contains("<version>2.17.1</version>")));
    assert!(first.1.is_some() && first.2.is_none(), "{first:?}");
    assert!(first.3.as_deref().is_some_and(|p| p.contains("Sign in")));
    assert_eq!(stand_in.hits.load(Ordering::SeqCst), 4);
    assert_eq!((cache.len(), sent.load(Ordering::SeqCst)), (1, 4));

    // The next run: the release from the cache (no request, nothing for the metrics); the
    // snapshot, the miss and the page asked again.
    let second = ask(run(stand_in.urls())).await;
    assert_eq!(second, first);
    assert_eq!(stand_in.hits.load(Ordering::SeqCst), 7);
    assert_eq!(sent.load(Ordering::SeqCst), 7);

    // Another registry's answer is its own.
    let other = StandIn::start(routes()).await;
    let third = ask(run(other.urls())).await;
    assert_eq!(third.0, first.0);
    assert_eq!(other.hits.load(Ordering::SeqCst), 4);
    assert_eq!(cache.len(), 2);

    // A registry without the cache keeps nothing past its run.
    let alone = HttpRegistry::new(HttpConnector::new(), stand_in.urls());
    alone.maven_pom(core, "2.17.1").await.unwrap();
    assert_eq!(stand_in.hits.load(Ordering::SeqCst), 8);
}
