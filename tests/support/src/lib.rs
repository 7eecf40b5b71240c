//! Test parts shared by every crate's tests, benches and the end-to-end suite: a certificate
//! authority minted with rcgen ([`Pki`]), a real tinyproxy standing in for the corporate proxy
//! ([`Tinyproxy`]), a TLS-intercepting proxy that strips the WebSocket upgrade ([`intercepting_proxy`]),
//! a bounded wait for a line in a child process's log ([`LogWaiter`]), a loopback port that refuses
//! connections while held ([`RefusingPort`]), and the CPU time a process or thread has used
//! ([`cpu_ticks`]), for benchmarks.
//!
//! It depends on no crate of this workspace, so any of them can dev-depend on it.

mod cpu;
mod error;
mod intercept;
mod log;
mod pki;
mod port;
mod tinyproxy;

pub use cpu::{cpu_ticks, TICKS_PER_SECOND};
pub use error::Error;
pub use intercept::intercepting_proxy;
pub use log::LogWaiter;
pub use pki::{unix_time, Leaf, Pki, Ymd};
pub use port::RefusingPort;
pub use tinyproxy::{free_port, Tinyproxy, TinyproxyOptions};
