//! Unit tests for the failure switches.

use super::*;

#[test]
fn token_bucket_allows_a_burst_then_asks_to_wait() {
    let faults = Faults::default();
    faults.set_rate_limit(Some(RateLimit::new(2, 0.5).expect("valid")));
    let start = Instant::now();
    assert_eq!(faults.take_token_at("alice", start), Ok(()));
    assert_eq!(faults.take_token_at("alice", start), Ok(()));
    // Empty bucket at 0.5 tokens/s: one token takes two seconds.
    assert_eq!(faults.take_token_at("alice", start), Err(2));
    // Other users have their own bucket.
    assert_eq!(faults.take_token_at("bob", start), Ok(()));
    // After the refill the user may go again.
    assert_eq!(
        faults.take_token_at("alice", start + Duration::from_secs(2)),
        Ok(())
    );
}

#[test]
fn user_overrides_exempt_or_tighten() {
    let faults = Faults::default();
    faults.set_rate_limit(Some(RateLimit::new(1, 1.0).expect("valid")));
    faults.set_user_rate_limit("ci", None);
    let now = Instant::now();
    for _ in 0..10 {
        assert_eq!(faults.take_token_at("ci", now), Ok(()));
    }
    assert_eq!(faults.take_token_at("alice", now), Ok(()));
    assert_eq!(faults.take_token_at("alice", now), Err(1));
    faults.clear_user_rate_limit("ci");
    assert_eq!(faults.take_token_at("ci", now), Ok(()));
    assert_eq!(faults.take_token_at("ci", now), Err(1));
}

#[test]
fn rate_limits_validate() {
    assert!(RateLimit::new(0, 1.0).is_err());
    assert!(RateLimit::new(1, 0.0).is_err());
    assert!(RateLimit::new(1, f64::NAN).is_err());
    let limit = RateLimit::new(60, 5.0).expect("valid");
    assert_eq!((limit.capacity(), limit.refill_per_second()), (60, 5.0));
}

#[test]
fn injected_failures_are_consumed_in_order_and_matching_ones_persist() {
    let faults = Faults::default();
    faults.fail_next(2, 503, Some(3));
    faults.fail_matching("/pull-requests", 500, None);
    let first = InjectedFailure {
        status: 503,
        retry_after: Some(3),
    };
    assert_eq!(faults.verdict("/rest/x"), Verdict::Fail(first.clone()));
    assert_eq!(faults.verdict("/rest/x"), Verdict::Fail(first));
    assert_eq!(faults.verdict("/rest/x"), Verdict::Pass);
    for _ in 0..3 {
        assert_eq!(
            faults.verdict("/rest/api/1.0/projects/P/repos/r/pull-requests"),
            Verdict::Fail(InjectedFailure {
                status: 500,
                retry_after: None
            })
        );
    }
    faults.clear();
    assert_eq!(faults.verdict("/pull-requests"), Verdict::Pass);
}

#[test]
fn drops_count_down_and_match_paths() {
    let faults = Faults::default();
    faults.drop_next(1);
    assert!(faults.take_drop("/a"));
    assert!(!faults.take_drop("/a"));
    faults.drop_matching("/raw/");
    assert!(faults.take_drop("/rest/api/1.0/projects/P/repos/r/raw/x"));
    assert!(!faults.take_drop("/rest/api/1.0/projects"));
    faults.set_latency(Some(Duration::from_millis(5)));
    assert_eq!(faults.latency(), Some(Duration::from_millis(5)));
}

#[test]
fn logged_requests_expose_headers_and_query() {
    let entry = LoggedRequest {
        method: "POST".into(),
        path: "/rest/x".into(),
        query: Some("version=3&at=refs%2Fheads%2Fmain".into()),
        user: Some("alice".into()),
        status: 200,
        auth: AuthScheme::Bearer,
        headers: vec![("x-atlassian-token".into(), "no-check".into())],
    };
    assert!(entry.has_xsrf_token());
    assert_eq!(entry.header("X-Atlassian-Token"), Some("no-check"));
    assert_eq!(entry.query_param("at").as_deref(), Some("refs/heads/main"));
    let log = RequestLog::default();
    log.push(entry);
    assert_eq!(log.entries().len(), 1);
    log.clear();
    assert!(log.entries().is_empty());
}
