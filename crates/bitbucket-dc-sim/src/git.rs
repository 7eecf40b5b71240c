//! A thin wrapper over the `git` CLI: explicit arguments (never a shell), a private HOME and no system config.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use tokio::io::AsyncWriteExt;
use tokio::process::Command;

use crate::error::SimError;

mod import;
mod parse;
mod types;

pub(crate) use import::{ImportCommit, ImportStream};
use parse::{parse_log, parse_ls_tree, parse_raw_diff};
use types::sanitize_ident;
pub(crate) use types::{
    Change, CommitInfo, EntryKind, MergeOutcome, RefEntry, Signature, TreeEntry,
};

/// Output of one git invocation.
#[derive(Debug)]
pub(crate) struct Output {
    pub(crate) code: Option<i32>,
    pub(crate) stdout: Vec<u8>,
    pub(crate) stderr: String,
}

/// Runs git with a controlled environment.
#[derive(Debug, Clone)]
pub(crate) struct Git {
    home: PathBuf,
}

/// The field and record separators of our `git log` format.
const LOG_FORMAT: &str = "--format=%H%x1f%P%x1f%an%x1f%ae%x1f%at%x1f%cn%x1f%ce%x1f%ct%x1f%B%x1e";

impl Git {
    pub(crate) fn new(home: PathBuf) -> Self {
        Self { home }
    }

    /// A `git` command with a clean, private environment.
    pub(crate) fn command(&self) -> Command {
        let mut cmd = Command::new("git");
        for var in [
            "GIT_DIR",
            "GIT_WORK_TREE",
            "GIT_INDEX_FILE",
            "GIT_OBJECT_DIRECTORY",
            "GIT_ALTERNATE_OBJECT_DIRECTORIES",
            "GIT_NAMESPACE",
            "GIT_CONFIG",
            "GIT_CONFIG_PARAMETERS",
            "GIT_CONFIG_COUNT",
            "GIT_CEILING_DIRECTORIES",
        ] {
            cmd.env_remove(var);
        }
        cmd.env("GIT_CONFIG_NOSYSTEM", "1")
            .env("HOME", &self.home)
            .env("XDG_CONFIG_HOME", &self.home)
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("LC_ALL", "C")
            .kill_on_drop(true)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd
    }

    /// Runs `git --git-dir=<repo> <args>` and returns its output whatever the exit code.
    pub(crate) async fn run(
        &self,
        repo: &Path,
        args: &[&str],
        stdin: Option<&[u8]>,
        env: &[(&str, String)],
    ) -> Result<Output, SimError> {
        let mut cmd = self.command();
        cmd.arg("--git-dir").arg(repo).args(args);
        for (key, value) in env {
            cmd.env(key, value);
        }
        if stdin.is_some() {
            cmd.stdin(Stdio::piped());
        }
        let describe = || args.iter().take(2).copied().collect::<Vec<_>>().join(" ");
        let mut child = cmd.spawn().map_err(|err| SimError::Git {
            command: describe(),
            stderr: err.to_string(),
        })?;
        if let Some(input) = stdin {
            if let Some(mut pipe) = child.stdin.take() {
                let data = input.to_vec();
                // Write in the background so a large input cannot deadlock against a full stdout pipe.
                tokio::spawn(async move {
                    let _ = pipe.write_all(&data).await;
                    let _ = pipe.shutdown().await;
                });
            }
        }
        let out = child
            .wait_with_output()
            .await
            .map_err(|err| SimError::Git {
                command: describe(),
                stderr: err.to_string(),
            })?;
        Ok(Output {
            code: out.status.code(),
            stdout: out.stdout,
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        })
    }

    /// Like [`Git::run`] but fails unless git exits 0.
    pub(crate) async fn run_ok(
        &self,
        repo: &Path,
        args: &[&str],
        stdin: Option<&[u8]>,
        env: &[(&str, String)],
    ) -> Result<Vec<u8>, SimError> {
        let out = self.run(repo, args, stdin, env).await?;
        if out.code == Some(0) {
            Ok(out.stdout)
        } else {
            Err(SimError::Git {
                command: args.iter().take(2).copied().collect::<Vec<_>>().join(" "),
                stderr: out.stderr,
            })
        }
    }

