//! The remediation run: for each repository of a project, analyse the default branch, plan
//! fixes, and open or update one pull request per vulnerable package on a stable branch, with
//! review comments; watch CI on those pull requests; and report every remediation's state,
//! derived from Bitbucket alone so any replica can answer.

mod anchors;
mod branch;
mod coverage;
pub mod gate;
mod refresh;
mod report;

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::advisories::AdvisoryDb;
use crate::analysis::maven::fetch_maven_poms;
use crate::analysis::{analyze, Unsupported};
use crate::ci::BuildLogs;
use crate::edit::apply_fix;
use crate::files::Snapshot;
use crate::host::{
    BitbucketHost, BranchHead, BuildOutcome, FileCommit, Identity, NewPr, PrState, PullRequestInfo,
    RepoAt,
};
use crate::plan::{plan, PackageFix, PlanOptions, Unfixable};
use crate::pr::{self, FailedBuild, BRANCH_PREFIX};
use crate::registry::Registry;
use crate::{Error, ScanOptions};
use anchors::anchors;
#[cfg(test)]
use anchors::first_changed_line;
use branch::{Foreign, Start};
use coverage::nothing_to_commit;
pub use coverage::UnsupportedFile;
use gate::{Gate, GateState, RequiredBuild};

/// The state of one remediation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum State {
    /// Planned but no pull request exists (for example the run stopped before opening it).
    Planned,
    /// Pull request open, no build reported yet.
    PrOpen,
    /// A build is running.
    CiPending,
    /// Every reported build passed.
    CiPassed,
    /// A build failed.
    CiFailed,
    /// Merged.
    Merged,
    /// Declined by a reviewer; gitproxy does not reopen it.
    Declined,
    /// An older pull request of the same remediation.
    Superseded,
    /// The pull request is open but its branch carries commits gitproxy did not make, so
    /// gitproxy leaves it alone; the status's notes name them and what to do.
    ForeignCommits,
}

/// One remediation as Bitbucket shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemediationStatus {
    /// Repository slug.
    pub repo: String,
    /// The remediation branch.
    pub branch: String,
    /// Pull request id, when one exists.
    pub pull_request: Option<i64>,
    /// Pull request title.
    pub title: String,
    /// State.
    pub state: State,
    /// The CI gate of an open pull request: pending (no build yet, one running, or a required
    /// build missing), passed, or failed (a build failed or was stopped), with why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gate: Option<Gate>,
    /// What the user should know about this remediation, one line each (for example which
    /// foreign commits block it, or who refreshes the lockfile).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// What one run did in one repository.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct RepoOutcome {
    /// Repository slug.
    pub repo: String,
    /// Pull requests opened.
    pub opened: Vec<i64>,
    /// Pull requests whose branch or description changed.
    pub updated: Vec<i64>,
    /// Pull requests the agent declined because their package is fixed on the target branch
    /// already (their branches deleted).
    #[serde(default)]
    pub closed: Vec<i64>,
    /// Pull requests already up to date.
    pub unchanged: Vec<i64>,
    /// Branches of remediations a reviewer declined (not reopened).
    pub declined: Vec<String>,
    /// Vulnerable packages no upgrade fixes.
    pub unfixable: Vec<Unfixable>,
    /// Files that could not be analysed and other problems, one line each.
    pub problems: Vec<String>,
    /// Manifests and lockfiles of unsupported formats: not checked, so the run is partial.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unsupported: Vec<Unsupported>,
}

/// A project-wide status report.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct StatusReport {
    /// Every remediation, by repository then branch.
    pub remediations: Vec<RemediationStatus>,
    /// Manifests and lockfiles of unsupported formats on the repositories' default branches:
    /// nothing is reported for them because they were not checked.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unsupported: Vec<UnsupportedFile>,
    /// How old the advisory data of each ecosystem is (filled in by the agent's service).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub advisory_data: Vec<crate::advisories::DataAge>,
    /// Warnings about the report as a whole, such as `stale advisory data`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// What every remediation of one repository run shares.
struct RepoCtx<'a> {
    project: &'a str,
    repo: &'a str,
    head: &'a BranchHead,
    snapshot: &'a Snapshot,
    analysis: &'a crate::analysis::Analysis,
    findings: &'a [crate::advisories::Finding],
}

