//! Simulator-only admin endpoints under `<base>/_sim/`: switch faults and read the request log over HTTP, for
//! a simulator running as the `bitbucket-dc-sim` binary. Served only when the builder enables them and only
//! to loopback peers; they bypass authentication, faults and the request log, and are not Bitbucket API.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Response, StatusCode};
use serde_json::{json, Value};

use crate::faults::{AuthScheme, LoggedRequest, RateLimit};
use crate::rest::{json_response, Query};
use crate::shared::{Body, Shared};

/// Every admin endpoint as `(method, path below the base URL)`. They are not in [`crate::route_table`] and
/// not in Atlassian's OpenAPI description: the simulator serves them outside `/rest`, for its own operators.
pub const ADMIN_ROUTES: &[(&str, &str)] = &[
    ("GET", "/_sim/faults"),
    ("POST", "/_sim/faults"),
    ("DELETE", "/_sim/faults"),
    ("GET", "/_sim/requests"),
    ("DELETE", "/_sim/requests"),
];

/// Whether a request (path below the context path) from `peer` is for the admin endpoints.
pub(crate) fn is_admin(shared: &Shared, peer: SocketAddr, rel: &str) -> bool {
    shared.admin_endpoints
        && peer.ip().to_canonical().is_loopback()
        && (rel == "/_sim" || rel.starts_with("/_sim/"))
}

/// Answers one admin request; `body` is the request body already read.
pub(crate) fn serve(
    shared: &Shared,
    method: &Method,
    rel: &str,
    query: Option<&str>,
    body: &Bytes,
) -> Response<Body> {
    let rel = rel.strip_suffix('/').unwrap_or(rel);
    let result = match (method.as_str(), rel) {
        ("GET", "/_sim/faults") => Ok(shared.faults.snapshot()),
        ("POST", "/_sim/faults") => parse(body).and_then(|changes| {
            apply(shared, &changes)?;
            Ok(shared.faults.snapshot())
        }),
        ("DELETE", "/_sim/faults") => {
            shared.faults.clear();
            Ok(shared.faults.snapshot())
        }
        ("GET", "/_sim/requests") => Ok(requests(shared, query)),
        ("DELETE", "/_sim/requests") => {
            shared.log.clear();
            Ok(json!({"size": 0, "values": []}))
        }
        (_, path) if ADMIN_ROUTES.iter().any(|(_, p)| *p == path) => {
            return error(StatusCode::METHOD_NOT_ALLOWED, "method not allowed here");
        }
        _ => {
            return error(
                StatusCode::NOT_FOUND,
                "no such admin endpoint; try /_sim/faults or /_sim/requests",
            )
        }
    };
    match result {
        Ok(value) => json_response(StatusCode::OK, &value),
        Err(message) => error(StatusCode::BAD_REQUEST, &message),
    }
}

fn error(status: StatusCode, message: &str) -> Response<Body> {
    json_response(status, &json!({"error": message}))
}

fn parse(body: &Bytes) -> Result<Value, String> {
    if body.is_empty() {
        return Ok(json!({}));
    }
    let value: Value = serde_json::from_slice(body)
        .map_err(|err| format!("the body is not JSON ({err}); send an object of fault switches"))?;
    if value.is_object() {
        Ok(value)
    } else {
        Err("the body must be a JSON object of fault switches".into())
    }
}

fn rate_limit(value: &Value, field: &str) -> Result<Option<RateLimit>, String> {
    if value.is_null() {
        return Ok(None);
    }
    let capacity = value["capacity"]
        .as_u64()
        .and_then(|c| u32::try_from(c).ok())
        .ok_or_else(|| format!("{field}.capacity must be a whole number"))?;
    let refill = value["refillPerSecond"]
        .as_f64()
        .ok_or_else(|| format!("{field}.refillPerSecond must be a number"))?;
    RateLimit::new(capacity, refill)
        .map(Some)
        .map_err(|err| format!("{field}: {err}"))
}

fn status(value: &Value, field: &str) -> Result<u16, String> {
    value["status"]
        .as_u64()
        .and_then(|s| u16::try_from(s).ok())
        .filter(|s| (100..=599).contains(s))
        .ok_or_else(|| format!("{field}.status must be an HTTP status code"))
}

