//! Why an operation failed, classified from the engine's error variants (never from message
//! text): denied by the local policy, a bad request, or an upstream failure that keeps
//! Bitbucket's retryable flag and `Retry-After`; and how each answers on the tunnel.

use std::time::Duration;

use gitproxy_tunnel::{ErrorCode, OpError};

use super::Outcome;
use crate::Error;

/// Why an operation failed.
#[derive(Debug)]
pub(crate) enum OpFailure {
    /// The local policy refused it (the message says why and what to change).
    Denied(String),
    /// The request is incomplete or invalid.
    BadRequest(String),
    /// Bitbucket or the engine failed.
    Failed {
        /// What failed.
        message: String,
        /// Whether the same call may succeed later (Bitbucket's 429/503 after its retries).
        retryable: bool,
        /// How long Bitbucket asked to wait.
        retry_after: Option<Duration>,
    },
}

impl OpFailure {
    /// A failure the same call will not get past by retrying.
    pub(crate) fn permanent(message: impl Into<String>) -> OpFailure {
        OpFailure::Failed {
            message: message.into(),
            retryable: false,
            retry_after: None,
        }
    }

    /// The audit outcome: `denied` or `error`.
    pub(crate) fn outcome(&self) -> Outcome {
        match self {
            OpFailure::Denied(_) => Outcome::Denied,
            OpFailure::BadRequest(_) | OpFailure::Failed { .. } => Outcome::Error,
        }
    }

    /// What the audit line says.
    pub(crate) fn message(&self) -> String {
        match self {
            OpFailure::Denied(m)
            | OpFailure::BadRequest(m)
            | OpFailure::Failed { message: m, .. } => m.clone(),
        }
    }

    /// The tunnel's answer: a refusal or bad request is `bad_request`; a failure is
    /// `upstream_failed` with its retryable flag and `Retry-After`.
    pub(crate) fn into_op_error(self) -> OpError {
        match self {
            OpFailure::Denied(m) | OpFailure::BadRequest(m) => {
                OpError::new(ErrorCode::BadRequest, m)
            }
            OpFailure::Failed {
                message,
                retryable,
                retry_after,
            } => {
                let error = OpError::upstream_failed(message, retryable);
                match retry_after {
                    Some(after) => error.with_retry_after(after),
                    None => error,
                }
            }
        }
    }
}

impl From<Error> for OpFailure {
    fn from(e: Error) -> Self {
        if e.is_policy_refusal() {
            return OpFailure::Denied(e.to_string());
        }
        if e.is_invalid_input() {
            return OpFailure::BadRequest(e.to_string());
        }
        OpFailure::Failed {
            message: e.to_string(),
            retryable: e.is_retryable(),
            retry_after: e.retry_after(),
        }
    }
}

#[cfg(test)]
mod tests;
