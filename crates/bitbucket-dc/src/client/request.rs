//! One request relative to the base URL (method, encoded path, query, body, retry mode) and a
//! successful response read in full.

use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode};
use serde::Serialize;

use crate::error::Error;

/// A request body.
#[derive(Debug, Clone)]
pub(crate) enum Body {
    Empty,
    Json(Bytes),
    Multipart { content_type: String, body: Bytes },
}

/// One request, relative to the base URL.
#[derive(Debug, Clone)]
pub(crate) struct Req {
    pub(crate) method: Method,
    /// Absolute path below the context path, already encoded (e.g. `/rest/api/latest/...`).
    pub(crate) path: String,
    pub(crate) query: Vec<(String, String)>,
    pub(crate) body: Body,
    /// When the retry policy applies.
    pub(crate) retry: RetryMode,
    /// The largest body accepted for this request, instead of the client's limit.
    pub(crate) max_body: Option<usize>,
}

/// Which failures of a request may be retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RetryMode {
    /// Never (non-idempotent `POST`s).
    Never,
    /// Only answers that say the server did not process the request (429, 503).
    RejectedOnly,
    /// Every retryable failure (idempotent methods, read-only `POST`s).
    Always,
}

impl Req {
    pub(crate) fn new(method: Method, path: impl Into<String>) -> Self {
        let retry = if matches!(
            method,
            Method::GET | Method::HEAD | Method::PUT | Method::DELETE
        ) {
            RetryMode::Always
        } else {
            RetryMode::Never
        };
        Req {
            method,
            path: path.into(),
            query: Vec::new(),
            body: Body::Empty,
            retry,
            max_body: None,
        }
    }

    pub(crate) fn get(path: impl Into<String>) -> Self {
        Self::new(Method::GET, path)
    }

    pub(crate) fn post(path: impl Into<String>) -> Self {
        Self::new(Method::POST, path)
    }

    pub(crate) fn put(path: impl Into<String>) -> Self {
        Self::new(Method::PUT, path)
    }

    pub(crate) fn delete(path: impl Into<String>) -> Self {
        Self::new(Method::DELETE, path)
    }

    pub(crate) fn query(mut self, key: &str, value: impl Into<String>) -> Self {
        self.query.push((key.to_owned(), value.into()));
        self
    }

    pub(crate) fn query_opt(self, key: &str, value: Option<&str>) -> Self {
        match value {
            Some(value) => self.query(key, value),
            None => self,
        }
    }

    pub(crate) fn queries(mut self, pairs: Vec<(String, String)>) -> Self {
        self.query.extend(pairs);
        self
    }

    pub(crate) fn json<T: Serialize + ?Sized>(mut self, body: &T) -> Result<Self, Error> {
        let bytes = serde_json::to_vec(body).map_err(|err| Error::InvalidArgument {
            reason: format!("the request body could not be serialized ({err}): report this bug"),
        })?;
        self.body = Body::Json(Bytes::from(bytes));
        Ok(self)
    }

    pub(crate) fn multipart(mut self, content_type: String, body: Bytes) -> Self {
        self.body = Body::Multipart { content_type, body };
        self
    }

    /// Accepts at most `bytes` of response body for this request (the client's limit otherwise).
    pub(crate) fn max_body(mut self, bytes: usize) -> Self {
        self.max_body = Some(bytes);
        self
    }

    /// Marks a read-only `POST` as safe to retry.
    pub(crate) fn read_only(mut self) -> Self {
        self.retry = RetryMode::Always;
        self
    }

    /// Retries only 429/503 answers, for a `PUT` that is not idempotent (a file edit creates a
    /// commit: repeating it after a lost response would fail on the stale source commit).
    pub(crate) fn retry_rejected_only(mut self) -> Self {
        self.retry = RetryMode::RejectedOnly;
        self
    }
}

/// A successful response, body read in full.
#[derive(Debug)]
pub(crate) struct RawResponse {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

impl RawResponse {
    pub(crate) fn authenticated_user(&self) -> Option<String> {
        self.headers
            .get("x-ausername")
            .and_then(|value| value.to_str().ok())
            .filter(|value| !value.is_empty())
            .map(str::to_owned)
    }
}
