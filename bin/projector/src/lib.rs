//! The projector: reads the event log in commit order and applies each batch's plan to Redis together
//! with its checkpoint, as one fenced compare-and-set. Single-active per generation of the documents: a
//! Postgres advisory lock elects a leader, and the fencing token it then claims in Redis refuses writes
//! from a deposed one. A rebuild fills a new generation beside the current one ([`generations`]).

mod generations;
mod health;
mod pipeline;
mod planning;
mod projection;
pub mod rebuild;
mod resume;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use backoff::Backoff;
use eventlog::FollowSettings;
use read_model::Keys;
use redis_store::{Resend, client, start};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use health::Status;

/// A projector, ready to run.
pub struct Projector {
    generations: generations::Generations,
    health: TcpListener,
    status: Arc<Status>,
}

impl Projector {
    /// Connects (lazily) to Postgres and Redis and binds the health port.
    pub async fn build(settings: settings::Settings, clock: domain::Clock) -> anyhow::Result<Self> {
        let health = TcpListener::bind(&settings.projector.health_addr)
            .await
            .with_context(|| format!("binding {}", settings.projector.health_addr))?;
        let pool = eventlog::connect(&settings.database, "projector")?;
        let redis = client(&settings.redis, Resend::Never)?;
        start(&redis);
        let status = Arc::new(Status::new(Duration::from_millis(settings.projector.ready_max_lag_ms)));
        let following = FollowSettings {
            batch_size: settings.projector.batch_size,
            poll: Duration::from_millis(settings.projector.poll_interval_ms),
            gather: Duration::from_millis(settings.projector.gather_ms),
            retry: Backoff::constant(projection::RETRY),
        };
        let control = Keys::new(settings.redis.key_prefix.clone());
        let beside_readers = settings.projector.rebuild_batch_size;
        let generations = generations::Generations::new(
            pool,
            redis,
            control,
            (following, beside_readers),
            clock,
            status.clone(),
        );
        Ok(Self { generations, health, status })
    }

    /// Where `/healthz`, `/readyz` and `/metrics` listen.
    pub fn health_address(&self) -> SocketAddr {
        self.health.local_addr().expect("a bound listener has an address")
    }

    /// What the projector is doing, as `/readyz` reports it.
    pub fn status(&self) -> Arc<Status> {
        self.status.clone()
    }

    /// Projects until `shutdown` is cancelled; a batch in flight finishes first.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let readiness: Arc<dyn http_kit::operations::Readiness> = self.status.clone();
        let router = http_kit::middleware::around(http_kit::operations::routes(readiness), 1024);
        let health = tokio::spawn(http_kit::serve(self.health, router, shutdown.clone()));
        self.generations.run(shutdown).await;
        health.await.context("health server")?.context("serving health")
    }
}
