//! Unit tests of the WebSocket byte-stream adapter over an in-memory duplex pipe.

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::*;

#[tokio::test]
async fn bytes_cross_the_websocket_in_both_directions() {
    let (a, b) = tokio::io::duplex(64 * 1024);
    let (mut client, mut server) =
        tokio::join!(WsIo::new(a, Role::Client), WsIo::new(b, Role::Server));
    let payload: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    let send = {
        let payload = payload.clone();
        async move {
            for chunk in payload.chunks(10_000) {
                client.write_all(chunk).await.expect("write");
            }
            client.flush().await.expect("flush");
            client.shutdown().await.expect("close");
            client
        }
    };
    let recv = async move {
        let mut got = Vec::new();
        server.read_to_end(&mut got).await.expect("read");
        got
    };
    let (_client, got) = tokio::join!(send, recv);
    assert_eq!(got.len(), payload.len());
    assert!(got == payload, "bytes arrive intact and in order");
}

#[tokio::test]
async fn a_text_message_is_a_protocol_error() {
    use futures_util::SinkExt;
    let (a, b) = tokio::io::duplex(1024);
    let mut raw = WebSocketStream::from_raw_socket(a, Role::Client, None).await;
    let mut server = WsIo::new(b, Role::Server).await;
    raw.send(Message::Text("hello".into())).await.expect("send");
    let mut buf = [0u8; 16];
    let err = server.read(&mut buf).await.expect_err("text refused");
    assert_eq!(err.kind(), io::ErrorKind::InvalidData);
}
