//! The relay: reads the event log in commit order and publishes its events to RabbitMQ's topic exchange
//! (those whose routing keys `relay.publish` names: by default, what Reprise's consumers bind) with
//! publisher confirms, advancing its checkpoint in Postgres only once the broker has
//! confirmed a batch. At-least-once: a crash between the two publishes the batch again, and consumers
//! drop duplicates by `message_id`. Single-active: a Postgres advisory lock elects it, and its fencing
//! token keeps a deposed relay from moving the checkpoint.

mod follow;
mod health;
mod link;
mod publishing;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use backoff::Backoff;
use eventlog::{FollowSettings, Follower, Whole};
use messaging::{Published, Topology};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// The relay's name: its row in `subscriptions`, its advisory lock and its fencing token.
pub const SUBSCRIPTION: &str = "relay";
pub use health::Status;

/// A relay, ready to run.
pub struct Relay {
    relaying: follow::Relaying,
    health: TcpListener,
    status: Arc<Status>,
}

impl Relay {
    /// Binds the health port and prepares (lazy) connections to Postgres; RabbitMQ is connected to
    /// when running, and again after every failure.
    pub async fn build(settings: settings::Settings) -> anyhow::Result<Self> {
        let health = TcpListener::bind(&settings.relay.health_addr)
            .await
            .with_context(|| format!("binding {}", settings.relay.health_addr))?;
        let pool = eventlog::connect(&settings.database, "relay").context("configuring the Postgres pool")?;
        let status = Arc::new(Status::default());
        let following = FollowSettings {
            batch_size: settings.relay.batch_size,
            poll: Duration::from_millis(settings.relay.poll_interval_ms),
            gather: Duration::from_millis(settings.relay.gather_ms),
            retry: Backoff::new(Duration::from_millis(200), Duration::from_secs(5)),
        };
        let published = Published::new(settings.relay.publish.as_deref());
        let whole = Whole { aggregate_types: published.aggregate_types(), event_types: None };
        let relaying = follow::Relaying {
            follower: Follower::new(pool.clone(), SUBSCRIPTION, following).reading_whole(whole),
            checkpoints: eventlog::Subscription::new(pool, SUBSCRIPTION),
            topology: Topology::new(settings.rabbitmq.prefix.clone()),
            published,
            rabbitmq: settings.rabbitmq,
            status: status.clone(),
        };
        Ok(Self { relaying, health, status })
    }

    /// Where `/healthz`, `/readyz` and `/metrics` listen.
    pub fn health_address(&self) -> SocketAddr {
        self.health.local_addr().expect("a bound listener has an address")
    }

    /// What the relay is doing, as `/readyz` reports it.
    pub fn status(&self) -> Arc<Status> {
        self.status.clone()
    }

    /// Relays until `shutdown` is cancelled; a batch in flight is published and checkpointed first.
    pub async fn run_until_stopped(mut self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let readiness: Arc<dyn http_kit::operations::Readiness> = self.status.clone();
        let router = http_kit::middleware::around(http_kit::operations::routes(readiness), 1024);
        let health = tokio::spawn(http_kit::serve(self.health, router, shutdown.clone()));
        self.relaying.run(shutdown.clone()).await;
        tracing::info!("relay stopped");
        health.await.context("health server")?.context("serving health")
    }
}
