//! The CI gate of a remediation pull request — pending, passed or failed — from the builds of
//! its latest commit and the repository's required-builds merge checks, as a reviewer reads it:
//! no build yet is pending, a stopped build is a failure, and a required build that has not
//! reported keeps the gate pending however many other builds passed.

use serde::{Deserialize, Serialize};

use crate::host::{BuildInfo, BuildOutcome};

/// Which branches a required-builds check applies to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RefRule {
    /// Every branch.
    Any,
    /// One branch, by name (`main`).
    Branch(String),
    /// A pattern where `*` matches any run of characters (`release/*`).
    Pattern(String),
    /// A branching-model category or branch, which the agent cannot resolve: counted as
    /// matching, so a required build is never missed.
    Model(String),
}

impl RefRule {
    /// Whether `branch` (a name without `refs/heads/`) matches.
    pub fn matches(&self, branch: &str) -> bool {
        match self {
            RefRule::Any | RefRule::Model(_) => true,
            RefRule::Branch(name) => name == branch,
            RefRule::Pattern(pattern) => {
                let pattern = pattern.strip_prefix("refs/heads/").unwrap_or(pattern);
                glob(pattern.as_bytes(), branch.as_bytes())
            }
        }
    }

    fn from_matcher(m: &bitbucket_dc::RefMatcher) -> RefRule {
        use bitbucket_dc::RefMatcherKind as K;
        let name = m.id.strip_prefix("refs/heads/").unwrap_or(&m.id).to_owned();
        match m.kind.id {
            K::AnyRef => RefRule::Any,
            K::Branch => RefRule::Branch(name),
            K::Pattern => RefRule::Pattern(name),
            _ => RefRule::Model(name),
        }
    }
}

/// `*` matches any run of bytes; everything else matches itself.
fn glob(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && pattern[p] == b'*' {
            star = Some((p, t));
            p += 1;
        } else if p < pattern.len() && pattern[p] == text[t] {
            p += 1;
            t += 1;
        } else if let Some((sp, st)) = star {
            p = sp + 1;
            t = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

/// One required-builds merge check of a repository.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequiredBuild {
    /// Build keys (or parent keys) that must have passed.
    pub keys: Vec<String>,
    /// Target branches it applies to.
    pub target: RefRule,
    /// Source branches exempt from it.
    pub exempt: Option<RefRule>,
}

impl From<bitbucket_dc::RequiredBuildCondition> for RequiredBuild {
    fn from(c: bitbucket_dc::RequiredBuildCondition) -> RequiredBuild {
        RequiredBuild {
            keys: c.build_parent_keys,
            target: c
                .ref_matcher
                .as_ref()
                .map_or(RefRule::Any, RefRule::from_matcher),
            exempt: c.exempt_ref_matcher.as_ref().map(RefRule::from_matcher),
        }
    }
}

/// Whether a pull request may be called green.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GateState {
    /// Not decided yet: no build reported, one is running, or a required one is missing.
    Pending,
    /// Every build passed, required ones included.
    Passed,
    /// A build failed or was stopped.
    Failed,
}

/// The gate of one pull request and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gate {
    /// Pending, passed or failed.
    pub state: GateState,
    /// One line saying why.
    pub reason: String,
}

/// The gate of a pull request from `source` into `target` whose latest commit has `builds`.
pub fn gate(builds: &[BuildInfo], required: &[RequiredBuild], target: &str, source: &str) -> Gate {
    let label = |b: &BuildInfo| b.name.clone().unwrap_or_else(|| b.key.clone());
    let failed: Vec<String> = builds
        .iter()
        .filter_map(|b| match b.outcome {
            BuildOutcome::Failed => Some(format!("{} failed", label(b))),
            BuildOutcome::Stopped => Some(format!("{} was stopped", label(b))),
            _ => None,
        })
        .collect();
    if !failed.is_empty() {
        return decided(GateState::Failed, failed.join(", "));
    }
    let mut keys: Vec<&str> = required
        .iter()
        .filter(|r| r.target.matches(target))
        .filter(|r| !r.exempt.as_ref().is_some_and(|e| e.matches(source)))
        .flat_map(|r| r.keys.iter().map(String::as_str))
        .collect();
    keys.sort_unstable();
    keys.dedup();
    let passed = |key: &str| {
        builds.iter().any(|b| {
            b.outcome == BuildOutcome::Successful
                && (b.key == key || b.parent.as_deref() == Some(key))
        })
    };
    let missing: Vec<&str> = keys.iter().copied().filter(|k| !passed(k)).collect();
    let running: Vec<String> = builds
        .iter()
        .filter(|b| matches!(b.outcome, BuildOutcome::InProgress | BuildOutcome::Other))
        .map(label)
        .collect();
    if builds.is_empty() && missing.is_empty() {
        return decided(
            GateState::Pending,
            "no build has reported on the latest commit yet".into(),
        );
    }
    if !running.is_empty() {
        return decided(
            GateState::Pending,
            format!("waiting for {}", running.join(", ")),
        );
    }
    if !missing.is_empty() {
        return decided(
            GateState::Pending,
            format!(
                "required build{} {} not passed yet",
                if missing.len() == 1 { "" } else { "s" },
                missing.join(", ")
            ),
        );
    }
    let required = if keys.is_empty() {
        String::new()
    } else {
        format!(", required {} among them", keys.join(", "))
    };
    decided(
        GateState::Passed,
        format!("{} build(s) passed{required}", builds.len()),
    )
}

fn decided(state: GateState, reason: String) -> Gate {
    Gate { state, reason }
}

#[cfg(test)]
mod tests;
