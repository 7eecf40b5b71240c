//! Unit tests of the audit line's fields.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gitproxy_remediation::service::{OpRecord, Outcome};

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

#[test]
fn the_audit_line_names_who_what_where_and_outcome() {
    let buffer = Buffer::default();
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_writer(move || writer.clone())
        .finish();
    let record = OpRecord {
        operation: "remediation.apply",
        outcome: Outcome::Ok,
        elapsed: Duration::from_millis(5),
        user: Some("bot".into()),
        project: Some("PRJ".into()),
        repository: Some("web".into()),
        detail: Some("opened #1".into()),
    };
    tracing::subscriber::with_default(subscriber, || emit("cloud", &record));
    let text = String::from_utf8(buffer.0.lock().expect("lock").clone()).expect("utf-8");
    let value: serde_json::Value = serde_json::from_str(text.trim()).expect("one json line");
    assert_eq!(value["target"], "audit");
    assert_eq!(value["actor"], "cloud");
    assert_eq!(value["bitbucket_user"], "bot");
    assert_eq!(value["operation"], "remediation.apply");
    assert_eq!(value["project"], "PRJ");
    assert_eq!(value["repository"], "web");
    assert_eq!(value["outcome"], "ok");
    assert_eq!(value["detail"], "opened #1");
}
