//! Tests for the offset-keeping XML element tree.

use super::*;

#[test]
fn text_spans_point_at_the_trimmed_text() {
    let text = "<?xml version=\"1.0\"?>\n<!-- c -->\n<project>\n  <version>\n    1.2.3\n  </version>\n  <name>a &amp; b</name>\n  <empty/>\n  <raw><![CDATA[x<y]]></raw>\n</project>\n";
    let root = parse(text).unwrap();
    assert_eq!(root.name, "project");
    let version = root.child("version").unwrap();
    assert_eq!(version.text, "1.2.3");
    assert_eq!(&text[version.text_span.0..version.text_span.1], "1.2.3");
    assert_eq!(root.child_text("name"), Some("a & b"));
    let empty = root.child("empty").unwrap();
    assert_eq!(&text[empty.start..empty.end], "<empty/>");
    assert_eq!(root.child_text("raw"), Some("x<y"));
    assert_eq!(&text[root.content_end..root.end], "</project>");
}

#[test]
fn malformed_documents_are_errors() {
    assert!(parse("<a><b></a>").is_err());
    assert!(parse("<a>").is_err());
    assert!(parse("").is_err());
}

#[test]
fn a_second_byte_order_mark_does_not_split_a_character() {
    // The snapshot drops the first mark; quick-xml skips the next one itself.
    let _ = parse("\u{feff}\0\0");
    let _ = parse("\u{feff}<project><a>x</a></project>");
}

#[test]
fn attributes_keep_their_value_spans() {
    let text = "<Project Sdk=\"Microsoft.NET.Sdk\">\n  <ItemGroup>\n    <PackageReference Include='Newtonsoft.Json' Version = \"13.0.1\" />\n    <PackageReference Include=\"A &amp; B\"><Version>1.0</Version></PackageReference>\n  </ItemGroup>\n</Project>\n";
    let root = parse(text).unwrap();
    assert_eq!(root.attribute("sdk").unwrap().value, "Microsoft.NET.Sdk");
    let mut refs = Vec::new();
    root.descendants_named("PackageReference", &mut refs);
    assert_eq!(refs.len(), 2);
    assert_eq!(
        refs[0].attribute("Include").unwrap().value,
        "Newtonsoft.Json"
    );
    let version = refs[0].attribute("version").unwrap();
    assert_eq!(&text[version.span.0..version.span.1], "13.0.1");
    assert_eq!(refs[1].attribute("Include").unwrap().value, "A & B");
    assert_eq!(refs[1].child_text("Version"), Some("1.0"));
    assert!(parse("<a b></a>").is_err());
    assert!(parse("<a b=c></a>").is_err());
    assert!(parse("<a b=\"c></a>").is_err());
}

/// Found by the `pom` fuzz target: a `=` just after a start tag's `>` was taken for the value of
/// an attribute of that tag, and reading the value sliced past the tag's end.
#[test]
fn an_attribute_without_a_value_before_the_tag_end_is_an_error() {
    let err = parse("<p;${ect<?xml verqion=\"1.0\" encoding>=\"UT<<aF-").unwrap_err();
    assert_eq!(err.1, "attribute `encoding>` has no value");
}

/// Found by the `pom` fuzz target: a start tag whose end, as the reader reports it, falls inside
/// a byte order mark in the middle of the text cut the attribute name inside that character.
#[test]
fn a_tag_ending_inside_a_character_is_an_error() {
    let input = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fuzz/corpus/pom/regression-tag-end-inside-a-character"
    ))
    .unwrap();
    let text = String::from_utf8_lossy(&input);
    assert!(parse(&text).is_err());
}
