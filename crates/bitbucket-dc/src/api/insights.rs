//! Code Insights handler: reports and annotations on a commit.

use serde::Deserialize;

use crate::api::{repo_path, RepoApi};
use crate::client::Req;
use crate::encode::segment;
use crate::error::Error;
use crate::models::{Annotation, InsightReport, NewAnnotation, NewInsightReport};
use crate::page::{Page, Paged};

/// Code Insights reports and annotations (`/rest/insights/latest/…/commits/{sha}/reports`).
///
/// ```no_run
/// # async fn demo(client: bitbucket_dc::Client) -> Result<(), bitbucket_dc::Error> {
/// use bitbucket_dc::{AnnotationSeverity, AnnotationType, NewAnnotation, NewInsightReport, ReportResult};
/// let insights = client.repo("PROJ", "app").insights();
/// let sha = "0123456789abcdef0123456789abcdef01234567";
/// let key = "com.example.vulns";
/// // Annotations are not de-duplicated: start from no report (404 when there is none yet).
/// match insights.delete_report(sha, key).await {
///     Ok(()) | Err(bitbucket_dc::Error::NotFound { .. }) => {}
///     Err(err) => return Err(err),
/// }
/// insights
///     .put_report(sha, key, &NewInsightReport::new("Vulnerabilities").result(ReportResult::Fail))
///     .await?;
/// insights
///     .add_annotations(sha, key, &[NewAnnotation::new("CVE-2021-44228", AnnotationSeverity::High)
///         .at("pom.xml", 42)
///         .annotation_type(AnnotationType::Vulnerability)])
///     .await?;
/// let annotations = insights.annotations(sha, key).await?;
/// # let _ = annotations; Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct InsightsApi {
    repo: RepoApi,
}

#[derive(Deserialize)]
struct AnnotationsBody {
    #[serde(default)]
    annotations: Vec<Annotation>,
}

impl InsightsApi {
    pub(crate) fn new(repo: RepoApi) -> Self {
        InsightsApi { repo }
    }

    /// `PUT …/reports/{key}`: creates or replaces the report → the stored report.
    pub async fn put_report(
        &self,
        sha: &str,
        key: &str,
        report: &NewInsightReport,
    ) -> Result<InsightReport, Error> {
        let req = Req::put(self.report_path(sha, key)).json(report)?;
        self.repo.client.json(req).await
    }

    /// `GET …/reports/{key}`.
    pub async fn get_report(&self, sha: &str, key: &str) -> Result<InsightReport, Error> {
        self.repo
            .client
            .json(Req::get(self.report_path(sha, key)))
            .await
    }

    /// `DELETE …/reports/{key}` (204), annotations included.
    pub async fn delete_report(&self, sha: &str, key: &str) -> Result<(), Error> {
        self.repo
            .client
            .no_content(Req::delete(self.report_path(sha, key)))
            .await
    }

    /// `POST …/reports/{key}/annotations` `{annotations:[…]}` (204). The whole request is
    /// rejected when the report would exceed its annotation limit (1000 by default).
    pub async fn add_annotations(
        &self,
        sha: &str,
        key: &str,
        annotations: &[NewAnnotation],
    ) -> Result<(), Error> {
        let body = serde_json::json!({ "annotations": annotations });
        let req = Req::post(format!("{}/annotations", self.report_path(sha, key))).json(&body)?;
        self.repo.client.no_content(req).await
    }

    /// `PUT …/reports/{key}/annotations/{externalId}` (204): creates or replaces one annotation.
    pub async fn put_annotation(
        &self,
        sha: &str,
        key: &str,
        external_id: &str,
        annotation: &NewAnnotation,
    ) -> Result<(), Error> {
        let req = Req::put(format!(
            "{}/annotations/{}",
            self.report_path(sha, key),
            segment(external_id)
        ))
        .json(annotation)?;
        self.repo.client.no_content(req).await
    }

    /// `GET …/commits/{sha}/reports` (paged): every report on a commit.
    pub fn reports(&self, sha: &str) -> Paged<InsightReport> {
        Paged::new(
            self.repo.client.clone(),
            format!(
                "{}/commits/{}/reports",
                repo_path("insights", &self.repo.project_key, &self.repo.slug),
                segment(sha)
            ),
            Vec::new(),
            Page::<InsightReport>::decode,
        )
    }

    /// `GET …/reports/{key}/annotations` (unpaged).
    pub async fn annotations(&self, sha: &str, key: &str) -> Result<Vec<Annotation>, Error> {
        let body: AnnotationsBody = self
            .repo
            .client
            .json(Req::get(format!(
                "{}/annotations",
                self.report_path(sha, key)
            )))
            .await?;
        Ok(body.annotations)
    }

    /// `DELETE …/reports/{key}/annotations[?externalId=]` (204): all annotations of the report,
    /// or only the one with `external_id`.
    pub async fn delete_annotations(
        &self,
        sha: &str,
        key: &str,
        external_id: Option<&str>,
    ) -> Result<(), Error> {
        let req = Req::delete(format!("{}/annotations", self.report_path(sha, key)))
            .query_opt("externalId", external_id);
        self.repo.client.no_content(req).await
    }

    fn report_path(&self, sha: &str, key: &str) -> String {
        format!(
            "{}/commits/{}/reports/{}",
            repo_path("insights", &self.repo.project_key, &self.repo.slug),
            segment(sha),
            segment(key)
        )
    }
}
