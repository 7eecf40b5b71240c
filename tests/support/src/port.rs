//! A loopback port that refuses connections for as long as the test holds it: bound and never
//! listening, so no other test running beside it can take the port (one merely found free can be,
//! and then the "refused" connection reaches that test's server instead).

use std::net::SocketAddr;

use tokio::net::TcpSocket;

use crate::Error;

/// A bound, never-listening loopback socket: connecting to [`RefusingPort::port`] is refused.
#[derive(Debug)]
pub struct RefusingPort {
    _socket: TcpSocket,
    addr: SocketAddr,
}

impl RefusingPort {
    /// Binds an ephemeral port on 127.0.0.1 without listening on it.
    pub fn new() -> Result<RefusingPort, Error> {
        let any: SocketAddr = ([127, 0, 0, 1], 0).into();
        let bind = |e| {
            Error::io(
                "bind a loopback port that refuses connections",
                "127.0.0.1:0",
                e,
            )
        };
        let socket = TcpSocket::new_v4().map_err(bind)?;
        socket.bind(any).map_err(bind)?;
        let addr = socket.local_addr().map_err(bind)?;
        Ok(RefusingPort {
            _socket: socket,
            addr,
        })
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `127.0.0.1:<port>`.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

#[cfg(test)]
mod tests;
