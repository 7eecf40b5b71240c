//! Integration tests of the tunnel over real loopback TLS with a CA minted by gitproxy-test-support:
//! hub and agents in one process, real sockets, real proxies where a test says so.

mod auth;
mod cancel;
mod errors;
mod failover;
mod goaway;
mod idempotency;
mod load;
mod longpoll;
mod malformed;
mod proxy;
mod reconnect;
mod roundtrip;
mod shutdown;
mod stream;
mod support;
