//! Typed request and response models of the Bitbucket Data Center REST API, re-exported at the
//! crate root (the one public path to them; the crate docs describe how decoding is lenient).

mod activity;
mod branch;
mod build;
mod comment;
mod commit;
mod common;
pub(crate) mod de;
mod file;
mod insights;
mod project;
mod pull_request;
mod repository;
mod required_build;
mod server;

pub use activity::{Activity, ActivityAction, CommentAction};
pub use branch::{Branch, BranchOrder, BranchQuery, DeleteBranch, MinimalRef, NewBranch, RefType};
pub use build::{BuildState, BuildStats, BuildStatus, NewBuildStatus, TestResults};
pub use comment::{
    Anchor, Comment, CommentProperties, CommentSeverity, CommentState, CommentUpdate, DiffType,
    FileType, LineType, NewComment, PermittedOperations,
};
pub use commit::{
    Change, ChangeProperties, ChangeType, Commit, CommitQuery, Conflict, ConflictChange,
    MinimalCommit, Person,
};
pub use common::{Link, Links, Properties};
pub use file::{DirEntry, EntryType, FileEdit, PathInfo};
pub use insights::{
    Annotation, AnnotationSeverity, AnnotationType, InsightReport, NewAnnotation, NewInsightReport,
    ReportData, ReportDataType, ReportResult,
};
pub use project::{Project, ProjectSearch, ProjectType};
pub use pull_request::{
    MergeOptions, MergeOutcome, MergeResult, MergeVeto, Mergeability, NewPullRequest, Participant,
    ParticipantRole, ParticipantStatus, PullRequest, PullRequestDirection, PullRequestOrder,
    PullRequestProperties, PullRequestQuery, PullRequestRef, PullRequestState,
    PullRequestStateFilter, PullRequestUpdate,
};
pub use repository::{RepoSearch, Repository, RepositoryState};
pub use required_build::{
    NewRequiredBuildCondition, RefMatcher, RefMatcherKind, RefMatcherType, RequiredBuildCondition,
};
pub use server::{ApplicationProperties, Permission, ServerInfo, User, UserQuery, UserType};

/// Declares a string enum the server may extend: known values as variants, anything else kept
/// verbatim in `Other(String)`. Serializes to and from the wire string.
macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $value:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A value this version of the crate does not know, kept verbatim (empty when the
            /// server omitted the field).
            Other(String),
        }

        impl $name {
            /// The wire representation of this value.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $value, )+
                    Self::Other(other) => other,
                }
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                match value {
                    $( $value => Self::$variant, )+
                    other => Self::Other(other.to_owned()),
                }
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::Other(String::new())
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let value = Option::<String>::deserialize(deserializer)?;
                Ok(value.as_deref().map(Self::from).unwrap_or_default())
            }
        }
    };
}
pub(crate) use string_enum;

#[cfg(test)]
mod tests;
