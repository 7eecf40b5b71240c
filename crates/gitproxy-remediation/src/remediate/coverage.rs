//! What a run or status report says about coverage: the files of unsupported formats on each
//! repository's default branch, found from its file list alone, so the report never reads as
//! clean for a repository part of which was not checked; and why a lockfile-only fix was left to
//! the package manager.

use serde::{Deserialize, Serialize};

use crate::analysis::{unsupported, Unsupported};
use crate::files::{is_manifest_path, Limited, Snapshot};
use crate::host::{BitbucketHost, BranchHead};
use crate::plan::{PackageFix, Tier};
use crate::{Ecosystem, Error};

/// A file of an unsupported format in one repository's default branch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnsupportedFile {
    /// Repository slug.
    pub repo: String,
    /// The file.
    #[serde(flatten)]
    pub file: Unsupported,
}

/// The default branch of `repo` and its files of unsupported formats (none for an empty
/// repository).
pub(super) async fn default_branch_files(
    host: &dyn BitbucketHost,
    project: &str,
    repo: &str,
) -> Result<(Option<BranchHead>, Vec<UnsupportedFile>), Error> {
    let head = host.default_branch(project, repo).await?;
    let mut out = Vec::new();
    if let Some(head) = &head {
        let paths = host.list_files(project, repo, &head.commit).await?;
        // The same decision as the scan's (`unsupported::report`): a snapshot of the manifest
        // paths, with the contents only of the few files whose coverage depends on them (a Gradle
        // settings script).
        let mut snapshot = Snapshot::new();
        let mut candidates = Vec::new();
        for path in paths.iter().filter(|p| is_manifest_path(p)) {
            let mut text = Vec::new();
            if unsupported::classify(path).is_some() {
                candidates.push(path.as_str());
                if unsupported::depends_on_contents(path) {
                    if let Limited::Read(bytes) = host
                        .read_file_at_most(project, repo, path, &head.commit, CONTENTS_LIMIT)
                        .await?
                    {
                        text = bytes;
                    }
                }
            }
            snapshot.insert(path.as_str(), text);
        }
        out.extend(
            candidates
                .into_iter()
                .filter_map(|p| unsupported::report(&snapshot, p))
                .map(|file| UnsupportedFile {
                    repo: repo.to_string(),
                    file,
                }),
        );
    }
    Ok((head, out))
}

/// The most of a file read to decide its coverage (a Gradle settings script is a few KiB); a larger
/// one is reported as not checked.
const CONTENTS_LIMIT: u64 = 1 << 20;

/// The Markdown section listing `files`, empty when there are none.
pub(super) fn markdown(files: &[UnsupportedFile]) -> String {
    if files.is_empty() {
        return String::new();
    }
    let mut out = String::from("\nNot checked (unsupported formats, so the report is partial):\n");
    for u in files {
        let f = &u.file;
        out.push_str(&format!(
            "- {}: {} ({}, {}); {}\n",
            u.repo,
            f.file,
            f.format,
            f.ecosystem,
            f.remedy()
        ));
    }
    out
}

/// Why a fix gets no pull request: no file can carry it here, and what the user can run instead.
pub(super) fn nothing_to_commit(fix: &PackageFix, notes: &[String]) -> String {
    let head = format!("{} {} -> {}", fix.name, fix.from, fix.to);
    match fix.lockfile.command() {
        Some(command) if fix.tier != Tier::Override => format!(
            "{head}: no pull request, because only the lockfile can carry this fix and {}; {}",
            relock_reason(fix.ecosystem, command),
            notes.join("; ")
        ),
        _ => format!("{head}: nothing to change; {}", notes.join("; ")),
    }
}

/// Why the lockfile is left to `command`: a Bundler or Composer lockfile entry moves in place
/// only when a registry shows the fixed version with the same dependencies (the notes say what
/// was missing); the others wait for a registry's checksum.
fn relock_reason(ecosystem: Ecosystem, command: &str) -> String {
    match ecosystem {
        Ecosystem::RubyGems | Ecosystem::Packagist => format!(
            "the agent moves a {ecosystem} lockfile entry in place only when a configured {ecosystem} registry shows the fixed version with the same dependencies as the locked one: run `{command}`"
        ),
        _ => format!(
            "the agent does not rewrite a lockfile without the new version's checksum from a registry: run `{command}`, or add an entry for {ecosystem} to the agent's registries setting"
        ),
    }
}
