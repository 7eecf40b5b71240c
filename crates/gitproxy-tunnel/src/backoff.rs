//! Full-jitter exponential backoff for reconnects (section 9.1 of the protocol).

use std::time::Duration;

use crate::error::Error;

/// Full-jitter exponential backoff: `random(0, min(max, base * 2^attempt))`, reset after a stable period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    base: Duration,
    max: Duration,
    stable_after: Duration,
}

impl Backoff {
    /// Validates `0 < base <= max` and a non-zero stable period.
    pub fn new(base: Duration, max: Duration, stable_after: Duration) -> Result<Self, Error> {
        if base.is_zero() || base > max {
            return Err(Error::Config(format!(
                "backoff base ({base:?}) must be positive and not above the maximum ({max:?})"
            )));
        }
        if stable_after.is_zero() {
            return Err(Error::Config(
                "backoff stable period must be positive".into(),
            ));
        }
        Ok(Backoff {
            base,
            max,
            stable_after,
        })
    }

    /// The protocol's default: 1 s base, 60 s cap, reset after 60 s stable.
    pub fn protocol_default() -> Self {
        Backoff {
            base: Duration::from_secs(1),
            max: Duration::from_secs(60),
            stable_after: Duration::from_secs(60),
        }
    }

    /// The upper bound of the delay before attempt `attempt` (counted from 0).
    pub fn ceiling(&self, attempt: u32) -> Duration {
        let factor = 1u32.checked_shl(attempt.min(31)).unwrap_or(u32::MAX);
        self.base.saturating_mul(factor).min(self.max)
    }

    /// A random delay in `[0, ceiling(attempt)]`.
    pub fn delay(&self, attempt: u32, rng: &mut fastrand::Rng) -> Duration {
        let ceiling = self.ceiling(attempt);
        let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
        Duration::from_nanos(rng.u64(0..=nanos))
    }

    /// The largest delay this policy can produce.
    pub fn max(&self) -> Duration {
        self.max
    }

    /// How long a connection must stay up before the attempt counter resets.
    pub fn stable_after(&self) -> Duration {
        self.stable_after
    }
}

#[cfg(test)]
mod tests;
