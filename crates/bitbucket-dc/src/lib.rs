//! Typed async client for the Bitbucket Data Center REST API.
//!
//! `bitbucket-dc` covers what a bot needs to find repositories, read files, create branches and
//! commits, open and maintain pull requests, comment, and report build and Code Insights
//! results, and it handles the quirks real clients ran into: 401 meaning either "bad
//! credential" or "no permission", XSRF rejections, 409s with a dozen meanings, empty
//! repositories answering 204, non-JSON error bodies, paging that must follow `nextPageStart`,
//! rate limiting with `Retry-After`, and percent-encoding of paths, refs and queries.
//!
//! # Quick start
//!
//! ```no_run
//! use bitbucket_dc::{Client, Credentials, Error, NewPullRequest, PullRequestQuery};
//! use futures_util::TryStreamExt as _;
//!
//! # async fn demo() -> Result<(), Error> {
//! let client = Client::new(
//!     "https://bitbucket.example.com",
//!     Credentials::basic("renovate-bot", "my-http-access-token")?,
//! )?;
//! println!("authenticated as {:?}", client.whoami().await?);
//!
//! let mut repos = client.project("PROJ").repositories();
//! while let Some(repo) = repos.try_next().await? {
//!     let open = client
//!         .repo("PROJ", &repo.slug)
//!         .pull_requests()
//!         .list(&PullRequestQuery::new())
//!         .collect_all()
//!         .await?;
//!     println!("{}: {} open pull requests", repo.slug, open.len());
//! }
//!
//! let new = NewPullRequest::new("Fix CVE-2021-44228", "fix/log4j", "main");
//! match client.repo("PROJ", "app").pull_requests().create(&new).await {
//!     Ok(pr) => println!("opened #{}", pr.id),
//!     Err(Error::DuplicatePullRequest { existing, .. }) => println!("already open: {existing:?}"),
//!     Err(err) => return Err(err),
//! }
//! # Ok(()) }
//! ```
//!
//! # Structure
//!
//! * [`Client`] / [`ClientBuilder`]: base URL (context paths kept), [`Credentials`], timeouts,
//!   [`RetryPolicy`], page size and cap, and the connector: plain TCP for `http://` (loopback
//!   tests), rustls with the platform's roots for `https://` (the default `rustls` feature), or
//!   any hyper connector the caller hands in ([`ClientBuilder::connector`]).
//! * Handlers, one per API area, reached from the client (`client.repo(k, s).pull_requests()`):
//!
//!   | area | handler | reached by |
//!   |---|---|---|
//!   | server, identity | [`ServerApi`] | `client.server()`, `client.whoami()` |
//!   | users | [`UsersApi`] | `client.users()` |
//!   | repository search / permission checks | [`RepositoriesApi`] | `client.repositories()` |
//!   | projects | [`ProjectApi`] | `client.projects(&search)`, `client.project(key)` |
//!   | one repository, default branch, clone URL | [`RepoApi`] | `client.repo(key, slug)` |
//!   | branches | [`BranchesApi`] | `repo.branches()` |
//!   | files | [`FilesApi`] | `repo.files()` |
//!   | commits | [`CommitsApi`] | `repo.commits()` |
//!   | pull requests | [`PullRequestsApi`], [`PullRequestApi`] | `repo.pull_requests()`, `repo.pull_request(id)` |
//!   | comments and tasks | [`CommentsApi`] | `pr.comments()`, `pr.blocker_comments()` |
//!   | repository-scoped builds | [`BuildsApi`] | `repo.builds()` |
//!   | legacy build status | [`LegacyBuildStatusApi`] | `client.build_status()` |
//!   | Code Insights | [`InsightsApi`] | `repo.insights()` |
//!
//!   Handlers hold a clone of the client (cheap) and the encoded path prefix; they can be kept
//!   and moved across tasks.
//! * Models: typed request and response models, all at the crate root
//!   (`bitbucket_dc::PullRequest`, `bitbucket_dc::NewComment`, …; there is no second path to
//!   them). Decoding is lenient: every response model has `#[serde(default)]`, unknown fields
//!   are ignored, optional and nullable fields are `Option`, timestamps are read from epoch
//!   milliseconds or ISO-8601 strings, and every server enum has an `Other(String)` variant
//!   that keeps values this version of the crate does not know (an empty `Other("")` means the
//!   server omitted the field). Response models are `#[non_exhaustive]`: fields may be added in
//!   any release. Request models are built with constructors and chainable setters.
//! * [`Paged`] / [`Page`]: paged listings as a `futures` [`Stream`](futures_util::Stream).
//! * [`Error`]: one error type mapping Bitbucket's error envelope to matchable variants.
//! * [`encode`]: the percent-encoding rules, public for the escape hatches
//!   ([`Client::get_json`], [`Client::get_paged`]).
//!
//! The crate never reads environment variables and knows nothing about proxies: a caller that
//! needs one passes a connector.

#![warn(missing_docs)]

mod api;
mod auth;
mod client;
pub mod encode;
mod error;
mod models;
mod multipart;
mod page;
mod retry;
#[cfg(feature = "rustls")]
mod tls;

pub use api::{
    BranchesApi, BuildsApi, CommentsApi, CommitsApi, FilesApi, InsightsApi, LegacyBuildStatusApi,
    ProjectApi, PullRequestApi, PullRequestsApi, RepoApi, RepositoriesApi, RequiredBuildsApi,
    ServerApi, UsersApi,
};
pub use auth::Credentials;
pub use client::{
    Client, ClientBuilder, ResponseObserver, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_PAGE_CAP, DEFAULT_PAGE_LIMIT, DEFAULT_TIMEOUT, DEFAULT_USER_AGENT, MAX_PAGE_LIMIT,
};
pub use error::{Error, ErrorMessage, ErrorResponse, NotFoundKind};
pub use models::*;
pub use page::{Page, Paged};
pub use retry::RetryPolicy;

#[cfg(test)]
mod testutil;

/// The README's examples, compiled as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
