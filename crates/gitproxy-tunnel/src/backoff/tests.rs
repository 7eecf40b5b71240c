//! Unit tests of the full-jitter backoff.

use std::time::Duration;

use super::*;

#[test]
fn the_ceiling_doubles_up_to_the_cap() {
    let b = Backoff::protocol_default();
    assert_eq!(b.ceiling(0), Duration::from_secs(1));
    assert_eq!(b.ceiling(1), Duration::from_secs(2));
    assert_eq!(b.ceiling(5), Duration::from_secs(32));
    assert_eq!(b.ceiling(6), Duration::from_secs(60));
    assert_eq!(b.ceiling(u32::MAX), Duration::from_secs(60));
}

#[test]
fn delays_are_full_jitter_within_the_ceiling() {
    let b = Backoff::protocol_default();
    let mut rng = fastrand::Rng::with_seed(7);
    for attempt in 0..20 {
        let delays: Vec<Duration> = (0..200).map(|_| b.delay(attempt, &mut rng)).collect();
        assert!(delays.iter().all(|d| *d <= b.ceiling(attempt)));
        // Full jitter spreads over the whole range, including its lower half.
        assert!(delays.iter().any(|d| *d < b.ceiling(attempt) / 2));
    }
}

#[test]
fn invalid_policies_are_refused() {
    let s = Duration::from_secs;
    assert!(Backoff::new(s(0), s(1), s(1)).is_err());
    assert!(Backoff::new(s(2), s(1), s(1)).is_err());
    assert!(Backoff::new(s(1), s(1), s(0)).is_err());
    assert!(Backoff::new(s(1), s(60), s(60)).is_ok());
}

#[tokio::test(start_paused = true)]
async fn a_reconnect_schedule_stays_within_the_bound() {
    // Ten failed attempts in a row never wait more than the sum of their ceilings.
    let b = Backoff::protocol_default();
    let mut rng = fastrand::Rng::with_seed(3);
    let start = tokio::time::Instant::now();
    let mut bound = Duration::ZERO;
    for attempt in 0..10 {
        let delay = b.delay(attempt, &mut rng);
        bound += b.ceiling(attempt);
        tokio::time::sleep(delay).await;
    }
    assert!(start.elapsed() <= bound);
    assert!(bound <= Duration::from_secs(1 + 2 + 4 + 8 + 16 + 32 + 60 * 4));
}
