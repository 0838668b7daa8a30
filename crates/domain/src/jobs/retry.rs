//! How a run ends, as the worker reports it, and when a failed job runs again: exponential backoff
//! with jitter, so jobs that fail together do not retry together.

/// How a run ended, as the worker saw it.
#[derive(Debug, Clone, PartialEq)]
pub enum RunOutcome {
    /// The handler finished with this result.
    Succeeded(serde_json::Value),
    /// The handler failed; when `retryable` and attempts remain, the job runs again after the
    /// backoff for its attempt.
    Failed {
        /// What went wrong.
        message: String,
        /// Whether another run might succeed.
        retryable: bool,
        /// How long to wait before the next run.
        backoff: Backoff,
    },
    /// The handler asked to run again at `until`; the run counts no attempt.
    Snoozed {
        /// When the job runs again.
        until: chrono::DateTime<chrono::Utc>,
    },
}

/// How long a failed job waits before its next run: `base`, doubled per attempt up to `cap`, spread by
/// `jitter` (a random number in `[0, 1)` the caller drew) so that jobs failing together do not retry
/// together.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    /// The first retry's delay.
    pub base: std::time::Duration,
    /// The longest delay.
    pub cap: std::time::Duration,
    /// Drawn from `[0, 1)`.
    pub jitter: f64,
}

/// The delay before the run after run `attempt` failed: exponential from `base` (doubling per attempt,
/// at most `cap`), spread by `jitter` in `[0, 1)` over ±50%.
pub fn retry_delay(
    attempt: u32,
    base: std::time::Duration,
    cap: std::time::Duration,
    jitter: f64,
) -> std::time::Duration {
    let doubled = base.saturating_mul(1u32 << attempt.saturating_sub(1).min(20));
    doubled.min(cap).mul_f64(0.5 + jitter.clamp(0.0, 1.0))
}
