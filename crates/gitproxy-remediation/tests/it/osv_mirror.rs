//! The OSV mirror against a loopback HTTP server serving the real crates.io export: an `all.zip`
//! already applied is asked for conditionally and not applied again, whether the server answers
//! `304 Not Modified` or sends the same bytes again, and a changed archive is applied.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use bytes::Bytes;
use gitproxy_remediation::advisories::{AdvisoryStore, OsvExport, OsvMirror, StoreOptions};
use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;

use crate::shared;

/// What the server serves as `/osv/crates.io/all.zip` and what it saw.
#[derive(Default)]
struct Served {
    archive: Bytes,
    /// The archive's `ETag`; `None`: the server sends no validators and ignores conditions.
    etag: Option<String>,
    /// `If-None-Match` of each request for the archive (`None`: unconditional).
    asked: Vec<Option<String>>,
    /// Archives sent whole.
    sent: usize,
}

async fn serve(state: Arc<Mutex<Served>>) -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let state = Arc::clone(&state);
            tokio::spawn(async move {
                let service = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                    let mut s = state.lock().unwrap();
                    let response = if req.uri().path() != "/osv/crates.io/all.zip" {
                        hyper::Response::builder()
                            .status(404)
                            .body(Full::new(Bytes::new()))
                    } else {
                        let condition = req
                            .headers()
                            .get(http::header::IF_NONE_MATCH)
                            .map(|v| v.to_str().unwrap().to_owned());
                        s.asked.push(condition.clone());
                        match &s.etag {
                            Some(etag) if condition.as_ref() == Some(etag) => {
                                hyper::Response::builder()
                                    .status(304)
                                    .body(Full::new(Bytes::new()))
                            }
                            etag => {
                                let mut res = hyper::Response::builder();
                                if let Some(etag) = etag {
                                    res = res.header(http::header::ETAG, etag);
                                }
                                s.sent += 1;
                                res.body(Full::new(s.archive.clone()))
                            }
                        }
                    };
                    async move { Ok::<_, Infallible>(response.unwrap()) }
                });
                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (addr, task)
}

fn shared_crates_archive() -> Bytes {
    Bytes::from(std::fs::read(shared().join("osv/crates.io/all.zip")).unwrap())
}

/// An export of one crates.io record, newer than the shared data.
fn newer_archive() -> Bytes {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("crates.io")).unwrap();
    std::fs::write(
        dir.path().join("crates.io/RUSTSEC-2099-0001.json"),
        r#"{"id": "RUSTSEC-2099-0001", "modified": "2099-01-01T00:00:00Z", "affected": [{"package": {"ecosystem": "crates.io", "name": "demo"},
            "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.0.0"}]}]}]}"#,
    )
    .unwrap();
    let full = OsvExport::new(dir.path()).full("crates.io").unwrap();
    Bytes::from(
        base64::engine::general_purpose::STANDARD
            .decode(full.archive.unwrap())
            .unwrap(),
    )
}

async fn round(mirror: &OsvMirror<HttpConnector>, store: &Arc<AdvisoryStore>) -> String {
    let mut rounds = mirror.poll(store, &["crates.io"]).await;
    rounds.remove(0).result.unwrap().unwrap()
}

#[tokio::test]
async fn an_archive_already_applied_is_asked_for_conditionally_and_not_applied_again() {
    let state = Arc::new(Mutex::new(Served {
        archive: shared_crates_archive(),
        etag: Some("\"v1\"".into()),
        ..Served::default()
    }));
    let (addr, task) = serve(Arc::clone(&state)).await;
    let store = Arc::new(AdvisoryStore::unconfigured(StoreOptions::default()));
    let mirror = OsvMirror::new(
        HttpConnector::new(),
        url::Url::parse(&format!("http://{addr}/osv")).unwrap(),
    );
    let first = round(&mirror, &store).await;
    let applied = store.snapshot();
    assert!(applied.len() > 1_000, "{}", applied.len());
    // The mirror has no modified_id.csv, so each round falls back to all.zip: unchanged, it is
    // not sent again and the data is not swapped.
    assert_eq!(round(&mirror, &store).await, first);
    assert!(Arc::ptr_eq(&applied, &store.snapshot()));
    {
        let s = state.lock().unwrap();
        assert_eq!(s.asked, [None, Some("\"v1\"".to_owned())]);
        assert_eq!(s.sent, 1);
    }
    // The mirror moves on: the conditional request gets the new archive, which is applied.
    {
        let mut s = state.lock().unwrap();
        s.archive = newer_archive();
        s.etag = Some("\"v2\"".into());
    }
    assert_eq!(round(&mirror, &store).await, "2099-01-01T00:00:00Z");
    assert_eq!(store.snapshot().len(), 1);
    assert_eq!(state.lock().unwrap().sent, 2);
    task.abort();
}

#[tokio::test]
async fn the_same_archive_sent_again_by_a_server_without_validators_is_not_applied_again() {
    let state = Arc::new(Mutex::new(Served {
        archive: shared_crates_archive(),
        ..Served::default()
    }));
    let (addr, task) = serve(Arc::clone(&state)).await;
    let store = Arc::new(AdvisoryStore::unconfigured(StoreOptions::default()));
    let mirror = OsvMirror::new(
        HttpConnector::new(),
        url::Url::parse(&format!("http://{addr}/osv/")).unwrap(),
    );
    let first = round(&mirror, &store).await;
    let applied = store.snapshot();
    assert_eq!(round(&mirror, &store).await, first);
    assert!(
        Arc::ptr_eq(&applied, &store.snapshot()),
        "the same bytes must not be applied again"
    );
    assert_eq!(state.lock().unwrap().sent, 2);
    // Another store (after a restart without a store directory, say) has no data: it applies it.
    let fresh = Arc::new(AdvisoryStore::unconfigured(StoreOptions::default()));
    assert_eq!(round(&mirror, &fresh).await, first);
    assert_eq!(fresh.snapshot().len(), applied.len());
    task.abort();
}
