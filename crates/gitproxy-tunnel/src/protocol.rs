//! Wire constants and documents of tunnel protocol v1 (`docs/tunnel-protocol.md`), and their parsers.

use std::fmt;

use http::StatusCode;
use serde::{Deserialize, Serialize};

/// The `Sec-WebSocket-Protocol` token of this protocol version.
pub const SUBPROTOCOL: &str = "gitproxy.tunnel.v1";
/// The `protocol` field of the registration document.
pub const PROTOCOL_VERSION: u32 = 1;

/// Upgrade path (section 3).
pub const TUNNEL_PATH: &str = "/v1/agent/tunnel";
/// Prefix of operation paths (section 6).
pub const OPS_PREFIX: &str = "/v1/ops/";
/// Control request: registration (section 5).
pub const CONTROL_REGISTER: &str = "/v1/control/register";
/// Control request: latency probe (section 5).
pub const CONTROL_PING: &str = "/v1/control/ping";
/// Control request: GOAWAY with a reconnect hint (section 9.2).
pub const CONTROL_GOAWAY: &str = "/v1/control/goaway";
/// Long-poll registration (section 10).
pub const POLL_REGISTER: &str = "/v1/agent/poll/register";
/// Long-poll: fetch envelopes (section 10).
pub const POLL: &str = "/v1/agent/poll";
/// Long-poll: post a result (section 10).
pub const POLL_RESULT: &str = "/v1/agent/poll/result";

/// Header: the agent's id.
pub const H_AGENT_ID: &str = "gitproxy-agent-id";
/// Header: the agent's version.
pub const H_AGENT_VERSION: &str = "gitproxy-agent-version";
/// Header: the connection index.
pub const H_CONNECTION_INDEX: &str = "gitproxy-connection-index";
/// Header: idempotency key of a mutating operation.
pub const H_IDEMPOTENCY_KEY: &str = "gitproxy-idempotency-key";
/// Header: the caller's remaining budget in milliseconds.
pub const H_DEADLINE_MS: &str = "gitproxy-deadline-ms";
/// Header: set on a response replayed from the idempotency store.
pub const H_REPLAY: &str = "gitproxy-idempotent-replay";
/// Header: the operation's HTTP status on a long-poll result.
pub const H_STATUS: &str = "gitproxy-status";

/// Content type of JSON documents.
pub const JSON: &str = "application/json";
/// Content type of streamed bodies.
pub const OCTET_STREAM: &str = "application/octet-stream";

/// The stable error codes of section 6.2. Unknown codes from a newer peer parse as [`ErrorCode::Other`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// The name is not in the agent's catalogue.
    UnknownOperation,
    /// Malformed path, name, header or body.
    BadRequest,
    /// Not `POST`.
    MethodNotAllowed,
    /// Content type not accepted.
    UnsupportedMediaType,
    /// Request body above the operation's limit.
    BodyTooLarge,
    /// Header block above the limit.
    HeadersTooLarge,
    /// Mutating operation without an idempotency key.
    IdempotencyKeyRequired,
    /// Same key, different operation or body.
    IdempotencyConflict,
    /// Concurrency limit reached.
    Busy,
    /// The agent is draining.
    ShuttingDown,
    /// The access key is missing, unknown or not allowed (on the upgrade and long-poll requests).
    Unauthorized,
    /// Deadline or operation timeout exceeded.
    DeadlineExceeded,
    /// The handler failed.
    HandlerFailed,
    /// The handler's upstream failed.
    UpstreamFailed,
    /// A bug in the agent.
    Internal,
    /// Hub-local: no ready connection for the tenant.
    NoAgent,
    /// Hub-local: the stream ended without a response.
    ConnectionLost,
    /// Hub-local: the call timed out.
    Timeout,
    /// Hub-local: the agent answered something the protocol does not allow.
    Protocol,
    /// A code this version does not know.
    Other,
}