    /// `git init --bare` with the given initial branch.
    pub(crate) async fn init_bare(
        &self,
        path: &Path,
        default_branch: &str,
    ) -> Result<(), SimError> {
        let mut cmd = self.command();
        cmd.arg("init")
            .arg("--bare")
            .arg("--quiet")
            .arg(format!("--initial-branch={default_branch}"))
            .arg(path);
        let out = cmd.output().await.map_err(|err| SimError::Git {
            command: "init --bare".into(),
            stderr: err.to_string(),
        })?;
        if !out.status.success() {
            return Err(SimError::Git {
                command: "init --bare".into(),
                stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
            });
        }
        Ok(())
    }

    /// Feeds a `git fast-import` stream (used for seeding and for REST file edits).
    pub(crate) async fn fast_import(&self, repo: &Path, stream: &[u8]) -> Result<(), SimError> {
        self.run_ok(
            repo,
            &["fast-import", "--quiet", "--date-format=raw"],
            Some(stream),
            &[],
        )
        .await
        .map(drop)
    }

    /// Every branch and tag with its tip.
    pub(crate) async fn refs(&self, repo: &Path) -> Result<Vec<RefEntry>, SimError> {
        let out = self
            .run_ok(
                repo,
                &[
                    "for-each-ref",
                    "--format=%(objectname) %(*objectname) %(committerdate:unix) %(*committerdate:unix) %(refname)",
                    "refs/heads",
                    "refs/tags",
                ],
                None,
                &[],
            )
            .await?;
        let text = String::from_utf8_lossy(&out);
        let mut refs = Vec::new();
        for line in text.lines() {
            // Fields: oid, peeled oid (tags only), time, peeled time, refname (may contain no spaces).
            let parts: Vec<&str> = line.split(' ').collect();
            if parts.len() < 5 {
                continue;
            }
            let name = parts[4..].join(" ");
            let (sha, time) = if parts[1].is_empty() {
                (parts[0], parts[2])
            } else {
                (parts[1], parts[3])
            };
            refs.push(RefEntry {
                name,
                sha: sha.to_owned(),
                time: time.parse().unwrap_or(0),
            });
        }
        Ok(refs)
    }

    /// Resolves a revision to a commit id, or `None` when it names no commit.
    pub(crate) async fn resolve_commit(
        &self,
        repo: &Path,
        rev: &str,
    ) -> Result<Option<String>, SimError> {
        if !safe_rev(rev) {
            return Ok(None);
        }
        let spec = format!("{rev}^{{commit}}");
        let out = self
            .run(
                repo,
                &[
                    "rev-parse",
                    "--verify",
                    "--quiet",
                    "--end-of-options",
                    &spec,
                ],
                None,
                &[],
            )
            .await?;
        if out.code == Some(0) {
            let sha = String::from_utf8_lossy(&out.stdout).trim().to_owned();
            Ok(Some(sha))
        } else {
            Ok(None)
        }
    }

    /// The exact bytes of a blob at `commit:path`, `None` when absent or not a file.
    pub(crate) async fn read_blob(
        &self,
        repo: &Path,
        commit: &str,
        path: &str,
    ) -> Result<Option<Vec<u8>>, SimError> {
        let Some(entry) = self.entry(repo, commit, path).await? else {
            return Ok(None);
        };
        if entry.kind != EntryKind::File {
            return Ok(None);
        }
        let out = self
            .run(repo, &["cat-file", "blob", &entry.oid], None, &[])
            .await?;
        Ok((out.code == Some(0)).then_some(out.stdout))
    }

    /// The tree entry for `path` at `commit` (`""` is the root tree).
    pub(crate) async fn entry(
        &self,
        repo: &Path,
        commit: &str,
        path: &str,
    ) -> Result<Option<TreeEntry>, SimError> {
        if path.is_empty() {
            let spec = format!("{commit}^{{tree}}");
            let out = self
                .run(
                    repo,
                    &["rev-parse", "--verify", "--quiet", &spec],
                    None,
                    &[],
                )
                .await?;
            if out.code != Some(0) {
                return Ok(None);
            }
            return Ok(Some(TreeEntry {
                mode: "040000".into(),
                kind: EntryKind::Directory,
                oid: String::from_utf8_lossy(&out.stdout).trim().to_owned(),
                size: None,
                path: String::new(),
            }));
        }
        let out = self
            .run(
                repo,
                &["ls-tree", "-l", "-z", "--full-tree", commit, "--", path],
                None,
                &[],
            )
            .await?;
        if out.code != Some(0) {
            return Ok(None);
        }
        Ok(parse_ls_tree(&out.stdout)
            .into_iter()
            .find(|entry| entry.path == path))
    }

