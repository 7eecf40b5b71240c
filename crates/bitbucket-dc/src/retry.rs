//! Retry policy: bounded attempts and total wait, full-jitter exponential backoff, `Retry-After`.
//!
//! Which requests are retried: `GET`, `HEAD`, `PUT` and `DELETE` (idempotent by HTTP semantics;
//! a `PUT`/`DELETE` carrying a `version` that is repeated after a lost response at worst fails
//! with a 409 the caller sees), plus the read-only `POST …/build-status/…/commits/stats`, on
//! every failure for which [`Error::is_retryable`] holds: 429, 502, 503, 504, timeouts and
//! connection failures. The file-edit `PUT` creates a commit, so it is retried only on 429 and
//! 503 (the server did not process it). Other `POST`s (create pull request, comment, merge,
//! decline, post build status, …) are **never** retried automatically.
//!
//! How long to wait: the server's `Retry-After` (seconds or HTTP date) when present — if it asks
//! for more than [`RetryPolicy::max_delay`] the client gives up and returns the error at once —
//! otherwise a uniformly random delay in `[0, min(max_delay, base_delay × 2^(retry−1))]` ("full
//! jitter"). The client stops when `max_attempts` is reached or when the next wait would push
//! the total time spent waiting past `max_total_wait`.

use std::time::Duration;

use crate::error::Error;

/// Retry settings of a [`Client`](crate::Client).
///
/// Which requests are retried: `GET`, `HEAD`, `PUT` and `DELETE` (idempotent by HTTP semantics;
/// a `PUT`/`DELETE` carrying a `version` that is repeated after a lost response at worst fails
/// with a 409 the caller sees), plus the read-only `POST …/build-status/…/commits/stats`, on
/// every failure for which [`Error::is_retryable`] holds: 429, 502, 503, 504, timeouts and
/// connection failures. The file-edit `PUT` creates a commit, so it is retried only on 429 and
/// 503 (the server did not process it). Other `POST`s (create pull request, comment, merge,
/// decline, post build status, …) are **never** retried automatically.
///
/// How long to wait: the server's `Retry-After` (seconds or HTTP date) when present — if it asks
/// for more than [`RetryPolicy::max_delay`] the client gives up and returns the error at once —
/// otherwise a uniformly random delay in `[0, min(max_delay, base_delay × 2^(retry−1))]` ("full
/// jitter"). The client stops when `max_attempts` is reached or when the next wait would push
/// the total time spent waiting past `max_total_wait`.
///
/// ```
/// use std::time::Duration;
/// let policy = bitbucket_dc::RetryPolicy::new(
///     5,                          // attempts in total
///     Duration::from_millis(200), // base delay
///     Duration::from_secs(20),    // longest single wait
///     Duration::from_secs(60),    // longest total wait
/// ).unwrap();
/// assert_eq!(policy.max_attempts(), 5);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    base_delay: Duration,
    max_delay: Duration,
    max_total_wait: Duration,
}

impl RetryPolicy {
    /// A policy; fails unless `1 <= max_attempts <= 20`, `base_delay <= max_delay` and
    /// `max_delay <= max_total_wait`.
    pub fn new(
        max_attempts: u32,
        base_delay: Duration,
        max_delay: Duration,
        max_total_wait: Duration,
    ) -> Result<Self, Error> {
        if !(1..=20).contains(&max_attempts) {
            return Err(Error::Config {
                reason: format!(
                    "retry max_attempts is {max_attempts}: use a value from 1 (no retries) to 20"
                ),
            });
        }
        if base_delay > max_delay {
            return Err(Error::Config {
                reason: format!("retry base_delay {base_delay:?} exceeds max_delay {max_delay:?}: lower base_delay or raise max_delay"),
            });
        }
        if max_delay > max_total_wait {
            return Err(Error::Config {
                reason: format!("retry max_delay {max_delay:?} exceeds max_total_wait {max_total_wait:?}: lower max_delay or raise max_total_wait"),
            });
        }
        Ok(RetryPolicy {
            max_attempts,
            base_delay,
            max_delay,
            max_total_wait,
        })
    }

    /// Never retry.
    pub fn none() -> Self {
        RetryPolicy {
            max_attempts: 1,
            base_delay: Duration::ZERO,
            max_delay: Duration::ZERO,
            max_total_wait: Duration::ZERO,
        }
    }

    /// Attempts in total, the first included.
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// Base of the exponential backoff.
    pub fn base_delay(&self) -> Duration {
        self.base_delay
    }

    /// Longest single wait; a longer `Retry-After` ends retrying.
    pub fn max_delay(&self) -> Duration {
        self.max_delay
    }

    /// Longest total time spent waiting between attempts of one request.
    pub fn max_total_wait(&self) -> Duration {
        self.max_total_wait
    }

    /// Upper bound of the backoff before retry number `retry` (1-based), without `Retry-After`.
    pub fn backoff_cap(&self, retry: u32) -> Duration {
        let factor = 1u32
            .checked_shl(retry.saturating_sub(1))
            .unwrap_or(u32::MAX);
        self.base_delay
            .checked_mul(factor)
            .unwrap_or(self.max_delay)
            .min(self.max_delay)
    }

    /// A full-jitter backoff: uniform in `[0, backoff_cap(retry)]`.
    pub(crate) fn backoff(&self, retry: u32, rng: &mut fastrand::Rng) -> Duration {
        let cap = self.backoff_cap(retry);
        let cap_ms = u64::try_from(cap.as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(rng.u64(0..=cap_ms))
    }

    /// The wait before retry number `retry`, or `None` to give up because the server asked for
    /// more than `max_delay`.
    pub(crate) fn delay(
        &self,
        retry: u32,
        retry_after: Option<Duration>,
        rng: &mut fastrand::Rng,
    ) -> Option<Duration> {
        match retry_after {
            Some(after) if after > self.max_delay => None,
            Some(after) => Some(after),
            None => Some(self.backoff(retry, rng)),
        }
    }
}

impl Default for RetryPolicy {
    /// 4 attempts, 250 ms base delay, 30 s longest wait, 60 s total.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(30),
            max_total_wait: Duration::from_secs(60),
        }
    }
}

#[cfg(test)]
mod tests;
