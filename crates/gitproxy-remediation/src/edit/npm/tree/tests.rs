//! Tests for the npm lockfile printer: key order, collation and layout.

use super::{collate, layout, print, J};
use crate::json;

#[test]
fn collation_matches_npm_for_package_paths() {
    let mut keys = vec![
        "a1",
        "ab",
        "a/b",
        "a@b",
        "a.b",
        "a-b",
        "a_b",
        "B",
        "b",
        "ipaddr.js",
    ];
    keys.sort_by(|a, b| collate(a, b));
    assert_eq!(
        keys,
        [
            "a_b",
            "a-b",
            "a.b",
            "a@b",
            "a/b",
            "a1",
            "ab",
            "b",
            "B",
            "ipaddr.js"
        ]
    );
}

#[test]
fn a_lockfile_npm_wrote_prints_back_byte_for_byte() {
    let text = "{\n  \"name\": \"x\",\n  \"lockfileVersion\": 3,\n  \"requires\": true,\n  \"packages\": {\n    \"\": {\n      \"dependencies\": {\n        \"a\": \"^1.0.0\"\n      }\n    },\n    \"node_modules/a\": {\n      \"version\": \"1.0.0\",\n      \"resolved\": \"https://r/a-1.0.0.tgz\",\n      \"integrity\": \"sha512-x\",\n      \"dev\": true,\n      \"license\": \"MIT\",\n      \"bin\": {\n        \"a\": \"cli.js\"\n      },\n      \"engines\": {\n        \"node\": \">=8\"\n      },\n      \"os\": [\n        \"linux\"\n      ]\n    }\n  }\n}\n";
    let node = json::parse(text).unwrap();
    let tree = J::from_node(text, &node);
    let (indent, newline) = layout(text);
    // Plain values before objects, the preferred keys first: `os` (an array) moves up.
    let printed = print(&tree, &indent, newline);
    assert!(
        printed.contains(
            "\"license\": \"MIT\",\n      \"os\": [\n        \"linux\"\n      ],\n      \"bin\""
        ),
        "{printed}"
    );
    let again = print(
        &J::from_node(&printed, &json::parse(&printed).unwrap()),
        &indent,
        newline,
    );
    assert_eq!(printed, again);
    let crlf = text.replace('\n', "\r\n");
    let (indent, newline) = layout(&crlf);
    assert_eq!(newline, "\r\n");
    assert_eq!(
        print(&tree, &indent, newline),
        printed.replace('\n', "\r\n")
    );
}
