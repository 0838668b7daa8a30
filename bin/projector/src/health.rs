//! What the projector is doing, for `/readyz` and the metrics.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

use eventlog::Lag;

/// Shared between the following loop and the health endpoints.
#[derive(Debug)]
pub struct Status {
    leading: AtomicBool,
    rebuilding: AtomicBool,
    lag_events: AtomicI64,
    /// The lag in seconds, as an `f64`'s bits.
    lag_seconds: AtomicU64,
    max_lag: Duration,
}

impl Status {
    /// A projector not yet leading, ready when the oldest event it has not projected is at most
    /// `max_lag` old.
    pub fn new(max_lag: Duration) -> Self {
        Self {
            leading: AtomicBool::new(false),
            rebuilding: AtomicBool::new(false),
            lag_events: AtomicI64::new(i64::MAX),
            lag_seconds: AtomicU64::new(f64::INFINITY.to_bits()),
            max_lag,
        }
    }

    /// Records whether this process leads.
    pub fn set_leading(&self, leading: bool) {
        self.leading.store(leading, Ordering::Relaxed);
        metrics::gauge!("projector_leading").set(if leading { 1.0 } else { 0.0 });
    }

    /// Records whether the projection is being rebuilt from the start.
    pub fn set_rebuilding(&self, rebuilding: bool) {
        self.rebuilding.store(rebuilding, Ordering::Relaxed);
        metrics::gauge!("projector_rebuilding").set(if rebuilding { 1.0 } else { 0.0 });
    }

    /// Records how far behind the log the projection is.
    pub fn set_lag(&self, lag: Lag) {
        self.lag_events.store(lag.events, Ordering::Relaxed);
        self.lag_seconds.store(lag.seconds.to_bits(), Ordering::Relaxed);
        metrics::gauge!("projector_lag_events").set(lag.events as f64);
        metrics::gauge!("projector_lag_seconds").set(lag.seconds);
    }

    /// Whether this process leads.
    pub fn leading(&self) -> bool {
        self.leading.load(Ordering::Relaxed)
    }

    /// How many committed events are not projected yet (as last measured).
    pub fn lag(&self) -> i64 {
        self.lag_events.load(Ordering::Relaxed)
    }

    /// How old the oldest committed event not projected yet is, in seconds (as last measured; 0 when
    /// caught up, infinite before the first measurement).
    pub fn lag_seconds(&self) -> f64 {
        f64::from_bits(self.lag_seconds.load(Ordering::Relaxed))
    }
}

impl http_kit::operations::Readiness for Status {
    fn check(&self) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + '_>> {
        Box::pin(async move {
            if !self.leading() {
                return Ok(()); // A standby is ready: it takes over when the leader dies.
            }
            let (events, seconds) = (self.lag(), self.lag_seconds());
            match (self.rebuilding.load(Ordering::Relaxed), seconds <= self.max_lag.as_secs_f64()) {
                (true, _) => Err(format!("rebuilding from the start of the log; {events} events to go")),
                (false, true) => Ok(()),
                (false, false) => Err(format!(
                    "{seconds:.1} s behind the log ({events} events), more than the {} ms allowed",
                    self.max_lag.as_millis()
                )),
            }
        })
    }
}
