//! Code Insights models: reports and annotations attached to a commit.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::string_enum;

string_enum! {
    /// Overall result of a report.
    ReportResult {
        /// Passed.
        Pass = "PASS",
        /// Failed.
        Fail = "FAIL",
    }
}

string_enum! {
    /// Type of a report data item.
    ReportDataType {
        /// `true`/`false`.
        Boolean = "BOOLEAN",
        /// Epoch milliseconds.
        Date = "DATE",
        /// Milliseconds.
        Duration = "DURATION",
        /// `{linktext, href}`.
        Link = "LINK",
        /// A number.
        Number = "NUMBER",
        /// 0 to 100.
        Percentage = "PERCENTAGE",
        /// Text.
        Text = "TEXT",
    }
}

/// One data item of a report (at most 6 per report).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct ReportData {
    /// Label.
    pub title: String,
    /// Type of `value`.
    #[serde(rename = "type")]
    pub data_type: ReportDataType,
    /// Value, shaped by `data_type`.
    pub value: Value,
}

impl ReportData {
    /// A data item.
    pub fn new(title: impl Into<String>, data_type: ReportDataType, value: Value) -> Self {
        ReportData {
            title: title.into(),
            data_type,
            value,
        }
    }
}

/// `RestInsightReport`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct InsightReport {
    /// Report key.
    pub key: String,
    /// Title.
    pub title: String,
    /// Details.
    pub details: Option<String>,
    /// Pass or fail.
    pub result: Option<ReportResult>,
    /// Reporter name.
    pub reporter: Option<String>,
    /// Link.
    pub link: Option<String>,
    /// Logo URL.
    pub logo_url: Option<String>,
    /// Creation time, epoch milliseconds.
    #[serde(deserialize_with = "super::de::timestamp_opt")]
    pub created_date: Option<i64>,
    /// Data items.
    #[serde(deserialize_with = "super::de::null_default")]
    pub data: Vec<ReportData>,
}

/// A report to create or replace: `PUT …/reports/{key}` (`title` and `data` required).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct NewInsightReport {
    /// Title (≤ 450 characters).
    pub title: String,
    /// Data items (≤ 6).
    pub data: Vec<ReportData>,
    /// Details (≤ 2000 characters).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
    /// Pass or fail.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<ReportResult>,
    /// Reporter name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reporter: Option<String>,
    /// Link.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// Logo URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logo_url: Option<String>,
}

impl NewInsightReport {
    /// A report with a title and no data.
    pub fn new(title: impl Into<String>) -> Self {
        NewInsightReport {
            title: title.into(),
            data: Vec::new(),
            details: None,
            result: None,
            reporter: None,
            link: None,
            logo_url: None,
        }
    }

    /// Add a data item.
    pub fn data(mut self, item: ReportData) -> Self {
        self.data.push(item);
        self
    }

    /// Details.
    pub fn details(mut self, details: impl Into<String>) -> Self {
        self.details = Some(details.into());
        self
    }

    /// Pass or fail.
    pub fn result(mut self, result: ReportResult) -> Self {
        self.result = Some(result);
        self
    }

    /// Reporter name.
    pub fn reporter(mut self, reporter: impl Into<String>) -> Self {
        self.reporter = Some(reporter.into());
        self
    }

    /// Link.
    pub fn link(mut self, link: impl Into<String>) -> Self {
        self.link = Some(link.into());
        self
    }
}

string_enum! {
    /// Severity of an annotation.
    AnnotationSeverity {
        /// Low.
        Low = "LOW",
        /// Medium.
        Medium = "MEDIUM",
        /// High.
        High = "HIGH",
    }
}

string_enum! {
    /// Type of an annotation.
    AnnotationType {
        /// A vulnerability.
        Vulnerability = "VULNERABILITY",
        /// A code smell.
        CodeSmell = "CODE_SMELL",
        /// A bug.
        Bug = "BUG",
    }
}

/// `RestInsightAnnotation`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct Annotation {
    /// Caller-chosen id.
    pub external_id: Option<String>,
    /// Line (0 or absent: the whole file).
    pub line: Option<i64>,
    /// Link.
    pub link: Option<String>,
    /// Message.
    pub message: String,
    /// File path.
    pub path: Option<String>,
    /// Key of the report it belongs to.
    pub report_key: Option<String>,
    /// Severity.
    pub severity: AnnotationSeverity,
    /// Type.
    #[serde(rename = "type")]
    pub annotation_type: Option<AnnotationType>,
}

/// An annotation to add (`message` and `severity` required). A report holds at most 1000 and
/// annotations are not de-duplicated: delete the report or its annotations before re-posting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct NewAnnotation {
    /// Message (≤ 2000 characters).
    pub message: String,
    /// Severity.
    pub severity: AnnotationSeverity,
    /// File path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Line (0: the whole file).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<i64>,
    /// Type.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub annotation_type: Option<AnnotationType>,
    /// Link.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// Caller-chosen id (≤ 450 characters).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
}

impl NewAnnotation {
    /// An annotation with a message and severity.
    pub fn new(message: impl Into<String>, severity: AnnotationSeverity) -> Self {
        NewAnnotation {
            message: message.into(),
            severity,
            path: None,
            line: None,
            annotation_type: None,
            link: None,
            external_id: None,
        }
    }

    /// Anchor it to a line of a file.
    pub fn at(mut self, path: impl Into<String>, line: i64) -> Self {
        self.path = Some(path.into());
        self.line = Some(line);
        self
    }

    /// Type.
    pub fn annotation_type(mut self, annotation_type: AnnotationType) -> Self {
        self.annotation_type = Some(annotation_type);
        self
    }

    /// Link.
    pub fn link(mut self, link: impl Into<String>) -> Self {
        self.link = Some(link.into());
        self
    }

    /// Caller-chosen id.
    pub fn external_id(mut self, id: impl Into<String>) -> Self {
        self.external_id = Some(id.into());
        self
    }
}
