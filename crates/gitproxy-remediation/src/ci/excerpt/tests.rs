//! Unit tests of the job-log excerpt: what is kept, the command, the bounds, the masking.

use super::{excerpt, mask, MAX_BYTES, MAX_LINES};
use crate::ci::CiKind;

/// The shape of a Jenkins console log of a failing npm pipeline step.
const JENKINS: &str = "Started by an SCM change
Running as SYSTEM
Building in workspace /var/jenkins_home/workspace/web_PR-3
The recommended git tool is: NONE
 > git fetch --no-tags --force --progress -- https://ci-bot:hunter2hunter2@bitbucket.example.com/scm/sec/web.git +refs/heads/*:refs/remotes/origin/*
+ npm ci
added 312 packages in 4s
+ npm test

> web@1.0.0 test
> jest

FAIL src/app.test.js
  ● parses the config

    TypeError: Cannot read properties of undefined (reading 'merge')

Tests:       1 failed, 11 passed, 12 total
npm ERR! Test failed.  See above for more details.
NPM_TOKEN=npm_abcdefghijklmnop1234 password=s3cr3t!
Finished: FAILURE
";

#[test]
fn the_lines_that_say_why_are_kept_with_the_command_that_ran() {
    let e = excerpt(CiKind::Jenkins, JENKINS, &["jenkins-api-token-1"]);
    assert_eq!(e.command.as_deref(), Some("npm test"));
    assert!(
        e.lines.contains(&"FAIL src/app.test.js".to_owned()),
        "{:?}",
        e.lines
    );
    assert!(e
        .lines
        .iter()
        .any(|l| l.contains("TypeError: Cannot read properties of undefined")));
    assert!(e
        .lines
        .iter()
        .any(|l| l.starts_with("npm ERR! Test failed.")));
    assert!(!e.lines.iter().any(|l| l.contains("added 312 packages")));
    assert!(e.truncated);
    let text = e.lines.join("\n");
    for secret in ["hunter2hunter2", "s3cr3t", "npm_abcdefghijklmnop1234"] {
        assert!(!text.contains(secret), "{secret} shown: {text}");
    }
}

#[test]
fn a_log_without_error_lines_shows_its_tail() {
    let log: String = (1..=50).map(|i| format!("step {i}\n")).collect();
    let e = excerpt(CiKind::Bamboo, &log, &[]);
    assert_eq!(e.lines.first().map(String::as_str), Some("step 31"));
    assert_eq!(e.lines.last().map(String::as_str), Some("step 50"));
    assert_eq!(e.command, None);
}

#[test]
fn the_excerpt_is_bounded_in_lines_bytes_and_line_length() {
    let log: String = (0..5000)
        .map(|i| format!("error: case {i} {}\n", "x".repeat(i % 700)))
        .collect();
    let e = excerpt(CiKind::Jenkins, &log, &[]);
    assert!(e.lines.len() <= MAX_LINES);
    assert!(e.lines.iter().map(|l| l.len() + 1).sum::<usize>() <= MAX_BYTES);
    assert!(e.lines.iter().all(|l| l.len() <= 310));
    assert!(e.lines.last().unwrap().starts_with("error: case 4999"));
    assert!(e.truncated);
}

#[test]
fn secrets_are_masked_and_prose_is_not() {
    assert_eq!(mask("token=abc123 next", &[]), "token=**** next");
    assert_eq!(
        mask("Authorization: Bearer eyJhbGciOi", &[]),
        "Authorization: ****"
    );
    assert_eq!(
        mask("curl https://bob:pw@host/x", &[]),
        "curl https://****@host/x"
    );
    assert_eq!(mask("the tokenizer failed", &[]), "the tokenizer failed");
    assert_eq!(
        mask("using key the-ci-secret", &["the-ci-secret"]),
        "using key ****"
    );
    assert_eq!(
        mask("push with ghp_0123456789abcdefABCDEF0123", &[]),
        "push with ****"
    );
    assert_eq!(
        mask("BBDC-NzY1MjM3NjY0OTc2Om9x0lBr3wV1 used", &[]),
        "**** used"
    );
    assert_eq!(mask("id AKIAIOSFODNN7EXAMPLE", &[]), "id ****");
}
