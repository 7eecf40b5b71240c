//! The `bitbucket-dc-sim` binary: serves a seed file and prints its base URL and credentials, and switches
//! faults and shows its request log over the loopback admin endpoints.

use std::process::Stdio;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};

/// Starts the binary with `args` and returns it with the lines it printed up to `ready`.
async fn spawn(args: &[&str]) -> (tokio::process::Child, Vec<String>) {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_bitbucket-dc-sim"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn the binary");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let mut printed = Vec::new();
    let read = async {
        while let Some(line) = lines.next_line().await.expect("read") {
            let done = line == "ready";
            printed.push(line);
            if done {
                break;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(30), read)
        .await
        .expect("the binary prints its banner");
    (child, printed)
}

fn base_url(printed: &[String]) -> url::Url {
    let base = printed
        .iter()
        .find_map(|l| l.strip_prefix("base_url: "))
        .expect("base url line");
    url::Url::parse(base).expect("url")
}

/// One request to the running binary: (status, body).
async fn send(base: &url::Url, method: &str, path: &str, body: Option<Value>) -> (u16, Bytes) {
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let mut request = http::Request::builder()
        .method(method)
        .uri(base.join(path).expect("url").as_str())
        .header("authorization", "Bearer alice-token");
    let bytes = match body {
        Some(value) => {
            request = request.header("content-type", "application/json");
            Bytes::from(serde_json::to_vec(&value).expect("json"))
        }
        None => Bytes::new(),
    };
    let request = request.body(Full::new(bytes)).expect("request");
    let response = tokio::time::timeout(Duration::from_secs(30), client.request(request))
        .await
        .expect("answered in time")
        .expect("response");
    let status = response.status().as_u16();
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    (status, body)
}

fn json_of(body: &Bytes) -> Value {
    serde_json::from_slice(body).expect("json body")
}

#[tokio::test]
async fn binary_switches_faults_and_shows_its_request_log_over_the_admin_endpoints() {
    let (mut child, printed) = spawn(&["--listen", "127.0.0.1:0"]).await;
    let base = base_url(&printed);
    assert!(
        printed
            .iter()
            .any(|l| l.starts_with("admin: ") && l.contains("/_sim/")),
        "{printed:?}"
    );

    let (status, faults) = send(&base, "GET", "_sim/faults", None).await;
    assert_eq!(status, 200);
    assert_eq!(json_of(&faults)["failNext"], json!([]));
    let (status, set) = send(
        &base,
        "POST",
        "_sim/faults",
        Some(json!({"failNext": {"count": 1, "status": 503, "retryAfter": 3}})),
    )
    .await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&set));
    assert_eq!(json_of(&set)["failNext"][0]["status"], 503);

    let (status, _) = send(&base, "GET", "rest/api/1.0/application-properties", None).await;
    assert_eq!(status, 503, "the switched fault answers the next request");
    let (status, _) = send(&base, "GET", "rest/api/1.0/application-properties", None).await;
    assert_eq!(status, 200);

    let (status, log) = send(&base, "GET", "_sim/requests", None).await;
    assert_eq!(status, 200);
    let log = json_of(&log);
    let statuses: Vec<u64> = log["values"]
        .as_array()
        .expect("values")
        .iter()
        .filter_map(|r| r["status"].as_u64())
        .collect();
    assert_eq!(
        statuses,
        vec![503, 200],
        "admin calls are not logged: {log}"
    );
    assert_eq!(
        log["values"][0]["path"],
        "/rest/api/1.0/application-properties"
    );
    assert_eq!(log["values"][0]["auth"], "bearer");
    let text = log.to_string();
    assert!(!text.contains("alice-token"), "no credentials in the log");

    let (status, bad) = send(
        &base,
        "POST",
        "_sim/faults",
        Some(json!({"latencyMs": "soon"})),
    )
    .await;
    assert_eq!(status, 400, "{}", String::from_utf8_lossy(&bad));
    let (status, _) = send(&base, "DELETE", "_sim/requests", None).await;
    assert_eq!(status, 200);
    let (_, log) = send(&base, "GET", "_sim/requests", None).await;
    assert_eq!(json_of(&log)["size"], 0);
    child.kill().await.expect("kill");

    let (mut child, printed) = spawn(&["--listen", "127.0.0.1:0", "--no-admin"]).await;
    let base = base_url(&printed);
    let (status, _) = send(&base, "GET", "_sim/faults", None).await;
    assert_eq!(status, 404, "--no-admin turns the endpoints off");
    child.kill().await.expect("kill");
}

#[tokio::test]
async fn binary_serves_a_seed_file_and_prints_the_base_url() {
    let dir = tempfile::tempdir().expect("tempdir");
    let seed = dir.path().join("seed.json");
    std::fs::write(
        &seed,
        r#"{"users":[{"name":"ops","tokens":["ops-token"]}],
            "projects":[{"key":"OPS","repos":[{"slug":"infra","files":{"main.tf":"terraform {}\n"}}]}],
            "permissions":[{"user":"ops","permission":"PROJECT_READ","project":"OPS"}]}"#,
    )
    .expect("seed");
    let seed_arg = seed.to_str().expect("utf-8 path");
    let (mut child, printed) = spawn(&["--listen", "127.0.0.1:0", "--seed", seed_arg]).await;
    let base = base_url(&printed).to_string();
    assert!(
        printed
            .iter()
            .any(|l| l.contains("user: ops") && l.contains("ops-token")),
        "{printed:?}"
    );
    assert!(
        printed.iter().any(|l| l.contains("/scm/ops/infra.git")),
        "{printed:?}"
    );

    let url = url::Url::parse(&base).expect("url");
    let stream =
        tokio::net::TcpStream::connect((url.host_str().expect("host"), url.port().expect("port")))
            .await
            .expect("connect");
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .expect("http");
    tokio::spawn(conn);
    let request = http::Request::get("/rest/api/1.0/projects/OPS/repos/infra/raw/main.tf")
        .header("host", "localhost")
        .header("authorization", "Bearer ops-token")
        .body(http_body_util::Empty::<bytes::Bytes>::new())
        .expect("request");
    let response = sender.send_request(request).await.expect("response");
    assert_eq!(response.status(), 200);
    let body = http_body_util::BodyExt::collect(response.into_body())
        .await
        .expect("body")
        .to_bytes();
    assert_eq!(&body[..], b"terraform {}\n");
    child.kill().await.expect("kill");
}
