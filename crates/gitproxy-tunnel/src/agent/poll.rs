//! The fallback transport: HTTPS long-poll (section 10). The agent fetches operation envelopes with a held
//! GET and posts each result back as a streamed body; the same dispatcher serves them.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::header::{AUTHORIZATION, CONTENT_TYPE, HOST, USER_AGENT};
use http::{HeaderValue, Method, Request, StatusCode};
use http_body_util::{BodyExt, Limited};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::dispatch::{Call, Reply};
use super::{stopped, Ended, Shared, Transport};
use crate::dial::connect;
use crate::error::Error;
use crate::handler::{full, Body};
use crate::protocol::{
    decode_envelopes, ErrorBody, PollEnvelope, PollSession, H_AGENT_ID, H_AGENT_VERSION,
    H_CONNECTION_INDEX, H_REPLAY, H_STATUS, JSON, POLL, POLL_REGISTER, POLL_RESULT,
};

/// Largest long-poll answer the agent reads.
const MAX_POLL_ANSWER: usize = 64 << 20;

pub(super) async fn run(
    shared: &Arc<Shared>,
    index: u32,
    host: &str,
    port: u16,
    stop: &mut watch::Receiver<bool>,
) -> Result<Ended, Error> {
    let client = Arc::new(PollClient {
        shared: shared.clone(),
        host: host.to_owned(),
        port,
        index,
        idle: Mutex::new(Vec::new()),
    });
    let (status, _, body) = client
        .send(
            Method::POST,
            POLL_REGISTER,
            JSON,
            full(shared.registration(index)),
        )
        .await?;
    check_status(status, &body)?;
    let session: PollSession = serde_json::from_slice(&body)
        .map_err(|e| Error::Protocol(format!("malformed long-poll session: {e}")))?;
    let poll_timeout = Duration::from_millis(session.poll_wait_ms) + Duration::from_secs(15);
    shared.set_connected(index, Transport::LongPoll);
    tracing::info!(index, host, port, "tunnel connected (https long-poll)");
    let since = Instant::now();
    let limit = Arc::new(Semaphore::new(shared.config.max_concurrent_ops as usize));
    let mut in_flight = JoinSet::new();
    let poll_path = format!("{POLL}?session={}", session.session);
    loop {
        while in_flight.try_join_next().is_some() {}
        let polled = tokio::select! {
            res = tokio::time::timeout(poll_timeout, client.send(Method::GET, &poll_path, JSON, full(Bytes::new()))) => res,
            () = stopped(stop) => {
                let deadline = shared.config.shutdown_deadline;
                let _ = tokio::time::timeout(deadline, async { while in_flight.join_next().await.is_some() {} }).await;
                return Ok(Ended::Stopped);
            }
        };
        let (status, _, body) = match polled {
            Ok(Ok(answer)) => answer,
            Ok(Err(err)) if err.is_fatal() => return Err(err),
            Ok(Err(err)) => {
                return Ok(Ended::Lost {
                    up_for: since.elapsed(),
                    error: err.to_string(),
                })
            }
            Err(_) => {
                return Ok(Ended::Lost {
                    up_for: since.elapsed(),
                    error: "long-poll timed out".to_owned(),
                })
            }
        };
        if status == StatusCode::NOT_FOUND {
            return Ok(Ended::Lost {
                up_for: since.elapsed(),
                error: "long-poll session expired".to_owned(),
            });
        }
        if let Err(err) = check_status(status, &body) {
            if err.is_fatal() {
                return Err(err);
            }
            return Ok(Ended::Lost {
                up_for: since.elapsed(),
                error: err.to_string(),
            });
        }
        let envelopes = match decode_envelopes(&body) {
            Ok(envelopes) => envelopes,
            Err(err) => {
                tracing::warn!(error = %err, "malformed long-poll answer ignored");
                continue;
            }
        };
        for envelope in envelopes {
            let client = client.clone();
            let session = session.session.clone();
            let limit = limit.clone();
            match envelope {
                Ok(envelope) => {
                    in_flight.spawn(async move {
                        let id = envelope.id.clone();
                        let call = call_from_envelope(envelope, index);
                        let reply = client.shared.dispatcher.dispatch(call, &limit).await;
                        client.post_result(&session, &id, reply).await;
                    });
                }
                Err(bad) => match bad.id {
                    Some(id) => {
                        in_flight.spawn(async move {
                            client
                                .post_result(&session, &id, Reply::error(&bad.error))
                                .await;
                        });
                    }
                    None => {
                        tracing::warn!(error = %bad.error, "malformed long-poll envelope without a usable id dropped")
                    }
                },
            }
        }
    }
}