/// One repository's default branch, analysed and planned.
struct Scan {
    head: BranchHead,
    snapshot: Snapshot,
    analysis: crate::analysis::Analysis,
    findings: Vec<crate::advisories::Finding>,
    plan: crate::plan::Plan,
}

/// Runs remediations against a Bitbucket-like host.
pub struct Remediator<'a> {
    host: &'a dyn BitbucketHost,
    db: &'a AdvisoryDb,
    registry: &'a dyn Registry,
    options: PlanOptions,
    branch_prefix: String,
    scan_options: ScanOptions,
    /// The user the host's credentials authenticate as, asked once.
    me: OnceLock<Option<Identity>>,
    /// Reads the job logs of failed builds from configured CI servers, if any.
    logs: Option<&'a dyn BuildLogs>,
}

impl std::fmt::Debug for Remediator<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Remediator")
            .field("advisories", &self.db.len())
            .field("options", &self.options)
            .field("branch_prefix", &self.branch_prefix)
            .field("scan_options", &self.scan_options)
            .finish_non_exhaustive()
    }
}

impl<'a> Remediator<'a> {
    /// A remediator over `host`, matching with `db` and choosing versions from `registry`.
    pub fn new(
        host: &'a dyn BitbucketHost,
        db: &'a AdvisoryDb,
        registry: &'a dyn Registry,
        options: PlanOptions,
    ) -> Self {
        Remediator {
            host,
            db,
            registry,
            options,
            branch_prefix: BRANCH_PREFIX.to_owned(),
            scan_options: ScanOptions::default(),
            me: OnceLock::new(),
            logs: None,
        }
    }

    /// The user the agent's commits carry as author (asked from the host once).
    async fn me(&self) -> Result<Option<&Identity>, Error> {
        if self.me.get().is_none() {
            let me = self.host.current_user().await?;
            if me.is_none() {
                tracing::warn!("the server did not say which user the token authenticates as; every commit on an existing remediation branch counts as someone else's");
            }
            let _ = self.me.set(me);
        }
        Ok(self.me.get().and_then(Option::as_ref))
    }

