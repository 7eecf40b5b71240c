//! Integration tests: the real `gitproxy` binary against the Bitbucket simulator, and `run` against a
//! tunnel hub in the test process, all on loopback.

mod advisories;
mod check;
mod config;
mod run;
mod standalone;
mod support;
