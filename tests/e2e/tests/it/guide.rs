//! The customer guide's scenarios, each asserting the exact wording docs/troubleshooting.md
//! promises.

use std::sync::Arc;
use std::time::Duration;

use gitproxy_e2e::{READER, READER_TOKEN, WRITER_TOKEN};
use gitproxy_remediation::catalogue::{CheckReport, TestConnection};

use crate::support::{apply, failed_stage, outcomes, scan, stage, Setup, World, WAIT};

const REPO: &str = "storefront";

/// (1) Bitbucket host in noProxy and the internal CA given: the cloud is reached through the
/// proxy, Bitbucket directly; Test Connection passes and a remediation pull request is opened.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_proxy_and_custom_ca_make_test_connection_pass_and_open_a_pr() {
    let world = World::start().await;
    let mut agent = world.agent(&Setup::default()).await;

    let check = world
        .cloud
        .call(&TestConnection::default())
        .await
        .expect("test connection answers");
    assert!(check.ok, "{check:#?}");
    let decision = stage(&check, "network: proxy decision");
    assert!(
        decision.detail.starts_with("direct to localhost:"),
        "{decision:#?}"
    );

    let applied = world.cloud.call(&apply(REPO)).await.expect("apply answers");
    let applied = outcomes(applied);
    assert_eq!(applied[0].opened, [1], "{applied:#?}");
    let pr = world
        .sim
        .pull_request(gitproxy_e2e::DEMO_PROJECT, REPO, 1)
        .expect("pull request opened");
    assert_eq!(
        pr["title"], "Update dependency lodash to 4.17.21 [SECURITY]",
        "{pr:#}"
    );

    // The tunnel went through the corporate proxy; Bitbucket never did.
    let hub_port = world.cloud.addr().port();
    let log = world
        .proxy
        .wait_for_log(&format!("CONNECT 127.0.0.1:{hub_port}"))
        .await
        .expect("the tunnel should go through the proxy");
    assert!(
        !log.contains("CONNECT localhost"),
        "Bitbucket should be reached directly:\n{log}"
    );

    agent.sigterm().expect("sigterm");
    assert_eq!(agent.wait_exit(WAIT).await.expect("exits").code(), Some(0));
    assert!(agent
        .seen()
        .iter()
        .all(|l| !l.contains(WRITER_TOKEN) && !l.contains(world.cloud.access_key())));
}

/// (2) Bitbucket host missing from noProxy: the request goes to the proxy, which cannot reach the
/// internal server; the failure reads Bad Gateway with the noProxy fix, from the cloud's Test
/// Connection and from `gitproxy check`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bitbucket_missing_from_no_proxy_reads_bad_gateway_with_the_no_proxy_fix() {
    let world = World::start().await;
    let setup = Setup {
        no_proxy: String::new(),
        ..Setup::default()
    };
    let expected_fix = "fix: Bad Gateway: the agent's request to localhost is routed through your cluster's outbound proxy, which can't reach an internal server. Add the Bitbucket host `localhost` to proxy.noProxy in your Backline values and upgrade, so the agent reaches it directly";

    let mut agent = world.agent(&setup).await;
    let report = world
        .cloud
        .call(&TestConnection::default())
        .await
        .expect("test connection answers");
    assert!(!report.ok, "{report:#?}");
    let stage = failed_stage(&report);
    assert_eq!(stage.name, "network: proxy CONNECT", "{stage:#?}");
    assert_eq!(
        stage.code.as_deref(),
        Some("proxy_bad_gateway"),
        "{stage:#?}"
    );
    let fix = stage.fix.as_deref().unwrap_or_default();
    assert_eq!(format!("fix: {fix}"), expected_fix);

    let (code, text) = world.check(&setup, false).await;
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("[FAIL] network: proxy CONNECT"), "{text}");
    assert!(text.contains(expected_fix), "{text}");
    world
        .proxy
        .wait_for_log("CONNECT localhost")
        .await
        .expect("the check went through the proxy");

    agent.sigterm().expect("sigterm");
    assert_eq!(agent.wait_exit(WAIT).await.expect("exits").code(), Some(0));
}

