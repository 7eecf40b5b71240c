//! The client: builder, base URL handling, transport over any hyper connector, retries, tracing.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, USER_AGENT};
use http::{HeaderValue, Method, Request, Response, StatusCode, Uri};
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper_util::client::legacy::connect::{Connect, HttpConnector};
use hyper_util::client::legacy::{Builder as LegacyBuilder, Client as LegacyClient};
use hyper_util::rt::{TokioExecutor, TokioTimer};
use serde::de::DeserializeOwned;
use tracing::Instrument as _;

use crate::auth::Credentials;
use crate::encode;
use crate::error::{self, Error, RequestContext};
use crate::models::Repository;
use crate::page::{Page, Paged};
use crate::retry::RetryPolicy;
#[cfg(feature = "rustls")]
use crate::tls;

/// The default `User-Agent`.
pub const DEFAULT_USER_AGENT: &str = concat!("bitbucket-dc-rust/", env!("CARGO_PKG_VERSION"));
/// The default per-attempt timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// The default connect timeout of the built-in connectors.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The default page size requested by paged listings.
pub const DEFAULT_PAGE_LIMIT: u32 = 100;
/// The largest page size Bitbucket honours.
pub const MAX_PAGE_LIMIT: u32 = 1000;
/// The default number of pages a listing fetches before failing with
/// [`Error::PageCapReached`].
pub const DEFAULT_PAGE_CAP: u32 = 100;
/// The default largest response body accepted.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 64 * 1024 * 1024;

type ResponseFuture = Pin<
    Box<dyn Future<Output = Result<Response<Incoming>, hyper_util::client::legacy::Error>> + Send>,
>;

/// The connector-erased HTTP client, so [`Client`] is not generic.
trait Transport: Send + Sync {
    fn send(&self, request: Request<Full<Bytes>>) -> ResponseFuture;
}

impl<C> Transport for LegacyClient<C, Full<Bytes>>
where
    C: Connect + Clone + Send + Sync + 'static,
{
    fn send(&self, request: Request<Full<Bytes>>) -> ResponseFuture {
        Box::pin(self.request(request))
    }
}

type TransportFactory = Box<dyn FnOnce(&LegacyBuilder) -> Box<dyn Transport> + Send>;

/// Called once per HTTP attempt (retries included) with the request method and the response
/// status, or `None` when no response arrived (connect, TLS, timeout or transport failure).
/// Requests refused before sending (invalid arguments, invalid path segments) are not reported. See
/// [`ClientBuilder::on_response`].
pub type ResponseObserver = Arc<dyn Fn(&Method, Option<StatusCode>) + Send + Sync>;

/// A typed async client for one Bitbucket Data Center server.
///
/// Cheap to clone (an `Arc` inside), `Send + Sync`, usable from many tasks at once; clones share
/// the connection pool. Every request carries `Accept: application/json`,
/// `X-Atlassian-Token: no-check`, the `User-Agent` and the credentials.
///
/// ```no_run
/// # async fn demo() -> Result<(), bitbucket_dc::Error> {
/// use bitbucket_dc::{Client, Credentials};
/// // HTTPS with the platform's trusted roots:
/// let client = Client::new("https://bitbucket.example.com/bitbucket", Credentials::bearer("token")?)?;
/// // Plain HTTP on loopback (e.g. a simulator), with a tighter timeout:
/// let local = Client::builder("http://127.0.0.1:7990")
///     .credentials(Credentials::basic("admin", "token")?)
///     .timeout(std::time::Duration::from_secs(5))
///     .build()?;
/// println!("{:?}", local.whoami().await?);
/// # let _ = client; Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    transport: Box<dyn Transport>,
    base: BaseUrl,
    credentials: Credentials,
    user_agent: HeaderValue,
    timeout: Duration,
    retry: RetryPolicy,
    page_limit: u32,
    page_cap: u32,
    max_response_bytes: usize,
    on_response: Option<ResponseObserver>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        f.debug_struct("Client")
            .field("base_url", &inner.base.display)
            .field("credentials", &inner.credentials)
            .field("timeout", &inner.timeout)
            .field("retry", &inner.retry)
            .field("page_limit", &inner.page_limit)
            .field("page_cap", &inner.page_cap)
            .finish_non_exhaustive()
    }
}

