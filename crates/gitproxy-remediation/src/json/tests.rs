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
