//! What `live` is doing, for `/readyz`, the metrics and whoever holds its [`Status`] (tests).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use fred::prelude::{Client, ClientLike as _};

/// How long one dependency check of `/readyz` may take.
const CHECK_LIMIT: Duration = Duration::from_secs(2);

/// Shared between the consumer and the health endpoints.
#[derive(Debug, Default)]
pub struct Status {
    consuming: AtomicBool,
    handled: AtomicU64,
}

impl Status {
    /// Whether this instance's queue is declared, bound and consumed.
    pub fn consuming(&self) -> bool {
        self.consuming.load(Ordering::SeqCst)
    }

    /// How many deliveries this instance has handled and acked.
    pub fn handled(&self) -> u64 {
        self.handled.load(Ordering::SeqCst)
    }

    pub(crate) fn set_consuming(&self, consuming: bool) {
        self.consuming.store(consuming, Ordering::SeqCst);
        metrics::gauge!("live_amqp_connected").set(if consuming { 1.0 } else { 0.0 });
    }

    pub(crate) fn record_handled(&self) {
        self.handled.fetch_add(1, Ordering::SeqCst);
        metrics::counter!("live_events_handled_total").increment(1);
    }
}

/// Ready when consuming from RabbitMQ and Redis (sessions) and Postgres (channels) answer.
pub struct Readiness {
    /// The consumer's status.
    pub status: Arc<Status>,
    /// Where sessions are checked.
    pub redis: Client,
    /// Where channels are loaded from.
    pub pool: sqlx::PgPool,
}

impl http_kit::operations::Readiness for Readiness {
    fn check(&self) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + '_>> {
        Box::pin(async move {
            if !self.status.consuming() {
                return Err("not consuming from RabbitMQ".to_owned());
            }
            match tokio::time::timeout(CHECK_LIMIT, self.redis.ping::<String>(None)).await {
                Ok(Ok(_)) => {}
                Ok(Err(error)) => return Err(format!("redis: {error}")),
                Err(_) => return Err("redis: no answer".to_owned()),
            }
            let postgres = sqlx::query_scalar::<_, i32>("SELECT 1").fetch_one(&self.pool);
            match tokio::time::timeout(CHECK_LIMIT, postgres).await {
                Ok(Ok(_)) => Ok(()),
                Ok(Err(error)) => Err(format!("postgres: {error}")),
                Err(_) => Err("postgres: no answer".to_owned()),
            }
        })
    }
}
