//! The engine as the agent builds it (policy-checked host over the egress connector, response
//! observers) running project-wide scans and fixes against the Bitbucket simulator.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use bitbucket_dc_sim::{Permission, ProjectSeed, RepoSeed, Simulator, UserSeed};
use gitproxy_egress::{CaSource, EgressConnector, ProxyConfig, TrustConfig};
use gitproxy_remediation::advisories::AdvisoryDb;
use gitproxy_remediation::catalogue::ApplyResult;
use gitproxy_remediation::engine::{Engine, EngineOptions};
use gitproxy_remediation::osv::Record;
use gitproxy_remediation::policy::{Connection, Token};
use gitproxy_remediation::registry::RegistryUrls;
use gitproxy_remediation::ScanOptions;
use gitproxy_test_support::Pki;
use url::Url;

const LODASH: &str = r#"{"id": "GHSA-35jh-r3h4-6jhm", "summary": "Command Injection in lodash",
  "affected": [{"package": {"ecosystem": "npm", "name": "lodash"},
    "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "4.17.21"}]}]}]}"#;

const PACKAGE: &str =
    "{\n  \"name\": \"web\",\n  \"dependencies\": {\n    \"lodash\": \"4.17.20\"\n  }\n}\n";

fn connector() -> EgressConnector {
    let pki = Pki::new("engine test ca").expect("ca");
    let trust = TrustConfig::builder()
        .without_platform_roots()
        .add_ca(CaSource::pem("test ca", pki.ca_pem()))
        .build()
        .expect("trust");
    EgressConnector::builder(ProxyConfig::direct(), trust)
        .build()
        .expect("connector")
}

/// The connection of user `bot` (token `bot-token`) to project `SEC` of `sim`.
fn bot_in_sec(sim: &Simulator) -> Connection {
    Connection {
        url: Url::parse(sim.base_url().as_str()).expect("url"),
        username: "bot".into(),
        token: Token::new("bot-token"),
        project: "SEC".into(),
    }
}

#[tokio::test]
async fn the_engine_scans_and_fixes_every_repository_of_the_project() {
    let sim = Simulator::builder()
        .user(UserSeed::new("bot").token("bot-token"))
        .project(ProjectSeed::new("SEC"))
        .repo(RepoSeed::new("SEC", "docs").file("README.md", "docs\n"))
        .repo(RepoSeed::new("SEC", "web").file("package.json", PACKAGE))
        .grant_project("bot", "SEC", Permission::ProjectWrite)
        .start()
        .await
        .expect("the simulator starts");
    let mut db = AdvisoryDb::new();
    db.insert(Record::from_json("engine", LODASH.as_bytes()).expect("record"));
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = calls.clone();
    let mut options = EngineOptions::new("acme/", RegistryUrls::default(), ScanOptions::default());
    options.on_bitbucket_response = Some(Arc::new(move |_method, _status| {
        counted.fetch_add(1, Ordering::SeqCst);
    }));
    let conn = bot_in_sec(&sim);
    let engine = Engine::new(&conn, connector(), Arc::new(db), &options).expect("engine");
    assert_eq!(engine.project(), "SEC");

    let steps = Mutex::new(Vec::new());
    let record = |step: gitproxy_remediation::engine::Step<'_>| {
        steps
            .lock()
            .expect("steps")
            .push((step.index, step.total, step.repository.to_owned()));
    };
    let scans = engine.scan_project(record).await.expect("scan");
    let expected = vec![(0, 2, "docs".to_owned()), (1, 2, "web".to_owned())];
    assert_eq!(std::mem::take(&mut *steps.lock().expect("steps")), expected);
    let web = scans.iter().find(|s| s.repository == "web").expect("web");
    assert_eq!(web.findings.len(), 1, "{web:?}");
    assert_eq!(web.findings[0].package, "lodash");

    // A dry run plans and writes nothing; no outcome is reported.
    let mut fixed = Vec::new();
    let preview = engine
        .fix_project(true, record, |o| fixed.push(o.repo.clone()))
        .await
        .expect("dry run");
    let ApplyResult::Preview(planned) = preview else {
        panic!("a dry run previews: {preview:?}");
    };
    assert_eq!(planned.len(), 1);
    assert!(fixed.is_empty());
    assert_eq!(std::mem::take(&mut *steps.lock().expect("steps")), expected);

    // A real run opens the pull request under the configured prefix and reports each outcome.
    let applied = engine
        .fix_project(false, record, |o| fixed.push(o.repo.clone()))
        .await
        .expect("fix");
    let ApplyResult::Applied(outcomes) = applied else {
        panic!("a run applies: {applied:?}");
    };
    assert_eq!(fixed, ["docs", "web"]);
    let web = outcomes.iter().find(|o| o.repo == "web").expect("web");
    assert_eq!(web.opened.len(), 1, "{web:?}");
    let status = engine.remediator().status("SEC").await.expect("status");
    assert!(
        status
            .remediations
            .iter()
            .all(|r| r.branch.starts_with("acme/security/")),
        "{status:?}"
    );
    assert!(
        calls.load(Ordering::SeqCst) > 0,
        "no Bitbucket call observed"
    );
}

const LOG4SHELL: &str = r#"{"id": "GHSA-jfh8-c2jp-5v3q", "summary": "Remote code injection in Log4j",
  "affected": [{"package": {"ecosystem": "Maven", "name": "org.apache.logging.log4j:log4j-core"},
    "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "2.13.0"}, {"fixed": "2.15.0"}]}]}]}"#;

const LEDGER_POM: &str = "<project>\n  <modelVersion>4.0.0</modelVersion>\n  <groupId>com.example</groupId>\n  <artifactId>ledger</artifactId>\n  <version>1.0.0</version>\n  <dependencies>\n    <dependency>\n      <groupId>org.apache.logging.log4j</groupId>\n      <artifactId>log4j-core</artifactId>\n      <version>2.14.1</version>\n    </dependency>\n  </dependencies>\n</project>\n";

/// Every operation builds its own engine from the agent's options; the POMs of released Maven
/// versions its scans fetch are asked of the registry by the first scan only.
#[tokio::test]
async fn engines_of_one_agent_fetch_a_released_pom_once() {
    let sim = Simulator::builder()
        .user(UserSeed::new("bot").token("bot-token"))
        .project(ProjectSeed::new("SEC"))
        .repo(RepoSeed::new("SEC", "ledger").file("pom.xml", LEDGER_POM))
        .grant_project("bot", "SEC", Permission::ProjectWrite)
        .start()
        .await
        .expect("the simulator starts");
    let registry = crate::registry::StandIn::start(crate::registry::routes()).await;
    let mut db = AdvisoryDb::new();
    db.insert(Record::from_json("engine", LOG4SHELL.as_bytes()).expect("record"));
    let db = Arc::new(db);
    let sent = Arc::new(AtomicUsize::new(0));
    let counted = sent.clone();
    let mut options = EngineOptions::new("acme/", registry.urls(), ScanOptions::default());
    options.on_registry_response = Some(Arc::new(move |_, _| {
        counted.fetch_add(1, Ordering::SeqCst);
    }));
    let conn = bot_in_sec(&sim);
    let scan = || async {
        let engine = Engine::new(&conn, connector(), db.clone(), &options).expect("engine");
        engine.scan_repo("ledger").await.expect("scan")
    };

    let first = scan().await;
    assert_eq!(first.findings.len(), 1, "{first:?}");
    assert_eq!(first.findings[0].id, "GHSA-jfh8-c2jp-5v3q");
    // log4j-core's POM and, through it, log4j-api's.
    let fetched = registry.hits.load(Ordering::SeqCst);
    assert_eq!(fetched, 2);
    assert_eq!(sent.load(Ordering::SeqCst), 2);
    assert_eq!(options.release_cache.len(), 2);

    let second = scan().await;
    assert_eq!(second.findings, first.findings);
    assert_eq!(registry.hits.load(Ordering::SeqCst), fetched, "asked again");
    assert_eq!(sent.load(Ordering::SeqCst), 2);
}