impl ErrorCode {
    const ALL: [ErrorCode; 19] = [
        ErrorCode::UnknownOperation,
        ErrorCode::BadRequest,
        ErrorCode::MethodNotAllowed,
        ErrorCode::UnsupportedMediaType,
        ErrorCode::BodyTooLarge,
        ErrorCode::HeadersTooLarge,
        ErrorCode::IdempotencyKeyRequired,
        ErrorCode::IdempotencyConflict,
        ErrorCode::Busy,
        ErrorCode::ShuttingDown,
        ErrorCode::Unauthorized,
        ErrorCode::DeadlineExceeded,
        ErrorCode::HandlerFailed,
        ErrorCode::UpstreamFailed,
        ErrorCode::Internal,
        ErrorCode::NoAgent,
        ErrorCode::ConnectionLost,
        ErrorCode::Timeout,
        ErrorCode::Protocol,
    ];

    /// The wire string.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::UnknownOperation => "unknown_operation",
            ErrorCode::BadRequest => "bad_request",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::UnsupportedMediaType => "unsupported_media_type",
            ErrorCode::BodyTooLarge => "body_too_large",
            ErrorCode::HeadersTooLarge => "headers_too_large",
            ErrorCode::IdempotencyKeyRequired => "idempotency_key_required",
            ErrorCode::IdempotencyConflict => "idempotency_conflict",
            ErrorCode::Busy => "busy",
            ErrorCode::ShuttingDown => "shutting_down",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::DeadlineExceeded => "deadline_exceeded",
            ErrorCode::HandlerFailed => "handler_failed",
            ErrorCode::UpstreamFailed => "upstream_failed",
            ErrorCode::Internal => "internal",
            ErrorCode::NoAgent => "no_agent",
            ErrorCode::ConnectionLost => "connection_lost",
            ErrorCode::Timeout => "timeout",
            ErrorCode::Protocol => "protocol",
            ErrorCode::Other => "other",
        }
    }

    /// Parses a wire string; unknown strings give [`ErrorCode::Other`].
    pub fn parse(code: &str) -> ErrorCode {
        ErrorCode::ALL
            .into_iter()
            .find(|c| c.as_str() == code)
            .unwrap_or(ErrorCode::Other)
    }

    /// The HTTP status the agent sends with this code.
    pub fn status(self) -> StatusCode {
        match self {
            ErrorCode::UnknownOperation => StatusCode::NOT_FOUND,
            ErrorCode::BadRequest | ErrorCode::Other => StatusCode::BAD_REQUEST,
            ErrorCode::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::Unauthorized => StatusCode::UNAUTHORIZED,
            ErrorCode::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::BodyTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::HeadersTooLarge => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            ErrorCode::IdempotencyKeyRequired => StatusCode::PRECONDITION_REQUIRED,
            ErrorCode::IdempotencyConflict => StatusCode::CONFLICT,
            ErrorCode::Busy | ErrorCode::ShuttingDown | ErrorCode::NoAgent => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            ErrorCode::DeadlineExceeded | ErrorCode::Timeout => StatusCode::GATEWAY_TIMEOUT,
            ErrorCode::HandlerFailed | ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::UpstreamFailed | ErrorCode::ConnectionLost | ErrorCode::Protocol => {
                StatusCode::BAD_GATEWAY
            }
        }
    }

    /// Whether the code is retryable by default (a handler may say otherwise).
    pub fn default_retryable(self) -> bool {
        matches!(
            self,
            ErrorCode::Busy
                | ErrorCode::ShuttingDown
                | ErrorCode::DeadlineExceeded
                | ErrorCode::Internal
                | ErrorCode::NoAgent
                | ErrorCode::ConnectionLost
                | ErrorCode::Timeout
        )
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error body of section 6.2: `{code, message, retryable}`, and `retry_after_ms` when the
/// agent knows how long to wait (an upstream's `Retry-After`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// Stable code string.
    pub code: String,
    /// Human-readable explanation: what failed and what to do next.
    pub message: String,
    /// Whether the same call may succeed later.
    pub retryable: bool,
    /// How long to wait before retrying, in milliseconds, when known (absent otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_ms: Option<u64>,
}

