//! Unit tests of the tidy lexer: what is blanked, what stays, and that lines stay where they were.

use super::*;

fn code(text: &str) -> String {
    code_only(text).into_iter().collect()
}

#[test]
fn comments_and_literal_contents_become_spaces_and_lines_stay() {
    let text = "let a = \"x.y\"; // note\n/* block /* nested */ still */ let b = 'c';\nlet r = r#\"q\"w\"#;\n";
    let blanked = code(text);
    assert_eq!(blanked.chars().count(), text.chars().count());
    assert_eq!(blanked.lines().count(), text.lines().count());
    assert_eq!(blanked.lines().next(), Some("let a = \"   \";        "));
    assert!(blanked
        .lines()
        .nth(1)
        .is_some_and(|l| l.trim() == "let b = ' ';"));
    assert!(blanked
        .lines()
        .nth(2)
        .is_some_and(|l| l.trim() == "let r = r#\"   \"#;"));
}

#[test]
fn escapes_lifetimes_and_byte_strings_do_not_derail_the_lexer() {
    let text = "f(\"q\\\"w\", '\\'', b\"z\", br\"y\", &'static x); g()";
    let blanked = code(text);
    assert!(blanked.ends_with("&'static x); g()"), "{blanked:?}");
    assert!(!blanked.contains(['q', 'w', 'y', 'z']), "{blanked:?}");
}

#[test]
fn cfg_test_items_are_blanked_to_their_end() {
    let text = "fn a() {}\n#[cfg(test)]\nmod tests;\n#[cfg(test)]\nmod inline {\n    fn t() { if x { } }\n}\nfn b() {}\n";
    let blanked = code(text);
    let kept: Vec<&str> = blanked
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(kept, ["fn a() {}", "fn b() {}"]);
    assert!(!is_test_only(&code_only(text)));
    assert!(is_test_only(&code_only("#![cfg(test)]\nfn a() {}\n")));
}
