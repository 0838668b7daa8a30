//! Coming back after losing the broker: every consumer waits a pause that doubles with each loss in a
//! row, up to a ceiling, and stops waiting when asked to shut down.

use std::fmt::Display;
use std::time::Duration;

use backoff::Backoff;
use tokio_util::sync::CancellationToken;

/// The pause after the first loss.
const FIRST_PAUSE: Duration = Duration::from_millis(200);

/// The longest pause.
const LAST_PAUSE: Duration = Duration::from_secs(5);

/// The pause before the next attempt to reconnect.
#[derive(Debug)]
pub struct Reconnection {
    pauses: Backoff,
}

impl Default for Reconnection {
    fn default() -> Self {
        Self { pauses: Backoff::new(FIRST_PAUSE, LAST_PAUSE) }
    }
}

impl Reconnection {
    /// Consuming again: the next loss waits the first pause again.
    pub fn connected(&mut self) {
        self.pauses.reset();
    }

    /// After losing the broker with `error`: logs it, waits the pause (doubled for the next loss),
    /// and says whether to try again — `false` when `shutdown` came first.
    pub async fn wait(&mut self, error: &impl Display, shutdown: &CancellationToken) -> bool {
        let (error, retry_in_ms) = (format!("{error:#}"), self.pauses.upcoming().as_millis() as u64);
        tracing::warn!(error, retry_in_ms, "lost RabbitMQ; reconnecting");
        self.pauses.wait(shutdown).await.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_wait_doubles_the_next_pause_starts_over_once_connected_and_ends_at_shutdown() {
        let (mut reconnection, shutdown) = (Reconnection::default(), CancellationToken::new());
        assert!(reconnection.wait(&"gone", &shutdown).await);
        assert_eq!(reconnection.pauses.upcoming(), FIRST_PAUSE * 2);
        reconnection.connected();
        assert_eq!(reconnection.pauses.upcoming(), FIRST_PAUSE);
        shutdown.cancel();
        assert!(!reconnection.wait(&"gone", &shutdown).await, "a shutdown ends the wait");
    }
}
