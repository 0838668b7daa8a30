//! Coming back after losing the broker: every consumer waits a pause that doubles with each loss in a
//! row, up to a ceiling, and stops waiting when asked to shut down.

use std::fmt::Display;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

/// The pause after the first loss.
const FIRST_PAUSE: Duration = Duration::from_millis(200);

/// The longest pause.
const LAST_PAUSE: Duration = Duration::from_secs(5);

/// The pause before the next attempt to reconnect.
#[derive(Debug)]
pub struct Reconnection {
    pause: Duration,
}

impl Default for Reconnection {
    fn default() -> Self {
        Self { pause: FIRST_PAUSE }
    }
}

impl Reconnection {
    /// Consuming again: the next loss waits the first pause again.
    pub fn connected(&mut self) {
        self.pause = FIRST_PAUSE;
    }

    /// After losing the broker with `error`: logs it, waits the pause (doubled for the next loss),
    /// and says whether to try again — `false` when `shutdown` came first.
    pub async fn wait(&mut self, error: &impl Display, shutdown: &CancellationToken) -> bool {
        let (error, retry_in_ms) = (format!("{error:#}"), self.pause.as_millis() as u64);
        tracing::warn!(error, retry_in_ms, "lost RabbitMQ; reconnecting");
        let waited = tokio::select! {
            () = tokio::time::sleep(self.pause) => true,
            () = shutdown.cancelled() => false,
        };
        self.pause = doubled(self.pause);
        waited
    }
}

/// The pause after one more loss in a row.
fn doubled(pause: Duration) -> Duration {
    (pause * 2).min(LAST_PAUSE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pause_doubles_up_to_its_ceiling() {
        let pauses: Vec<u128> = std::iter::successors(Some(FIRST_PAUSE), |&pause| Some(doubled(pause)))
            .take(7)
            .map(|p| p.as_millis())
            .collect();
        assert_eq!(pauses, [200, 400, 800, 1600, 3200, 5000, 5000]);
    }

    #[tokio::test]
    async fn a_wait_doubles_the_next_pause_starts_over_once_connected_and_ends_at_shutdown() {
        let (mut reconnection, shutdown) = (Reconnection::default(), CancellationToken::new());
        assert!(reconnection.wait(&"gone", &shutdown).await);
        assert_eq!(reconnection.pause, doubled(FIRST_PAUSE));
        reconnection.connected();
        assert_eq!(reconnection.pause, FIRST_PAUSE);
        shutdown.cancel();
        assert!(!reconnection.wait(&"gone", &shutdown).await, "a shutdown ends the wait");
    }
}