    /// Writes and finds remediation branches under `prefix` (ending with `/`) instead of
    /// [`BRANCH_PREFIX`]: the agent's configured branch prefix followed by `security/`.
    pub fn with_branch_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.branch_prefix = prefix.into();
        self
    }

    /// This remediator quoting the job logs of failed builds read through `logs` in its
    /// CI-failure comments.
    pub fn with_build_logs(mut self, logs: &'a dyn BuildLogs) -> Self {
        self.logs = Some(logs);
        self
    }

    /// This remediator reading repositories with `options` (e.g. a configured per-file size
    /// limit) instead of [`ScanOptions::default`].
    pub fn with_scan_options(mut self, options: ScanOptions) -> Self {
        self.scan_options = options;
        self
    }

    /// Remediates every repository of `project`; a repository that fails is reported in its
    /// outcome's `problems` and the others still run.
    pub async fn remediate_project(&self, project: &str) -> Result<Vec<RepoOutcome>, Error> {
        let mut out = Vec::new();
        for repo in self.host.repositories(project).await? {
            match self.remediate_repo(project, &repo).await {
                Ok(o) => out.push(o),
                Err(e) => out.push(RepoOutcome {
                    repo,
                    problems: vec![e.to_string()],
                    ..RepoOutcome::default()
                }),
            }
        }
        Ok(out)
    }

    /// Remediates one repository: one pull request per vulnerable package, each kept current.
    pub async fn remediate_repo(&self, project: &str, repo: &str) -> Result<RepoOutcome, Error> {
        self.run_repo(project, repo, true).await
    }

    /// Keeps one repository's open remediation pull requests current and opens none (see
    /// [`crate::catalogue::Refresh`]).
    pub async fn refresh_repo(&self, project: &str, repo: &str) -> Result<RepoOutcome, Error> {
        self.run_repo(project, repo, false).await
    }

    async fn run_repo(
        &self,
        project: &str,
        repo: &str,
        open_new: bool,
    ) -> Result<RepoOutcome, Error> {
        let mut outcome = RepoOutcome {
            repo: repo.to_string(),
            ..RepoOutcome::default()
        };
        let Some(scan) = self.scan_repo(project, repo).await? else {
            outcome.problems.push("the repository is empty".into());
            return Ok(outcome);
        };
        let Scan {
            head,
            snapshot,
            analysis,
            findings,
            plan,
        } = scan;
        outcome
            .problems
            .extend(analysis.problems.iter().map(ToString::to_string));
        outcome.unsupported = analysis.unsupported.clone();
        outcome.unfixable = plan.unfixable.clone();
        let existing = self
            .host
            .pull_requests(project, repo, &self.branch_prefix)
            .await?;
        let ctx = RepoCtx {
            project,
            repo,
            head: &head,
            snapshot: &snapshot,
            analysis: &analysis,
            findings: &findings,
        };
        for fix in &plan.by_package() {
            let branch = pr::branch_name_under(&self.branch_prefix, fix.ecosystem, &fix.name);
            let latest = existing.iter().find(|p| p.from_branch == branch);
            if !open_new && !latest.is_some_and(|p| p.state == PrState::Open) {
                continue;
            }
            if let Some(declined) = latest.filter(|p| p.state == PrState::Declined) {
                // Declined after the agent refused it for someone else's commits: the user asks
                // for a fresh branch, not to drop the fix.
                let comments = self.host.comments(project, repo, declined.id).await?;
                if !branch::was_refused(&comments) {
                    tracing::info!(repo, branch, "remediation was declined; not reopening");
                    outcome.declined.push(branch);
                    continue;
                }
            }
            // One failing remediation does not stop the others.
            if let Err(e) = self
                .remediate_fix(&ctx, fix, &branch, latest, &mut outcome)
                .await
            {
                tracing::warn!(repo, branch, error = %e, "remediation failed");
                match Unfixable::from_conflict(fix, &e) {
                    Some(unfixable) => outcome.unfixable.push(unfixable),
                    None => outcome
                        .problems
                        .push(format!("{} {} -> {}: {e}", fix.name, fix.from, fix.to)),
                }
            }
        }
        let open: Vec<&PullRequestInfo> = existing
            .iter()
            .filter(|p| p.state == PrState::Open)
            .collect();
        outcome.closed = self.close_fixed_on_target(&ctx, &open).await?;
        Ok(outcome)
    }

    /// Commits one fix to its branch and opens or updates its pull request.
    async fn remediate_fix(
        &self,
        ctx: &RepoCtx<'_>,
        fix: &PackageFix,
        branch: &str,
        latest: Option<&PullRequestInfo>,
        outcome: &mut RepoOutcome,
    ) -> Result<(), Error> {
        let (project, repo) = (ctx.project, ctx.repo);
        let edits = apply_fix(fix, ctx.analysis, ctx.snapshot, self.registry).await?;
        let fix = &edits.as_applied(fix);
        if edits.files.is_empty() {
            outcome.problems.push(nothing_to_commit(fix, &edits.notes));
            return Ok(());
        }
        let open = latest.filter(|p| p.state == PrState::Open);
        let me = self.me().await?;
        let start = branch::start(self.host, project, repo, ctx.head, branch, open, me).await?;
        let mut refreshed = false;
        let existing = match start {
            Start::Refuse(foreign) => {
                tracing::warn!(repo, branch, commits = foreign.commits.len(), "the remediation branch carries commits the agent did not make; not updating it");
                if let Some(id) = foreign.pull_request {
                    let comments = self.host.comments(project, repo, id).await?;
                    if !branch::refused_at(&comments, &foreign.head) {
                        let text = branch::refusal_comment(&foreign, &foreign.head);
                        self.host
                            .add_comment(project, repo, id, &text, None)
                            .await?;
                    }
                }
                outcome.problems.push(foreign.message());
                return Ok(());
            }
            Start::Recreate { head, reason } => {
                tracing::info!(repo, branch, reason = %reason, "recreating the remediation branch from the default branch");
                self.host
                    .delete_branch(project, repo, branch, &head)
                    .await?;
                None
            }
            Start::Refresh { head } => {
                tracing::info!(
                    repo,
                    branch,
                    "the default branch moved on: making the fix again on its tip"
                );
                self.host
                    .delete_branch(project, repo, branch, &head)
                    .await?;
                refreshed = true;
                None
            }
            Start::Create => None,
            Start::Reuse(head) => Some(head),
        };
        let title = pr::title(fix);
        let files: Vec<String> = edits.files.keys().cloned().collect();
        let description = pr::description(fix, ctx.analysis, ctx.findings, &files, &edits.notes);
        let message = format!("{title}\n\n{}", fix.advisories.join(", "));
        // The pull request's text is updated before the push: a push rescopes the pull request
        // and moves its version past the one just read.
        let text_changed = open.is_some_and(|open| {
            open.title != title || open.description.as_deref() != Some(description.as_str())
        });
        if let Some(open) = open.filter(|_| text_changed && !refreshed) {
            self.host
                .update_pull_request(project, repo, open.id, open.version, &title, &description)
                .await?;
        }
        let changed = self
            .push_branch(
                project,
                repo,
                ctx.head,
                branch,
                existing,
                &edits.files,
                &message,
            )
            .await?;
        match open {
            Some(open) if refreshed => {
                // Deleting the branch declined the pull request: reopen it on the new commits.
                self.reopen_refreshed(project, repo, open.id, &title, &description)
                    .await?;
                tracing::info!(
                    repo,
                    branch,
                    pull_request = open.id,
                    "refreshed a remediation pull request on the new tip"
                );
                outcome.updated.push(open.id);
            }
            Some(open) => {
                if changed || text_changed {
                    tracing::info!(
                        repo,
                        branch,
                        pull_request = open.id,
                        "updated a remediation pull request"
                    );
                    outcome.updated.push(open.id);
                } else {
                    outcome.unchanged.push(open.id);
                }
            }
            None => {
                let new = NewPr {
                    title,
                    description,
                    from_branch: branch.to_string(),
                    to_branch: ctx.head.branch.clone(),
                };
                let opened = self.host.create_pull_request(project, repo, &new).await?;
                tracing::info!(repo, branch, pull_request = opened.id, package = %fix.name, to = %fix.to, "opened a remediation pull request");
                outcome.opened.push(opened.id);
                let comment = pr::review_comment(fix, ctx.findings);
                for anchor in anchors(ctx.snapshot, &edits.files) {
                    self.host
                        .add_comment(project, repo, opened.id, &comment, Some(&anchor))
                        .await?;
                }
            }
        }
        Ok(())
    }

    /// What a run would do, without writing: every planned remediation of the repository with
    /// the state of its pull request, or [`State::Planned`] when none exists yet.
    pub async fn preview_repo(
        &self,
        project: &str,
        repo: &str,
    ) -> Result<Vec<RemediationStatus>, Error> {
        let Some(scan) = self.scan_repo(project, repo).await? else {
            return Ok(Vec::new());
        };
        let existing = self
            .host
            .pull_requests(project, repo, &self.branch_prefix)
            .await?;
        let mut out = Vec::new();
        let mut required: Option<Vec<RequiredBuild>> = None;
        for fix in &scan.plan.by_package() {
            let branch = pr::branch_name_under(&self.branch_prefix, fix.ecosystem, &fix.name);
            let latest = existing.iter().find(|p| p.from_branch == branch);
            if latest.is_some_and(|p| p.state == PrState::Open) && required.is_none() {
                required = Some(self.host.required_builds(project, repo).await?);
            }
            let ((mut state, gate), pull_request) = match latest {
                Some(p) => {
                    let required = required.as_deref().unwrap_or_default();
                    (self.pr_state(project, repo, p, required).await?, Some(p.id))
                }
                None => ((State::Planned, None), None),
            };
            // The edits are computed (not written) so the preview says what the run will do,
            // including who refreshes the lockfile and what happens to an existing branch.
            let edits = apply_fix(fix, &scan.analysis, &scan.snapshot, self.registry).await;
            // The title the pull request gets: the version the edits take (a moved dependent's).
            let title = match &edits {
                Ok(edits) => pr::title(&edits.as_applied(fix)),
                Err(_) => pr::title(fix),
            };
            let mut notes = match edits {
                Ok(edits) if edits.files.is_empty() => vec![nothing_to_commit(fix, &edits.notes)],
                // The edit left the lockfile to the package manager: its note says why and what
                // to run.
                Ok(edits) if edits.relock.is_some() => (edits.notes.iter())
                    .filter(|n| n.contains("was not updated"))
                    .cloned()
                    .collect(),
                Ok(_) => fix.lockfile.describe(fix.ecosystem).into_iter().collect(),
                Err(e) => vec![format!("{} {} -> {}: {e}", fix.name, fix.from, fix.to)],
            };
            if state != State::Declined {
                let open = latest.filter(|p| p.state == PrState::Open);
                let me = self.me().await?;
                match branch::start(self.host, project, repo, &scan.head, &branch, open, me).await?
                {
                    Start::Refuse(foreign) => {
                        state = State::ForeignCommits;
                        notes.insert(0, foreign.message());
                    }
                    Start::Recreate { reason, .. } => notes.insert(
                        0,
                        format!(
                            "branch `{branch}` will be recreated from `{}` because {reason}",
                            scan.head.branch
                        ),
                    ),
                    Start::Refresh { .. } => notes.insert(
                        0,
                        format!(
                            "`{}` moved on: the fix will be made again on its tip and pull request #{} updated",
                            scan.head.branch,
                            pull_request.unwrap_or_default()
                        ),
                    ),
                    Start::Create | Start::Reuse(_) => {}
                }
            }
            out.push(RemediationStatus {
                repo: repo.to_string(),
                branch,
                pull_request,
                title,
                state,
                gate,
                notes,
            });
        }
        Ok(out)
    }

    /// Reads the default branch, analyses it and plans; `None` for an empty repository.
    async fn scan_repo(&self, project: &str, repo: &str) -> Result<Option<Scan>, Error> {
        let Some(head) = self.host.default_branch(project, repo).await? else {
            return Ok(None);
        };
        let source = RepoAt {
            host: self.host,
            project,
            repo,
            commit: &head.commit,
        };
        let mut snapshot = Snapshot::from_repo_with(&source, &self.scan_options).await?;
        fetch_maven_poms(&mut snapshot, self.registry).await;
        let analysis = analyze(&snapshot);
        let findings = self.db.scan(&analysis);
        let plan = plan(&analysis, &findings, self.db, self.registry, &self.options).await?;
        Ok(Some(Scan {
            head,
            snapshot,
            analysis,
            findings,
            plan,
        }))
    }

    /// Commits every edited file to `branch`: on top of `existing` (its head, when the branch is
    /// reused), or on a new branch created from the default branch tip; returns whether anything
    /// was committed.
    // The arguments are the run's context, the branch's start and what to commit.
    #[allow(clippy::too_many_arguments)]
    async fn push_branch(
        &self,
        project: &str,
        repo: &str,
        base: &BranchHead,
        branch: &str,
        existing: Option<String>,
        files: &BTreeMap<String, String>,
        message: &str,
    ) -> Result<bool, Error> {
        let (mut parent, mut create_from) = match &existing {
            Some(h) => (h.clone(), None),
            None => (base.commit.clone(), Some(base.branch.clone())),
        };
        let mut changed = false;
        for (path, content) in files {
            if existing.is_some() {
                let current = self.host.read_file(project, repo, path, &parent).await.ok();
                if current.as_deref() == Some(content.as_bytes()) {
                    continue;
                }
            }
            let commit = FileCommit {
                branch: branch.to_string(),
                path: path.clone(),
                content: content.clone().into_bytes(),
                message: message.to_string(),
                source_commit: parent.clone(),
                source_branch: create_from.take(),
            };
            if let Some(id) = self.host.commit_file(project, repo, &commit).await? {
                parent = id;
                changed = true;
            }
        }
        Ok(changed)
    }

    /// Posts one comment listing the failed builds on every open remediation whose latest
    /// commit has failures (once per commit); returns the pull requests commented on.
    pub async fn check_ci(&self, project: &str, repo: &str) -> Result<Vec<i64>, Error> {
        let mut commented = Vec::new();
        for p in self
            .host
            .pull_requests(project, repo, &self.branch_prefix)
            .await?
        {
            let (PrState::Open, Some(commit)) = (p.state, &p.latest_commit) else {
                continue;
            };
            let failed: Vec<FailedBuild> = self
                .host
                .build_statuses(project, repo, commit)
                .await?
                .into_iter()
                .filter(|b| matches!(b.outcome, BuildOutcome::Failed | BuildOutcome::Stopped))
                .map(|b| FailedBuild {
                    key: b.key,
                    name: b.name,
                    stopped: b.outcome == BuildOutcome::Stopped,
                    url: b.url,
                    log: None,
                })
                .collect();
            if failed.is_empty() {
                continue;
            }
            let marker = pr::ci_marker(commit);
            let marker = marker.trim();
            let comments = self.host.comments(project, repo, p.id).await?;
            if comments.iter().any(|c| c.contains(marker)) {
                continue;
            }
            let mut failed = failed;
            if let Some(logs) = self.logs {
                for b in &mut failed {
                    b.log = match logs.excerpt(&b.url).await {
                        Ok(Some(excerpt)) => Some(Ok(excerpt)),
                        Ok(None) => None,
                        Err(e) => {
                            tracing::warn!(repo, pull_request = p.id, error = %e, "could not read a job log");
                            Some(Err(e.to_string()))
                        }
                    };
                }
            }
            self.host
                .add_comment(
                    project,
                    repo,
                    p.id,
                    &pr::ci_failure_comment(commit, &failed),
                    None,
                )
                .await?;
            tracing::info!(repo, pull_request = p.id, commit = %commit, failed = failed.len(), "reported failed builds");
            commented.push(p.id);
        }
        Ok(commented)
    }

    /// The state of every remediation of the project, from Bitbucket's pull requests and
    /// build statuses.
    pub async fn status(&self, project: &str) -> Result<StatusReport, Error> {
        let mut report = StatusReport::default();
        for repo in self.host.repositories(project).await? {
            let prs = self
                .host
                .pull_requests(project, &repo, &self.branch_prefix)
                .await?;
            let mut seen: Vec<String> = Vec::new();
            // The default branch's head, also for the foreign-commit check below.
            let (head, files) = coverage::default_branch_files(self.host, project, &repo).await?;
            report.unsupported.extend(files);
            let mut required: Option<Vec<RequiredBuild>> = None;
            for p in prs {
                // Newest first: an older pull request of the same branch was replaced by a
                // newer one, unless it was merged (then it is history, not a replacement).
                let (state, gate) = if seen.contains(&p.from_branch) {
                    if p.state == PrState::Merged {
                        (State::Merged, None)
                    } else {
                        (State::Superseded, None)
                    }
                } else {
                    seen.push(p.from_branch.clone());
                    if p.state == PrState::Open && required.is_none() {
                        required = Some(self.host.required_builds(project, &repo).await?);
                    }
                    let required = required.as_deref().unwrap_or_default();
                    self.pr_state(project, &repo, &p, required).await?
                };
                let mut notes = Vec::new();
                let mut state = state;
                if p.state == PrState::Open && state != State::Superseded {
                    if let Some(head) = &head {
                        let me = self.me().await?;
                        let commits = branch::foreign_commits(
                            self.host,
                            project,
                            &repo,
                            &head.branch,
                            &p.from_branch,
                            me,
                        )
                        .await?;
                        if !commits.is_empty() {
                            state = State::ForeignCommits;
                            let foreign = Foreign {
                                head: p.latest_commit.clone().unwrap_or_default(),
                                branch: p.from_branch.clone(),
                                base: head.branch.clone(),
                                commits,
                                pull_request: Some(p.id),
                            };
                            notes.push(foreign.message());
                        }
                    }
                }
                report.remediations.push(RemediationStatus {
                    repo: repo.clone(),
                    branch: p.from_branch,
                    pull_request: Some(p.id),
                    title: p.title,
                    state,
                    gate,
                    notes,
                });
            }
        }
        report.remediations.sort_by(|a, b| {
            (&a.repo, &a.branch, a.pull_request).cmp(&(&b.repo, &b.branch, b.pull_request))
        });
        Ok(report)
    }

    /// The state of a pull request that is the newest of its branch, with its CI gate when open.
    async fn pr_state(
        &self,
        project: &str,
        repo: &str,
        p: &PullRequestInfo,
        required: &[RequiredBuild],
    ) -> Result<(State, Option<Gate>), Error> {
        Ok(match p.state {
            PrState::Merged => (State::Merged, None),
            PrState::Declined => (State::Declined, None),
            PrState::Open => {
                let builds = match &p.latest_commit {
                    Some(c) => self.host.build_statuses(project, repo, c).await?,
                    None => Vec::new(),
                };
                let gate = gate::gate(&builds, required, &p.to_branch, &p.from_branch);
                let state = match gate.state {
                    GateState::Failed => State::CiFailed,
                    GateState::Passed => State::CiPassed,
                    GateState::Pending if builds.is_empty() => State::PrOpen,
                    GateState::Pending => State::CiPending,
                };
                (state, Some(gate))
            }
        })
    }
}

#[cfg(test)]
mod tests;
