//! The container image the chart deploys, run for real: `cargo xtask image` builds it, umoci unpacks it,
//! runc starts it on the host network the way the chart runs the pod (its non-root user, a read-only root
//! filesystem, secrets mounted read-only, the image's own OSV data), against the loopback simulator and hub.

use std::path::Path;
use std::time::Duration;

use gitproxy_e2e::{
    demo_simulator, free_port, image_under_test, probe_get, process_ids, root_mount_options,
    AgentProcess, Bundle, Cloud, Pki, Runc, DEMO_PROJECT, WRITER, WRITER_TOKEN,
};
use gitproxy_remediation::catalogue::{Scan, TestConnection};
use serde_json::json;

const WAIT: Duration = Duration::from_secs(60);
/// The chart's `securityContext.runAsUser` / `runAsGroup`.
const CHART_UID: u32 = 65532;

/// Deletes the test's containers whatever happens, so a failure leaves nothing running.
struct Cleanup<'a> {
    runc: &'a Runc,
    ids: Vec<String>,
}

impl Drop for Cleanup<'_> {
    fn drop(&mut self) {
        for id in &self.ids {
            self.runc.delete(id);
        }
    }
}

/// A directory the container's non-root user can read, holding one secret file.
fn secret_dir(parent: &Path, name: &str, file: &str, value: &str) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = parent.join(name);
    std::fs::create_dir_all(&dir).expect("secret dir");
    std::fs::write(dir.join(file), value).expect("secret file");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).expect("dir mode");
    std::fs::set_permissions(dir.join(file), std::fs::Permissions::from_mode(0o444))
        .expect("file mode");
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_image_runs_non_root_on_a_read_only_root_serves_probes_scans_and_drains_on_sigterm() {
    let image = image_under_test().unwrap_or_else(|e| panic!("{e}"));
    let dir = tempfile::tempdir().expect("temp dir");
    let bundle =
        Bundle::unpack(&image, &dir.path().join("bundle")).unwrap_or_else(|e| panic!("{e}"));

    // The image itself says who runs it and where its OSV data is.
    let defaults = bundle.image_config();
    assert_eq!(
        defaults["process"]["user"]["uid"], CHART_UID,
        "{defaults:#}"
    );
    assert_eq!(
        defaults["process"]["user"]["gid"], CHART_UID,
        "{defaults:#}"
    );
    assert_eq!(
        defaults["process"]["args"],
        json!(["/usr/local/bin/gitproxy", "run"])
    );
    let env = defaults["process"]["env"].as_array().expect("env");
    assert!(
        env.contains(&json!("GITPROXY_OSV_DIR=/usr/share/gitproxy/osv")),
        "{env:?}"
    );

    let runc = Runc::new(&dir.path().join("runc-state"));
    let version_id = format!("gitproxy-e2e-{}-version", std::process::id());
    let agent_id = format!("gitproxy-e2e-{}-agent", std::process::id());
    let _cleanup = Cleanup {
        runc: &runc,
        ids: vec![version_id.clone(), agent_id.clone()],
    };

    // `gitproxy --version` from the image.
    bundle
        .configure(&["/usr/local/bin/gitproxy", "--version"], &[], &[])
        .expect("config");
    let mut version = runc.run(&bundle, &version_id);
    let out = tokio::task::spawn_blocking(move || version.output().expect("runc runs"))
        .await
        .expect("join");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("gitproxy {}\n", env!("CARGO_PKG_VERSION"))
    );

    // The agent, configured as the chart's Deployment does, against the loopback simulator and hub.
    let pki = Pki::new("gitproxy image e2e CA").expect("ca");
    let leaf = pki.issue(&["127.0.0.1", "localhost"]).expect("leaf");
    let sim = demo_simulator()
        .tls(leaf.cert_pem().to_owned(), leaf.key_pem().to_owned())
        .start()
        .await
        .expect("simulator starts");
    let cloud = Cloud::start(&pki, "127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("hub starts");
    let access_key = secret_dir(dir.path(), "access-key", "accessKey", cloud.access_key());
    let token = secret_dir(dir.path(), "bitbucket", "token", WRITER_TOKEN);
    let port = free_port().expect("port");
    let listen: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().expect("addr");
    let ca = pki.ca_base64();
    bundle
        .configure(
            &["/usr/local/bin/gitproxy", "run"],
            &[
                ("GITPROXY_CLOUD_URL", cloud.url()),
                ("GITPROXY_CONNECTIONS", "1".to_owned()),
                ("GITPROXY_LISTEN", listen.to_string()),
                ("GITPROXY_LOG_FORMAT", "json".to_owned()),
                ("GITPROXY_SHUTDOWN_GRACE", "20s".to_owned()),
                ("GITPROXY_AGENT_ID", "gitproxy-image-e2e".to_owned()),
                (
                    "GITPROXY_ACCESS_KEY_FILE",
                    "/etc/gitproxy/access-key/accessKey".to_owned(),
                ),
                ("GITPROXY_BITBUCKET_URL", sim.base_url().to_string()),
                ("GITPROXY_BITBUCKET_USERNAME", WRITER.to_owned()),
                (
                    "GITPROXY_BITBUCKET_TOKEN_FILE",
                    "/etc/gitproxy/bitbucket/token".to_owned(),
                ),
                ("GITPROXY_BITBUCKET_PROJECT", DEMO_PROJECT.to_owned()),
                ("GITPROXY_CUSTOM_CA_CERT", ca),
            ],
            &[
                (&access_key, "/etc/gitproxy/access-key"),
                (&token, "/etc/gitproxy/bitbucket"),
            ],
        )
        .expect("config");
    let mut agent = AgentProcess::spawn(runc.run(&bundle, &agent_id)).expect("runc starts");
    agent
        .wait_line("tunnel connected", WAIT)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    cloud.wait_agent(WAIT).await.expect("hub sees the agent");

    // As the chart runs it: the non-root user, a read-only root filesystem.
    let pid = runc.pid(&agent_id).expect("container pid");
    assert_eq!(process_ids(pid).expect("ids"), (CHART_UID, CHART_UID));
    let options = root_mount_options(pid).expect("root mount");
    assert!(
        options.split(',').any(|o| o == "ro"),
        "root mounted {options}"
    );

    assert_eq!(probe_get(listen, "/healthz").await.expect("healthz").0, 200);
    assert_eq!(probe_get(listen, "/readyz").await.expect("readyz").0, 200);

    let check = cloud
        .call(&TestConnection::default())
        .await
        .expect("test connection answers");
    assert!(check.ok, "{check:#?}");

    // The crates.io repository is matched against the OSV data layer inside the image.
    let scan = cloud
        .call(&Scan {
            repository: "billing".into(),
            ..Scan::default()
        })
        .await
        .expect("scan answers");
    assert!(
        scan.findings.iter().any(|f| f.package == "smallvec"),
        "{scan:#?}"
    );

    runc.kill(&agent_id, "TERM").expect("runc kill TERM");
    let status = agent.wait_exit(WAIT).await.expect("container exits");
    assert_eq!(status.code(), Some(0), "{}", agent.seen().join("\n"));
    let log = agent.seen().join("\n");
    assert!(log.contains("shutting down"), "{log}");
    assert!(log.contains("\"stopped\""), "{log}");
    assert!(!log.contains(WRITER_TOKEN), "the token leaked into the log");
}
