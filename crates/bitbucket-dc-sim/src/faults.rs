//! Failure switches tests flip at runtime: per-user rate limiting, latency, injected 5xx and dropped connections.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::error::SimError;

/// A token bucket: `capacity` requests in a burst, refilled at `refill_per_second`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    capacity: u32,
    refill_per_second: f64,
}

impl RateLimit {
    /// A bucket of `capacity` tokens refilled at `refill_per_second` (Bitbucket's defaults are 60 and 5).
    pub fn new(capacity: u32, refill_per_second: f64) -> Result<Self, SimError> {
        if capacity == 0 {
            return Err(SimError::InvalidSeed(
                "rate limit capacity must be at least 1".into(),
            ));
        }
        if !(refill_per_second.is_finite() && refill_per_second > 0.0) {
            return Err(SimError::InvalidSeed(
                "rate limit refill must be a positive number of tokens per second".into(),
            ));
        }
        Ok(Self {
            capacity,
            refill_per_second,
        })
    }

    /// Burst size.
    pub fn capacity(&self) -> u32 {
        self.capacity
    }

    /// Tokens added per second.
    pub fn refill_per_second(&self) -> f64 {
        self.refill_per_second
    }
}

/// An injected error response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InjectedFailure {
    /// HTTP status to answer with (e.g. 503).
    pub status: u16,
    /// `Retry-After` header value in seconds, if any.
    pub retry_after: Option<u64>,
}

#[derive(Debug, Clone)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

#[derive(Debug, Default)]
struct FaultState {
    rate_limit: Option<RateLimit>,
    user_rate_limits: HashMap<String, Option<RateLimit>>,
    buckets: HashMap<String, Bucket>,
    latency: Option<Duration>,
    fail_next: Vec<InjectedFailure>,
    fail_matching: Vec<(String, InjectedFailure)>,
    drop_next: u32,
    drop_matching: Vec<String>,
}

/// Runtime failure switches; cheap to clone, every clone controls the same simulator.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    inner: Arc<Mutex<FaultState>>,
}

/// What the fault layer decided for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    Pass,
    Fail(InjectedFailure),
}

impl Faults {
    fn lock(&self) -> MutexGuard<'_, FaultState> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Applies `limit` to every user that has no override (`None` turns rate limiting off).
    pub fn set_rate_limit(&self, limit: Option<RateLimit>) {
        let mut state = self.lock();
        state.rate_limit = limit;
        state.buckets.clear();
    }

    /// Overrides the limit for one user (`None` exempts the user, like Bitbucket's allowlist).
    pub fn set_user_rate_limit(&self, user: &str, limit: Option<RateLimit>) {
        let mut state = self.lock();
        state.user_rate_limits.insert(user.to_owned(), limit);
        state.buckets.remove(user);
    }

    /// Removes a per-user override so the global limit applies again.
    pub fn clear_user_rate_limit(&self, user: &str) {
        let mut state = self.lock();
        state.user_rate_limits.remove(user);
        state.buckets.remove(user);
    }

    /// Delays every response by `latency` (`None` turns it off).
    pub fn set_latency(&self, latency: Option<Duration>) {
        self.lock().latency = latency;
    }

    /// Answers the next `count` requests with `status` (and `Retry-After: retry_after` when given).
    pub fn fail_next(&self, count: u32, status: u16, retry_after: Option<u64>) {
        let mut state = self.lock();
        for _ in 0..count {
            state.fail_next.push(InjectedFailure {
                status,
                retry_after,
            });
        }
    }

    /// Answers every request whose path contains `path_contains` with `status` until cleared.
    pub fn fail_matching(&self, path_contains: &str, status: u16, retry_after: Option<u64>) {
        self.lock().fail_matching.push((
            path_contains.to_owned(),
            InjectedFailure {
                status,
                retry_after,
            },
        ));
    }

    /// Drops the connection in the middle of the next `count` responses.
    pub fn drop_next(&self, count: u32) {
        self.lock().drop_next += count;
    }

    /// Drops the connection in the middle of every response whose path contains `path_contains`.
    pub fn drop_matching(&self, path_contains: &str) {
        self.lock().drop_matching.push(path_contains.to_owned());
    }

    /// Turns every switch off.
    pub fn clear(&self) {
        *self.lock() = FaultState::default();
    }

    /// The current switches as JSON (what `GET <base>/_sim/faults` shows).
    pub(crate) fn snapshot(&self) -> serde_json::Value {
        let state = self.lock();
        let limit = |l: &Option<RateLimit>| {
            l.map(|l| {
                serde_json::json!({"capacity": l.capacity, "refillPerSecond": l.refill_per_second})
            })
        };
        let failure = |f: &InjectedFailure| serde_json::json!({"status": f.status, "retryAfter": f.retry_after});
        serde_json::json!({
            "rateLimit": limit(&state.rate_limit),
            "userRateLimits": state
                .user_rate_limits
                .iter()
                .map(|(user, l)| (user.clone(), limit(l).unwrap_or(serde_json::Value::Null)))
                .collect::<serde_json::Map<_, _>>(),
            "latencyMs": state.latency.map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
            "failNext": state.fail_next.iter().map(failure).collect::<Vec<_>>(),
            "failMatching": state
                .fail_matching
                .iter()
                .map(|(needle, f)| {
                    let mut value = failure(f);
                    value["pathContains"] = serde_json::json!(needle);
                    value
                })
                .collect::<Vec<_>>(),
            "dropNext": state.drop_next,
            "dropMatching": state.drop_matching,
        })
    }

