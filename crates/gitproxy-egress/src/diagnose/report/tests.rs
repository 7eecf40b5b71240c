//! Unit tests of the diagnosis report: redaction and rendering as lines.

use url::Url;

use super::DiagnosisReport;
use crate::Error;

#[test]
fn a_report_redacts_credentials_in_its_url() {
    let url = Url::parse("https://user:hunter2@bitbucket.corp/").unwrap();
    let report = DiagnosisReport::from_config_error(&url, &Error::EmptyTrustStore);
    assert_eq!(report.url, "https://user:***@bitbucket.corp/");
    let text = format!("{report}");
    assert!(!text.contains("hunter2"));
    assert!(text.starts_with("connection diagnosis for https://user:***@bitbucket.corp/: failed\n  [FAIL] configuration"), "{text}");
}
