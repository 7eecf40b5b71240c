//! The audit trail: exactly one structured log line per operation (who, what, which repository,
//! outcome), under the `audit` target, never with a secret.

use serde::Serialize;

/// One audited operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct AuditEvent {
    /// Who asked: `cloud` (through the tunnel) or `cli`.
    pub(crate) actor: String,
    /// The Bitbucket user the agent acted as, when known.
    pub(crate) bitbucket_user: Option<String>,
    /// The operation, e.g. `remediation.apply`.
    pub(crate) operation: String,
    /// The project key, when one applies.
    pub(crate) project: Option<String>,
    /// The repository slug, when one applies.
    pub(crate) repository: Option<String>,
    /// `ok`, `failed` (Test Connection's checks failed), `error` or `denied` (local policy).
    pub(crate) outcome: String,
    /// What went wrong or what was done, in a sentence (never a secret).
    pub(crate) detail: Option<String>,
}

impl AuditEvent {
    /// Writes the audit line.
    pub(crate) fn emit(&self) {
        tracing::info!(
            target: "audit",
            actor = %self.actor,
            bitbucket_user = self.bitbucket_user.as_deref().unwrap_or("-"),
            operation = %self.operation,
            project = self.project.as_deref().unwrap_or("-"),
            repository = self.repository.as_deref().unwrap_or("-"),
            outcome = %self.outcome,
            detail = self.detail.as_deref().unwrap_or(""),
            "audit"
        );
    }
}

#[cfg(test)]
mod tests;
