//! What the relay is doing, for `/readyz` and the metrics.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};

use eventlog::Lag;

/// Shared between the relaying loop and the health endpoints.
#[derive(Debug)]
pub struct Status {
    connected: AtomicBool,
    leading: AtomicBool,
    lag: AtomicI64,
    /// The lag in seconds, as an `f64`'s bits.
    lag_seconds: AtomicU64,
    published: AtomicU64,
    passed_over: AtomicU64,
}

impl Default for Status {
    fn default() -> Self {
        Self {
            connected: AtomicBool::new(false),
            leading: AtomicBool::new(false),
            lag: AtomicI64::new(i64::MAX),
            lag_seconds: AtomicU64::new(f64::INFINITY.to_bits()),
            published: AtomicU64::new(0),
            passed_over: AtomicU64::new(0),
        }
    }
}

impl Status {
    /// Records whether a connection to RabbitMQ is open.
    pub(crate) fn set_connected(&self, connected: bool) {
        self.connected.store(connected, Ordering::Relaxed);
        metrics::gauge!("relay_connected").set(if connected { 1.0 } else { 0.0 });
    }

    /// Records whether this process leads.
    pub(crate) fn set_leading(&self, leading: bool) {
        self.leading.store(leading, Ordering::Relaxed);
        metrics::gauge!("relay_leading").set(if leading { 1.0 } else { 0.0 });
    }

    /// Records how far behind the log publishing is.
    pub(crate) fn set_lag(&self, lag: Lag) {
        self.lag.store(lag.events, Ordering::Relaxed);
        self.lag_seconds.store(lag.seconds.to_bits(), Ordering::Relaxed);
        metrics::gauge!("relay_lag_events").set(lag.events as f64);
        metrics::gauge!("relay_lag_seconds").set(lag.seconds);
    }

    /// Counts events the broker confirmed and the checkpoint passed.
    pub(crate) fn add_published(&self, events: usize) {
        self.published.fetch_add(events as u64, Ordering::Relaxed);
        metrics::counter!("relay_events_published_total").increment(events as u64);
    }

    /// Counts events the checkpoint passed without publishing them (`relay.publish` names no key of
    /// theirs).
    pub(crate) fn add_passed_over(&self, events: usize) {
        self.passed_over.fetch_add(events as u64, Ordering::Relaxed);
        metrics::counter!("relay_events_passed_over_total").increment(events as u64);
    }

    /// Whether a connection to RabbitMQ is open.
    pub fn connected(&self) -> bool {
        self.connected.load(Ordering::Relaxed)
    }

    /// Whether this process leads (publishes); otherwise it stands by.
    pub fn leading(&self) -> bool {
        self.leading.load(Ordering::Relaxed)
    }

    /// How many committed events were not published yet, as last measured.
    pub fn lag(&self) -> i64 {
        self.lag.load(Ordering::Relaxed)
    }

    /// How old the oldest committed event not published yet is, in seconds, as last measured (0 when
    /// caught up, infinite before the first measurement).
    pub fn lag_seconds(&self) -> f64 {
        f64::from_bits(self.lag_seconds.load(Ordering::Relaxed))
    }

    /// How many events this process has published since it started (duplicates included).
    pub fn published(&self) -> u64 {
        self.published.load(Ordering::Relaxed)
    }

    /// How many events the checkpoint has passed without publishing them since this process started.
    pub fn passed_over(&self) -> u64 {
        self.passed_over.load(Ordering::Relaxed)
    }

    /// How many events the checkpoint has passed since this process started, published or not.
    pub(crate) fn passed(&self) -> u64 {
        self.published() + self.passed_over()
    }
}

impl http_kit::operations::Readiness for Status {
    fn check(&self) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + '_>> {
        Box::pin(async move {
            // Leading or standing by, both are ready; a standby takes over when the leader dies.
            if self.connected() { Ok(()) } else { Err("not connected to RabbitMQ".to_owned()) }
        })
    }
}