/// (3) The internal CA not given: `x509: certificate signed by unknown authority` with the
/// customCaCert fix.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_ca_reads_x509_unknown_authority_with_the_custom_ca_cert_fix() {
    let world = World::start().await;
    let setup = Setup {
        custom_ca: false,
        ..Setup::default()
    };
    let mut agent = world.agent(&setup).await;
    let report = world
        .cloud
        .call(&TestConnection::default())
        .await
        .expect("test connection answers");
    assert!(!report.ok, "{report:#?}");
    let stage = failed_stage(&report);
    assert_eq!(stage.name, "network: tls handshake", "{stage:#?}");
    assert_eq!(
        stage.code.as_deref(),
        Some("tls_unknown_authority"),
        "{stage:#?}"
    );
    let detail = stage.detail.as_str();
    assert!(
        detail.contains("x509: certificate signed by unknown authority"),
        "{detail}"
    );
    let fix = stage.fix.as_deref().unwrap_or_default();
    assert!(fix.contains("customCaCert"), "{fix}");
    assert!(
        fix.contains("Corp Internal CA"),
        "the fix names the issuing CA: {fix}"
    );

    let (code, text) = world.check(&setup, false).await;
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("[FAIL] network: tls handshake"), "{text}");
    assert!(
        text.contains("x509: certificate signed by unknown authority"),
        "{text}"
    );
    assert!(text.contains("customCaCert"), "{text}");

    agent.sigterm().expect("sigterm");
    assert_eq!(agent.wait_exit(WAIT).await.expect("exits").code(), Some(0));
}

/// (4) The token is revoked while the agent runs: "connection was working but stopped" is
/// diagnosable from the logs (audit lines with the 401) and from `check` (the credentials stage).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoked_token_is_diagnosable_from_logs_and_check() {
    let world = World::start().await;
    let setup = Setup::default();
    let mut agent = world.agent(&setup).await;
    let found = world
        .cloud
        .call(&scan(REPO))
        .await
        .expect("scan works before the revocation");
    assert_eq!(found.findings[0].package, "lodash", "{found:#?}");

    assert!(world.sim.revoke_token(WRITER_TOKEN));
    let error = world
        .cloud
        .call(&scan(REPO))
        .await
        .expect_err("scan fails after the revocation")
        .to_string();
    assert!(
        error.contains("bitbucket rejected the credential for user remediation-bot"),
        "{error}"
    );
    let audit = agent
        .wait_line("\"outcome\":\"error\"", WAIT)
        .await
        .expect("an audit line with the error");
    assert!(audit.contains("\"target\":\"audit\""), "{audit}");
    assert!(
        audit.contains("\"operation\":\"remediation.scan\""),
        "{audit}"
    );
    assert!(audit.contains("rejected the credential"), "{audit}");

    let report = world
        .cloud
        .call(&TestConnection::default())
        .await
        .expect("test connection answers");
    let stage = failed_stage(&report);
    assert_eq!(stage.name, "credentials", "{stage:#?}");
    assert_eq!(stage.code.as_deref(), Some("bad_credentials"), "{stage:#?}");

    let (code, text) = world.check(&setup, false).await;
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("[FAIL] credentials"), "{text}");
    assert!(
        text.contains("fix: Check that the Username and Access Token are valid; if the connection was working before, Verify the HTTP access token has not expired"),
        "{text}"
    );

    agent.sigterm().expect("sigterm");
    assert_eq!(agent.wait_exit(WAIT).await.expect("exits").code(), Some(0));
    assert!(agent.seen().iter().all(|l| !l.contains(WRITER_TOKEN)));
}

