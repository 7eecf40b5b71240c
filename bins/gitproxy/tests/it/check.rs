//! `gitproxy check` against the simulator: passes, and fails with the guide's wording.

use crate::support::{output, text, Env, BOT_TOKEN, READER_TOKEN};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_passes_with_every_stage_marked() {
    let env = Env::start().await;
    let mut cmd = env.command(BOT_TOKEN);
    cmd.arg("check");
    let out = output(cmd).await;
    let stdout = text(&out.stdout);
    assert!(
        out.status.success(),
        "stdout: {stdout}\nstderr: {}",
        text(&out.stderr)
    );
    for line in [
        "[PASS] bitbucket server",
        "[PASS] credentials",
        "[PASS] user                 authenticated as bot",
        "[PASS] project",
        "[PASS] repositories         2 repositories listed",
        "[PASS] write permission",
        "result: connection OK",
    ] {
        assert!(stdout.contains(line), "missing `{line}` in:\n{stdout}");
    }
    assert!(!stdout.contains("[FAIL]"), "{stdout}");
    // One audit line, without the token.
    let stderr = text(&out.stderr);
    assert_eq!(
        stderr.matches("\"target\":\"audit\"").count(),
        1,
        "{stderr}"
    );
    assert!(!stderr.contains(BOT_TOKEN) && !stdout.contains(BOT_TOKEN));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_json_reports_a_bad_token_with_the_guide_fix() {
    let env = Env::start().await;
    let mut cmd = env.command("wrong-token-0123456789");
    cmd.args(["check", "--json"]);
    let out = output(cmd).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json report");
    assert_eq!(report["ok"], false);
    let failed: Vec<&serde_json::Value> = report["stages"]
        .as_array()
        .expect("stages")
        .iter()
        .filter(|s| s["status"] == "fail")
        .collect();
    assert_eq!(failed.len(), 1, "{report:#}");
    assert_eq!(failed[0]["name"], "credentials");
    assert_eq!(failed[0]["code"], "bad_credentials");
    let fix = failed[0]["fix"].as_str().expect("fix");
    assert!(
        fix.contains("Check that the Username and Access Token are valid"),
        "{fix}"
    );
    assert!(
        fix.contains("Verify the HTTP access token has not expired"),
        "{fix}"
    );
    assert!(!text(&out.stdout).contains("wrong-token-0123456789"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_after_the_token_is_revoked_says_to_verify_expiry() {
    let env = Env::start().await;
    assert!(env.sim.revoke_token(BOT_TOKEN));
    let mut cmd = env.command(BOT_TOKEN);
    cmd.arg("check");
    let out = output(cmd).await;
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("[FAIL] credentials"), "{stdout}");
    assert!(
        stdout.contains("Verify the HTTP access token has not expired"),
        "{stdout}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_names_a_missing_project() {
    let env = Env::start().await;
    let mut cmd = env.command(BOT_TOKEN);
    cmd.args(["check", "--project", "NOPE"]);
    let out = output(cmd).await;
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("[FAIL] project"), "{stdout}");
    assert!(
        stdout.contains("fix: Ensure the user has access to the specified Project Key"),
        "{stdout}"
    );
    assert!(stdout.contains("[skip] write permission"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_names_missing_write_permission() {
    let env = Env::start().await;
    let mut cmd = env.command(READER_TOKEN);
    cmd.arg("check");
    let out = output(cmd).await;
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("[PASS] project"), "{stdout}");
    assert!(stdout.contains("[FAIL] write permission"), "{stdout}");
    assert!(
        stdout.contains("fix: Verify the user has repository write permissions"),
        "{stdout}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_configuration_exits_64_naming_the_setting() {
    let env = Env::start().await;
    let mut cmd = env.command(BOT_TOKEN);
    cmd.arg("check")
        .env("GITPROXY_CUSTOM_CA_CERT", "%%% not base64 %%%");
    let out = output(cmd).await;
    assert_eq!(out.status.code(), Some(64));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("GITPROXY_CUSTOM_CA_CERT (environment)"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
}
