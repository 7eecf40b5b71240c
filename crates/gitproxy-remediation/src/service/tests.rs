//! Unit tests of the catalogue service: every operation is routed, and each one ends in exactly
//! one record for the observer with the right outcome, whatever fails.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use gitproxy_egress::{CaSource, EgressConnector, ProxyConfig, TrustConfig};
use gitproxy_test_support::Pki;
use gitproxy_tunnel::{ErrorCode, OpHandler as _};
use url::Url;

use super::{apply_detail, ok, served, OpRecord, OpsObserver, Outcome, Service};
use crate::catalogue::{ApplyResult, CloudConnection, Scan, OPERATIONS};
use crate::engine::EngineOptions;
use crate::policy::{LocalConnection, Token};
use crate::registry::RegistryUrls;
use crate::remediate::RepoOutcome;
use crate::scan::RepoScan;
use crate::ScanOptions;

#[derive(Default)]
struct Records(Mutex<Vec<OpRecord>>);

impl OpsObserver for Records {
    fn finished(&self, record: &OpRecord) {
        self.0.lock().expect("records").push(record.clone());
    }
}

impl Records {
    fn take(&self) -> Vec<OpRecord> {
        std::mem::take(&mut *self.0.lock().expect("records"))
    }
}

fn service(local: LocalConnection, records: &Arc<Records>) -> Arc<Service> {
    let pki = Pki::new("service test ca").expect("ca");
    let trust = TrustConfig::builder()
        .without_platform_roots()
        .add_ca(CaSource::pem("test ca", pki.ca_pem()))
        .build()
        .expect("trust");
    Arc::new(Service {
        local,
        advisories: Arc::new(crate::advisories::AdvisoryStore::unconfigured(
            crate::advisories::StoreOptions::default(),
        )),
        connector: EgressConnector::builder(ProxyConfig::direct(), trust)
            .build()
            .expect("connector"),
        options: EngineOptions::new("gitproxy/", RegistryUrls::default(), ScanOptions::default()),
        observer: records.clone(),
    })
}

fn cloud(url: &str) -> CloudConnection {
    CloudConnection {
        server_url: Some(url.into()),
        username: Some("cloud-user".into()),
        access_token: Some("cloud-token".into()),
        project_key: Some("PRJ".into()),
    }
}

/// Builds the engine of a scan, which fails without OSV data.
async fn scan_engine(s: Arc<Service>, conn: crate::policy::Connection) -> super::Answer<RepoScan> {
    s.engine(&conn, true)?;
    ok(RepoScan::default(), None)
}

#[test]
fn the_router_serves_the_whole_catalogue() {
    let records = Arc::new(Records::default());
    let router = Arc::try_unwrap(service(LocalConnection::default(), &records))
        .expect("one owner")
        .router();
    let served: BTreeSet<String> = router
        .operations()
        .iter()
        .map(|spec| spec.name().to_owned())
        .collect();
    assert_eq!(served, OPERATIONS.iter().map(|n| n.to_string()).collect());
}

#[tokio::test]
async fn missing_details_are_a_bad_request_audited_as_error() {
    let records = Arc::new(Records::default());
    let local = LocalConnection {
        username: Some("local-user".into()),
        project: Some("PRJ".into()),
        ..LocalConnection::default()
    };
    let err = served::<Scan, _, _>(
        service(local, &records),
        None,
        Some("repo".into()),
        scan_engine,
    )
    .await
    .expect_err("no server");
    assert_eq!(err.body().code(), ErrorCode::BadRequest);
    let [record] = records.take().try_into().expect("exactly one record");
    assert_eq!(record.operation, "remediation.scan");
    assert_eq!(record.outcome, Outcome::Error);
    assert_eq!(record.outcome.as_str(), "error");
    // Without a resolved connection the local settings name who and where.
    assert_eq!(record.user.as_deref(), Some("local-user"));
    assert_eq!(record.project.as_deref(), Some("PRJ"));
    assert_eq!(record.repository.as_deref(), Some("repo"));
    assert!(
        record
            .detail
            .as_deref()
            .is_some_and(|d| d.starts_with("no Bitbucket server URL")),
        "{record:?}"
    );
}

#[tokio::test]
async fn a_cloud_sent_http_server_is_denied() {
    let records = Arc::new(Records::default());
    let s = service(LocalConnection::default(), &records);
    let err = served::<Scan, _, _>(s, Some(cloud("http://bitbucket.corp")), None, scan_engine)
        .await
        .expect_err("http from the cloud");
    assert_eq!(err.body().code(), ErrorCode::BadRequest);
    let [record] = records.take().try_into().expect("exactly one record");
    assert_eq!(record.outcome, Outcome::Denied);
    assert_eq!(record.outcome.as_str(), "denied");
}

#[tokio::test]
async fn an_engine_failure_is_upstream_failed_and_names_the_user() {
    let records = Arc::new(Records::default());
    let local = LocalConnection {
        token: Some(Token::new("local-token")),
        ..LocalConnection::default()
    };
    let s = service(local, &records);
    let err = served::<Scan, _, _>(s, Some(cloud("https://bitbucket.corp")), None, scan_engine)
        .await
        .expect_err("no OSV data");
    assert_eq!(err.body().code(), ErrorCode::UpstreamFailed);
    assert!(!err.body().retryable);
    let [record] = records.take().try_into().expect("exactly one record");
    assert_eq!(record.outcome, Outcome::Error);
    assert_eq!(record.user.as_deref(), Some("cloud-user"));
    assert_eq!(record.project.as_deref(), Some("PRJ"));
    let detail = record.detail.unwrap_or_default();
    assert!(detail.contains("no OSV data"), "{detail}");
    assert!(
        !detail.contains("local-token") && !detail.contains("cloud-token"),
        "{detail}"
    );
}

#[test]
fn the_apply_detail_lists_pull_requests_and_problems() {
    let applied = ApplyResult::Applied(vec![RepoOutcome {
        repo: "api".into(),
        opened: vec![3],
        updated: vec![1],
        problems: vec!["package-lock.json: too large".into()],
        ..RepoOutcome::default()
    }]);
    assert_eq!(
        apply_detail(&applied),
        "opened [3], updated [1]; problems: package-lock.json: too large"
    );
    assert_eq!(
        apply_detail(&ApplyResult::Preview(Vec::new())),
        "dry run: 0 remediations planned"
    );
}

#[test]
fn debug_never_shows_the_token() {
    let records = Arc::new(Records::default());
    let local = LocalConnection {
        url: Some(Url::parse("https://bitbucket.corp").expect("url")),
        token: Some(Token::new("s3cr3t")),
        ..LocalConnection::default()
    };
    let text = format!("{:?}", service(local, &records));
    assert!(
        !text.contains("s3cr3t") && text.contains("[redacted]"),
        "{text}"
    );
}