/// The parsed base URL: origin plus an optional context path, joined (never replaced) with
/// REST paths.
#[derive(Debug, Clone)]
struct BaseUrl {
    /// `scheme://host[:port]`.
    origin: String,
    /// Context path without a trailing slash (`""` or e.g. `/bitbucket`).
    prefix: String,
    /// `host:port` for connection error messages.
    target: String,
    https: bool,
    display: String,
}

impl BaseUrl {
    fn parse(raw: &str) -> Result<Self, Error> {
        let invalid = |why: &str| Error::Config {
            reason: format!("base URL {raw:?} {why}"),
        };
        let url = url::Url::parse(raw.trim()).map_err(|err| {
            invalid(&format!(
                "is not a valid URL ({err}): pass e.g. https://bitbucket.example.com"
            ))
        })?;
        let https = match url.scheme() {
            "https" => true,
            "http" => false,
            other => {
                return Err(invalid(&format!(
                    "has scheme {other:?}: use http:// or https://"
                )))
            }
        };
        if !url.username().is_empty() || url.password().is_some() {
            return Err(invalid(
                "contains user info: pass credentials with Credentials, not in the URL",
            ));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(invalid(
                "has a query or fragment: pass only scheme, host, port and context path",
            ));
        }
        let host = match url.host() {
            Some(url::Host::Ipv6(addr)) => format!("[{addr}]"),
            Some(host) => host.to_string(),
            None => {
                return Err(invalid(
                    "has no host: pass e.g. https://bitbucket.example.com",
                ))
            }
        };
        let port = url
            .port_or_known_default()
            .unwrap_or(if https { 443 } else { 80 });
        let authority = match url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.clone(),
        };
        let prefix = url.path().trim_end_matches('/').to_owned();
        let origin = format!("{}://{authority}", url.scheme());
        Ok(BaseUrl {
            display: format!("{origin}{prefix}"),
            origin,
            prefix,
            target: format!("{host}:{port}"),
            https,
        })
    }

    fn uri(&self, path: &str, query: &[(String, String)]) -> Result<Uri, Error> {
        let mut uri = format!("{}{}{}", self.origin, self.prefix, path);
        if !query.is_empty() {
            uri.push('?');
            uri.push_str(&encode::query_string(query));
        }
        uri.parse::<Uri>().map_err(|err| Error::InvalidArgument {
            reason: format!("request path {path:?} does not form a valid URI ({err}): encode path segments with bitbucket_dc::encode"),
        })
    }
}

/// Builds a [`Client`]; see [`Client::builder`].
pub struct ClientBuilder {
    base_url: String,
    credentials: Credentials,
    timeout: Duration,
    connect_timeout: Duration,
    retry: RetryPolicy,
    user_agent: String,
    page_limit: u32,
    page_cap: u32,
    max_response_bytes: usize,
    #[cfg(feature = "rustls")]
    tls_config: Option<rustls::ClientConfig>,
    connector: Option<TransportFactory>,
    on_response: Option<ResponseObserver>,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut f = f.debug_struct("ClientBuilder");
        f.field("base_url", &self.base_url)
            .field("credentials", &self.credentials)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("retry", &self.retry)
            .field("user_agent", &self.user_agent)
            .field("page_limit", &self.page_limit)
            .field("page_cap", &self.page_cap)
            .field("max_response_bytes", &self.max_response_bytes);
        #[cfg(feature = "rustls")]
        f.field("custom_tls_config", &self.tls_config.is_some());
        f.field("custom_connector", &self.connector.is_some())
            .field("response_observer", &self.on_response.is_some())
            .finish()
    }
}

