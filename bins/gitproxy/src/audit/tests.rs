//! Unit tests of the audit event's shape.

use super::AuditEvent;

#[test]
fn audit_json_names_who_what_where_and_outcome() {
    let event = AuditEvent {
        actor: "cloud".into(),
        bitbucket_user: Some("bot".into()),
        operation: "remediation.apply".into(),
        project: Some("PRJ".into()),
        repository: Some("web".into()),
        outcome: "ok".into(),
        detail: Some("opened #1".into()),
    };
    let value: serde_json::Value = serde_json::to_value(&event).expect("json");
    assert_eq!(value["actor"], "cloud");
    assert_eq!(value["bitbucket_user"], "bot");
    assert_eq!(value["operation"], "remediation.apply");
    assert_eq!(value["project"], "PRJ");
    assert_eq!(value["repository"], "web");
    assert_eq!(value["outcome"], "ok");
}