    /// The direct children of the directory `path` at `commit`.
    pub(crate) async fn list_dir(
        &self,
        repo: &Path,
        commit: &str,
        path: &str,
    ) -> Result<Vec<TreeEntry>, SimError> {
        let treeish = format!("{commit}:{path}");
        let out = self
            .run(repo, &["ls-tree", "-l", "-z", &treeish], None, &[])
            .await?;
        if out.code != Some(0) {
            return Ok(Vec::new());
        }
        Ok(parse_ls_tree(&out.stdout))
    }

    /// Every file below `path` at `commit`, relative to `path`.
    pub(crate) async fn list_files(
        &self,
        repo: &Path,
        commit: &str,
        path: &str,
    ) -> Result<Vec<String>, SimError> {
        let treeish = format!("{commit}:{path}");
        let out = self
            .run(
                repo,
                &["ls-tree", "-r", "-z", "--name-only", &treeish],
                None,
                &[],
            )
            .await?;
        if out.code != Some(0) {
            return Ok(Vec::new());
        }
        Ok(out
            .stdout
            .split(|b| *b == 0)
            .filter(|s| !s.is_empty())
            .map(|s| String::from_utf8_lossy(s).into_owned())
            .collect())
    }

    /// Commits reachable from `include` but not from `exclude`, newest first.
    pub(crate) async fn log(
        &self,
        repo: &Path,
        include: &[&str],
        exclude: &[&str],
        path: Option<&str>,
        skip: usize,
        max: usize,
    ) -> Result<Vec<CommitInfo>, SimError> {
        let skip = format!("--skip={skip}");
        let max = format!("--max-count={max}");
        let mut args: Vec<String> = vec![
            "log".into(),
            LOG_FORMAT.into(),
            skip,
            max,
            "--end-of-options".into(),
        ];
        args.extend(include.iter().map(|s| (*s).to_owned()));
        args.extend(exclude.iter().map(|s| format!("^{s}")));
        args.push("--".into());
        if let Some(path) = path {
            args.push(path.to_owned());
        }
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = self.run_ok(repo, &argv, None, &[]).await?;
        Ok(parse_log(&out))
    }

    /// One commit by id.
    pub(crate) async fn commit(
        &self,
        repo: &Path,
        sha: &str,
    ) -> Result<Option<CommitInfo>, SimError> {
        let Some(sha) = self.resolve_commit(repo, sha).await? else {
            return Ok(None);
        };
        let out = self
            .run_ok(
                repo,
                &["log", LOG_FORMAT, "--max-count=1", &sha, "--"],
                None,
                &[],
            )
            .await?;
        Ok(parse_log(&out).into_iter().next())
    }

    /// Changes from `from` to `to` (two tree-ish commits).
    pub(crate) async fn diff(
        &self,
        repo: &Path,
        from: &str,
        to: &str,
    ) -> Result<Vec<Change>, SimError> {
        let out = self
            .run_ok(
                repo,
                &["diff", "--raw", "-z", "-M", "--no-abbrev", from, to, "--"],
                None,
                &[],
            )
            .await?;
        Ok(parse_raw_diff(&out))
    }

    /// Changes a root commit introduces.
    pub(crate) async fn root_changes(
        &self,
        repo: &Path,
        sha: &str,
    ) -> Result<Vec<Change>, SimError> {
        let out = self
            .run_ok(
                repo,
                &[
                    "diff-tree",
                    "--root",
                    "--no-commit-id",
                    "-r",
                    "--raw",
                    "-z",
                    "-M",
                    "--no-abbrev",
                    sha,
                ],
                None,
                &[],
            )
            .await?;
        Ok(parse_raw_diff(&out))
    }

