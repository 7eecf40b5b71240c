//! Paging: `Page<T>` and `Paged<T>`, an async `Stream` that follows `isLastPage`/`nextPageStart`.
//!
//! Bitbucket pages with `start` (an item offset) and `limit`, and answers
//! `{size, limit, isLastPage, start, nextPageStart?, values}`. The stream:
//! * stops only on `isLastPage: true` (never on `size < limit`);
//! * asks for the next page at `nextPageStart`, with the `limit` the server echoed (servers cap
//!   page sizes below what was asked);
//! * fails with [`Error::InvalidPage`] when a page is not the last but has no `nextPageStart`
//!   beyond its `start` (a loop would never end);
//! * stops after the page cap (default 100 pages) by yielding [`Error::PageCapReached`] after
//!   the last fetched item, so truncation is never silent.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::stream::{self, BoxStream, Stream, StreamExt as _, TryStreamExt as _};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::client::{Client, Req, MAX_PAGE_LIMIT};
use crate::error::Error;

/// One page of a paged resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    default,
    rename_all = "camelCase",
    bound(deserialize = "T: Deserialize<'de>")
)]
#[non_exhaustive]
pub struct Page<T> {
    /// The items.
    #[serde(deserialize_with = "crate::models::de::null_default")]
    pub values: Vec<T>,
    /// Number of items on this page.
    pub size: u32,
    /// The page size the server applied.
    pub limit: u32,
    /// Offset of the first item.
    pub start: u64,
    /// Whether this is the last page.
    pub is_last_page: bool,
    /// Offset of the next page (absent on the last page).
    pub next_page_start: Option<u64>,
}

impl<T> Default for Page<T> {
    fn default() -> Self {
        Page {
            values: Vec::new(),
            size: 0,
            limit: 0,
            start: 0,
            is_last_page: false,
            next_page_start: None,
        }
    }
}

impl<T: DeserializeOwned> Page<T> {
    pub(crate) fn decode(body: &[u8]) -> Result<Page<T>, serde_json::Error> {
        serde_json::from_slice(body)
    }
}

/// Turns a response body into a page.
pub(crate) type DecodeFn<T> = fn(&[u8]) -> Result<Page<T>, serde_json::Error>;

/// A lazily fetched paged listing; implements [`Stream`] of `Result<T, Error>` items.
///
/// Nothing is requested until the stream is polled (or [`first_page`](Self::first_page) /
/// [`collect_all`](Self::collect_all) is awaited). Adjust it before use:
///
/// ```no_run
/// # async fn demo(client: bitbucket_dc::Client) -> Result<(), bitbucket_dc::Error> {
/// use futures_util::TryStreamExt as _;
/// let mut repos = client.project("PROJ").repositories().limit(1000).page_cap(20);
/// while let Some(repo) = repos.try_next().await? {
///     println!("{}", repo.slug);
/// }
/// let all = client.project("PROJ").repositories().collect_all().await?;
/// # let _ = all; Ok(()) }
/// ```
pub struct Paged<T> {
    client: Client,
    path: String,
    query: Vec<(String, String)>,
    start: u64,
    limit: u32,
    cap: u32,
    decode: DecodeFn<T>,
    /// An argument error found while building the listing, reported on first use.
    deferred: Option<Error>,
    items: Option<BoxStream<'static, Result<T, Error>>>,
}

impl<T> fmt::Debug for Paged<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Paged")
            .field("path", &self.path)
            .field("query", &self.query)
            .field("start", &self.start)
            .field("limit", &self.limit)
            .field("page_cap", &self.cap)
            .field("started", &self.items.is_some())
            .finish()
    }
}

