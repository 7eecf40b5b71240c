//! `advisories.sync` through the real tunnel: the cloud serves full and delta syncs from an OSV
//! directory (`OsvExport`), the agent swaps them in, persists them, resumes from its watermark
//! after a restart, refuses a bad batch whole and reports stale data while staying ready; and
//! the optional local OSV mirror, polled through the egress rules.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use base64::Engine as _;
use gitproxy_e2e::{probe_get, AgentProcess, RegistryStandIn};
use gitproxy_remediation::advisories::OsvExport;
use gitproxy_remediation::catalogue::{RawRecord, Scan, SyncAdvisories, TestConnection};
use gitproxy_remediation::scan::RepoScan;
use serde_json::{json, Value};

use crate::support::{Setup, World, WAIT};

const REPO: &str = "storefront";
const LODASH: &str = "GHSA-35jh-r3h4-6jhm";
const RECORD: &str = include_str!("../../fixtures/osv/npm/GHSA-35jh-r3h4-6jhm.json");

async fn scan(world: &World) -> RepoScan {
    world
        .cloud
        .call(&Scan {
            repository: REPO.into(),
            ..Scan::default()
        })
        .await
        .expect("scan answers")
}

fn ids(scan: &RepoScan) -> Vec<&str> {
    scan.findings.iter().map(|f| f.id.as_str()).collect()
}

/// The npm record, modified at `modified` and withdrawn when asked.
fn record(modified: &str, withdrawn: bool) -> String {
    let mut value: Value = serde_json::from_str(RECORD).expect("fixture json");
    value["modified"] = json!(modified);
    if withdrawn {
        value["withdrawn"] = json!(modified);
    }
    value.to_string()
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("folder");
    std::fs::write(path, text).expect("write");
}

async fn sync(
    world: &World,
    request: &SyncAdvisories,
) -> gitproxy_remediation::catalogue::SyncReport {
    world.cloud.call(request).await.expect("sync answers")
}

fn probes(agent: &AgentProcess) -> std::net::SocketAddr {
    agent
        .seen()
        .iter()
        .find(|l| l.contains("probes listening"))
        .and_then(|l| serde_json::from_str::<Value>(l).ok())
        .and_then(|v| v["addr"].as_str()?.parse().ok())
        .expect("the agent logs its probe address")
}

