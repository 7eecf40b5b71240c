//! Integration tests of the `bitbucket-dc` client against the `bitbucket-dc-sim` simulator on
//! loopback: every client call with its error paths, paging, retries, TLS through a caller-supplied
//! connector, real git over `/scm`, and conformance with Atlassian's OpenAPI description.

mod branches;
mod builds;
mod comments;
mod commits;
mod conformance;
mod errors;
mod files;
mod git;
mod insights;
mod paging;
mod path_segments;
mod pull_requests;
mod repos;
mod retry;
mod server;
mod support;
