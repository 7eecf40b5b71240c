//! The catalogue's wire format: names, mutating flags and JSON field names stay as documented.

use gitproxy_tunnel::Operation;
use serde_json::json;

use super::*;

#[test]
fn names_and_mutating_flags_match_the_protocol_document() {
    let table = [
        (TestConnection::NAME, TestConnection::MUTATING),
        (ListRepositories::NAME, ListRepositories::MUTATING),
        (Scan::NAME, Scan::MUTATING),
        (Apply::NAME, Apply::MUTATING),
        (Refresh::NAME, Refresh::MUTATING),
        (PrStatus::NAME, PrStatus::MUTATING),
        (CheckCi::NAME, CheckCi::MUTATING),
        (ProjectStatus::NAME, ProjectStatus::MUTATING),
        (SyncAdvisories::NAME, SyncAdvisories::MUTATING),
        (AdvisoryStatus::NAME, AdvisoryStatus::MUTATING),
    ];
    assert_eq!(
        table,
        [
            ("bitbucket.test_connection", false),
            ("bitbucket.list_repositories", false),
            ("remediation.scan", false),
            ("remediation.apply", true),
            ("remediation.refresh", true),
            ("remediation.pr_status", false),
            ("remediation.check_ci", true),
            ("remediation.status", false),
            ("advisories.sync", true),
            ("advisories.status", false),
        ]
    );
    let doc = include_str!("../../../../docs/tunnel-protocol.md");
    for name in OPERATIONS {
        assert!(
            doc.contains(&format!("`{name}`")),
            "{name} missing from docs/tunnel-protocol.md"
        );
    }
}

#[test]
fn requests_keep_their_wire_field_names() {
    let apply: Apply = serde_json::from_value(json!({
        "repository": "web",
        "connection": {"server_url": "https://b", "username": "u", "access_token": "t", "project_key": "P"}
    }))
    .expect("decodes");
    assert_eq!(apply.repository, "web");
    assert!(!apply.dry_run);
    assert_eq!(
        apply
            .connection
            .as_ref()
            .and_then(|c| c.project_key.as_deref()),
        Some("P")
    );
    let sent = serde_json::to_value(Apply {
        repository: "web".into(),
        dry_run: true,
        connection: None,
    })
    .expect("encodes");
    assert_eq!(sent, json!({"repository": "web", "dry_run": true}));
    let empty: TestConnection = serde_json::from_value(json!({})).expect("empty body");
    assert_eq!(empty, TestConnection::default());
}

#[test]
fn apply_results_read_back_as_sent() {
    let applied: ApplyResult = serde_json::from_value(
        json!([{"repo": "web", "opened": [1], "updated": [], "unchanged": [],
            "declined": [], "unfixable": [], "problems": []}]),
    )
    .expect("applied");
    assert!(matches!(&applied, ApplyResult::Applied(o) if o[0].opened == [1]));
    let preview: ApplyResult = serde_json::from_value(
        json!([{"repo": "web", "branch": "gitproxy/security/npm-lodash",
        "pull_request": null, "title": "t", "state": "planned"}]),
    )
    .expect("preview");
    assert!(matches!(&preview, ApplyResult::Preview(p) if p.len() == 1));
}

#[test]
fn cloud_connection_debug_redacts_the_token() {
    let debug = format!(
        "{:?}",
        CloudConnection {
            access_token: Some("cloud-token".into()),
            ..CloudConnection::default()
        }
    );
    assert!(!debug.contains("cloud-token"), "{debug}");
    assert!(debug.contains("[redacted]"));
}

#[test]
fn a_delta_keeps_its_records_as_the_text_they_arrived_in() {
    // As the cloud sends it: records with their own spacing and key order.
    let body = r#"{"ecosystem": "npm", "watermark": "2024-02-01T00:00:00Z", "since": "2024-01-01T00:00:00Z",
        "records": [{"id": "N-1",  "modified": "2024-02-01T00:00:00Z", "affected": []}, {"modified": "2024-02-01T00:00:00Z", "id": "N-2"}],
        "withdrawn": ["N-0"]}"#;
    let request: SyncAdvisories = serde_json::from_str(body).unwrap();
    assert_eq!(
        request.records[0].as_str(),
        r#"{"id": "N-1",  "modified": "2024-02-01T00:00:00Z", "affected": []}"#
    );
    // Serialised again, a record is the same text, not a re-encoded tree.
    let again: SyncAdvisories =
        serde_json::from_slice(&serde_json::to_vec(&request).unwrap()).unwrap();
    assert_eq!(again, request);
    let SyncChange::Delta {
        records, withdrawn, ..
    } = request.into_batch().unwrap().change
    else {
        panic!("a delta");
    };
    assert_eq!(
        records[1],
        br#"{"modified": "2024-02-01T00:00:00Z", "id": "N-2"}"#
    );
    assert_eq!(withdrawn, ["N-0"]);
    // A record that is not JSON is refused when the request is read.
    let e = RawRecord::from_json("N-3.json", "{\"id\": ".into())
        .unwrap_err()
        .to_string();
    assert!(e.contains("N-3.json"), "{e}");
    assert!(serde_json::from_str::<SyncAdvisories>(
        r#"{"ecosystem": "npm", "watermark": "", "records": [{"id": }]}"#
    )
    .is_err());
}
