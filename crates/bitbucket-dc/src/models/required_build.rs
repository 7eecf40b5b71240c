//! Required-builds merge checks: which builds must be green before a pull request to a branch merges.

use serde::{Deserialize, Serialize};

use super::string_enum;

string_enum! {
    /// How a ref matcher selects branches.
    RefMatcherKind {
        /// Every branch.
        AnyRef = "ANY_REF",
        /// One branch (`id` is `refs/heads/…`).
        Branch = "BRANCH",
        /// A branch pattern (`id` such as `release/*`).
        Pattern = "PATTERN",
        /// A branching-model category (`FEATURE`, `BUGFIX`, `HOTFIX`, `RELEASE`).
        ModelCategory = "MODEL_CATEGORY",
        /// A branching-model branch (`development`, `production`).
        ModelBranch = "MODEL_BRANCH",
    }
}

/// `RestRefMatcherType`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct RefMatcherType {
    /// The kind.
    pub id: RefMatcherKind,
    /// Display name (`Branch`).
    pub name: Option<String>,
}

/// `RestRefMatcher`: the branches a merge check applies to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct RefMatcher {
    /// `refs/heads/main` for a branch, the pattern, category or model branch otherwise.
    pub id: String,
    /// Display form (`main`).
    pub display_id: Option<String>,
    /// The kind of matcher.
    #[serde(rename = "type")]
    pub kind: RefMatcherType,
}

impl RefMatcher {
    /// A matcher of `kind` with this id.
    pub fn new(kind: RefMatcherKind, id: impl Into<String>) -> Self {
        RefMatcher {
            id: id.into(),
            display_id: None,
            kind: RefMatcherType {
                id: kind,
                name: None,
            },
        }
    }
}

/// `RestRequiredBuildCondition`: builds that must be green for pull requests to matching branches.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct RequiredBuildCondition {
    /// Condition id.
    pub id: i64,
    /// The build (parent) keys that must have a successful build.
    pub build_parent_keys: Vec<String>,
    /// Target branches the condition applies to.
    pub ref_matcher: Option<RefMatcher>,
    /// Source branches exempt from it.
    pub exempt_ref_matcher: Option<RefMatcher>,
}

/// `RestRequiredBuildConditionSetRequest`: a condition to create.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct NewRequiredBuildCondition {
    /// The build (parent) keys that must be green (at least one).
    pub build_parent_keys: Vec<String>,
    /// Target branches it applies to.
    pub ref_matcher: RefMatcher,
    /// Source branches exempt from it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exempt_ref_matcher: Option<RefMatcher>,
}

impl NewRequiredBuildCondition {
    /// Requires green builds of `keys` on pull requests to branches matching `ref_matcher`.
    pub fn new(keys: Vec<String>, ref_matcher: RefMatcher) -> Self {
        NewRequiredBuildCondition {
            build_parent_keys: keys,
            ref_matcher,
            exempt_ref_matcher: None,
        }
    }
}