fn call_from_envelope(envelope: PollEnvelope, index: u32) -> Call {
    let body = serde_json::to_vec(&envelope.body).unwrap_or_default();
    Call {
        name: envelope.op,
        idempotency_key: envelope.idempotency_key,
        deadline: envelope.deadline_ms.map(Duration::from_millis),
        content_type: Some(envelope.content_type.unwrap_or_else(|| JSON.to_owned())),
        content_length: Some(body.len() as u64),
        body: full(body),
        connection_index: index,
    }
}

fn check_status(status: StatusCode, body: &[u8]) -> Result<(), Error> {
    match status {
        s if s.is_success() => Ok(()),
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Err(Error::Unauthorized {
            status: status.as_u16(),
            message: ErrorBody::decode(body)
                .map(|b| b.message)
                .unwrap_or_else(|| "no explanation given".to_owned()),
        }),
        StatusCode::SERVICE_UNAVAILABLE | StatusCode::GATEWAY_TIMEOUT => Err(Error::Unavailable {
            status: status.as_u16(),
            retry_after: None,
        }),
        other => Err(Error::Protocol(format!(
            "long-poll request answered http {other}"
        ))),
    }
}

struct PollClient {
    shared: Arc<Shared>,
    host: String,
    port: u16,
    index: u32,
    idle: Mutex<Vec<SendRequest<Body>>>,
}

impl PollClient {
    async fn connect(&self) -> Result<SendRequest<Body>, Error> {
        let config = &self.shared.config;
        let io = connect(
            &*config.connector,
            &self.host,
            self.port,
            config.connect_timeout,
        )
        .await?;
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(io)).await?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(sender)
    }

    fn take_idle(&self) -> Option<SendRequest<Body>> {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        while let Some(sender) = idle.pop() {
            if sender.is_ready() {
                return Some(sender);
            }
        }
        None
    }

    fn put_idle(&self, sender: SendRequest<Body>) {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < 8 && !sender.is_closed() {
            idle.push(sender);
        }
    }

    /// Sends one request and reads the whole (bounded) answer.
    async fn send(
        &self,
        method: Method,
        path_and_query: &str,
        content_type: &str,
        body: Body,
    ) -> Result<(StatusCode, http::HeaderMap, Bytes), Error> {
        self.send_with(method, path_and_query, content_type, body, |_| {})
            .await
    }

    async fn send_with(
        &self,
        method: Method,
        path_and_query: &str,
        content_type: &str,
        body: Body,
        extra: impl FnOnce(&mut http::HeaderMap),
    ) -> Result<(StatusCode, http::HeaderMap, Bytes), Error> {
        let config = &self.shared.config;
        let mut sender = match self.take_idle() {
            Some(sender) => sender,
            None => self.connect().await?,
        };
        let mut auth = HeaderValue::try_from(format!("Bearer {}", config.access_key.expose()))
            .map_err(|_| Error::Config("the access key is not a valid header value".into()))?;
        auth.set_sensitive(true);
        let host = if self.port == 443 {
            self.host.clone()
        } else {
            format!("{}:{}", self.host, self.port)
        };
        let mut request = Request::builder()
            .method(method)
            .uri(path_and_query)
            .header(HOST, host)
            .header(AUTHORIZATION, auth)
            .header(H_AGENT_ID, &config.agent_id)
            .header(H_AGENT_VERSION, &config.version)
            .header(H_CONNECTION_INDEX, self.index.to_string())
            .header(USER_AGENT, format!("gitproxy/{}", config.version))
            .header(CONTENT_TYPE, content_type)
            .body(body)
            .map_err(|e| Error::Protocol(format!("could not build a long-poll request: {e}")))?;
        extra(request.headers_mut());
        let response = sender.send_request(request).await?;
        let (parts, body) = response.into_parts();
        let bytes = Limited::new(body, MAX_POLL_ANSWER)
            .collect()
            .await
            .map_err(|e| Error::Protocol(format!("could not read a long-poll answer: {e}")))?
            .to_bytes();
        self.put_idle(sender);
        Ok((parts.status, parts.headers, bytes))
    }

    async fn post_result(&self, session: &str, id: &str, reply: Reply) {
        let path = format!("{POLL_RESULT}?session={session}&id={id}");
        let status = reply.status.as_u16().to_string();
        let replay = reply.replay;
        let res = self
            .send_with(
                Method::POST,
                &path,
                &reply.content_type,
                reply.body,
                |headers| {
                    if let Ok(v) = HeaderValue::from_str(&status) {
                        headers.insert(H_STATUS, v);
                    }
                    if replay {
                        headers.insert(H_REPLAY, HeaderValue::from_static("true"));
                    }
                },
            )
            .await;
        match res {
            Ok((status, _, _)) if status.is_success() => {}
            Ok((status, _, _)) => {
                tracing::warn!(id, %status, "the cloud did not accept a long-poll result")
            }
            Err(err) => tracing::warn!(id, error = %err, "could not post a long-poll result"),
        }
    }
}
