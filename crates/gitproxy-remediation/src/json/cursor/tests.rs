//! Tests for the tree-less JSON reader: key lines, borrowed and unescaped strings, skipping,
//! errors and the nesting limit.

use super::*;

#[test]
fn objects_give_keys_with_their_lines_and_values_on_demand() {
    let text = "{\n  \"a\": \"x\\u0041\\n\",\n  \"b\": [1, true, {\"z\": null}],\n  \"c\": {\"d\": true, \"e\": false},\n  \"f\": \"multi\nline\"\n, \"g\": 1}";
    let mut cursor = Cursor::new(text);
    let mut seen = Vec::new();
    let was_object = cursor
        .object(|c, key, line| {
            match &*key {
                "a" => seen.push(format!("a@{line}={:?}", c.string()?)),
                "c" => {
                    c.object(|c, key, line| {
                        seen.push(format!("c.{key}@{line}={}", c.is_true()?));
                        Ok(())
                    })?;
                }
                _ => {
                    seen.push(format!("{key}@{line}"));
                    c.skip()?;
                }
            }
            Ok(())
        })
        .unwrap();
    assert!(was_object);
    cursor.finish().unwrap();
    assert_eq!(
        seen,
        [
            "a@2=Some(\"xA\\n\")",
            "b@3",
            "c.d@4=true",
            "c.e@4=false",
            "f@5",
            "g@7"
        ]
    );
}

#[test]
fn plain_strings_are_borrowed_and_odd_escapes_do_not_panic() {
    let mut cursor = Cursor::new("\"plain\"");
    assert!(matches!(
        cursor.string().unwrap(),
        Some(Cow::Borrowed("plain"))
    ));
    for text in [
        "\"\\é\"",
        "\"\\u12é\"",
        "\"\\u\"",
        "\"\\",
        "\"\\\u{1F600}x\"",
    ] {
        let _ = Cursor::new(text).string();
        let _ = crate::json::parse(text);
    }
    assert_eq!(
        Cursor::new("\"\\é\"").string().unwrap().as_deref(),
        Some("é")
    );
}

#[test]
fn non_objects_are_skipped_and_errors_carry_the_offset() {
    let mut cursor = Cursor::new("[1, {\"a\": [\"b\"]}, -2.5e3, null]");
    assert!(!cursor.object(|_, _, _| panic!("not an object")).unwrap());
    cursor.finish().unwrap();
    assert_eq!(
        Cursor::new("{\"a\" 1}")
            .object(|c, _, _| c.skip())
            .unwrap_err()
            .0,
        5
    );
    assert!(Cursor::new("[1, 2").skip().is_err());
    let mut trailing = Cursor::new("{} x");
    trailing.skip().unwrap();
    assert!(trailing.finish().is_err());
    assert_eq!(line_of("a\nb\nc", 4), 3);
}

#[test]
fn nesting_deeper_than_the_limit_is_refused_without_recursing_further() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let err = std::thread::Builder::new()
        .stack_size(512 * 1024)
        .spawn(move || Cursor::new(&deep).skip().unwrap_err())
        .unwrap()
        .join()
        .unwrap();
    assert_eq!(err, (256, too_deep()));
}
