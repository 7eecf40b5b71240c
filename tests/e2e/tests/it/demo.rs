//! The `cargo xtask demo` driver end to end: every ecosystem of the sample project gets its pull
//! request through the real agent, and the agent stops cleanly.

use std::path::Path;

use gitproxy_e2e::{gitproxy_binary, DEMO_REPOS};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_opens_a_pull_request_per_ecosystem_and_exits_zero() {
    let gitproxy = gitproxy_binary().unwrap_or_else(|e| panic!("{e}"));
    let osv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/osv");
    let workdir = tempfile::tempdir().expect("temp dir");
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_gitproxy-demo"));
    cmd.arg("--osv")
        .arg(&osv)
        .arg("--gitproxy")
        .arg(&gitproxy)
        .arg("--workdir")
        .arg(workdir.path().join("demo"));
    let out = tokio::task::spawn_blocking(move || cmd.output().expect("demo runs"))
        .await
        .expect("join");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("[PASS] write permission"), "{stdout}");
    // The agent starts without npm data; a sync through the tunnel adds it and the next scan finds it.
    assert!(
        stdout.contains("before:  storefront findings: 0")
            && stdout.contains("after:   storefront findings: 1 (GHSA-35jh-r3h4-6jhm)"),
        "{stdout}"
    );
    for repo in DEMO_REPOS {
        let link = format!("/projects/SHOP/repos/{}/pull-requests/1", repo.slug);
        assert!(
            stdout.contains(&link),
            "no pull request for {}: {stdout}",
            repo.slug
        );
        assert!(
            stdout.contains(&format!(" {} ", repo.ecosystem)),
            "{} not scanned: {stdout}",
            repo.ecosystem
        );
    }
    // Log4Shell's own fix (2.15.0) is vulnerable to its follow-ups: the pull request takes the
    // lowest version that fixes all four Log4j advisories the demo ships.
    for id in [
        "GHSA-jfh8-c2jp-5v3q",
        "GHSA-7rjr-3q55-vv33",
        "GHSA-p6xc-xr62-6r2g",
        "GHSA-8489-44mv-ggj8",
    ] {
        assert!(stdout.contains(id), "{id} not found: {stdout}");
    }
    assert!(
        stdout.contains(
            "ledger #1 Update dependency org.apache.logging.log4j:log4j-core to 2.17.1 [SECURITY]"
        ),
        "{stdout}"
    );
    let opened = format!("{} pull requests opened", DEMO_REPOS.len());
    assert!(stdout.contains(&opened), "{stdout}");
    assert!(
        stdout.contains("agent stopped on SIGTERM (exit 0)"),
        "{stdout}"
    );
    let log = std::fs::read_to_string(workdir.path().join("demo/agent.log")).expect("agent log");
    assert!(log.contains("\"target\":\"audit\""), "{log}");
    assert!(
        !log.contains(gitproxy_e2e::WRITER_TOKEN),
        "the token leaked into the log"
    );
}
