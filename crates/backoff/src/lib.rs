//! Waiting between attempts: a pause that doubles with each failure in a row, up to a ceiling, and
//! a wait that a stop (shutdown) cuts short.
//!
//! A crate of its own, below everything that retries (the event-log follower, the notifier's SMTP and
//! Postgres retries), so none of them links another's dependencies to wait.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

/// Doubling pauses from `first` up to `last`.
#[derive(Debug, Clone)]
pub struct Backoff {
    first: Duration,
    last: Duration,
    upcoming: Duration,
}

impl Backoff {
    /// Pauses starting at `first` and doubling up to `last`.
    pub const fn new(first: Duration, last: Duration) -> Self {
        Self { first, last, upcoming: first }
    }

    /// The same pause every time.
    pub const fn constant(pause: Duration) -> Self {
        Self::new(pause, pause)
    }

    /// The pause the next [`advance`](Self::advance) or [`wait`](Self::wait) takes.
    pub fn upcoming(&self) -> Duration {
        self.upcoming
    }

    /// The pause to take now; the one after it is twice as long, up to the ceiling.
    pub fn advance(&mut self) -> Duration {
        let pause = self.upcoming;
        self.upcoming = (pause * 2).min(self.last);
        pause
    }

    /// Something succeeded: the next failure waits the first pause again.
    pub fn reset(&mut self) {
        self.upcoming = self.first;
    }

    /// Waits the next pause; `None` when `stop` fires first.
    pub async fn wait(&mut self, stop: &CancellationToken) -> Option<()> {
        pause_unless_stopped(self.advance(), stop).await
    }
}

/// Sleeps for `pause`; `None` when `stop` fires first.
pub async fn pause_unless_stopped(pause: Duration, stop: &CancellationToken) -> Option<()> {
    tokio::select! {
        () = tokio::time::sleep(pause) => Some(()),
        () = stop.cancelled() => None,
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use tokio_util::sync::CancellationToken;

    use super::Backoff;

    #[test]
    fn a_backoff_doubles_up_to_its_ceiling_and_starts_over_when_reset() {
        let mut backoff = Backoff::new(Duration::from_millis(200), Duration::from_secs(1));
        let pauses: Vec<u128> = (0..5).map(|_| backoff.advance().as_millis()).collect();
        assert_eq!(pauses, [200, 400, 800, 1000, 1000]);
        backoff.reset();
        assert_eq!(backoff.upcoming(), Duration::from_millis(200));
    }

    #[test]
    fn a_constant_backoff_never_grows() {
        let mut backoff = Backoff::constant(Duration::from_millis(500));
        assert!((0..3).all(|_| backoff.advance() == Duration::from_millis(500)));
    }

    #[tokio::test]
    async fn a_stop_cuts_the_pause_short() {
        let (mut backoff, stop) =
            (Backoff::new(Duration::from_secs(1), Duration::from_secs(60)), CancellationToken::new());
        stop.cancel();
        let started = Instant::now();
        assert!(backoff.wait(&stop).await.is_none());
        assert!(started.elapsed() < Duration::from_millis(500));
    }
}
