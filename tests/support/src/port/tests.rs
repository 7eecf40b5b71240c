//! The refusing port refuses, and keeps its number from other binds while held.

use super::*;

#[tokio::test]
async fn a_held_port_refuses_connections_and_cannot_be_taken() {
    let port = RefusingPort::new().expect("port");
    let err = tokio::net::TcpStream::connect(port.addr())
        .await
        .expect_err("nobody listens");
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused, "{err}");
    assert!(std::net::TcpListener::bind(port.addr()).is_err());
}
