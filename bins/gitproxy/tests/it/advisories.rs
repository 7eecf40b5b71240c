//! The age of the advisory data in `scan`, `status` and `check`, and `stale advisory data` past
//! `max_advisory_age` (the scan still runs and finds what the data has).

use std::collections::BTreeMap;

use gitproxy_e2e::RegistryStandIn;

use crate::support::{checkout, output, text, Env, BOT_TOKEN};

/// Dates every file of the OSV directory `days` back, as old mounted data would be.
fn age_osv_files(env: &Env, days: u32) {
    let dir = env.osv_dir().join("npm");
    for file in std::fs::read_dir(&dir).expect("osv dir").flatten() {
        let status = std::process::Command::new("touch")
            .arg("-d")
            .arg(format!("{days} days ago"))
            .arg(file.path())
            .status()
            .expect("touch runs");
        assert!(status.success());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_data_is_reported_by_scan_status_and_check_and_the_scan_still_runs() {
    let env = Env::start().await;
    age_osv_files(&env, 10);
    let path = checkout(env.dir.path());

    let mut cmd = env.command(BOT_TOKEN);
    cmd.args(["scan", "--path"]).arg(&path);
    let out = output(cmd).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let table = text(&out.stdout);
    assert!(
        table.starts_with("WARNING: stale advisory data: npm is 10 days old (max 7 days)"),
        "{table}"
    );
    assert!(table.contains("GHSA-35jh-r3h4-6jhm"), "{table}");
    assert!(
        table.contains("advisory data: npm 10 days old (stale)"),
        "{table}"
    );

    let mut cmd = env.command(BOT_TOKEN);
    cmd.args(["scan", "--json", "--path"]).arg(&path);
    let scans: serde_json::Value = serde_json::from_slice(&output(cmd).await.stdout).expect("json");
    assert_eq!(
        scans[0]["advisory_data"][0]["ecosystem"], "npm",
        "{scans:#}"
    );
    assert_eq!(scans[0]["advisory_data"][0]["stale"], true, "{scans:#}");
    let age = scans[0]["advisory_data"][0]["age_seconds"]
        .as_u64()
        .expect("an age");
    assert!((10 * 86_400..11 * 86_400).contains(&age), "{age}");

    // A longer max age: the same data is not stale.
    let mut cmd = env.command(BOT_TOKEN);
    cmd.env("GITPROXY_MAX_ADVISORY_AGE", "30d")
        .args(["scan", "--path"])
        .arg(&path);
    let table = text(&output(cmd).await.stdout);
    assert!(!table.contains("WARNING"), "{table}");
    assert!(
        table.contains("advisory data: npm 10 days old\n"),
        "{table}"
    );

    let mut cmd = env.command(BOT_TOKEN);
    cmd.arg("status");
    let out = output(cmd).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report = text(&out.stdout);
    assert!(
        report.starts_with("WARNING: stale advisory data: npm is 10 days old"),
        "{report}"
    );
    assert!(
        report.contains("advisory data: npm 10 days old (stale)"),
        "{report}"
    );

    let mut cmd = env.command(BOT_TOKEN);
    cmd.args(["check", "--json"]);
    let out = output(cmd).await;
    let check: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(check["advisory_data"][0]["ecosystem"], "npm", "{check:#}");
    assert_eq!(check["advisory_data"][0]["stale"], true, "{check:#}");
    let mut cmd = env.command(BOT_TOKEN);
    cmd.arg("check");
    let lines = text(&output(cmd).await.stdout);
    assert!(
        lines.contains("advisory data: npm 10 days old (stale)"),
        "{lines}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_diagnoses_the_osv_mirror() {
    let env = Env::start().await;
    let mirror = RegistryStandIn::start(env.server_tls(), "127.0.0.1", BTreeMap::new())
        .await
        .expect("mirror starts");
    let mut cmd = env.command(BOT_TOKEN);
    cmd.env("GITPROXY_OSV_MIRROR", format!("{}osv/", mirror.url()))
        .arg("check");
    let out = output(cmd).await;
    let lines = text(&out.stdout);
    assert!(out.status.success(), "{lines}");
    assert!(
        lines.contains(&format!(
            "[PASS] osv mirror           {}osv/ reachable",
            mirror.url()
        )),
        "{lines}"
    );
    let port = gitproxy_e2e::free_port().expect("a free port");

    // Nothing listens there: the check fails and names the mirror setting.
    let mut cmd = env.command(BOT_TOKEN);
    cmd.env(
        "GITPROXY_OSV_MIRROR",
        format!("https://127.0.0.1:{port}/osv/"),
    )
    .arg("check");
    let out = output(cmd).await;
    let lines = text(&out.stdout);
    assert!(!out.status.success(), "{lines}");
    assert!(lines.contains("[FAIL] osv mirror"), "{lines}");
    assert!(
        lines.contains("check the host and port of the OSV mirror URL (advisories.mirror.url)"),
        "{lines}"
    );
}
