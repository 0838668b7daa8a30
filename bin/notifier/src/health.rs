//! What the notifier is doing, for `/readyz` and for whoever holds its [`Status`] (tests).

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Shared between the consuming loop, the deliveries in progress and `/readyz`.
#[derive(Debug, Default)]
pub struct Status {
    connected: AtomicBool,
    settled: AtomicU64,
    retries: AtomicU64,
}

impl Status {
    /// Whether the notifier is connected to RabbitMQ and consuming.
    pub fn connected(&self) -> bool {
        self.connected.load(Ordering::SeqCst)
    }

    /// How many deliveries this notifier has acked or rejected.
    pub fn settled(&self) -> u64 {
        self.settled.load(Ordering::SeqCst)
    }

    /// How many times this notifier has retried an e-mail after a transient SMTP failure.
    pub fn retries(&self) -> u64 {
        self.retries.load(Ordering::SeqCst)
    }

    pub(crate) fn set_connected(&self, connected: bool) {
        self.connected.store(connected, Ordering::SeqCst);
        metrics::gauge!("notifier_amqp_connected").set(if connected { 1.0 } else { 0.0 });
    }

    pub(crate) fn record_settled(&self) {
        self.settled.fetch_add(1, Ordering::SeqCst);
    }

    pub(crate) fn record_retry(&self) {
        self.retries.fetch_add(1, Ordering::SeqCst);
        metrics::counter!("notifier_email_retries_total").increment(1);
    }
}

impl http_kit::operations::Readiness for Status {
    fn check(&self) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + '_>> {
        Box::pin(async move {
            if self.connected() { Ok(()) } else { Err("not connected to RabbitMQ".to_owned()) }
        })
    }
}
