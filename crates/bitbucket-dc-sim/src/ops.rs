//! Operations that touch git and the model together, shared by REST handlers and the runtime handles, one
//! job per module: repository basics, ref refresh with rescoping, file edits, branches, pull request state
//! changes, merges and auto-merge.

mod auto_merge;
mod branches;
mod files;
mod merge;
mod pull_requests;
mod repo;
mod rescope;

pub(crate) use auto_merge::{attempt as attempt_auto_merge, retry as retry_auto_merge};
pub(crate) use auto_merge::{
    cancel as cancel_auto_merge, merge_or_request, render_request as render_auto_merge_request,
    require_enabled as require_auto_merge, MergeParams,
};
pub(crate) use branches::{create_branch, delete_branch, valid_branch_name};
pub(crate) use files::{edit_file, valid_file_path, FileEdit};
pub(crate) use merge::merge;
pub(crate) use pull_requests::{add_comment, check_pr_version, decline, reopen};
pub(crate) use repo::{ensure_git, set_default_branch};
pub(crate) use rescope::refresh_refs;

#[cfg(test)]
mod tests;
