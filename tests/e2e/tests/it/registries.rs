//! Package registries (the Helm values `registries.*`): a public registry is reached through the
//! corporate proxy like the cloud, an internal mirror must be listed in noProxy like Bitbucket,
//! and with a registry the fix's Cargo.lock carries the checksum the sparse index publishes.

use std::collections::BTreeMap;

use gitproxy_e2e::{RegistryStandIn, DEMO_PROJECT};
use gitproxy_remediation::catalogue::CheckReport;
use serde_json::{json, Value};

use crate::support::{apply, failed_stage, outcomes, passed, stage, Setup, World, WAIT};

const REPO: &str = "billing";

/// The checksum the stand-in's index publishes for smallvec 1.6.1.
const SMALLVEC_161: &str = "fe0f37c9e8f3c5a4a66ad655a93c74daac4ad00c441533bf5c6e7990bb42604e";

/// The sparse-index file of smallvec, one JSON line per release as index.crates.io serves it.
fn smallvec_index() -> BTreeMap<String, Vec<u8>> {
    let line = |vers: &str, cksum: &str| {
        json!({"name": "smallvec", "vers": vers, "deps": [], "cksum": cksum, "features": {}, "yanked": false, "v": 2})
            .to_string()
    };
    let file = [
        line(
            "1.6.0",
            "1a55ca5f3b68e41c979bf8c46a6f1da892ca4db8f94023ce0bd32407573b1ac0",
        ),
        line("1.6.1", SMALLVEC_161),
        line(
            "1.13.2",
            "3c5e1a9a646d36c3599cd173a41282daf47c44583ad367b8e6837255952e5c67",
        ),
    ]
    .join("\n")
        + "\n";
    BTreeMap::from([("/index/sm/al/smallvec".to_owned(), file.into_bytes())])
}

/// (7) A public registry through the proxy: Test Connection passes, the fix's Cargo.lock gets the
/// published checksum, and the registry was asked once, through the proxy.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_public_registry_is_reached_through_the_proxy_and_fills_the_lockfile_checksum() {
    let world = World::start_with_shared_osv().await;
    let registry = RegistryStandIn::start(
        world
            .public_ca
            .server_config(&["127.0.0.1"])
            .expect("registry certificate"),
        "127.0.0.1",
        smallvec_index(),
    )
    .await
    .expect("registry starts");
    let setup = Setup {
        registries: format!("crates.io={}index/", registry.url()),
        ..Setup::default()
    };

    let (code, text) = world.check(&setup, true).await;
    let report: CheckReport = serde_json::from_str(&text).expect("json report");
    assert_eq!(code, Some(0), "{report:#?}");
    let registry_stage = stage(&report, "registry: crates.io");
    assert!(passed(registry_stage), "{report:#?}");
    assert!(
        Some(registry_stage.detail.as_str()).is_some_and(|d| d.contains(&format!(
            "via proxy {} (from HTTPS_PROXY) to 127.0.0.1:{}",
            world.proxy.url().trim_end_matches('/'),
            registry.port()
        ))),
        "{registry_stage:#?}"
    );

    let mut agent = world.agent(&setup).await;
    let before = registry.asked().len();
    let applied = world.cloud.call(&apply(REPO)).await.expect("apply answers");
    let applied = outcomes(applied);
    assert_eq!(applied[0].opened, [1], "{applied:#?}");
    // One run asks each URL once: the release list and the checksum come from one index file.
    assert_eq!(
        registry.asked()[before..],
        ["/index/sm/al/smallvec".to_owned()],
        "{:?}",
        registry.asked()
    );

    let pr = world
        .sim
        .pull_request(DEMO_PROJECT, REPO, 1)
        .expect("pull request opened");
    let branch = pr["fromRef"]["displayId"].as_str().expect("branch");
    let lock = world.read_file(REPO, branch, "Cargo.lock").await;
    assert!(
        lock.contains(&format!(
            "name = \"smallvec\"\nversion = \"1.6.1\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"{SMALLVEC_161}\"\n"
        )),
        "{lock}"
    );
    let manifest = world.read_file(REPO, branch, "Cargo.toml").await;
    assert!(manifest.contains("smallvec = \"=1.6.1\""), "{manifest}");
    let description = pr["description"].as_str().unwrap_or_default();
    assert!(
        description.contains("Files changed: `Cargo.lock`, `Cargo.toml`.")
            && !description.contains("was not updated"),
        "{description}"
    );

    // The agent's metrics count the registry call by ecosystem and status.
    let probes = agent
        .seen()
        .iter()
        .find(|l| l.contains("probes listening"))
        .and_then(|l| serde_json::from_str::<Value>(l).ok())
        .and_then(|v| v["addr"].as_str()?.parse().ok())
        .expect("the agent logs its probe address");
    let (_, metrics) = gitproxy_e2e::probe_get(probes, "/metrics")
        .await
        .expect("metrics");
    assert!(
        metrics.contains(
            "gitproxy_registry_requests_total{ecosystem=\"crates.io\",status=\"200\"} 1\n"
        ),
        "{metrics}"
    );

    let log = world
        .proxy
        .wait_for_log(&format!("CONNECT 127.0.0.1:{}", registry.port()))
        .await
        .expect("the registry should be reached through the proxy");
    assert!(
        !log.contains("CONNECT localhost"),
        "Bitbucket should be reached directly:\n{log}"
    );

    agent.sigterm().expect("sigterm");
    assert_eq!(agent.wait_exit(WAIT).await.expect("exits").code(), Some(0));
}

/// (8) An internal mirror missing from noProxy reads Bad Gateway with a fix that names the mirror,
/// and passes once it is listed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_internal_mirror_missing_from_no_proxy_reads_bad_gateway_naming_the_mirror() {
    let world = World::start().await;
    let mirror = RegistryStandIn::start(
        world
            .internal_ca
            .server_config(&["localhost"])
            .expect("mirror certificate"),
        "localhost",
        smallvec_index(),
    )
    .await
    .expect("mirror starts");
    // Bitbucket's port is in noProxy, the mirror's is not.
    let setup = Setup {
        no_proxy: format!("localhost:{}", world.sim.addr().port()),
        registries: format!("crates.io={}index/", mirror.url()),
        ..Setup::default()
    };
    let (code, text) = world.check(&setup, true).await;
    let report: CheckReport = serde_json::from_str(&text).expect("json report");
    assert_eq!(code, Some(1), "{report:#?}");
    assert!(passed(stage(&report, "write permission")));
    let failed = failed_stage(&report);
    assert_eq!(failed.name, "registry: crates.io", "{failed:#?}");
    assert_eq!(
        failed.code.as_deref(),
        Some("proxy_bad_gateway"),
        "{failed:#?}"
    );
    assert_eq!(
        failed.fix.as_deref().unwrap_or_default(),
        "Bad Gateway: the proxy cannot reach the crates.io index registry `localhost`. If it is an internal mirror, add `localhost` to proxy.noProxy and upgrade; otherwise ask your proxy administrators to allow it, or remove the registry from the registries setting",
        "{failed:#?}"
    );
    assert!(mirror.asked().is_empty(), "{:?}", mirror.asked());

    let listed = Setup {
        no_proxy: "localhost".to_owned(),
        ..setup
    };
    let (code, text) = world.check(&listed, false).await;
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains(&format!(
            "[PASS] registry: crates.io  {}index/ reachable (direct to localhost:{}: matches entry `localhost` of NO_PROXY)",
            mirror.url(),
            mirror.port()
        )),
        "{text}"
    );
    assert_eq!(mirror.asked(), ["/index/".to_owned()]);
}
