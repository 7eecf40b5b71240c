//! Integration tests: the simulator over real sockets, real git and real TLS, driven with a raw hyper client.

mod auto_merge;
mod binary;
mod branches;
mod builds;
mod comments;
mod conformance;
mod faults;
mod files;
mod git;
mod pull_requests;
mod rescope;
mod rest;
mod reviewer_groups;
mod support;
mod tls;