impl ErrorBody {
    /// A body with the code's default retryability.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ErrorBody {
            code: code.as_str().to_owned(),
            message: message.into(),
            retryable: code.default_retryable(),
            retry_after_ms: None,
        }
    }

    /// The parsed code.
    pub fn code(&self) -> ErrorCode {
        ErrorCode::parse(&self.code)
    }

    /// Parses a body received from the wire; the message is capped at 4 KiB.
    pub fn decode(bytes: &[u8]) -> Option<Self> {
        let mut body: ErrorBody = serde_json::from_slice(bytes).ok()?;
        if body.code.is_empty() || body.code.len() > 64 {
            return None;
        }
        if body.message.len() > 4096 {
            let mut cut = 4096;
            while !body.message.is_char_boundary(cut) {
                cut -= 1;
            }
            body.message.truncate(cut);
        }
        Some(body)
    }

    /// The JSON bytes of this body.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_else(|_| b"{}".to_vec())
    }
}

impl fmt::Display for ErrorBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} ({})",
            self.code,
            self.message,
            if self.retryable {
                "retryable"
            } else {
                "not retryable"
            }
        )
    }
}

/// The registration document of section 5.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registration {
    /// Protocol version, `1`.
    pub protocol: u32,
    /// The agent's id.
    pub agent_id: String,
    /// The agent's version.
    pub version: String,
    /// Index of this connection.
    pub connection_index: u32,
    /// How many connections the agent keeps.
    pub connections: u32,
    /// Concurrency limit of this connection.
    pub max_concurrent_ops: u32,
    /// Operation names the agent serves.
    pub capabilities: Vec<String>,
}

impl Registration {
    /// Parses and validates a registration document.
    pub fn decode(bytes: &[u8]) -> Result<Self, String> {
        let reg: Registration =
            serde_json::from_slice(bytes).map_err(|e| format!("malformed registration: {e}"))?;
        if reg.protocol != PROTOCOL_VERSION {
            return Err(format!("unsupported protocol version {}", reg.protocol));
        }
        validate_agent_id(&reg.agent_id)?;
        if reg.version.is_empty() || reg.version.len() > 64 {
            return Err("agent version must be 1 to 64 characters".into());
        }
        if reg.connections == 0 || reg.connection_index >= reg.connections {
            return Err("connection index out of range".into());
        }
        if reg.capabilities.len() > 4096 {
            return Err("too many capabilities".into());
        }
        for name in &reg.capabilities {
            validate_op_name(name)?;
        }
        Ok(reg)
    }
}

/// Body of `POST /v1/control/goaway` (section 9.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GoAway {
    /// Where to reconnect; `None` means the configured URL.
    pub reconnect_to: Option<String>,
    /// Why, for the agent's log.
    #[serde(default)]
    pub reason: String,
}

/// Answer to long-poll registration (section 10).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PollSession {
    /// Opaque session id.
    pub session: String,
    /// How long the cloud holds a poll.
    pub poll_wait_ms: u64,
}

/// One long-poll operation envelope (section 10).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PollEnvelope {
    /// Envelope id, echoed on the result.
    pub id: String,
    /// Operation name.
    pub op: String,
    /// Idempotency key of a mutating operation.
    #[serde(default)]
    pub idempotency_key: Option<String>,
    /// Caller's budget in milliseconds.
    #[serde(default)]
    pub deadline_ms: Option<u64>,
    /// Content type of `body`.
    #[serde(default)]
    pub content_type: Option<String>,
    /// The JSON request body.
    #[serde(default)]
    pub body: serde_json::Value,
}

/// A malformed envelope: its id when readable, and the error to answer with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadEnvelope {
    /// The envelope's id, if it had a valid one.
    pub id: Option<String>,
    /// The structured error.
    pub error: ErrorBody,
}

/// Parses a long-poll answer: a JSON array of envelopes, each validated on its own.
pub fn decode_envelopes(bytes: &[u8]) -> Result<Vec<Result<PollEnvelope, BadEnvelope>>, ErrorBody> {
    let values: Vec<serde_json::Value> = serde_json::from_slice(bytes).map_err(|e| {
        ErrorBody::new(
            ErrorCode::BadRequest,
            format!("long-poll answer is not a json array: {e}"),
        )
    })?;
    Ok(values.into_iter().map(decode_envelope).collect())
}

