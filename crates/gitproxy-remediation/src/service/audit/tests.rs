//! Unit tests of the audit line's fields.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::service::{OpRecord, Outcome};

use super::emit;

/// Log output kept in memory.
#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn record() -> OpRecord {
    OpRecord {
        operation: "remediation.apply",
        outcome: Outcome::Ok,
        elapsed: Duration::from_millis(5),
        user: Some("bot".into()),
        project: Some("PRJ".into()),
        repository: Some("web".into()),
        detail: Some("opened #1".into()),
    }
}

/// The audit line of [`record`] as the JSON or the text format writes it.
fn audit_line(json: bool) -> String {
    let buffer = Buffer::default();
    let writer = buffer.clone();
    let builder = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_writer(move || writer.clone());
    let dispatch = match json {
        true => tracing::Dispatch::new(builder.json().flatten_event(true).finish()),
        false => tracing::Dispatch::new(builder.finish()),
    };
    tracing::dispatcher::with_default(&dispatch, || emit("cloud", &record()));
    let bytes = buffer.0.lock().expect("lock").clone();
    String::from_utf8(bytes).expect("utf-8")
}

#[test]
fn the_audit_line_names_who_what_where_and_outcome() {
    let line = audit_line(true);
    let value: serde_json::Value = serde_json::from_str(line.trim()).expect("one json line");
    assert_eq!(value["target"], "audit");
    assert_eq!(value["actor"], "cloud");
    assert_eq!(value["bitbucket_user"], "bot");
    assert_eq!(value["operation"], "remediation.apply");
    assert_eq!(value["project"], "PRJ");
    assert_eq!(value["repository"], "web");
    assert_eq!(value["outcome"], "ok");
    assert_eq!(value["detail"], "opened #1");
}

#[test]
fn the_text_line_shows_names_bare_and_free_text_quoted() {
    let line = audit_line(false);
    assert!(
        line.contains("audit: audit actor=cloud bitbucket_user=\"bot\" operation=remediation.apply project=\"PRJ\" repository=\"web\" outcome=ok detail=\"opened #1\""),
        "{line}"
    );
}
