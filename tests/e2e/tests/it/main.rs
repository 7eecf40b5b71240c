//! End-to-end proof of the customer guide with the real `gitproxy` binary: a corporate proxy
//! (tinyproxy) in front of the cloud (a tunnel hub) and the Bitbucket simulator behind TLS from an
//! internal CA. `cargo xtask e2e` builds the binary first and runs this suite; `cargo xtask image-e2e`
//! builds the container image and runs its tests (`image::`) under runc.

mod advisories;
mod demo;
mod guide;
mod image;
mod registries;
mod support;