fn decode_envelope(value: serde_json::Value) -> Result<PollEnvelope, BadEnvelope> {
    let id = value
        .get("id")
        .and_then(|v| v.as_str())
        .filter(|id| validate_token(id, 128).is_ok())
        .map(str::to_owned);
    let bad = |id: Option<String>, msg: String| BadEnvelope {
        id,
        error: ErrorBody::new(ErrorCode::BadRequest, msg),
    };
    let env: PollEnvelope = serde_json::from_value(value)
        .map_err(|e| bad(id.clone(), format!("malformed operation envelope: {e}")))?;
    if id.is_none() {
        return Err(bad(None, "envelope id is missing or invalid".into()));
    }
    validate_op_name(&env.op).map_err(|e| bad(id.clone(), e))?;
    if let Some(key) = &env.idempotency_key {
        validate_token(key, 128).map_err(|e| bad(id.clone(), format!("idempotency key: {e}")))?;
    }
    Ok(env)
}

/// Validates an operation name: 1 to 64 of `[a-z0-9._-]`, starting with a letter.
pub fn validate_op_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.as_bytes()[0].is_ascii_lowercase()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "invalid operation name {:?}: use 1 to 64 of [a-z0-9._-] starting with a letter",
            truncate(name, 80)
        ))
    }
}

/// Validates an agent id: 1 to 128 of `[A-Za-z0-9._-]`.
pub fn validate_agent_id(id: &str) -> Result<(), String> {
    let ok = !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "invalid agent id {:?}: use 1 to 128 of [A-Za-z0-9._-]",
            truncate(id, 80)
        ))
    }
}

/// Validates an idempotency key or envelope id: 1 to `max` of `[A-Za-z0-9._:-]`.
pub fn validate_token(token: &str, max: usize) -> Result<(), String> {
    let ok = !token.is_empty()
        && token.len() <= max
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._:-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(format!("must be 1 to {max} of [A-Za-z0-9._:-]"))
    }
}

/// Extracts the operation name from a request path, `/v1/ops/<name>`.
pub fn parse_op_path(path: &str) -> Result<&str, ErrorBody> {
    let name = path.strip_prefix(OPS_PREFIX).ok_or_else(|| {
        ErrorBody::new(
            ErrorCode::UnknownOperation,
            format!(
                "path {:?} is not an operation; use POST {OPS_PREFIX}<name>",
                truncate(path, 80)
            ),
        )
    })?;
    validate_op_name(name).map_err(|e| ErrorBody::new(ErrorCode::BadRequest, e))?;
    Ok(name)
}

/// Parses `gitproxy-deadline-ms`: a positive integer of milliseconds, at most one day.
pub fn parse_deadline_ms(value: &[u8]) -> Result<u64, ErrorBody> {
    std::str::from_utf8(value)
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .filter(|ms| (1..=86_400_000).contains(ms))
        .ok_or_else(|| {
            ErrorBody::new(
                ErrorCode::BadRequest,
                format!("{H_DEADLINE_MS} must be 1 to 86400000 milliseconds"),
            )
        })
}

/// Parses `gitproxy-idempotency-key`.
pub fn parse_idempotency_key(value: &[u8]) -> Result<String, ErrorBody> {
    let key = std::str::from_utf8(value).map_err(|_| {
        ErrorBody::new(
            ErrorCode::BadRequest,
            format!("{H_IDEMPOTENCY_KEY} is not ascii"),
        )
    })?;
    validate_token(key, 128)
        .map_err(|e| ErrorBody::new(ErrorCode::BadRequest, format!("{H_IDEMPOTENCY_KEY} {e}")))?;
    Ok(key.to_owned())
}

/// Whether a `Sec-WebSocket-Protocol` header value offers [`SUBPROTOCOL`].
pub fn offers_subprotocol(value: &[u8]) -> bool {
    std::str::from_utf8(value)
        .map(|v| v.split(',').any(|p| p.trim() == SUBPROTOCOL))
        .unwrap_or(false)
}

fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut cut = max;
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    &s[..cut]
}

#[cfg(test)]
mod tests;