impl ClientBuilder {
    /// Credentials (default: anonymous).
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = credentials;
        self
    }

    /// Timeout of one attempt, from sending the request to the end of the response body
    /// (default 30 s). Retries get a fresh timeout each.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// TCP connect timeout of the built-in connectors (default 10 s); a caller-supplied
    /// [`connector`](Self::connector) handles its own.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Retry policy (default [`RetryPolicy::default`]; [`RetryPolicy::none`] disables retries).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The `User-Agent` header (default [`DEFAULT_USER_AGENT`]).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// Page size paged listings request (1 to 1000, default 100); the server may cap it lower,
    /// and the client then uses the `limit` it echoes.
    pub fn page_limit(mut self, limit: u32) -> Self {
        self.page_limit = limit;
        self
    }

    /// How many pages a listing fetches before failing with [`Error::PageCapReached`]
    /// (default 100).
    pub fn page_cap(mut self, cap: u32) -> Self {
        self.page_cap = cap;
        self
    }

    /// Largest response body accepted (default 64 MiB).
    pub fn max_response_bytes(mut self, bytes: usize) -> Self {
        self.max_response_bytes = bytes;
        self
    }

    /// Use this rustls configuration (e.g. with a private CA's root) for `https` base URLs
    /// instead of the platform's trusted roots. Its ALPN list is replaced (h2, http/1.1).
    /// Needs the `rustls` feature (on by default).
    #[cfg(feature = "rustls")]
    pub fn tls_config(mut self, config: rustls::ClientConfig) -> Self {
        self.tls_config = Some(config);
        self
    }

    /// Use a caller-supplied connector, e.g. one that tunnels through a proxy or trusts a
    /// custom CA. It must handle the base URL's scheme (TLS included for `https`). The client
    /// stays non-generic: the connector is boxed internally.
    pub fn connector<C>(mut self, connector: C) -> Self
    where
        C: Connect + Clone + Send + Sync + 'static,
    {
        self.connector = Some(Box::new(move |builder: &LegacyBuilder| {
            Box::new(builder.build::<C, Full<Bytes>>(connector)) as Box<dyn Transport>
        }));
        self
    }

    /// Observe every HTTP attempt's status, e.g. to count Bitbucket calls by status in metrics.
    /// The observer runs inline on the request path: keep it cheap and non-blocking.
    pub fn on_response(mut self, observer: ResponseObserver) -> Self {
        self.on_response = Some(observer);
        self
    }

    /// Validates the settings and builds the client.
    ///
    /// Without a [`connector`](Self::connector): an `http` base URL uses a plain TCP
    /// connector; an `https` one uses rustls (ring) with `tls_config` or else the platform's
    /// trusted roots, which fails when none can be loaded. Without the `rustls` feature an
    /// `https` base URL needs a connector.
    pub fn build(self) -> Result<Client, Error> {
        let base = BaseUrl::parse(&self.base_url)?;
        if self.timeout.is_zero() {
            return Err(config(
                "the request timeout is zero: use a positive duration",
            ));
        }
        if self.connect_timeout.is_zero() {
            return Err(config(
                "the connect timeout is zero: use a positive duration",
            ));
        }
        if !(1..=MAX_PAGE_LIMIT).contains(&self.page_limit) {
            return Err(config(&format!(
                "the page limit is {}: use a value from 1 to {MAX_PAGE_LIMIT}",
                self.page_limit
            )));
        }
        if self.page_cap == 0 {
            return Err(config("the page cap is zero: use at least 1"));
        }
        if self.max_response_bytes == 0 {
            return Err(config(
                "the response size limit is zero: use a positive size",
            ));
        }
        let user_agent = HeaderValue::from_str(&self.user_agent).map_err(|_| {
            config(
                "the user agent contains characters not allowed in a header: use printable ASCII",
            )
        })?;

        let mut legacy = LegacyClient::builder(TokioExecutor::new());
        legacy
            .pool_idle_timeout(Duration::from_secs(60))
            .pool_timer(TokioTimer::new());
        #[cfg(feature = "rustls")]
        let tls_config = self.tls_config;
        #[cfg(not(feature = "rustls"))]
        let tls_config = None::<std::convert::Infallible>;
        let transport: Box<dyn Transport> = match (self.connector, tls_config) {
            (Some(factory), _) => factory(&legacy),
            #[cfg(feature = "rustls")]
            (None, Some(mut tls)) => {
                tls.alpn_protocols.clear();
                Box::new(
                    legacy.build::<_, Full<Bytes>>(tls::https_connector(tls, self.connect_timeout)),
                )
            }
            #[cfg(feature = "rustls")]
            (None, None) if base.https => {
                let tls = tls::native_roots_config()?;
                Box::new(
                    legacy.build::<_, Full<Bytes>>(tls::https_connector(tls, self.connect_timeout)),
                )
            }
            #[cfg(not(feature = "rustls"))]
            (None, _) if base.https => {
                return Err(config(
                    "the base URL is https but this build has no built-in TLS (the `rustls` feature is off): pass a connector with ClientBuilder::connector or enable the feature",
                ));
            }
            (None, _) => {
                let mut http = HttpConnector::new();
                http.set_connect_timeout(Some(self.connect_timeout));
                http.set_nodelay(true);
                Box::new(legacy.build::<_, Full<Bytes>>(http))
            }
        };
        Ok(Client {
            inner: Arc::new(Inner {
                transport,
                base,
                credentials: self.credentials,
                user_agent,
                timeout: self.timeout,
                retry: self.retry,
                page_limit: self.page_limit,
                page_cap: self.page_cap,
                max_response_bytes: self.max_response_bytes,
                on_response: self.on_response,
            }),
        })
    }
}

