//! Unit tests for the admin fault-switch body and the loopback rule.

use std::path::PathBuf;
use std::sync::Arc;

use super::*;
use crate::git::Git;
use crate::render::Links;
use crate::shared::Options;
use crate::state::State;

fn shared(admin_endpoints: bool) -> Arc<Shared> {
    Shared::new(
        State::default(),
        Git::new(PathBuf::from("/nonexistent")),
        Links {
            base: url::Url::parse("http://127.0.0.1:1/").expect("url"),
        },
        String::new(),
        PathBuf::from("/nonexistent"),
        None,
        Options {
            rescope_delay: None,
            admin_endpoints,
            auto_merge_retry: None,
        },
    )
}

#[test]
fn admin_paths_answer_only_loopback_peers_when_enabled() {
    let on = shared(true);
    let loopback: SocketAddr = "127.0.0.1:5000".parse().expect("addr");
    let mapped: SocketAddr = "[::ffff:127.0.0.1]:5000".parse().expect("addr");
    let remote: SocketAddr = "192.0.2.7:5000".parse().expect("addr");
    assert!(is_admin(&on, loopback, "/_sim/faults"));
    assert!(is_admin(&on, mapped, "/_sim/requests"));
    assert!(!is_admin(&on, remote, "/_sim/faults"));
    assert!(!is_admin(&on, loopback, "/_simulate"));
    assert!(!is_admin(&on, loopback, "/rest/api/1.0/projects"));
    assert!(!is_admin(&shared(false), loopback, "/_sim/faults"));
}

#[test]
fn fault_switches_apply_together_or_not_at_all() {
    let sim = shared(true);
    let bad = json!({"latencyMs": 50, "failNext": {"status": 42}});
    assert!(apply(&sim, &bad).is_err());
    assert_eq!(sim.faults.snapshot()["latencyMs"], Value::Null);

    let good = json!({
        "rateLimit": {"capacity": 3, "refillPerSecond": 0.5},
        "userRateLimits": {"bob": null},
        "latencyMs": 50,
        "failNext": {"count": 2, "status": 503, "retryAfter": 7},
        "failMatching": {"pathContains": "/raw/", "status": 500},
        "dropNext": 1,
        "dropMatching": "/pull-requests",
    });
    apply(&sim, &good).expect("valid switches");
    let snapshot = sim.faults.snapshot();
    assert_eq!(
        snapshot["rateLimit"],
        json!({"capacity": 3, "refillPerSecond": 0.5})
    );
    assert_eq!(snapshot["latencyMs"], 50);
    assert_eq!(snapshot["failNext"].as_array().map(Vec::len), Some(2));
    assert_eq!(snapshot["failNext"][0]["retryAfter"], 7);
    assert_eq!(snapshot["failMatching"][0]["pathContains"], "/raw/");
    assert_eq!(snapshot["dropNext"], 1);
    assert_eq!(snapshot["dropMatching"], json!(["/pull-requests"]));

    apply(&sim, &json!({"clear": true, "latencyMs": null})).expect("clear");
    let cleared = sim.faults.snapshot();
    assert_eq!(cleared["rateLimit"], Value::Null);
    assert_eq!(cleared["failNext"], json!([]));
}

#[test]
fn bodies_must_be_json_objects() {
    assert_eq!(parse(&Bytes::new()), Ok(json!({})));
    assert!(parse(&Bytes::from_static(b"[1]")).is_err());
    assert!(parse(&Bytes::from_static(b"{")).is_err());
}
