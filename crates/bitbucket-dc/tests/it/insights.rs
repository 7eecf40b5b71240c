//! Code Insights: reports (put, get, list, delete) and their annotations (add in bulk, upsert one
//! by external id, list, delete one or all).

use std::collections::BTreeMap;

use bitbucket_dc::{
    AnnotationSeverity, AnnotationType, Error, NewAnnotation, NewInsightReport, NotFoundKind,
    ReportData, ReportDataType, ReportResult,
};
use serde_json::json;

use crate::support::{client, rest_log, start, tip, ALICE};

const KEY: &str = "com.example.vulns";

#[tokio::test]
async fn reports_and_annotations() {
    let sim = start().await;
    let alice = client(&sim, ALICE);
    let insights = alice.repo("PRJ", "service").insights();
    let sha = tip(&sim, "service", "feature");

    let missing = insights.get_report(&sha, KEY).await;
    assert!(
        matches!(
            missing,
            Err(Error::NotFound {
                kind: NotFoundKind::InsightReport,
                ..
            })
        ),
        "{missing:?}"
    );
    // Deleting a report that does not exist yet is a 404 too (the spec says so): callers that
    // start afresh must accept it.
    let nothing_to_delete = insights.delete_report(&sha, KEY).await;
    assert!(
        matches!(
            nothing_to_delete,
            Err(Error::NotFound {
                kind: NotFoundKind::InsightReport,
                ..
            })
        ),
        "{nothing_to_delete:?}"
    );
    let report = insights
        .put_report(
            &sha,
            KEY,
            &NewInsightReport::new("Vulnerabilities")
                .details("2 vulnerable dependencies")
                .result(ReportResult::Fail)
                .reporter("gitproxy")
                .link("https://example.com/report/1")
                .data(ReportData::new("Found", ReportDataType::Number, json!(2)))
                .data(ReportData::new(
                    "Advisory",
                    ReportDataType::Link,
                    json!({"linktext": "RUSTSEC-2020-0071", "href": "https://rustsec.org/advisories/RUSTSEC-2020-0071"}),
                )),
        )
        .await
        .expect("put report");
    assert_eq!(report.key, KEY);
    assert_eq!(report.title, "Vulnerabilities");
    assert_eq!(report.result, Some(ReportResult::Fail));
    assert_eq!(report.reporter.as_deref(), Some("gitproxy"));
    assert_eq!(report.data.len(), 2);
    assert_eq!(report.data[0].value, json!(2));
    assert_eq!(report.data[1].data_type, ReportDataType::Link);
    assert!(report.created_date.is_some());
    let fetched = insights.get_report(&sha, KEY).await.expect("get report");
    assert_eq!(fetched, report);
    let all = insights.reports(&sha).collect_all().await.expect("reports");
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].key, KEY);

    insights
        .add_annotations(
            &sha,
            KEY,
            &[
                NewAnnotation::new("RUSTSEC-2020-0071 in time 0.1.45", AnnotationSeverity::High)
                    .at("Cargo.toml", 2)
                    .annotation_type(AnnotationType::Vulnerability)
                    .link("https://rustsec.org/advisories/RUSTSEC-2020-0071")
                    .external_id("rustsec-2020-0071"),
                NewAnnotation::new("lock file out of date", AnnotationSeverity::Low)
                    .at("Cargo.lock", 0),
            ],
        )
        .await
        .expect("add annotations");
    let annotations = insights.annotations(&sha, KEY).await.expect("annotations");
    assert_eq!(annotations.len(), 2);
    let vuln = &annotations[0];
    assert_eq!(vuln.path.as_deref(), Some("Cargo.toml"));
    assert_eq!(vuln.line, Some(2));
    assert_eq!(vuln.severity, AnnotationSeverity::High);
    assert_eq!(vuln.annotation_type, Some(AnnotationType::Vulnerability));
    assert_eq!(vuln.external_id.as_deref(), Some("rustsec-2020-0071"));
    assert_eq!(vuln.report_key.as_deref(), Some(KEY));

    // Upsert by external id: replace one, add another.
    insights
        .put_annotation(
            &sha,
            KEY,
            "rustsec-2020-0071",
            &NewAnnotation::new("still vulnerable", AnnotationSeverity::Medium).at("Cargo.toml", 3),
        )
        .await
        .expect("replace");
    insights
        .put_annotation(
            &sha,
            KEY,
            "id/with spaces",
            &NewAnnotation::new("second", AnnotationSeverity::Low),
        )
        .await
        .expect("add one");
    let by_id: BTreeMap<String, String> = insights
        .annotations(&sha, KEY)
        .await
        .expect("annotations")
        .into_iter()
        .filter_map(|a| a.external_id.map(|id| (id, a.message)))
        .collect();
    assert_eq!(
        by_id,
        BTreeMap::from([
            ("id/with spaces".to_owned(), "second".to_owned()),
            (
                "rustsec-2020-0071".to_owned(),
                "still vulnerable".to_owned()
            ),
        ])
    );
    assert!(rest_log(&sim)
        .iter()
        .any(|r| r.path.ends_with("/annotations/id%2Fwith%20spaces")));

    // The whole request is refused past the per-report limit (1000); nothing is added.
    let flood: Vec<NewAnnotation> = (0..1000)
        .map(|n| NewAnnotation::new(format!("finding {n}"), AnnotationSeverity::Low))
        .collect();
    let refused = insights.add_annotations(&sha, KEY, &flood).await;
    assert!(
        matches!(refused, Err(Error::BadRequest { .. })),
        "{refused:?}"
    );
    assert_eq!(
        insights
            .annotations(&sha, KEY)
            .await
            .expect("annotations")
            .len(),
        3
    );

    insights
        .delete_annotations(&sha, KEY, Some("id/with spaces"))
        .await
        .expect("delete one");
    assert_eq!(
        insights
            .annotations(&sha, KEY)
            .await
            .expect("annotations")
            .len(),
        2
    );
    insights
        .delete_annotations(&sha, KEY, None)
        .await
        .expect("delete all");
    assert!(insights
        .annotations(&sha, KEY)
        .await
        .expect("annotations")
        .is_empty());

    insights
        .delete_report(&sha, KEY)
        .await
        .expect("delete report");
    assert!(insights
        .reports(&sha)
        .collect_all()
        .await
        .expect("reports")
        .is_empty());
    let deleted_again = insights.delete_report(&sha, KEY).await;
    assert!(
        matches!(
            deleted_again,
            Err(Error::NotFound {
                kind: NotFoundKind::InsightReport,
                ..
            })
        ),
        "{deleted_again:?}"
    );
    let no_title = insights
        .put_report(&sha, KEY, &NewInsightReport::new(" "))
        .await;
    assert!(
        matches!(no_title, Err(Error::BadRequest { .. })),
        "{no_title:?}"
    );
}