/// Applies a `POST /_sim/faults` body: every field optional, `clear` first.
fn apply(shared: &Shared, changes: &Value) -> Result<(), String> {
    let faults = &shared.faults;
    // Validate everything before changing anything.
    let global = changes
        .get("rateLimit")
        .map(|v| rate_limit(v, "rateLimit"))
        .transpose()?;
    let mut per_user = Vec::new();
    if let Some(users) = changes.get("userRateLimits") {
        let users = users
            .as_object()
            .ok_or("userRateLimits must map user names to rate limits or null")?;
        for (user, limit) in users {
            per_user.push((user.clone(), rate_limit(limit, "userRateLimits")?));
        }
    }
    let latency = match changes.get("latencyMs") {
        None => None,
        Some(Value::Null) => Some(None),
        Some(ms) => Some(Some(Duration::from_millis(
            ms.as_u64()
                .ok_or("latencyMs must be a whole number or null")?,
        ))),
    };
    let fail_next = match changes.get("failNext") {
        None => None,
        Some(v) => {
            let count = v["count"]
                .as_u64()
                .and_then(|c| u32::try_from(c).ok())
                .unwrap_or(1);
            Some((count, status(v, "failNext")?, v["retryAfter"].as_u64()))
        }
    };
    let fail_matching = match changes.get("failMatching") {
        None => None,
        Some(v) => {
            let needle = v["pathContains"]
                .as_str()
                .filter(|s| !s.is_empty())
                .ok_or("failMatching.pathContains must be a non-empty string")?;
            Some((
                needle.to_owned(),
                status(v, "failMatching")?,
                v["retryAfter"].as_u64(),
            ))
        }
    };
    let drop_next = match changes.get("dropNext") {
        None => None,
        Some(v) => Some(
            v.as_u64()
                .and_then(|c| u32::try_from(c).ok())
                .ok_or("dropNext must be a whole number")?,
        ),
    };
    let drop_matching = match changes.get("dropMatching") {
        None => None,
        Some(v) => Some(
            v.as_str()
                .filter(|s| !s.is_empty())
                .ok_or("dropMatching must be a non-empty string")?
                .to_owned(),
        ),
    };

    if changes.get("clear").and_then(Value::as_bool) == Some(true) {
        faults.clear();
    }
    if let Some(limit) = global {
        faults.set_rate_limit(limit);
    }
    for (user, limit) in per_user {
        match limit {
            Some(limit) => faults.set_user_rate_limit(&user, Some(limit)),
            None => faults.clear_user_rate_limit(&user),
        }
    }
    if let Some(latency) = latency {
        faults.set_latency(latency);
    }
    if let Some((count, status, retry_after)) = fail_next {
        faults.fail_next(count, status, retry_after);
    }
    if let Some((needle, status, retry_after)) = fail_matching {
        faults.fail_matching(&needle, status, retry_after);
    }
    if let Some(count) = drop_next {
        faults.drop_next(count);
    }
    if let Some(needle) = drop_matching {
        faults.drop_matching(&needle);
    }
    Ok(())
}

fn auth_name(scheme: AuthScheme) -> &'static str {
    match scheme {
        AuthScheme::None => "none",
        AuthScheme::Bearer => "bearer",
        AuthScheme::Basic => "basic",
        AuthScheme::Other => "other",
    }
}

fn logged(entry: &LoggedRequest) -> Value {
    json!({
        "method": entry.method,
        "path": entry.path,
        "query": entry.query,
        "user": entry.user,
        "status": entry.status,
        "auth": auth_name(entry.auth),
        "headers": entry
            .headers
            .iter()
            .map(|(name, value)| json!([name, value]))
            .collect::<Vec<_>>(),
    })
}

/// The request log (credentials were never recorded), from `?start=N` on.
fn requests(shared: &Shared, query: Option<&str>) -> Value {
    let start = Query::parse(query)
        .value("start")
        .and_then(|s| s.parse::<usize>().ok())
        .unwrap_or(0);
    let entries = shared.log.entries();
    let values: Vec<Value> = entries.iter().skip(start).map(logged).collect();
    json!({"start": start, "size": values.len(), "values": values})
}

#[cfg(test)]
mod tests;
