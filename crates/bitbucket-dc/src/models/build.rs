//! Build status models: repository-scoped builds and the legacy global build-status API.

use serde::{Deserialize, Serialize};

use super::string_enum;

string_enum! {
    /// State of a build.
    BuildState {
        /// Passed.
        Successful = "SUCCESSFUL",
        /// Failed.
        Failed = "FAILED",
        /// Running.
        InProgress = "INPROGRESS",
        /// Cancelled (8.0+).
        Cancelled = "CANCELLED",
        /// Unknown.
        Unknown = "UNKNOWN",
    }
}

/// `RestTestResults`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct TestResults {
    /// Passed tests.
    pub successful: u64,
    /// Failed tests.
    pub failed: u64,
    /// Skipped tests.
    pub skipped: u64,
}

impl TestResults {
    /// Test counts.
    pub fn new(successful: u64, failed: u64, skipped: u64) -> Self {
        TestResults {
            successful,
            failed,
            skipped,
        }
    }
}

/// `RestBuildStatus`: a build result attached to a commit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct BuildStatus {
    /// Build key (unique per commit; posting the same key again overwrites).
    pub key: String,
    /// State.
    pub state: BuildState,
    /// Link to the build.
    pub url: String,
    /// Display name.
    pub name: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Build number.
    pub build_number: Option<String>,
    /// Duration in milliseconds.
    pub duration: Option<i64>,
    /// Parent build key.
    pub parent: Option<String>,
    /// The ref built (`refs/…`).
    #[serde(rename = "ref")]
    pub git_ref: Option<String>,
    /// Test counts.
    pub test_results: Option<TestResults>,
    /// Creation time, epoch milliseconds.
    #[serde(deserialize_with = "super::de::timestamp_opt")]
    pub created_date: Option<i64>,
    /// Update time, epoch milliseconds.
    #[serde(deserialize_with = "super::de::timestamp_opt")]
    pub updated_date: Option<i64>,
    /// Time added, epoch milliseconds (legacy API).
    #[serde(deserialize_with = "super::de::timestamp_opt")]
    pub date_added: Option<i64>,
    /// Project of the commit (repository-scoped API).
    pub project_key: Option<String>,
    /// Repository of the commit (repository-scoped API).
    pub repository_slug: Option<String>,
}

/// A build status to post (`RestBuildStatusSetRequest`): `key`, `state` and `url` are required.
///
/// Bitbucket limits `key`, `name` and `build_number` to 255 characters and `url` to 450.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct NewBuildStatus {
    /// Build key.
    pub key: String,
    /// State.
    pub state: BuildState,
    /// Link to the build.
    pub url: String,
    /// Display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Build number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub build_number: Option<String>,
    /// Duration in milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration: Option<i64>,
    /// Last update, epoch milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_updated: Option<i64>,
    /// Parent build key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// The ref built; must start with `refs/`.
    #[serde(rename = "ref", skip_serializing_if = "Option::is_none")]
    pub git_ref: Option<String>,
    /// Test counts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub test_results: Option<TestResults>,
}

impl NewBuildStatus {
    /// A build status with the required fields.
    pub fn new(key: impl Into<String>, state: BuildState, url: impl Into<String>) -> Self {
        NewBuildStatus {
            key: key.into(),
            state,
            url: url.into(),
            name: None,
            description: None,
            build_number: None,
            duration: None,
            last_updated: None,
            parent: None,
            git_ref: None,
            test_results: None,
        }
    }

    /// Display name.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Description.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Build number.
    pub fn build_number(mut self, number: impl Into<String>) -> Self {
        self.build_number = Some(number.into());
        self
    }

    /// Duration in milliseconds.
    pub fn duration_ms(mut self, millis: i64) -> Self {
        self.duration = Some(millis);
        self
    }

    /// The branch built; a short name is qualified as `refs/heads/…`.
    pub fn git_ref(mut self, branch: &str) -> Self {
        self.git_ref = Some(crate::encode::branch_ref(branch));
        self
    }

    /// Test counts.
    pub fn test_results(mut self, results: TestResults) -> Self {
        self.test_results = Some(results);
        self
    }
}

/// `RestBuildStats`: counts of build states on a commit (legacy API).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct BuildStats {
    /// Successful builds.
    pub successful: u64,
    /// Failed builds.
    pub failed: u64,
    /// Running builds.
    pub in_progress: u64,
    /// Cancelled builds.
    pub cancelled: u64,
    /// Builds in unknown state.
    pub unknown: u64,
}
