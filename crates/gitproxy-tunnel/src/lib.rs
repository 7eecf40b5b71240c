//! The outbound-only cloud tunnel of the gitproxy agent: the protocol, the agent side and the hub (cloud) side.
//!
//! The contract is `docs/tunnel-protocol.md` (version 1): the agent dials the cloud over TLS, upgrades an
//! HTTP/1.1 request to a WebSocket, and serves HTTP/2 inside it; every operation is one HTTP/2 stream. When a
//! proxy refuses the upgrade the agent falls back to HTTPS long-poll with the same operations.
//!
//! - Agent side: [`Agent::connect`] with an [`AgentConfig`] and an [`OpHandler`] (for example a [`Router`]);
//!   its [`AgentState`] is observable through a `watch` channel ([`Reconnects`] counts reconnects
//!   from it; [`Agent::watch_health`] turns it into the [`Health`] a readiness probe and metrics
//!   show, logging each transition).
//! - Cloud side: [`Hub::bind`] with a [`HubConfig`] and an [`AccessCheck`]; [`Hub::call`] sends a typed
//!   [`Operation`] to a tenant's agents and fails over when a connection drops.

mod agent;
mod backoff;
mod config;
mod dial;
mod error;
pub mod fuzzing;
mod handler;
mod hub;
mod kill;
pub mod ops;
pub mod protocol;
mod secret;
mod ws;

pub use agent::{
    Agent, AgentState, ConnectionState, ConnectionStatus, Health, HealthTracker, Reconnects,
    Transport,
};
pub use backoff::Backoff;
pub use config::{AgentConfig, AgentConfigBuilder, HubConfig, HubConfigBuilder};
pub use dial::{BoxIo, Connector, Io};
pub use error::Error;
pub use handler::{OpError, OpHandler, OpRequest, OpResponse, OpSpec, Router};
pub use hub::{
    AccessCheck, AccessDenied, AgentPresence, ConnectionPresence, Hub, KeyTable, OpBody, OpCall,
    OpReply, PresenceEvent,
};
pub use ops::Operation;
pub use protocol::{ErrorBody, ErrorCode};
pub use secret::AccessKey;