pub(crate) fn config(reason: &str) -> Error {
    Error::Config {
        reason: reason.to_owned(),
    }
}

impl Client {
    /// A builder for a client of the server at `base_url` (`http://` or `https://`, optionally
    /// with a context path such as `https://host/bitbucket`).
    pub fn builder(base_url: impl Into<String>) -> ClientBuilder {
        ClientBuilder {
            base_url: base_url.into(),
            credentials: Credentials::anonymous(),
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            retry: RetryPolicy::default(),
            user_agent: DEFAULT_USER_AGENT.to_owned(),
            page_limit: DEFAULT_PAGE_LIMIT,
            page_cap: DEFAULT_PAGE_CAP,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            #[cfg(feature = "rustls")]
            tls_config: None,
            connector: None,
            on_response: None,
        }
    }

    /// A client with default settings: `Client::builder(base_url).credentials(c).build()`.
    pub fn new(base_url: impl Into<String>, credentials: Credentials) -> Result<Client, Error> {
        Client::builder(base_url).credentials(credentials).build()
    }

    /// The base URL, context path included, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.inner.base.display
    }

    /// The credentials in use (their `Debug` output is redacted).
    pub fn credentials(&self) -> &Credentials {
        &self.inner.credentials
    }

    /// The HTTP(S) clone URL of a repository without any embedded user name: the server's
    /// `http` clone link when present, else `<base>/scm/<project key>/<slug>.git` (lower-case
    /// key, as Bitbucket renders it).
    pub fn http_clone_url(&self, repo: &Repository) -> String {
        if let Some(href) = repo.http_clone_href() {
            if let Ok(mut url) = url::Url::parse(href) {
                // Setting these only fails for URLs that cannot carry user info at all.
                let _ = url.set_username("");
                let _ = url.set_password(None);
                return url.to_string();
            }
        }
        format!(
            "{}/scm/{}/{}.git",
            self.inner.base.display,
            encode::segment(&repo.project.key.to_lowercase()),
            encode::segment(&repo.slug)
        )
    }

    /// GETs any JSON resource below `<base>/rest` (escape hatch for endpoints without a typed
    /// method). `rest_path` starts with `/`, e.g. `/api/latest/projects/PROJ/settings/pull-requests`;
    /// encode its segments with [`encode::segment`]. Query values are encoded here.
    pub async fn get_json<T: DeserializeOwned>(
        &self,
        rest_path: &str,
        query: &[(&str, &str)],
    ) -> Result<T, Error> {
        let mut req = Req::get(format!("/rest{rest_path}"));
        for (key, value) in query {
            req = req.query(key, *value);
        }
        self.json(req).await
    }

    /// A paged listing of any resource below `<base>/rest` (escape hatch; see
    /// [`get_json`](Self::get_json)).
    pub fn get_paged<T: DeserializeOwned + Send + 'static>(
        &self,
        rest_path: &str,
        query: &[(&str, &str)],
    ) -> Paged<T> {
        let query = query
            .iter()
            .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
            .collect();
        Paged::new(
            self.clone(),
            format!("/rest{rest_path}"),
            query,
            Page::<T>::decode,
        )
    }

    pub(crate) fn page_limit(&self) -> u32 {
        self.inner.page_limit
    }

    pub(crate) fn page_cap(&self) -> u32 {
        self.inner.page_cap
    }

    /// Sends a request with retries; `Ok` only for 2xx. A path with a segment that would
    /// change its meaning (empty, `.`, `..`, a slash) is refused before anything is sent.
    pub(crate) async fn send(&self, req: Req) -> Result<RawResponse, Error> {
        encode::check_path(&req.method, &req.path)?;
        let policy = &self.inner.retry;
        let mut rng = fastrand::Rng::new();
        let mut attempt: u32 = 1;
        let mut waited = Duration::ZERO;
        loop {
            let span = tracing::debug_span!(
                "bitbucket_request",
                method = %req.method,
                path = %req.path,
                attempt,
            );
            let started = tokio::time::Instant::now();
            let result = self.attempt(&req).instrument(span.clone()).await;
            let elapsed_ms = started.elapsed().as_millis() as u64;
            if let Some(observe) = &self.inner.on_response {
                match &result {
                    Ok(raw) => observe(&req.method, Some(raw.status)),
                    Err(Error::InvalidArgument { .. }) => {}
                    Err(err) => observe(&req.method, err.status()),
                }
            }
            let err = match result {
                Ok(raw) => {
                    tracing::debug!(parent: &span, status = raw.status.as_u16(), elapsed_ms, "bitbucket request succeeded");
                    return Ok(raw);
                }
                Err(err) => err,
            };
            tracing::debug!(parent: &span, status = err.status().map(|s| s.as_u16()), elapsed_ms, error = %err, "bitbucket request failed");
            let may_retry = match req.retry {
                RetryMode::Never => false,
                RetryMode::RejectedOnly => {
                    matches!(err, Error::RateLimited { .. } | Error::Unavailable { .. })
                }
                RetryMode::Always => err.is_retryable(),
            };
            if !may_retry || attempt >= policy.max_attempts() {
                return Err(err);
            }
            let Some(delay) = policy.delay(attempt, err.retry_after(), &mut rng) else {
                tracing::info!(parent: &span, retry_after_s = err.retry_after().map(|d| d.as_secs()), "bitbucket asked to wait longer than the retry policy allows; giving up");
                return Err(err);
            };
            if waited + delay > policy.max_total_wait() {
                return Err(err);
            }
            tracing::warn!(
                parent: &span,
                delay_ms = delay.as_millis() as u64,
                error = %err,
                "retrying bitbucket request"
            );
            tokio::time::sleep(delay).await;
            waited += delay;
            attempt += 1;
        }
    }

    /// Sends a request and decodes a JSON response.
    pub(crate) async fn json<T: DeserializeOwned>(&self, req: Req) -> Result<T, Error> {
        let method = req.method.clone();
        let path = req.path.clone();
        let raw = self.send(req).await?;
        decode(&method, &path, &raw.body)
    }

    /// Sends a request and ignores the (usually empty) response body.
    pub(crate) async fn no_content(&self, req: Req) -> Result<(), Error> {
        self.send(req).await.map(|_| ())
    }

    async fn attempt(&self, req: &Req) -> Result<RawResponse, Error> {
        let inner = &self.inner;
        let uri = inner.base.uri(&req.path, &req.query)?;
        let mut builder = Request::builder()
            .method(req.method.clone())
            .uri(uri)
            .header(ACCEPT, HeaderValue::from_static("application/json"))
            .header("x-atlassian-token", HeaderValue::from_static("no-check"))
            .header(USER_AGENT, inner.user_agent.clone());
        if let Some(auth) = inner.credentials.header() {
            builder = builder.header(AUTHORIZATION, auth.clone());
        }
        let body = match &req.body {
            Body::Empty => Bytes::new(),
            Body::Json(bytes) => {
                builder =
                    builder.header(CONTENT_TYPE, HeaderValue::from_static("application/json"));
                bytes.clone()
            }
            Body::Multipart { content_type, body } => {
                builder = builder.header(CONTENT_TYPE, content_type.as_str());
                body.clone()
            }
        };
        let request = builder
            .body(Full::new(body))
            .map_err(|err| Error::InvalidArgument {
                reason: format!("the request could not be built ({err}): check header values"),
            })?;

        let exchange = async {
            let response = inner
                .transport
                .send(request)
                .await
                .map_err(|err| self.transport_error(&err, req))?;
            let (parts, body) = response.into_parts();
            let limit = req.max_body.unwrap_or(inner.max_response_bytes);
            let body = read_body(body, &parts.headers, limit, req).await?;
            Ok::<_, Error>(RawResponse {
                status: parts.status,
                headers: parts.headers,
                body,
            })
        };
        let raw = tokio::time::timeout(inner.timeout, exchange)
            .await
            .map_err(|_| Error::Timeout {
                method: req.method.clone(),
                path: req.path.clone(),
                after: inner.timeout,
            })??;
        if raw.status.is_success() {
            return Ok(raw);
        }
        let ctx = RequestContext {
            method: &req.method,
            path: &req.path,
            credential_user: inner.credentials.username(),
        };
        Err(error::from_response(
            &ctx,
            raw.status,
            &raw.headers,
            &raw.body,
        ))
    }

    fn transport_error(&self, err: &hyper_util::client::legacy::Error, req: &Req) -> Error {
        let target = self.inner.base.target.clone();
        #[cfg(feature = "rustls")]
        if let Some(detail) = tls::find_tls_error(err) {
            return Error::Tls { target, detail };
        }
        let detail = error_chain(err);
        if err.is_connect() {
            Error::Connect { target, detail }
        } else {
            Error::Transport {
                method: req.method.clone(),
                path: req.path.clone(),
                detail,
            }
        }
    }
}