impl<T: DeserializeOwned + Send + 'static> Paged<T> {
    pub(crate) fn new(
        client: Client,
        path: String,
        query: Vec<(String, String)>,
        decode: DecodeFn<T>,
    ) -> Self {
        let limit = client.page_limit();
        let cap = client.page_cap();
        Paged {
            client,
            path,
            query,
            start: 0,
            limit,
            cap,
            decode,
            deferred: None,
            items: None,
        }
    }

    /// A listing that fails with `err` when used (invalid arguments found while building it).
    pub(crate) fn failed(client: Client, path: String, err: Error) -> Self {
        let mut paged = Self::new(client, path, Vec::new(), |_| {
            Err(<serde_json::Error as serde::de::Error>::custom(
                "this listing failed before any request",
            ))
        });
        paged.deferred = Some(err);
        paged
    }

    /// Page size to request (clamped to 1..=1000); later pages use the server's echoed limit.
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = limit.clamp(1, MAX_PAGE_LIMIT);
        self
    }

    /// Maximum number of pages to fetch (at least 1) before [`Error::PageCapReached`].
    pub fn page_cap(mut self, cap: u32) -> Self {
        self.cap = cap.max(1);
        self
    }

    /// Item offset to start at (default 0).
    pub fn start(mut self, start: u64) -> Self {
        self.start = start;
        self
    }

    /// Fetches only the first page.
    pub async fn first_page(self) -> Result<Page<T>, Error> {
        if let Some(err) = self.deferred {
            return Err(err);
        }
        fetch_page(
            &self.client,
            &self.path,
            &self.query,
            self.start,
            self.limit,
            self.decode,
        )
        .await
    }

    /// A stream of whole pages instead of items.
    pub fn pages(self) -> BoxStream<'static, Result<Page<T>, Error>> {
        let state = PageState {
            client: self.client,
            path: self.path,
            query: self.query,
            next: Some(self.start),
            limit: self.limit,
            fetched: 0,
            cap: self.cap,
            decode: self.decode,
            pending_error: self.deferred,
        };
        stream::unfold(state, next_page).boxed()
    }

    /// Fetches every page and collects the items; fails on the first error (including
    /// [`Error::PageCapReached`]).
    pub async fn collect_all(self) -> Result<Vec<T>, Error> {
        self.try_collect().await
    }

    fn items(&mut self) -> &mut BoxStream<'static, Result<T, Error>> {
        if self.items.is_none() {
            let paged = Paged {
                client: self.client.clone(),
                path: self.path.clone(),
                query: self.query.clone(),
                start: self.start,
                limit: self.limit,
                cap: self.cap,
                decode: self.decode,
                deferred: self.deferred.take(),
                items: None,
            };
            let items = paged
                .pages()
                .flat_map(|page| {
                    stream::iter(match page {
                        Ok(page) => page.values.into_iter().map(Ok).collect::<Vec<_>>(),
                        Err(err) => vec![Err(err)],
                    })
                })
                .boxed();
            self.items = Some(items);
        }
        self.items.as_mut().expect("initialised above")
    }
}

impl<T: DeserializeOwned + Send + 'static> Stream for Paged<T> {
    type Item = Result<T, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().items().poll_next_unpin(cx)
    }
}

struct PageState<T> {
    client: Client,
    path: String,
    query: Vec<(String, String)>,
    next: Option<u64>,
    limit: u32,
    fetched: u32,
    cap: u32,
    decode: DecodeFn<T>,
    pending_error: Option<Error>,
}

async fn next_page<T: DeserializeOwned>(
    mut state: PageState<T>,
) -> Option<(Result<Page<T>, Error>, PageState<T>)> {
    if let Some(err) = state.pending_error.take() {
        state.next = None;
        return Some((Err(err), state));
    }
    let start = state.next?;
    let page = match fetch_page(
        &state.client,
        &state.path,
        &state.query,
        start,
        state.limit,
        state.decode,
    )
    .await
    {
        Ok(page) => page,
        Err(err) => {
            state.next = None;
            return Some((Err(err), state));
        }
    };
    state.fetched += 1;
    if page.limit > 0 {
        state.limit = page.limit.min(MAX_PAGE_LIMIT);
    }
    state.next = None;
    if !page.is_last_page {
        match page.next_page_start {
            Some(next) if next > start => {
                if state.fetched >= state.cap {
                    state.pending_error = Some(Error::PageCapReached {
                        path: state.path.clone(),
                        pages: state.fetched,
                        next_page_start: next,
                    });
                } else {
                    state.next = Some(next);
                }
            }
            Some(next) => {
                state.pending_error = Some(Error::InvalidPage {
                    path: state.path.clone(),
                    reason: format!("nextPageStart {next} does not advance past start {start}"),
                });
            }
            None => {
                state.pending_error = Some(Error::InvalidPage {
                    path: state.path.clone(),
                    reason: "isLastPage is false but nextPageStart is missing".to_owned(),
                });
            }
        }
    }
    Some((Ok(page), state))
}

async fn fetch_page<T>(
    client: &Client,
    path: &str,
    query: &[(String, String)],
    start: u64,
    limit: u32,
    decode: DecodeFn<T>,
) -> Result<Page<T>, Error> {
    let req = Req::get(path)
        .queries(query.to_vec())
        .query("start", start.to_string())
        .query("limit", limit.to_string());
    let method = req.method.clone();
    let raw = client.send(req).await?;
    decode(&raw.body).map_err(|source| Error::Decode {
        method,
        path: path.to_owned(),
        target: std::any::type_name::<Page<T>>(),
        snippet: crate::error::snippet(&raw.body),
        source,
    })
}

#[cfg(test)]
mod tests;
