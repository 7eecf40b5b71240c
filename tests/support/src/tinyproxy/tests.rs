//! Tests of the launcher: a started tinyproxy carries a CONNECT to a loopback listener and logs it.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{TcpListener, TcpStream};

use super::{config_text, Tinyproxy, TinyproxyOptions};

#[tokio::test]
async fn tinyproxy_tunnels_a_connect_to_a_loopback_listener_and_logs_it() {
    let target = TcpListener::bind("127.0.0.1:0").expect("bind target");
    let target_addr = target.local_addr().expect("addr");
    let proxy = Tinyproxy::start().expect("tinyproxy starts");
    assert_eq!(proxy.url(), format!("http://{}", proxy.addr()));

    let mut client = TcpStream::connect(proxy.addr()).expect("connect to the proxy");
    write!(
        client,
        "CONNECT {target_addr} HTTP/1.1\r\nHost: {target_addr}\r\n\r\n"
    )
    .expect("send CONNECT");
    let mut reader = BufReader::new(client.try_clone().expect("clone"));
    let mut status = String::new();
    reader.read_line(&mut status).expect("status line");
    assert!(status.contains(" 200 "), "{status}");
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).expect("header");
        if header == "\r\n" {
            break;
        }
    }

    let (mut server, _) = target.accept().expect("the tunnel reaches the listener");
    client.write_all(b"ping").expect("write through the tunnel");
    let mut got = [0u8; 4];
    server.read_exact(&mut got).expect("read at the listener");
    assert_eq!(&got, b"ping");
    server.write_all(b"pong").expect("answer");
    reader.read_exact(&mut got).expect("read the answer");
    assert_eq!(&got, b"pong");

    let log = proxy
        .wait_for_log(&format!("CONNECT {target_addr}"))
        .await
        .expect("logged");
    assert!(log.contains("Request (file descriptor"), "{log}");
}

#[test]
fn the_configuration_carries_every_option() {
    let upstream = "127.0.0.1:3128".parse().expect("addr");
    let text = config_text(
        8888,
        &TinyproxyOptions {
            basic_auth: Some(("agent".to_owned(), "pw".to_owned())),
            connect_ports: vec![443],
            upstream: Some(upstream),
            upstream_for: vec![(upstream, "localhost".to_owned())],
        },
    );
    for line in [
        "Port 8888",
        "Allow 127.0.0.1",
        "LogLevel Info",
        "BasicAuth agent pw",
        "ConnectPort 443",
        "Upstream http 127.0.0.1:3128\n",
        "Upstream http 127.0.0.1:3128 \"localhost\"",
    ] {
        assert!(text.contains(line), "{line} missing from:\n{text}");
    }
}
