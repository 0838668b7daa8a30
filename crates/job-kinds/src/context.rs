//! What a handler gets besides its job, and what it may answer besides a result: progress while it
//! runs, and "snooze" to run again later without using up an attempt.

use std::time::Duration;

use tokio::sync::watch;

/// How a run went, when it did not fail.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Done; the value is the job's `result`.
    Succeeded(serde_json::Value),
    /// Not now: run again after this long (the job is `scheduled` meanwhile, and the run counts no
    /// attempt).
    Snooze(Duration),
}

impl From<serde_json::Value> for Outcome {
    fn from(result: serde_json::Value) -> Self {
        Self::Succeeded(result)
    }
}

/// A run's link back to the worker.
#[derive(Debug, Clone)]
pub struct RunContext {
    progress: watch::Sender<Option<u8>>,
}

impl RunContext {
    /// A context, and what the worker watches of it: the latest progress reported.
    pub fn new() -> (Self, watch::Receiver<Option<u8>>) {
        let (progress, watched) = watch::channel(None);
        (Self { progress }, watched)
    }

    /// Reports how far the run is, 0–100 (more counts as 100). Cheap: the worker records the latest
    /// value at most once a second, as the job's `progress`.
    pub fn progress(&self, percent: u8) {
        self.progress.send_replace(Some(percent.min(100)));
    }
}