/// Decodes a JSON body into `T`, keeping a snippet of the body on failure.
pub(crate) fn decode<T: DeserializeOwned>(
    method: &Method,
    path: &str,
    body: &[u8],
) -> Result<T, Error> {
    serde_json::from_slice(body).map_err(|source| Error::Decode {
        method: method.clone(),
        path: path.to_owned(),
        target: std::any::type_name::<T>(),
        snippet: error::snippet(body),
        source,
    })
}

/// The messages of an error's source chain, joined with `: ` (the top-level error included
/// only when it is the only one).
/// Reads a response body into one buffer, sized up front from `Content-Length` when the server
/// sends it, so a large file is held once (collecting frames and then joining them would hold it
/// twice). More than `limit` bytes is [`Error::ResponseTooLarge`].
async fn read_body(
    mut body: Incoming,
    headers: &http::HeaderMap,
    limit: usize,
    req: &Req,
) -> Result<Bytes, Error> {
    let announced = headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<usize>().ok());
    let too_large = || Error::ResponseTooLarge {
        method: req.method.clone(),
        path: req.path.clone(),
        limit,
        announced: announced.map(|n| n as u64),
    };
    if announced.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    let mut buf = BytesMut::with_capacity(announced.unwrap_or(0));
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|err| Error::Transport {
            method: req.method.clone(),
            path: req.path.clone(),
            detail: error_chain(&err),
        })?;
        if let Ok(data) = frame.into_data() {
            if buf.len() + data.len() > limit {
                return Err(too_large());
            }
            buf.extend_from_slice(&data);
        }
    }
    Ok(buf.freeze())
}

fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = Vec::new();
    let mut current = err.source();
    while let Some(cause) = current {
        parts.push(cause.to_string());
        current = cause.source();
    }
    if parts.is_empty() {
        err.to_string()
    } else {
        parts.dedup();
        parts.join(": ")
    }
}

mod request;

pub(crate) use request::{Body, RawResponse, Req, RetryMode};

#[cfg(test)]
mod tests;
