//! What the projector is doing, for `/readyz` and the metrics.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};

use eventlog::Lag;

/// Shared between the following loop and the health endpoints.
#[derive(Debug)]
pub struct Status {
    leading: AtomicBool,
    rebuilding: AtomicBool,
    lag: AtomicI64,
    max_lag: i64,
}

impl Status {
    /// A projector not yet leading, ready when it lags at most `max_lag` events.
    pub fn new(max_lag: i64) -> Self {
        Self {
            leading: AtomicBool::new(false),
            rebuilding: AtomicBool::new(false),
            lag: AtomicI64::new(i64::MAX),
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
        self.lag.store(lag.events, Ordering::Relaxed);
        metrics::gauge!("projector_lag_events").set(lag.events as f64);
        metrics::gauge!("projector_lag_seconds").set(lag.seconds);
    }

    /// Whether this process leads.
    pub fn leading(&self) -> bool {
        self.leading.load(Ordering::Relaxed)
    }

    /// How many committed events are not projected yet (as last measured).
    pub fn lag(&self) -> i64 {
        self.lag.load(Ordering::Relaxed)
    }
}

impl http_kit::operations::Readiness for Status {
    fn check(&self) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + '_>> {
        Box::pin(async move {
            if !self.leading() {
                return Ok(()); // A standby is ready: it takes over when the leader dies.
            }
            let lag = self.lag();
            match (self.rebuilding.load(Ordering::Relaxed), lag <= self.max_lag) {
                (true, _) => Err(format!("rebuilding from the start of the log; {lag} events to go")),
                (false, true) => Ok(()),
                (false, false) => Err(format!("{lag} events behind the log")),
            }
        })
    }
}
