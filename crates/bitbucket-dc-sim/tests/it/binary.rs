//! The `bitbucket-dc-sim` binary: serves a seed file and prints its base URL and credentials.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};

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
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_bitbucket-dc-sim"))
        .args(["--listen", "127.0.0.1:0", "--seed"])
        .arg(&seed)
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
    let base = printed
        .iter()
        .find_map(|l| l.strip_prefix("base_url: "))
        .expect("base url line")
        .to_owned();
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
