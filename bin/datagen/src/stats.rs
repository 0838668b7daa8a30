//! What happened so far: counts and latency histograms, shared by every request task.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use hdrhistogram::Histogram;

use crate::plan::Kind;

/// A request sent later than this after its scheduled time counts as a late send.
pub const LATE: Duration = Duration::from_millis(10);

/// The stats, shared between the scheduler, the request tasks and the progress display.
#[derive(Clone)]
pub struct SharedStats(Arc<Mutex<Stats>>);

impl SharedStats {
    /// Empty stats.
    pub fn new() -> Self {
        SharedStats(Arc::new(Mutex::new(Stats::default())))
    }

    /// Locks the stats; every critical section is a few counter updates.
    pub fn lock(&self) -> MutexGuard<'_, Stats> {
        // A panicking request task leaves counters that are still meaningful.
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// How one sent request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// The server answered with this status code.
    Status(u16),
    /// No answer within `--timeout`.
    Timeout,
    /// The connection could not be made or broke.
    Connection,
    /// Any other transport failure.
    Error,
}

impl Ending {
    /// The label used in the summary: the status code, or what went wrong.
    pub fn label(self) -> String {
        match self {
            Ending::Status(code) => code.to_string(),
            Ending::Timeout => "timeout".into(),
            Ending::Connection => "connection".into(),
            Ending::Error => "error".into(),
        }
    }
}

/// Counts of one request kind.
#[derive(Debug)]
pub struct KindStats {
    /// Requests the plan scheduled.
    pub planned: u64,
    /// Requests sent.
    pub sent: u64,
    /// Requests not sent because `--max-in-flight` were already in flight.
    pub dropped: u64,
    /// Job polls not sent because no job had been accepted yet.
    pub skipped: u64,
    /// Requests sent more than [`LATE`] after their scheduled time.
    pub late: u64,
    /// How the sent requests ended, by label (`200`, `404`, `timeout`, …).
    pub endings: BTreeMap<String, u64>,
    /// Latency in microseconds of answered requests, from the scheduled time to the full answer.
    pub latency_us: Histogram<u64>,
}

impl Default for KindStats {
    fn default() -> Self {
        KindStats {
            planned: 0,
            sent: 0,
            dropped: 0,
            skipped: 0,
            late: 0,
            endings: BTreeMap::new(),
            latency_us: micros_histogram(),
        }
    }
}

/// What became of the submitted scores' jobs.
#[derive(Debug)]
pub struct JobStats {
    /// Score submissions answered 202 with a job id.
    pub accepted: u64,
    /// Jobs followed until a final status or the deadline.
    pub watched: u64,
    /// Jobs not followed because every watcher was busy (the rest are a sample).
    pub unwatched: u64,
    /// Followed jobs seen `succeeded`.
    pub succeeded: u64,
    /// Followed jobs seen `failed` or `cancelled`.
    pub failed: u64,
    /// Followed jobs still not final at the deadline (or when the run ended).
    pub timed_out: u64,
    /// Microseconds from the 202 to the poll that saw `succeeded`.
    pub to_succeeded_us: Histogram<u64>,
}

impl Default for JobStats {
    fn default() -> Self {
        JobStats {
            accepted: 0,
            watched: 0,
            unwatched: 0,
            succeeded: 0,
            failed: 0,
            timed_out: 0,
            to_succeeded_us: micros_histogram(),
        }
    }
}

/// Everything counted during a run.
#[derive(Debug, Default)]
pub struct Stats {
    /// Counts per request kind.
    pub kinds: BTreeMap<Kind, KindStats>,
    /// The submitted jobs.
    pub jobs: JobStats,
}

impl Stats {
    /// The counts of one kind.
    pub fn kind(&mut self, kind: Kind) -> &mut KindStats {
        self.kinds.entry(kind).or_default()
    }

    /// Records the end of a sent request; `latency` counts only for answered requests.
    pub fn record(&mut self, kind: Kind, ending: Ending, latency: Duration) {
        let stats = self.kind(kind);
        *stats.endings.entry(ending.label()).or_default() += 1;
        if let Ending::Status(_) = ending {
            stats.latency_us.saturating_record(micros(latency));
        }
    }

    /// Totals over every kind, for the progress display.
    pub fn totals(&self) -> Totals {
        let mut totals = Totals::default();
        for stats in self.kinds.values() {
            totals.sent += stats.sent;
            totals.dropped += stats.dropped;
            totals.late += stats.late;
            for (label, count) in &stats.endings {
                totals.ended += count;
                if !label.starts_with(['1', '2', '3', '4']) {
                    totals.failed += count;
                }
            }
        }
        totals.jobs_succeeded = self.jobs.succeeded;
        totals
    }
}

/// Totals over every kind.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Totals {
    /// Requests sent.
    pub sent: u64,
    /// Requests that ended, answered or not.
    pub ended: u64,
    /// Requests that ended in a 5xx or without an answer.
    pub failed: u64,
    /// Requests dropped at the in-flight cap.
    pub dropped: u64,
    /// Late sends.
    pub late: u64,
    /// Jobs seen succeeded.
    pub jobs_succeeded: u64,
}

/// A histogram of microseconds from 1 µs to an hour, three significant digits.
fn micros_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("constant bounds are valid")
}

/// A duration in whole microseconds, at least 1 (the histogram's lowest value).
pub fn micros(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros()).unwrap_or(u64::MAX).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_count_by_status_and_failures_by_cause() {
        let mut stats = Stats::default();
        stats.kind(Kind::LeaderboardRead).sent = 4;
        stats.record(Kind::LeaderboardRead, Ending::Status(200), Duration::from_millis(3));
        stats.record(Kind::LeaderboardRead, Ending::Status(200), Duration::from_millis(5));
        stats.record(Kind::LeaderboardRead, Ending::Status(503), Duration::from_millis(1));
        stats.record(Kind::LeaderboardRead, Ending::Timeout, Duration::from_secs(10));
        let read = stats.kind(Kind::LeaderboardRead);
        assert_eq!(read.endings.get("200"), Some(&2));
        assert_eq!(read.endings.get("timeout"), Some(&1));
        assert_eq!(read.latency_us.len(), 3, "only answers have a latency");
        assert_eq!(stats.totals(), Totals { sent: 4, ended: 4, failed: 2, ..Totals::default() });
    }
}
