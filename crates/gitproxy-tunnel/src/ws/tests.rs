//! Unit tests of the WebSocket codec: RFC vectors, round trips, interoperability with tungstenite in both
//! roles, and protocol violations.

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::protocol::Role as TRole;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use super::*;

#[test]
fn rfc_6455_vectors() {
    // Section 1.3: the accept key of the sample handshake.
    assert_eq!(
        accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="),
        "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    );
    // Section 5.7: "Hello" masked with 37 fa 21 3d.
    let mut hello = *b"Hello";
    apply_mask(&mut hello, [0x37, 0xfa, 0x21, 0x3d], 0);
    assert_eq!(hello, [0x7f, 0x9f, 0x4d, 0x51, 0x58]);
    // Masking resumes at any offset.
    let mut data: Vec<u8> = (0..37u8).collect();
    let mask = [1, 2, 3, 4];
    let mut whole = data.clone();
    apply_mask(&mut whole, mask, 0);
    let next = apply_mask(&mut data[..13], mask, 0);
    apply_mask(&mut data[13..], mask, next);
    assert_eq!(data, whole);
    assert_eq!(generate_key().len(), 24);
}

fn payload(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 % 251) as u8).collect()
}

#[tokio::test]
async fn bytes_cross_in_both_directions() {
    let (a, b) = tokio::io::duplex(64 * 1024);
    let mut client = WsIo::new(a, Role::Client);
    let mut server = WsIo::new(b, Role::Server);
    let up = payload(3_000_000);
    let down = payload(1_000_003);
    let send_up = {
        let up = up.clone();
        let down_len = down.len();
        async move {
            for chunk in up.chunks(10_000) {
                client.write_all(chunk).await.expect("write");
            }
            client.flush().await.expect("flush");
            let mut got = vec![0u8; down_len];
            client.read_exact(&mut got).await.expect("read down");
            client.shutdown().await.expect("close");
            got
        }
    };
    let serve = {
        let down = down.clone();
        let up_len = up.len();
        async move {
            let mut got = vec![0u8; up_len];
            server.read_exact(&mut got).await.expect("read up");
            server.write_all(&down).await.expect("write down");
            server.flush().await.expect("flush");
            let mut rest = Vec::new();
            server
                .read_to_end(&mut rest)
                .await
                .expect("eof after close");
            assert!(rest.is_empty());
            got
        }
    };
    let (got_down, got_up) = tokio::join!(send_up, serve);
    assert!(got_up == up, "client to server intact");
    assert!(got_down == down, "server to client intact");
}

#[tokio::test]
async fn interoperates_with_tungstenite_as_client_and_as_server() {
    // Our client, tungstenite server.
    let (a, b) = tokio::io::duplex(64 * 1024);
    let mut ours = WsIo::new(a, Role::Client);
    let mut theirs = WebSocketStream::from_raw_socket(b, TRole::Server, None).await;
    let data = payload(200_000);
    let writer = async {
        ours.write_all(&data[..100_000]).await.expect("write");
        ours.write_all(&data[100_000..]).await.expect("write");
        ours.flush().await.expect("flush");
        ours
    };
    let reader = async {
        let mut got = Vec::new();
        while got.len() < data.len() {
            match theirs.next().await.expect("message").expect("valid frame") {
                Message::Binary(b) => got.extend_from_slice(&b),
                other => panic!("unexpected {other:?}"),
            }
        }
        theirs
            .send(Message::Ping(b"are you there".to_vec().into()))
            .await
            .expect("ping");
        theirs
            .send(Message::Binary(b"reply".to_vec().into()))
            .await
            .expect("send");
        (got, theirs)
    };
    let (mut ours, (got, mut theirs)) = tokio::join!(writer, reader);
    assert!(got == data);
    let mut reply = [0u8; 5];
    ours.read_exact(&mut reply).await.expect("read reply");
    assert_eq!(&reply, b"reply");
    ours.flush().await.expect("flush pong");
    match theirs.next().await.expect("pong").expect("valid") {
        Message::Pong(p) => assert_eq!(&p[..], b"are you there"),
        other => panic!("expected a pong, got {other:?}"),
    }

    // Tungstenite client, our server.
    let (a, b) = tokio::io::duplex(64 * 1024);
    let mut theirs = WebSocketStream::from_raw_socket(a, TRole::Client, None).await;
    let mut ours = WsIo::new(b, Role::Server);
    let mut got = vec![0u8; data.len()];
    let (sent, read) = tokio::join!(
        theirs.send(Message::Binary(data.clone().into())),
        ours.read_exact(&mut got)
    );
    sent.expect("send");
    read.expect("read");
    assert!(got == data);
    ours.write_all(b"back").await.expect("write");
    ours.flush().await.expect("flush");
    assert!(matches!(theirs.next().await, Some(Ok(Message::Binary(b))) if &b[..] == b"back"));
    theirs.close(None).await.expect("close");
    let mut rest = Vec::new();
    ours.read_to_end(&mut rest)
        .await
        .expect("close ends the stream");
    assert!(rest.is_empty());
}

#[tokio::test]
async fn protocol_violations_are_errors() {
    // A text message.
    let (a, b) = tokio::io::duplex(1024);
    let mut raw = WebSocketStream::from_raw_socket(a, TRole::Client, None).await;
    let mut server = WsIo::new(b, Role::Server);
    raw.send(Message::Text("hello".into())).await.expect("send");
    let mut buf = [0u8; 16];
    let err = server.read(&mut buf).await.expect_err("text refused");
    assert_eq!(err.kind(), io::ErrorKind::InvalidData);

    // An unmasked frame sent to a server, and reserved bits.
    for frame in [vec![0x82, 0x02, b'h', b'i'], vec![0xC2, 0x80, 0, 0, 0, 0]] {
        let (mut a, b) = tokio::io::duplex(1024);
        let mut server = WsIo::new(b, Role::Server);
        a.write_all(&frame).await.expect("write");
        let err = server.read(&mut buf).await.expect_err("refused");
        assert_eq!(err.kind(), io::ErrorKind::InvalidData, "{frame:?}");
    }
}

#[tokio::test]
async fn writes_wait_for_the_flush_and_messages_stay_within_64_kib() {
    let (a, b) = tokio::io::duplex(1 << 20);
    let mut theirs = WebSocketStream::from_raw_socket(a, TRole::Client, None).await;
    let mut ours = WsIo::new(b, Role::Server);
    let data = payload(200_000);
    ours.write_all(&data).await.expect("write");
    // Buffered: nothing is on the wire before the flush.
    assert!(futures_util::FutureExt::now_or_never(theirs.next()).is_none());
    ours.flush().await.expect("flush");
    let mut got = Vec::new();
    let mut messages = 0;
    while got.len() < data.len() {
        match theirs.next().await.expect("message").expect("valid frame") {
            Message::Binary(b) => {
                assert!(b.len() <= 64 << 10, "a message of {} bytes", b.len());
                got.extend_from_slice(&b);
                messages += 1;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(got == data);
    assert_eq!(messages, 4);
}
