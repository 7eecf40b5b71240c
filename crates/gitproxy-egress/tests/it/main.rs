//! Integration tests of gitproxy-egress with real parts: tinyproxy, a minted PKI, loopback servers.

mod diagnostics;
mod routing;
mod support;
mod tls;