async fn stop(mut agent: AgentProcess) {
    agent.sigterm().expect("sigterm");
    assert_eq!(agent.wait_exit(WAIT).await.expect("exits").code(), Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn syncs_through_the_tunnel_add_withdraw_persist_and_resume_from_the_watermark() {
    let world = World::start().await;
    let root = world.dir.path();
    // The agent's mounted data has no npm records; the cloud's OSV directory has one.
    let mounted = root.join("agent-osv");
    write(
        &mounted.join("Maven/GHSA-jfh8-c2jp-5v3q.json"),
        &std::fs::read_to_string(root.join("osv/Maven/GHSA-jfh8-c2jp-5v3q.json")).expect("maven"),
    );
    let cloud_osv = root.join("cloud-osv");
    let npm_record = cloud_osv.join("npm").join(format!("{LODASH}.json"));
    write(&npm_record, &record("2024-01-01T00:00:00Z", false));
    let export = OsvExport::new(&cloud_osv);
    let setup = Setup {
        osv: Some(mounted),
        env: vec![(
            "GITPROXY_ADVISORY_STORE_DIR",
            root.join("store").display().to_string(),
        )],
        ..Setup::default()
    };
    let agent = world.agent(&setup).await;

    let before = scan(&world).await;
    assert!(before.findings.is_empty(), "{before:#?}");
    assert!(
        before.advisory_data.iter().all(|a| a.ecosystem != "npm"),
        "{before:#?}"
    );

    // A full sync adds the advisory; the next scan finds it. The record is from 2024, so the
    // data is stale: the scan still answers, says so, and the agent stays ready.
    let full = export.sync_from("npm", None).expect("full sync");
    let report = sync(&world, &full).await;
    assert_eq!(report.watermarks["npm"], "2024-01-01T00:00:00Z");
    let after = scan(&world).await;
    assert_eq!(ids(&after), [LODASH], "{after:#?}");
    let npm = after
        .advisory_data
        .iter()
        .find(|a| a.ecosystem == "npm")
        .expect("npm age");
    assert!(npm.stale && npm.age_seconds.is_some(), "{npm:?}");
    assert!(
        after
            .warnings
            .iter()
            .any(|w| w.starts_with("stale advisory data: ") && w.contains("npm is")),
        "{:?}",
        after.warnings
    );
    assert_eq!(
        probe_get(probes(&agent), "/readyz")
            .await
            .expect("readyz")
            .0,
        200
    );
    let (_, metrics) = probe_get(probes(&agent), "/metrics")
        .await
        .expect("metrics");
    assert!(
        metrics.contains("gitproxy_advisory_data_age_seconds{ecosystem=\"npm\"} "),
        "{metrics}"
    );
    // Sending the same batch again changes nothing.
    assert_eq!(sync(&world, &full).await.watermarks, report.watermarks);

    // A bad batch (a record without a package) is refused whole; the old data keeps serving.
    let bad = SyncAdvisories {
        ecosystem: "npm".into(),
        watermark: "2024-02-01T00:00:00Z".into(),
        since: Some("2024-01-01T00:00:00Z".into()),
        records: vec![
            RawRecord::from_json("lodash", record("2024-02-01T00:00:00Z", false)).expect("json"),
            RawRecord::from_value(
                &json!({"id": "BAD-1", "modified": "2024-02-01T00:00:00Z", "affected": [{"ranges": []}]}),
            ),
        ],
        ..SyncAdvisories::default()
    };
    let refused = world
        .cloud
        .call(&bad)
        .await
        .expect_err("refused")
        .to_string();
    assert!(
        refused.contains("advisory sync for npm refused") && refused.contains("BAD-1"),
        "{refused}"
    );
    assert_eq!(ids(&scan(&world).await), [LODASH]);

    // Upstream withdraws the record: the delta since the agent's watermark removes it.
    write(&npm_record, &record("2024-03-01T00:00:00Z", true));
    let withdraw = export
        .sync_from("npm", Some(&report.watermarks["npm"]))
        .expect("delta");
    assert_eq!(withdraw.withdrawn, [LODASH]);
    let report = sync(&world, &withdraw).await;
    assert_eq!(report.watermarks["npm"], "2024-03-01T00:00:00Z");
    assert!(scan(&world).await.findings.is_empty());
    stop(agent).await;

    // After a restart the agent serves the persisted data and needs only a delta.
    let agent = world.agent(&setup).await;
    let check = world
        .cloud
        .call(&TestConnection::default())
        .await
        .expect("test connection answers");
    let npm = check
        .advisory_data
        .iter()
        .find(|a| a.ecosystem == "npm")
        .expect("npm age after the restart");
    assert_eq!(npm.watermark.as_deref(), Some("2024-03-01T00:00:00Z"));
    assert!(scan(&world).await.findings.is_empty());
    write(&npm_record, &record("2024-04-01T00:00:00Z", false));
    let readd = export
        .sync_from("npm", npm.watermark.as_deref())
        .expect("delta");
    assert!(readd.archive.is_none() && readd.records.len() == 1);
    assert_eq!(
        sync(&world, &readd).await.watermarks["npm"],
        "2024-04-01T00:00:00Z"
    );
    assert_eq!(ids(&scan(&world).await), [LODASH]);
    assert!(agent
        .seen()
        .iter()
        .any(|l| l.contains("advisory store read back")));
    stop(agent).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cloud_syncs_every_replica_from_its_own_watermark() {
    let world = World::start().await;
    let root = world.dir.path();
    let mounted = root.join("agent-osv");
    std::fs::create_dir_all(&mounted).expect("mounted folder");
    let cloud_osv = root.join("cloud-osv");
    let npm_record = cloud_osv.join("npm").join(format!("{LODASH}.json"));
    write(&npm_record, &record("2024-01-01T00:00:00Z", false));
    let export = OsvExport::new(&cloud_osv);
    let replica = |id: &'static str| Setup {
        osv: Some(mounted.clone()),
        env: vec![
            ("GITPROXY_AGENT_ID", id.to_owned()),
            (
                "GITPROXY_ADVISORY_STORE_DIR",
                root.join(format!("store-{id}")).display().to_string(),
            ),
        ],
        ..Setup::default()
    };
    let first = world.agent(&replica("replica-a")).await;
    let second = world.agent(&replica("replica-b")).await;
    world
        .cloud
        .wait_agents(2, WAIT)
        .await
        .expect("both replicas");

    let synced = world.cloud.sync_advisories(&export, &["npm"]).await;
    let mut agents: Vec<&str> = synced.iter().map(|s| s.agent_id.as_str()).collect();
    agents.sort();
    assert_eq!(agents, ["replica-a", "replica-b"]);
    for s in &synced {
        let report = s.result.as_ref().expect("synced");
        assert_eq!(report.watermarks["npm"], "2024-01-01T00:00:00Z", "{s:?}");
    }
    // Whichever replica answers, the scan finds the advisory.
    for _ in 0..4 {
        assert_eq!(ids(&scan(&world).await), [LODASH]);
    }

    // The next round sends each replica a delta since its watermark.
    write(&npm_record, &record("2024-03-01T00:00:00Z", true));
    for s in world.cloud.sync_advisories(&export, &["npm"]).await {
        let report = s.result.expect("synced");
        assert_eq!(report.watermarks["npm"], "2024-03-01T00:00:00Z");
        assert_eq!(report.records, 0);
    }
    for _ in 0..4 {
        assert!(scan(&world).await.findings.is_empty());
    }
    stop(first).await;
    stop(second).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_local_osv_mirror_is_polled_through_the_proxy_full_then_delta_after_a_restart() {
    let world = World::start().await;
    let root = world.dir.path();
    let mounted = root.join("agent-osv");
    std::fs::create_dir_all(&mounted).expect("mounted folder");
    let source = root.join("mirror-source");
    write(
        &source.join("npm").join(format!("{LODASH}.json")),
        &record("2024-01-01T00:00:00Z", false),
    );
    let archive = base64::engine::general_purpose::STANDARD
        .decode(
            OsvExport::new(&source)
                .full("npm")
                .expect("archive")
                .archive
                .expect("full"),
        )
        .expect("base64");
    let tls = || {
        world
            .public_ca
            .server_config(&["127.0.0.1"])
            .expect("mirror certificate")
    };
    let mirror = RegistryStandIn::start(
        tls(),
        "127.0.0.1",
        BTreeMap::from([("/osv/npm/all.zip".to_owned(), archive)]),
    )
    .await
    .expect("mirror starts");
    let setup = |mirror: &RegistryStandIn| Setup {
        osv: Some(mounted.clone()),
        env: vec![
            ("GITPROXY_OSV_MIRROR", format!("{}osv", mirror.url())),
            (
                "GITPROXY_ADVISORY_STORE_DIR",
                root.join("store").display().to_string(),
            ),
        ],
        ..Setup::default()
    };

    // First start: no watermark, so the full archive; the mirror is reached through the proxy.
    let mut agent = world.agent(&setup(&mirror)).await;
    let line = agent
        .wait_line("advisory data synced from the OSV mirror", WAIT)
        .await
        .expect("a mirror sync");
    assert!(line.contains("\"kind\":\"full\""), "{line}");
    assert_eq!(ids(&scan(&world).await), [LODASH]);
    world
        .proxy
        .wait_for_log(&format!("CONNECT 127.0.0.1:{}", mirror.port()))
        .await
        .expect("the mirror should be reached through the proxy");
    stop(agent).await;

    // The mirror moved on: the record was withdrawn. After a restart the agent asks only for
    // what changed since its persisted watermark.
    let withdrawn = RegistryStandIn::start(
        tls(),
        "127.0.0.1",
        BTreeMap::from([
            (
                "/osv/npm/modified_id.csv".to_owned(),
                format!("2024-03-01T00:00:00Z,{LODASH}\n2024-01-01T00:00:00Z,{LODASH}\n")
                    .into_bytes(),
            ),
            (
                format!("/osv/npm/{LODASH}.json"),
                record("2024-03-01T00:00:00Z", true).into_bytes(),
            ),
        ]),
    )
    .await
    .expect("mirror starts");
    let mut agent = world.agent(&setup(&withdrawn)).await;
    let line = agent
        .wait_line("advisory data synced from the OSV mirror", WAIT)
        .await
        .expect("a mirror sync");
    assert!(
        line.contains("\"kind\":\"delta\"") && line.contains("2024-03-01T00:00:00Z"),
        "{line}"
    );
    assert!(scan(&world).await.findings.is_empty());
    assert!(
        !withdrawn.asked().iter().any(|p| p == "/osv/npm/all.zip"),
        "{:?}",
        withdrawn.asked()
    );
    stop(agent).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scans_running_while_syncs_swap_the_data_all_succeed() {
    let world = Arc::new(World::start().await);
    let root = world.dir.path().to_path_buf();
    let mounted = root.join("agent-osv");
    std::fs::create_dir_all(&mounted).expect("mounted folder");
    let cloud_osv = root.join("cloud-osv");
    let npm_record = cloud_osv.join("npm").join(format!("{LODASH}.json"));
    write(&npm_record, &record("2024-01-01T00:00:00Z", false));
    let export = OsvExport::new(&cloud_osv);
    let setup = Setup {
        osv: Some(mounted),
        ..Setup::default()
    };
    let agent = world.agent(&setup).await;
    let full = export.full("npm").expect("full");
    let mut watermark = sync(&world, &full).await.watermarks["npm"].clone();
    // Six deltas, each withdrawing or bringing back the record, prepared up front.
    let mut deltas = Vec::new();
    for month in 2..=7 {
        let modified = format!("2024-{month:02}-01T00:00:00Z");
        write(&npm_record, &record(&modified, month % 2 == 0));
        let delta = export.delta("npm", &watermark).expect("delta");
        watermark = delta.watermark.clone();
        deltas.push(delta);
    }
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..12 {
        let world = Arc::clone(&world);
        tasks.spawn(async move {
            // Each scan sees one whole version of the data: the advisory or none.
            let found = scan(&world).await;
            assert!(
                found.findings.is_empty() || ids(&found) == [LODASH],
                "{found:#?}"
            );
        });
    }
    let syncing = Arc::clone(&world);
    tasks.spawn(async move {
        for delta in deltas {
            sync(&syncing, &delta).await;
        }
    });
    while let Some(done) = tasks.join_next().await {
        done.expect("every scan and sync succeeded");
    }
    // The last delta (July, odd) brought the record back.
    assert_eq!(ids(&scan(&world).await), [LODASH]);
    stop(agent).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_export_larger_than_the_default_body_limit_syncs_through_the_tunnel_within_the_memory_limit(
) {
    let world = World::start().await;
    let mounted = world.dir.path().join("agent-osv");
    std::fs::create_dir_all(&mounted).expect("mounted folder");
    // The shared Go export: 3.4 MB compressed, 4.5 MB as base64, above the 1 MiB other
    // operations may send.
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/osv");
    let full = OsvExport::new(&shared)
        .full("Go")
        .expect("the shared Go archive");
    assert!(full.archive.as_ref().is_some_and(|a| a.len() > 4 << 20));
    // Its 7.9 MB of JSON need about 25 MiB once loaded: an agent allowed 16 MiB of advisory
    // data refuses it whole, says what to raise, and keeps serving what it has.
    let tight = world
        .agent(&Setup {
            osv: Some(mounted.clone()),
            env: vec![("GITPROXY_MAX_ADVISORY_MEMORY", "16Mi".to_owned())],
            ..Setup::default()
        })
        .await;
    let refused = world
        .cloud
        .call(&full)
        .await
        .expect_err("refused")
        .to_string();
    assert!(
        refused.contains(
            "advisory sync for Go refused: its records would take about 25 MiB of memory"
        ) && refused.contains("above the advisory memory limit of 16 MiB")
            && refused.contains("GITPROXY_MAX_ADVISORY_MEMORY"),
        "{refused}"
    );
    // Its request bodies are limited to half of that, 8 MiB: a 9 MiB archive is not even read.
    let oversized = SyncAdvisories {
        archive: Some(base64::engine::general_purpose::STANDARD.encode(vec![0u8; 7 << 20])),
        ..full.clone()
    };
    let refused = world
        .cloud
        .call(&oversized)
        .await
        .expect_err("refused")
        .to_string();
    assert!(
        refused.contains("request body of `advisories.sync` is above its limit of 8388608 bytes"),
        "{refused}"
    );
    stop(tight).await;
    let agent = world
        .agent(&Setup {
            osv: Some(mounted),
            ..Setup::default()
        })
        .await;
    let report = sync(&world, &full).await;
    assert!(report.records > 4_000, "{report:?}");
    assert_eq!(report.watermarks["Go"], full.watermark);
    let gateway = world
        .cloud
        .call(&Scan {
            repository: "gateway".into(),
            ..Scan::default()
        })
        .await
        .expect("scan answers");
    assert!(
        gateway.findings.iter().any(|f| f.id == "GO-2021-0113"),
        "{gateway:#?}"
    );
    stop(agent).await;
}