/// (5) A user without repository write: `check` names the guide's cause of "pull requests are not
/// being created", and a fix attempt fails with an audit line instead of a pull request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_without_write_names_why_pull_requests_are_not_created() {
    let world = World::start().await;
    let setup = Setup {
        user: READER,
        token: READER_TOKEN,
        ..Setup::default()
    };
    let (code, text) = world.check(&setup, false).await;
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("[FAIL] write permission"), "{text}");
    assert!(
        text.contains(&format!(
            "`{READER}` cannot write to any repository of project SHOP, so pull requests cannot be created"
        )),
        "{text}"
    );
    assert!(
        text.contains("fix: Verify the user has repository write permissions (Repository write on the project)"),
        "{text}"
    );
    let (_, json_text) = world.check(&setup, true).await;
    let report: CheckReport = serde_json::from_str(&json_text).expect("json report");
    assert_eq!(
        failed_stage(&report).code.as_deref(),
        Some("no_write_permission")
    );

    let mut agent = world.agent(&setup).await;
    let applied = world.cloud.call(&apply(REPO)).await;
    let audit = agent
        .wait_line("\"operation\":\"remediation.apply\"", WAIT)
        .await
        .expect("an audit line for the apply");
    assert!(
        world
            .sim
            .pull_request(gitproxy_e2e::DEMO_PROJECT, REPO, 1)
            .is_none(),
        "no pull request without write permission: {applied:?}"
    );
    let applied = outcomes(applied.expect("apply answers"));
    let problem = applied[0].problems[0].as_str();
    let cause = format!("user {READER} is not permitted to PUT /rest/api/latest/projects/SHOP/repos/{REPO}/browse/package.json");
    assert!(problem.contains(&cause), "{applied:#?}");
    assert!(
        problem.contains(
            "grant the user and its access token the needed project or repository permission"
        ),
        "{problem}"
    );
    // The log the guide says to review names the cause too.
    assert!(audit.contains("\"target\":\"audit\""), "{audit}");
    assert!(
        audit.contains("opened [], updated []; problems: lodash 4.17.20 -> 4.17.21: "),
        "{audit}"
    );
    assert!(audit.contains(&cause), "{audit}");

    agent.sigterm().expect("sigterm");
    assert_eq!(agent.wait_exit(WAIT).await.expect("exits").code(), Some(0));
}

/// (6) SIGTERM while a fix is being applied: the operation completes, the agent exits 0, and
/// nothing is half-written (the pull request exists with its branch).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_an_operation_completes_it() {
    let world = World::start().await;
    let mut agent = world.agent(&Setup::default()).await;
    // Slow Bitbucket down so the operation is still running when SIGTERM arrives.
    world
        .sim
        .faults()
        .set_latency(Some(Duration::from_millis(150)));
    let world = Arc::new(world);
    let caller = world.clone();
    let running = tokio::spawn(async move { caller.cloud.call(&apply(REPO)).await });
    agent
        .wait_line("operation started", WAIT)
        .await
        .expect("the operation starts");
    agent.sigterm().expect("sigterm");
    agent
        .wait_line("shutting down", WAIT)
        .await
        .expect("shutdown begins");
    let applied = outcomes(
        tokio::time::timeout(WAIT, running)
            .await
            .expect("the operation answers")
            .expect("join")
            .expect("the operation completes"),
    );
    assert_eq!(applied[0].opened, [1], "{applied:#?}");
    assert_eq!(agent.wait_exit(WAIT).await.expect("exits").code(), Some(0));
    assert!(agent
        .seen()
        .iter()
        .any(|l| l.contains("\"target\":\"audit\"")
            && l.contains("\"operation\":\"remediation.apply\"")
            && l.contains("\"outcome\":\"ok\"")));

    let pr = world
        .sim
        .pull_request(gitproxy_e2e::DEMO_PROJECT, REPO, 1)
        .expect("pull request");
    let branch = pr["fromRef"]["displayId"].as_str().unwrap_or_default();
    let tip = world
        .sim
        .branch_tip(gitproxy_e2e::DEMO_PROJECT, REPO, branch)
        .expect("the pull request's branch exists");
    assert_eq!(pr["fromRef"]["latestCommit"], tip.as_str(), "{pr:#}");
}
