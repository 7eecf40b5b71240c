//! `gitproxy scan`, `fix` and `status` without the cloud.

use crate::support::{checkout, output, text, Env, BOT_TOKEN, PROJECT};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scan_path_finds_the_vulnerable_dependency_of_a_checkout() {
    let env = Env::start().await;
    let path = checkout(env.dir.path());
    let mut cmd = env.command(BOT_TOKEN);
    cmd.env_remove("GITPROXY_BITBUCKET_URL")
        .args(["scan", "--json", "--path"])
        .arg(&path);
    let out = output(cmd).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let scans: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let findings = scans[0]["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 1, "{scans:#}");
    assert_eq!(findings[0]["package"], "lodash");
    assert_eq!(findings[0]["version"], "4.17.20");
    assert_eq!(findings[0]["id"], "GHSA-35jh-r3h4-6jhm");
    assert_eq!(findings[0]["fixed"][0], "4.17.21");

    let mut cmd = env.command(BOT_TOKEN);
    cmd.args(["scan", "--path"]).arg(&path);
    let out = output(cmd).await;
    let table = text(&out.stdout);
    assert!(table.starts_with("REPOSITORY"), "{table}");
    assert!(table.contains("lodash"), "{table}");
    assert!(
        table.contains("1 vulnerabilities in 1 repositories"),
        "{table}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scan_of_the_project_covers_every_repository() {
    let env = Env::start().await;
    let mut cmd = env.command(BOT_TOKEN);
    cmd.args(["scan", "--json"]);
    let out = output(cmd).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let scans: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let scans = scans.as_array().expect("array");
    assert_eq!(scans.len(), 2);
    let web = scans
        .iter()
        .find(|s| s["repository"] == "web")
        .expect("web");
    assert_eq!(web["findings"][0]["package"], "lodash");
    let docs = scans
        .iter()
        .find(|s| s["repository"] == "docs")
        .expect("docs");
    assert_eq!(docs["findings"].as_array().map(Vec::len), Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fix_opens_a_pull_request_and_status_reports_it() {
    let env = Env::start().await;

    let mut dry = env.command(BOT_TOKEN);
    dry.args(["fix", "--dry-run", "--json"]);
    let out = output(dry).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let planned: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(planned[0]["state"], "planned", "{planned:#}");
    assert!(
        env.sim.pull_request(PROJECT, "web", 1).is_none(),
        "dry run wrote nothing"
    );

    let mut fix = env.command(BOT_TOKEN);
    fix.args(["fix", "--json"]);
    let out = output(fix).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let outcomes: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let web = outcomes
        .as_array()
        .expect("array")
        .iter()
        .find(|o| o["repo"] == "web")
        .expect("web outcome");
    assert_eq!(web["opened"][0], 1, "{outcomes:#}");
    let pr = env
        .sim
        .pull_request(PROJECT, "web", 1)
        .expect("pull request on the simulator");
    let from = pr["fromRef"]["displayId"].as_str().unwrap_or_default();
    assert!(from.starts_with("gitproxy/"), "{pr:#}");
    assert!(
        pr["title"].as_str().unwrap_or_default().contains("lodash"),
        "{pr:#}"
    );
    let main_tip = env
        .sim
        .branch_tip(PROJECT, "web", "master")
        .or_else(|| env.sim.branch_tip(PROJECT, "web", "main"));
    let branch_tip = env.sim.branch_tip(PROJECT, "web", from);
    assert!(branch_tip.is_some() && branch_tip != main_tip);

    let mut status = env.command(BOT_TOKEN);
    status.arg("status");
    let out = output(status).await;
    let table = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(table.contains("| web |"), "{table}");
    assert!(table.contains("#1"), "{table}");
    assert!(table.contains("pr-open"), "{table}");
}
