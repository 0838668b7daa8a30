//! `live`: pushes chat events to the WebSockets of the users allowed to see them.
//!
//! Clients open `GET /v1/ws` with a token in `Authorization: Bearer` or `?auth=`; a missing, invalid,
//! expired or revoked token is answered 401 before the upgrade. Each instance declares an exclusive,
//! auto-deleted queue of its own bound to `channel.*`, `message.*` and `user.session_revoked` on the
//! events exchange, and handles it one delivery at a time, in log order, acking after each: a push is
//! best-effort and never stored, so nothing is dead-lettered and a client that reconnects reads what
//! it missed from query-api.
//!
//! Frames are JSON text `{ type, channel?, message?, channelId?, messageId? }` (see [`frames`]):
//!
//! | event | who receives what |
//! |---|---|
//! | channel created | `channel-new` (whole channel) to everyone, or to the members of a private one |
//! | channel updated | `channel-update` to those who may see it |
//! | channel deleted | `channel-delete` to everyone, or to the last members of a private one |
//! | member added | private: `channel-new` to the new member, `channel-update` to the other members; public: `channel-update` to everyone |
//! | member removed | private: `channel-delete` to the removed member, `channel-update` to the remaining members; public: `channel-update` to everyone |
//! | message posted / edited | `message-new` / `message-update` (whole message, `channelId`) to those the channel admits |
//! | message deleted | `message-delete` (`messageId`, `channelId`) to those the channel admits |
//! | session revoked | that session's sockets are closed (1008) |
//!
//! Deciding recipients is pure ([`routing`]); who may see a channel comes from an in-memory view of
//! each channel ([`channels`]), loaded from the event log when first needed (as of the event being
//! handled, not as of now) and kept current by the channel events of the queue. Sockets ([`registry`]) have a bounded outbox: a client that does not
//! keep up is closed (1013) instead of slowing the others; clients are pinged and closed (1001) after
//! two silent intervals, and closed (1008) when their token expires.

pub mod auth;
pub mod channels;
mod consume;
mod dispatch;
pub mod events;
pub mod frames;
mod health;
mod http;
mod recent;
pub mod registry;
pub mod routing;
mod socket;

pub use health::Status;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use messaging::Topology;
use read_model::Keys;
use redis_store::{CurrentGeneration, Resend, client, start};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::auth::Gate;
use crate::channels::ChannelLoader;
use crate::consume::Consumer;
use crate::dispatch::Dispatcher;
use crate::registry::{CloseReason, Registry};

/// How long the consumer may take to stop once the service is asked to.
const STOPPING: Duration = Duration::from_secs(10);

/// A `live` instance bound to its port, ready to run.
pub struct Live {
    listener: TcpListener,
    gate: Gate,
    pool: sqlx::PgPool,
    registry: Registry,
    status: Arc<Status>,
    settings: settings::LiveSettings,
    rabbitmq: settings::RabbitSettings,
}

impl Live {
    /// Binds `settings.live.addr`, reads the token secret and starts connecting to Redis in the
    /// background; Postgres is connected to lazily, RabbitMQ when run (and again after they go away).
    pub async fn build(settings: settings::Settings) -> anyhow::Result<Self> {
        let tokens = http_kit::auth::Tokens::from_settings(&settings.auth)?;
        let address = &settings.live.addr;
        let listener = TcpListener::bind(address).await.with_context(|| format!("binding {address}"))?;
        let redis = client(&settings.redis, Resend::Allowed).context("configuring Redis")?;
        start(&redis);
        let control = Keys::new(settings.redis.key_prefix.clone());
        let pool = eventlog::connect(&settings.database, "live").context("configuring the Postgres pool")?;
        Ok(Self {
            listener,
            gate: Gate::new(tokens, redis.clone(), CurrentGeneration::watch(redis, control)),
            pool,
            registry: Registry::new(settings.live.socket_buffer),
            status: Arc::new(Status::default()),
            settings: settings.live,
            rabbitmq: settings.rabbitmq,
        })
    }

    /// Where it listens.
    pub fn address(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    /// What it is doing, as `/readyz` reports it.
    pub fn status(&self) -> Arc<Status> {
        self.status.clone()
    }

    /// The sockets connected to it.
    pub fn sockets(&self) -> Registry {
        self.registry.clone()
    }

    /// Serves sockets and pushes to them until `shutdown`; then every socket is closed (1001).
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let consumer = Consumer {
            topology: Topology::new(self.rabbitmq.prefix.clone()),
            rabbitmq: self.rabbitmq,
            dispatcher: Dispatcher::new(
                ChannelLoader::new(self.pool.clone()),
                self.registry.clone(),
                self.settings.channel_cache_capacity,
            ),
            status: self.status.clone(),
        };
        let consuming = tokio::spawn(consumer.run(shutdown.clone()));

        let readiness = Arc::new(health::Readiness {
            status: self.status,
            redis: self.gate.redis().clone(),
            pool: self.pool,
        });
        let sockets = http::Sockets {
            gate: self.gate,
            registry: self.registry.clone(),
            ping_every: Duration::from_millis(self.settings.ping_interval_ms.max(1)),
            shutdown: shutdown.clone(),
        };
        let served = http_kit::serve(self.listener, http::router(sockets, readiness), shutdown.clone()).await;
        self.registry.close_all(CloseReason::ShuttingDown);
        match tokio::time::timeout(STOPPING, consuming).await {
            Ok(joined) => joined.context("the consumer panicked")?,
            Err(_) => tracing::warn!("the consumer did not stop in time"),
        }
        tracing::info!("live stopped");
        served.context("serving live")
    }
}
