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
        self.pause = (self.pause * 2).min(LAST_PAUSE);
        waited
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn the_pause_doubles_up_to_its_ceiling_and_starts_over_once_connected() {
        let (mut reconnection, shutdown) = (Reconnection::default(), CancellationToken::new());
        let mut pauses = Vec::new();
        for _ in 0..7 {
            pauses.push(reconnection.pause);
            assert!(reconnection.wait(&"gone", &shutdown).await);
        }
        let millis: Vec<u128> = pauses.iter().map(Duration::as_millis).collect();
        assert_eq!(millis, [200, 400, 800, 1600, 3200, 5000, 5000]);
        reconnection.connected();
        assert_eq!(reconnection.pause, FIRST_PAUSE);
        shutdown.cancel();
        assert!(!reconnection.wait(&"gone", &shutdown).await, "a shutdown ends the wait");
    }
}