    pub(crate) fn latency(&self) -> Option<Duration> {
        self.lock().latency
    }

    /// Injected failures, consumed in order.
    pub(crate) fn verdict(&self, path: &str) -> Verdict {
        let mut state = self.lock();
        if !state.fail_next.is_empty() {
            return Verdict::Fail(state.fail_next.remove(0));
        }
        if let Some((_, failure)) = state
            .fail_matching
            .iter()
            .find(|(needle, _)| path.contains(needle.as_str()))
        {
            return Verdict::Fail(failure.clone());
        }
        Verdict::Pass
    }

    /// Whether this response should be cut off mid-body.
    pub(crate) fn take_drop(&self, path: &str) -> bool {
        let mut state = self.lock();
        if state.drop_next > 0 {
            state.drop_next -= 1;
            return true;
        }
        state
            .drop_matching
            .iter()
            .any(|needle| path.contains(needle.as_str()))
    }

    /// Takes one token from `user`'s bucket; `Err(seconds)` when the user must wait.
    pub(crate) fn take_token(&self, user: &str) -> Result<(), u64> {
        self.take_token_at(user, Instant::now())
    }

    fn take_token_at(&self, user: &str, now: Instant) -> Result<(), u64> {
        let mut state = self.lock();
        let limit = match state.user_rate_limits.get(user) {
            Some(over) => *over,
            None => state.rate_limit,
        };
        let Some(limit) = limit else {
            return Ok(());
        };
        let capacity = f64::from(limit.capacity);
        let bucket = state
            .buckets
            .entry(user.to_owned())
            .or_insert_with(|| Bucket {
                tokens: capacity,
                last: now,
            });
        let elapsed = now.saturating_duration_since(bucket.last).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * limit.refill_per_second).min(capacity);
        bucket.last = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            let wait = (1.0 - bucket.tokens) / limit.refill_per_second;
            // Whole seconds, at least one, as the header carries.
            let secs = wait.ceil().max(1.0);
            Err(if secs >= u64::MAX as f64 {
                u64::MAX
            } else {
                secs as u64
            })
        }
    }
}

/// How a request authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthScheme {
    /// No `Authorization` header.
    None,
    /// `Authorization: Bearer ...`.
    Bearer,
    /// `Authorization: Basic ...`.
    Basic,
    /// Some other scheme.
    Other,
}

/// One request as the simulator saw it; secrets (the `Authorization` value) are never recorded.
#[derive(Debug, Clone)]
pub struct LoggedRequest {
    /// HTTP method, e.g. `POST`.
    pub method: String,
    /// Request path as received, percent-encoded, including any context path.
    pub path: String,
    /// Raw query string, if any.
    pub query: Option<String>,
    /// The authenticated user, if the credential was valid.
    pub user: Option<String>,
    /// The status the simulator answered with.
    pub status: u16,
    /// Authentication scheme used.
    pub auth: AuthScheme,
    /// Request headers except `Authorization` and `Cookie`, names lower-cased.
    pub headers: Vec<(String, String)>,
}

impl LoggedRequest {
    /// The first value of a request header (name case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// Whether the request carried `X-Atlassian-Token: no-check`.
    pub fn has_xsrf_token(&self) -> bool {
        self.header("x-atlassian-token")
            .is_some_and(|v| v.eq_ignore_ascii_case("no-check"))
    }

    /// The value of one query parameter (percent-decoded).
    pub fn query_param(&self, name: &str) -> Option<String> {
        let query = self.query.as_deref()?;
        url::form_urlencoded::parse(query.as_bytes())
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.into_owned())
    }
}

/// The log keeps at most this many entries, dropping the oldest (benchmarks send many requests).
const MAX_LOG_ENTRIES: usize = 100_000;

/// Every request the simulator answered, in order (the newest 100,000); cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct RequestLog {
    inner: Arc<Mutex<Vec<LoggedRequest>>>,
}

impl RequestLog {
    /// A copy of every entry so far.
    pub fn entries(&self) -> Vec<LoggedRequest> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Forgets every entry.
    pub fn clear(&self) {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    pub(crate) fn push(&self, entry: LoggedRequest) {
        let mut entries = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= MAX_LOG_ENTRIES {
            entries.drain(..MAX_LOG_ENTRIES / 10);
        }
        entries.push(entry);
    }
}

#[cfg(test)]
mod tests;
