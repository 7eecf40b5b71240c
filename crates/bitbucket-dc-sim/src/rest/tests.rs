//! Unit tests for paging and query parsing.

use super::*;

#[test]
fn limit_defaults_caps_and_ignores_garbage() {
    let page = |q: &str| PageReq::from_query(&Query::parse(Some(q)), DEFAULT_LIMIT, MAX_LIMIT);
    assert_eq!(
        page(""),
        PageReq {
            start: 0,
            limit: 25
        }
    );
    assert_eq!(
        page("limit=5000&start=10"),
        PageReq {
            start: 10,
            limit: 1000
        }
    );
    assert_eq!(
        page("limit=0"),
        PageReq {
            start: 0,
            limit: 25
        }
    );
    assert_eq!(
        page("limit=abc&start=-1"),
        PageReq {
            start: 0,
            limit: 25
        }
    );
}

#[test]
fn pages_carry_next_page_start_except_the_last() {
    let all: Vec<Value> = (0..5).map(|i| json!(i)).collect();
    let first = PageReq { start: 0, limit: 2 }.page(all.clone());
    assert_eq!(first["size"], 2);
    assert_eq!(first["isLastPage"], false);
    assert_eq!(first["nextPageStart"], 2);
    let last = PageReq { start: 4, limit: 2 }.page(all.clone());
    assert_eq!(last["values"], json!([4]));
    assert_eq!(last["isLastPage"], true);
    assert!(last.get("nextPageStart").is_none());
    let exact = PageReq { start: 3, limit: 2 }.page(all);
    assert_eq!(exact["isLastPage"], true);
}

#[test]
fn windows_fetched_with_one_extra_item_know_if_more_exist() {
    let req = PageReq {
        start: 10,
        limit: 2,
    };
    let more = req.page_window(vec![json!(1), json!(2), json!(3)]);
    assert_eq!(more["isLastPage"], false);
    assert_eq!(more["nextPageStart"], 12);
    assert_eq!(more["size"], 2);
    let done = req.page_window(vec![json!(1)]);
    assert_eq!(done["isLastPage"], true);
}

#[test]
fn query_decodes_and_keeps_repeats() {
    let q = Query::parse(Some("at=refs%2Fheads%2Fa%2Bb&k=1&k=2&flag=TRUE&blank=%20"));
    assert_eq!(q.get("at"), Some("refs/heads/a+b"));
    assert_eq!(q.get("k"), Some("1"));
    assert_eq!(q.0.iter().filter(|(k, _)| k == "k").count(), 2);
    assert!(q.flag("flag"));
    assert_eq!(q.value("blank"), None);
}

#[test]
fn errors_render_the_bitbucket_envelope() {
    let err = ApiError::no_such_repo("PRJ", "r").field("extra", json!(1));
    assert_eq!(err.status, StatusCode::NOT_FOUND);
    assert_eq!(err.errors[0]["exceptionName"], exc::NO_SUCH_REPOSITORY);
    assert_eq!(err.errors[0]["context"], Value::Null);
    assert_eq!(err.errors[0]["extra"], 1);
    let validation = ApiError::validation("key", "bad");
    assert_eq!(validation.status, StatusCode::BAD_REQUEST);
    assert_eq!(validation.errors[0]["context"], "key");
    assert_eq!(validation.errors[0]["exceptionName"], Value::Null);
    assert!(check_len("key", Some(&"x".repeat(256)), 255).is_err());
    assert!(check_len("key", Some("x"), 255).is_ok());
}
