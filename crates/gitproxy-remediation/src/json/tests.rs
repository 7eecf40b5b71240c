//! Tests for the span-keeping JSON parser.

use super::*;

#[test]
fn spans_point_at_values_and_keys() {
    let text = "{\n  \"a\": \"x\\u0041\",\n  \"b\": [1, true, null],\n  \"c\": {\"d\": false}\n}";
    let root = parse(text).unwrap();
    let a = root.get("a").unwrap();
    assert_eq!(a.as_str(), Some("xA"));
    assert_eq!(&text[a.start..a.end], "\"x\\u0041\"");
    let b = root.member("b").unwrap();
    assert_eq!(&text[b.key_start..b.key_start + 3], "\"b\"");
    assert_eq!(b.value.items().len(), 3);
    let d = root.get("c").unwrap().get("d").unwrap();
    assert_eq!(&text[d.start..d.end], "false");
}

#[test]
fn errors_carry_the_offset() {
    assert_eq!(parse("{\"a\" 1}").unwrap_err().0, 5);
    assert!(parse("[1, 2").is_err());
    assert!(parse("{} x").is_err());
    assert_eq!(quote("a\"b"), "\"a\\\"b\"");
}

#[test]
fn a_surrogate_pair_escape_is_one_character() {
    let root = parse(
        r#"{"a": "\ud83d\ude00 x", "b": "\ud83d alone", "c": "\ude00", "d": "\ud83d\u0041"}"#,
    )
    .unwrap();
    assert_eq!(root.get("a").and_then(Node::as_str), Some("\u{1F600} x"));
    assert_eq!(root.get("b").and_then(Node::as_str), Some("\u{fffd} alone"));
    assert_eq!(root.get("c").and_then(Node::as_str), Some("\u{fffd}"));
    assert_eq!(root.get("d").and_then(Node::as_str), Some("\u{fffd}A"));
}
