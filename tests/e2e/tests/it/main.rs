//! End-to-end proof of the customer guide with the real `gitproxy` binary: a corporate proxy
//! (tinyproxy) in front of the cloud (a tunnel hub) and the Bitbucket simulator behind TLS from an
//! internal CA. `cargo xtask e2e` builds the binary first and runs this suite.

mod demo;
mod guide;
mod registries;
mod support;
