//! Tidy checks: every Rust module opens with a `//!` line, nothing skips tests, no production source
//! file is over 800 lines, and no error is matched by its text; with self-tests of the last two rules.

use std::fs;

use super::exceptions::{LongFile, ERROR_TEXT_MATCHES, LONG_FILES, MAX_LINES};
use super::{error_text, file_length, is_test_module, production_sources, workspace_sources};

#[test]
fn every_module_opens_with_a_doc_line() {
    let offenders: Vec<String> = workspace_sources()
        .into_iter()
        .filter(|path| {
            let text = fs::read_to_string(path).unwrap_or_default();
            !text.trim_start().starts_with("//!")
        })
        .map(|path| path.display().to_string())
        .collect();
    assert!(
        offenders.is_empty(),
        "these files do not open with a `//!` line saying what they are for:\n{}",
        offenders.join("\n")
    );
}

#[test]
fn no_test_is_ignored_or_stubbed() {
    let needles = [
        concat!("#[", "ignore"),
        concat!("todo", "!("),
        concat!("unimplemented", "!("),
        concat!("#[", "should_panic"),
    ];
    let mut offenders = Vec::new();
    for path in workspace_sources() {
        let text = fs::read_to_string(&path).unwrap_or_default();
        for (idx, line) in text.lines().enumerate() {
            if needles.iter().any(|n| line.contains(n)) {
                offenders.push(format!("{}:{}: {}", path.display(), idx + 1, line.trim()));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "skipped or stubbed code:\n{}",
        offenders.join("\n")
    );
}

#[test]
fn no_production_source_file_is_over_800_lines() {
    let files: Vec<(String, usize)> = production_sources(false)
        .into_iter()
        .filter(|(path, _)| !is_test_module(path))
        .map(|(path, text)| (path, text.lines().count()))
        .collect();
    let problems = file_length::problems(&files, LONG_FILES);
    assert!(
        problems.is_empty(),
        "source files over {MAX_LINES} lines (tests.rs files excepted):\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_size_rule_catches_a_long_file_and_stale_exceptions() {
    let files = vec![
        ("crates/a/src/lib.rs".to_owned(), 120),
        ("crates/a/src/big.rs".to_owned(), MAX_LINES + 1),
        ("crates/a/src/edge.rs".to_owned(), MAX_LINES),
        ("crates/a/src/listed.rs".to_owned(), 900),
        ("crates/a/src/shrunk.rs".to_owned(), 300),
    ];
    let allowed = [
        LongFile {
            path: "crates/a/src/listed.rs",
            reason: "test",
        },
        LongFile {
            path: "crates/a/src/shrunk.rs",
            reason: "test",
        },
        LongFile {
            path: "crates/a/src/gone.rs",
            reason: "test",
        },
    ];
    let problems = file_length::problems(&files, &allowed);
    assert_eq!(problems.len(), 3, "{problems:#?}");
    assert!(
        problems[0].starts_with("crates/a/src/big.rs: 801 lines, over the 800-line limit"),
        "{problems:#?}"
    );
    assert!(problems[1].starts_with("crates/a/src/shrunk.rs: 300 lines, within the limit now"));
    assert!(problems[2].starts_with("crates/a/src/gone.rs: listed in LONG_FILES but no such file"));
    assert!(file_length::problems(&files[..1], &[]).is_empty());
}

#[test]
fn every_exception_gives_its_reason() {
    for entry in LONG_FILES {
        assert!(
            !entry.reason.trim().is_empty(),
            "{} has no reason",
            entry.path
        );
    }
    for entry in ERROR_TEXT_MATCHES {
        assert!(
            !entry.reason.trim().is_empty(),
            "{} has no reason",
            entry.code
        );
    }
}

#[test]
fn no_error_is_matched_by_its_text_outside_tests() {
    let mut unexpected = Vec::new();
    let mut used = vec![false; ERROR_TEXT_MATCHES.len()];
    for (path, text) in production_sources(true) {
        if is_test_module(&path) {
            continue;
        }
        for finding in error_text::find(&text) {
            let allowed = ERROR_TEXT_MATCHES
                .iter()
                .position(|a| path.starts_with(a.path) && finding.text.contains(a.code));
            match allowed {
                Some(i) => used[i] = true,
                None => unexpected.push(format!("{path}:{}: {}", finding.line, finding.text)),
            }
        }
    }
    let stale: Vec<String> = ERROR_TEXT_MATCHES
        .iter()
        .zip(&used)
        .filter(|(_, used)| !**used)
        .map(|(a, _)| format!("{} in {}", a.code, a.path))
        .collect();
    assert!(
        unexpected.is_empty(),
        "errors matched by their text outside tests; give the error a variant (or a method such as \
         is_retryable()) and match on that instead:\n{}",
        unexpected.join("\n")
    );
    assert!(
        stale.is_empty(),
        "ERROR_TEXT_MATCHES entries that match nothing any more; remove them from \
         xtask/src/tidy/exceptions.rs:\n{}",
        stale.join("\n")
    );
}

/// The lines [`error_text::find`] flags in `source`.
fn flagged(source: &str) -> Vec<usize> {
    error_text::find(source).iter().map(|f| f.line).collect()
}

#[test]
fn the_error_text_rule_catches_synthetic_offenders() {
    let source = r#"//! A module.
fn classify(err: &Error, message: &str, e: &std::io::Error) -> bool {
    if message.contains("refused by local policy") {
        return true;
    }
    let a = err
        .to_string()
        .contains("timed out");
    let b = format!("{e:#}").starts_with("connection");
    let c = e.to_string().to_lowercase().ends_with("reset");
    let d = self.last_error.as_deref().is_some_and(|m| m.contains("x")) || err_msg.contains("y");
    let f = response.message().trim().contains("denied");
    a || b || c || d || f
}
"#;
    assert_eq!(flagged(source), [3, 8, 9, 10, 11, 12]);
    let finding = &error_text::find(source)[0];
    assert_eq!(
        finding.text,
        r#"if message.contains("refused by local policy") {"#
    );
}

#[test]
fn the_error_text_rule_lets_string_processing_comments_literals_and_tests_through() {
    let source = r##"//! A parser.
/// Matches on message.contains("x") in docs are fine.
fn parse(url: &str, body: &str, line: &str) -> bool {
    // err.contains("comment")
    let usage = "err.contains(\"in a string\")";
    let raw = r#"message.contains("raw")"#;
    let c = '"';
    let lifetime: &'static str = "";
    let errors_seen = ERRORS.contains(&code);
    url.contains("://") || body.starts_with("{") || line.ends_with('\n') || map.contains_key("err")
        || String::from_utf8_lossy(&out.stderr).contains("helm")
}

#[cfg(test)]
mod tests {
    fn t(err: &str) -> bool {
        err.contains("inline test module")
    }
}

#[cfg(test)]
fn helper(message: &str) -> bool { message.contains("test helper") }

fn after_tests(message: &str) -> bool {
    message.contains("still found")
}
"##;
    assert_eq!(flagged(source), [25]);
    assert!(
        error_text::find("#![cfg(test)]\nfn f(err: &str) -> bool { err.contains(\"x\") }\n")
            .is_empty()
    );
}