    /// The best common ancestor of two commits.
    pub(crate) async fn merge_base(
        &self,
        repo: &Path,
        a: &str,
        b: &str,
    ) -> Result<Option<String>, SimError> {
        let out = self.run(repo, &["merge-base", a, b], None, &[]).await?;
        Ok((out.code == Some(0)).then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned()))
    }

    /// Whether `ancestor` is reachable from `descendant`.
    pub(crate) async fn is_ancestor(
        &self,
        repo: &Path,
        ancestor: &str,
        descendant: &str,
    ) -> Result<bool, SimError> {
        let out = self
            .run(
                repo,
                &["merge-base", "--is-ancestor", ancestor, descendant],
                None,
                &[],
            )
            .await?;
        Ok(out.code == Some(0))
    }

    /// A trial merge of `theirs` into `ours` without a work tree.
    pub(crate) async fn merge_tree(
        &self,
        repo: &Path,
        ours: &str,
        theirs: &str,
    ) -> Result<MergeOutcome, SimError> {
        let out = self
            .run(
                repo,
                &[
                    "merge-tree",
                    "--write-tree",
                    "--name-only",
                    "-z",
                    "--no-messages",
                    ours,
                    theirs,
                ],
                None,
                &[],
            )
            .await?;
        let mut fields = out.stdout.split(|b| *b == 0).filter(|s| !s.is_empty());
        let tree = fields
            .next()
            .map(|s| String::from_utf8_lossy(s).trim().to_owned())
            .unwrap_or_default();
        match out.code {
            Some(0) => Ok(MergeOutcome::Clean { tree }),
            Some(1) => {
                let mut paths: Vec<String> = fields
                    .map(|s| String::from_utf8_lossy(s).into_owned())
                    .collect();
                paths.dedup();
                Ok(MergeOutcome::Conflicted { paths })
            }
            _ => Err(SimError::Git {
                command: "merge-tree".into(),
                stderr: out.stderr,
            }),
        }
    }

    /// Writes a commit object for `tree` and returns its id.
    pub(crate) async fn commit_tree(
        &self,
        repo: &Path,
        tree: &str,
        parents: &[&str],
        message: &str,
        author: &Signature,
    ) -> Result<String, SimError> {
        let mut args: Vec<&str> = vec!["commit-tree", tree];
        for parent in parents {
            args.push("-p");
            args.push(parent);
        }
        let date = format!("@{} +0000", author.time);
        let env = [
            ("GIT_AUTHOR_NAME", sanitize_ident(&author.name)),
            ("GIT_AUTHOR_EMAIL", sanitize_ident(&author.email)),
            ("GIT_AUTHOR_DATE", date.clone()),
            ("GIT_COMMITTER_NAME", sanitize_ident(&author.name)),
            ("GIT_COMMITTER_EMAIL", sanitize_ident(&author.email)),
            ("GIT_COMMITTER_DATE", date),
        ];
        let out = self
            .run_ok(repo, &args, Some(message.as_bytes()), &env)
            .await?;
        Ok(String::from_utf8_lossy(&out).trim().to_owned())
    }

    /// Moves `name` to `new`, only if it currently is `old` (`None`: must not exist).
    pub(crate) async fn update_ref(
        &self,
        repo: &Path,
        name: &str,
        new: &str,
        old: Option<&str>,
    ) -> Result<bool, SimError> {
        let zero = "0000000000000000000000000000000000000000";
        let out = self
            .run(
                repo,
                &["update-ref", name, new, old.unwrap_or(zero)],
                None,
                &[],
            )
            .await?;
        Ok(out.code == Some(0))
    }

    /// Deletes `name` if it currently is `old`.
    pub(crate) async fn delete_ref(
        &self,
        repo: &Path,
        name: &str,
        old: &str,
    ) -> Result<bool, SimError> {
        let out = self
            .run(repo, &["update-ref", "-d", name, old], None, &[])
            .await?;
        Ok(out.code == Some(0))
    }

    /// Points HEAD at a branch (the repository's default branch).
    pub(crate) async fn set_head(&self, repo: &Path, branch: &str) -> Result<(), SimError> {
        let target = format!("refs/heads/{branch}");
        self.run_ok(repo, &["symbolic-ref", "HEAD", &target], None, &[])
            .await
            .map(drop)
    }
}

/// Rejects revisions that git could read as options or that are obviously not revisions.
pub(crate) fn safe_rev(rev: &str) -> bool {
    !rev.is_empty()
        && !rev.starts_with('-')
        && !rev.contains("..")
        && !rev.chars().any(|c| c.is_control() || c == ' ' || c == ':')
}

/// Whether `value` looks like a (possibly abbreviated) commit id.
pub(crate) fn is_hex_id(value: &str) -> bool {
    (4..=40).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests;
