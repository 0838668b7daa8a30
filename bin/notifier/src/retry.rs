//! Waiting between attempts while a delivery is held: exponential backoff, cut short by a stop.

use std::future::Future;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

/// The pause before the second attempt; it doubles per attempt.
const FIRST_RETRY: Duration = Duration::from_secs(1);

/// The longest pause between two attempts.
pub const LAST_RETRY: Duration = Duration::from_secs(60);

/// The pauses between attempts at one thing: 1 s, 2 s, 4 s, ... up to 60 s.
#[derive(Debug)]
pub struct Backoff {
    next: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self { next: FIRST_RETRY }
    }
}

impl Backoff {
    /// The pause the next [`wait`](Self::wait) takes.
    pub fn next_delay(&self) -> Duration {
        self.next
    }

    /// Waits the next pause; `None` when `stop` fires first.
    pub async fn wait(&mut self, stop: &CancellationToken) -> Option<()> {
        let delay = self.advance();
        tokio::select! {
            () = tokio::time::sleep(delay) => Some(()),
            () = stop.cancelled() => None,
        }
    }

    /// The next pause, moving on to the one after it.
    fn advance(&mut self) -> Duration {
        let delay = self.next;
        self.next = (self.next * 2).min(LAST_RETRY);
        delay
    }
}

/// Runs `attempt` until it succeeds, logging each failure as `what` and backing off between
/// attempts; `None` when `stop` fires first. For Postgres, whose outages are as passing as SMTP's.
pub async fn until_done<T, E, F, Fut>(what: &str, stop: &CancellationToken, mut attempt: F) -> Option<T>
where
    E: std::error::Error,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let mut backoff = Backoff::default();
    loop {
        match attempt().await {
            Ok(done) => return Some(done),
            Err(error) => {
                let retry_in_ms = backoff.next_delay().as_millis() as u64;
                tracing::warn!(%error, retry_in_ms, "{what} failed; retrying");
                backoff.wait(stop).await?;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio_util::sync::CancellationToken;

    use super::Backoff;

    #[test]
    fn the_pause_doubles_from_one_second_up_to_a_minute() {
        let mut backoff = Backoff::default();
        let pauses: Vec<u64> = (0..9).map(|_| backoff.advance().as_secs()).collect();
        assert_eq!(pauses, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
    }

    #[tokio::test]
    async fn a_stop_cuts_the_pause_short() {
        let (mut backoff, stop) = (Backoff::default(), CancellationToken::new());
        stop.cancel();
        let started = std::time::Instant::now();
        assert!(backoff.wait(&stop).await.is_none());
        assert!(started.elapsed() < Duration::from_millis(500));
    }
}
