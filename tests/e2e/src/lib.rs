//! Shared parts of the end-to-end suite and the `cargo xtask demo` driver: the simulator seeded
//! with a vulnerable sample project, OSV data, a tunnel hub standing in for the cloud, a
//! package-registry stand-in, and the real `gitproxy` binary run as a child process or, from its
//! container image, under runc. The PKI, tinyproxy and log waiting come from
//! `gitproxy-test-support` (re-exported here).

mod agent;
mod cloud;
mod container;
mod error;
mod registry;
mod seed;

pub use agent::{gitproxy_binary, gitproxy_command, probe_get, AgentProcess};
pub use cloud::Cloud;
pub use container::{harden, image_under_test, process_ids, root_mount_options, Bundle, Runc};
pub use error::Error;
pub use gitproxy_test_support::{free_port, Leaf, Pki, Tinyproxy, TinyproxyOptions};
pub use registry::RegistryStandIn;
pub use seed::{
    demo_osv_dir, demo_simulator, fixture_osv_dir, DemoRepo, DEMO_PROJECT, DEMO_REPOS, READER,
    READER_TOKEN, WRITER, WRITER_TOKEN,
};
