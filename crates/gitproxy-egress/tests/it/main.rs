//! Integration tests of gitproxy-egress with real parts: tinyproxy, an rcgen PKI, loopback servers.

mod diagnostics;
mod routing;
mod support;
mod tls;
