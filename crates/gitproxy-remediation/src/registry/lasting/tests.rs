//! Unit tests for the cache of registry answers kept across runs: its byte budget, recency
//! order, sharing between clones and what it keeps.

use super::*;

fn url(n: usize) -> Url {
    Url::parse(&format!("https://repo.example/maven2/g/a/{n}/a-{n}.pom")).unwrap()
}

fn body(len: usize) -> Bytes {
    Bytes::from(vec![b'x'; len])
}

/// What entry `n` with an answer of `len` bytes costs the budget.
fn entry(n: usize, len: usize) -> usize {
    cost(&url(n), &body(len))
}

#[test]
fn keeps_answers_within_the_budget_least_recently_used_out_first() {
    let one = entry(1, 100);
    let cache = ReleaseCache::new(3 * one);
    cache.insert(url(1), body(100));
    cache.insert(url(2), body(100));
    cache.insert(url(3), body(100));
    assert_eq!((cache.len(), cache.bytes()), (3, 3 * one));
    // Reading 1 makes 2 the oldest: the next answer pushes 2 out.
    assert_eq!(cache.get(&url(1)), Some(body(100)));
    cache.insert(url(4), body(100));
    assert_eq!(cache.get(&url(2)), None);
    for kept in [1, 3, 4] {
        assert!(cache.get(&url(kept)).is_some(), "{kept} dropped");
    }
    assert_eq!(cache.bytes(), 3 * one);
    // A large answer pushes out as many as it needs.
    let large = 3 * one - entry(5, 0);
    cache.insert(url(5), body(large));
    assert_eq!((cache.len(), cache.bytes()), (1, 3 * one));
    assert!(cache.get(&url(5)).is_some());
}

#[test]
fn replacing_an_answer_counts_it_once_and_an_oversized_one_is_not_kept() {
    let budget = entry(1, 300);
    let cache = ReleaseCache::new(budget);
    cache.insert(url(1), body(100));
    cache.insert(url(1), body(150));
    assert_eq!((cache.len(), cache.bytes()), (1, entry(1, 150)));
    cache.insert(url(2), body(301));
    assert_eq!(cache.get(&url(2)), None);
    assert_eq!((cache.len(), cache.bytes()), (1, entry(1, 150)));
    let none = ReleaseCache::new(0);
    none.insert(url(1), body(1));
    assert!(none.is_empty());
}

#[test]
fn clones_share_one_cache_and_debug_shows_no_url() {
    let cache = ReleaseCache::default();
    let run = cache.clone();
    let secret = Url::parse("https://deploy:s3cr3t@repo.example/maven2/g/a/1/a-1.pom").unwrap();
    run.insert(secret.clone(), body(10));
    assert_eq!(cache.get(&secret), Some(body(10)));
    let debug = format!("{cache:?}");
    assert!(
        !debug.contains("s3cr3t") && !debug.contains("repo.example"),
        "{debug}"
    );
    assert!(debug.contains("answers: 1"), "{debug}");
}

#[test]
fn only_snapshots_are_republished() {
    for release in ["2.17.1", "1.0", "5.3.31.RELEASE", "2.0-beta9"] {
        assert!(maven_version_is_release(release), "{release}");
    }
    for snapshot in ["1.0-SNAPSHOT", "2.0.0-snapshot"] {
        assert!(!maven_version_is_release(snapshot), "{snapshot}");
    }
}

#[test]
fn an_answer_over_a_mebibyte_is_not_kept() {
    let cache = ReleaseCache::default();
    cache.insert(url(1), body(MAX_KEPT_ANSWER + 1));
    cache.insert(url(2), body(MAX_KEPT_ANSWER));
    assert_eq!(cache.get(&url(1)), None);
    assert_eq!(cache.bytes(), entry(2, MAX_KEPT_ANSWER));
}

#[test]
fn urls_and_bookkeeping_count_against_the_budget() {
    // Tiny answers under long URLs: the budget holds far fewer of them than their bodies alone
    // would suggest, so memory stays within it whatever the mix.
    let cache = ReleaseCache::new(10_000);
    for n in 0..1_000 {
        cache.insert(url(n), body(1));
    }
    assert!(cache.bytes() <= 10_000, "{}", cache.bytes());
    assert!(cache.len() < 100, "{}", cache.len());
    assert_eq!(cache.bytes(), cache.len() * entry(999, 1));
}

#[test]
fn only_a_pom_is_kept_not_a_login_page_sent_with_200() {
    let pom = b"<?xml version=\"1.0\"?>\n<!-- Licensed to the Apache Software Foundation -->\n<project xmlns=\"http://maven.apache.org/POM/4.0.0\"><version>1</version></project>";
    assert!(looks_like_pom(pom));
    assert!(looks_like_pom(
        b"<project><modelVersion>4.0.0</modelVersion></project>"
    ));
    for page in [
        &b"<!DOCTYPE html><html><body>Sign in to Artifactory</body></html>"[..],
        b"<html><body><p>see <project> docs</p></body></html>",
        b"{\"errors\":[{\"status\":401}]}",
        b"",
    ] {
        assert!(!looks_like_pom(page), "{}", String::from_utf8_lossy(page));
    }
}
