//! Unit tests for the retry policy: validation and backoff bounds.

use super::*;

#[test]
fn constructor_validates() {
    let ms = Duration::from_millis;
    assert!(RetryPolicy::new(0, ms(1), ms(2), ms(3)).is_err());
    assert!(RetryPolicy::new(21, ms(1), ms(2), ms(3)).is_err());
    assert!(RetryPolicy::new(3, ms(5), ms(2), ms(3)).is_err());
    assert!(RetryPolicy::new(3, ms(1), ms(5), ms(3)).is_err());
    let policy = RetryPolicy::new(3, ms(1), ms(2), ms(3)).unwrap();
    assert_eq!(policy.max_attempts(), 3);
    let err = RetryPolicy::new(0, ms(1), ms(2), ms(3)).unwrap_err();
    assert!(err.to_string().contains("max_attempts"), "{err}");
}

#[test]
fn backoff_cap_doubles_and_saturates() {
    let policy = RetryPolicy::new(
        10,
        Duration::from_millis(100),
        Duration::from_secs(1),
        Duration::from_secs(10),
    )
    .unwrap();
    assert_eq!(policy.backoff_cap(1), Duration::from_millis(100));
    assert_eq!(policy.backoff_cap(2), Duration::from_millis(200));
    assert_eq!(policy.backoff_cap(3), Duration::from_millis(400));
    assert_eq!(policy.backoff_cap(4), Duration::from_millis(800));
    assert_eq!(policy.backoff_cap(5), Duration::from_secs(1));
    assert_eq!(policy.backoff_cap(40), Duration::from_secs(1));
    assert_eq!(policy.backoff_cap(u32::MAX), Duration::from_secs(1));
}

#[test]
fn full_jitter_stays_within_bounds_and_spreads() {
    let policy = RetryPolicy::default();
    let mut rng = fastrand::Rng::with_seed(7);
    for retry in 1..=8 {
        let cap = policy.backoff_cap(retry);
        let samples: Vec<Duration> = (0..200).map(|_| policy.backoff(retry, &mut rng)).collect();
        assert!(samples.iter().all(|d| *d <= cap), "retry {retry}");
        let distinct: std::collections::HashSet<_> = samples.iter().collect();
        assert!(
            distinct.len() > 20,
            "jitter should spread, got {}",
            distinct.len()
        );
    }
}

#[test]
fn retry_after_is_honoured_unless_too_long() {
    let policy = RetryPolicy::default();
    let mut rng = fastrand::Rng::with_seed(1);
    assert_eq!(
        policy.delay(1, Some(Duration::from_secs(3)), &mut rng),
        Some(Duration::from_secs(3))
    );
    assert_eq!(
        policy.delay(1, Some(Duration::from_secs(31)), &mut rng),
        None
    );
    let jittered = policy.delay(2, None, &mut rng).unwrap();
    assert!(jittered <= Duration::from_millis(500));
}

#[test]
fn none_policy_makes_one_attempt() {
    assert_eq!(RetryPolicy::none().max_attempts(), 1);
}
