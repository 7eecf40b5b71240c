//! Configuration as the real binary meets it: hostile environment values, secrets that cannot be
//! tokens, log colours off a terminal, `status` without OSV data, a custom branch prefix.

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt as _;

use crate::support::{checkout, output, text, Env, BOT_TOKEN, PROJECT};

/// Bytes that are not UTF-8, with a recognisable ASCII part.
fn not_utf8() -> OsString {
    OsString::from_vec(b"sekrit-\xff\xfe-value".to_vec())
}

fn assert_not_printed(out: &std::process::Output) {
    for stream in [&out.stdout, &out.stderr] {
        assert!(
            !stream.windows(6).any(|w| w == b"sekrit"),
            "the value was printed: {}",
            text(stream)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unrelated_variable_that_is_not_utf8_is_never_read() {
    let env = Env::start().await;
    let path = checkout(env.dir.path());
    let mut cmd = env.command(BOT_TOKEN);
    cmd.env("SOME_UNRELATED_VARIABLE", not_utf8())
        .args(["scan", "--json", "--path"])
        .arg(&path);
    let out = output(cmd).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_not_printed(&out);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_used_variable_that_is_not_utf8_is_a_config_error_naming_it() {
    let env = Env::start().await;
    let mut cmd = env.command(BOT_TOKEN);
    cmd.env_remove("GITPROXY_BITBUCKET_TOKEN_FILE")
        .env("GITPROXY_BITBUCKET_TOKEN", not_utf8())
        .arg("check");
    let out = output(cmd).await;
    assert_eq!(out.status.code(), Some(64), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("GITPROXY_BITBUCKET_TOKEN (environment): the value is not valid UTF-8"),
        "{stderr}"
    );
    assert_not_printed(&out);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_that_cannot_be_a_token_is_refused_at_start() {
    let env = Env::start().await;
    let long = "a".repeat(8 * 1024 + 1);
    for (value, what) in [
        ("sekrit-first\nsecond", "a line break"),
        ("sekrit-\u{7}bell", "a control character"),
        ("sekrit-caf\u{e9}", "a non-ASCII character"),
        (long.as_str(), "longer than 8 KiB"),
    ] {
        let mut cmd = env.command(BOT_TOKEN);
        cmd.env_remove("GITPROXY_BITBUCKET_TOKEN_FILE")
            .env("GITPROXY_BITBUCKET_TOKEN", value)
            .arg("check");
        let out = output(cmd).await;
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(64), "{stderr}");
        assert!(
            stderr.contains("GITPROXY_BITBUCKET_TOKEN (environment)") && stderr.contains(what),
            "{stderr}"
        );
        assert_not_printed(&out);
        assert!(!stderr.contains(&"a".repeat(100)), "{stderr}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_logs_off_a_terminal_have_no_colour_codes() {
    let env = Env::start().await;
    let path = checkout(env.dir.path());
    let mut cmd = env.command(BOT_TOKEN);
    cmd.env("GITPROXY_LOG_FORMAT", "text")
        .args(["scan", "--path"])
        .arg(&path);
    let out = output(cmd).await;
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("loaded OSV data"), "{stderr}");
    assert!(!stderr.contains('\u{1b}'), "ANSI codes in {stderr:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_needs_no_osv_data_and_fix_writes_under_the_configured_prefix() {
    let env = Env::start().await;
    let mut fix = env.command(BOT_TOKEN);
    fix.env("GITPROXY_BRANCH_PREFIX", "bot/").arg("fix");
    let out = output(fix).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let pr = env
        .sim
        .pull_request(PROJECT, "web", 1)
        .expect("pull request on the simulator");
    assert_eq!(
        pr["fromRef"]["displayId"], "bot/security/npm-lodash",
        "{pr:#}"
    );

    let mut status = env.command(BOT_TOKEN);
    status
        .env_remove("GITPROXY_OSV_DIR")
        .env("GITPROXY_BRANCH_PREFIX", "bot/")
        .arg("status");
    let out = output(status).await;
    let table = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(table.contains("| web |") && table.contains("#1"), "{table}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_der_ca_file_is_told_to_convert_to_pem() {
    let env = Env::start().await;
    let der = env.dir.path().join("ca.der");
    std::fs::write(&der, env.ca.ca_der().as_ref()).expect("der file");
    let mut cmd = env.command(BOT_TOKEN);
    cmd.env("GITPROXY_CUSTOM_CA_CERT_FILE", &der).arg("check");
    let out = output(cmd).await;
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(64), "{stderr}");
    assert!(stderr.contains("convert it to PEM"), "{stderr}");
    assert!(stderr.contains("openssl x509 -inform DER"), "{stderr}");
    assert!(!stderr.contains("fix the path"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_settings_table_is_printed_as_json() {
    let env = Env::start().await;
    let mut cmd = env.command(BOT_TOKEN);
    cmd.arg("settings");
    let out = output(cmd).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let table: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert!(
        table
            .as_array()
            .expect("array")
            .iter()
            .any(|s| s["env"] == "GITPROXY_BRANCH_PREFIX" && s["helm"] == "gitproxy.branchPrefix"),
        "{table:#}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_private_key_beside_the_ca_is_logged_as_a_warning_without_the_key() {
    let env = Env::start().await;
    let leaf = env.ca.issue(&["bitbucket.corp"]).expect("leaf");
    let key = leaf.key_pem();
    let bundle = env.dir.path().join("ca-and-key.pem");
    std::fs::write(&bundle, format!("{}{key}", env.ca.ca_pem())).expect("bundle");
    let path = checkout(env.dir.path());
    let mut cmd = env.command(BOT_TOKEN);
    cmd.env("GITPROXY_CUSTOM_CA_CERT_FILE", &bundle)
        .args(["scan", "--path"])
        .arg(&path);
    let out = output(cmd).await;
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let warning = stderr
        .lines()
        .find(|l| l.contains("private key"))
        .unwrap_or_else(|| panic!("no warning in {stderr}"));
    assert!(warning.contains("\"level\":\"WARN\""), "{warning}");
    assert!(
        warning.contains("GITPROXY_CUSTOM_CA_CERT_FILE (environment)"),
        "{warning}"
    );
    let body: String = key.lines().filter(|l| !l.starts_with("-----")).collect();
    assert!(!stderr.contains(&body[..24]), "{stderr}");
}
