//! Waiting between attempts while a delivery is held: exponential backoff, cut short by a stop.

use std::future::Future;
use std::time::Duration;

use backoff::Backoff;
use tokio_util::sync::CancellationToken;

/// The pause before the second attempt; it doubles per attempt.
const FIRST_RETRY: Duration = Duration::from_secs(1);

/// The longest pause between two attempts.
pub const LAST_RETRY: Duration = Duration::from_secs(60);

/// The pauses between attempts at one thing: 1 s, 2 s, 4 s, ... up to 60 s.
pub fn backoff() -> Backoff {
    Backoff::new(FIRST_RETRY, LAST_RETRY)
}

/// Runs `attempt` until it succeeds, logging each failure as `what` and backing off between
/// attempts; `None` when `stop` fires first. For Postgres, whose outages are as passing as SMTP's.
pub async fn until_done<T, E, F, Fut>(what: &str, stop: &CancellationToken, mut attempt: F) -> Option<T>
where
    E: std::error::Error,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let mut backoff = backoff();
    loop {
        match attempt().await {
            Ok(done) => return Some(done),
            Err(error) => {
                let retry_in_ms = backoff.upcoming().as_millis() as u64;
                tracing::warn!(%error, retry_in_ms, "{what} failed; retrying");
                backoff.wait(stop).await?;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::backoff;

    #[test]
    fn the_pause_doubles_from_one_second_up_to_a_minute() {
        let mut backoff = backoff();
        let pauses: Vec<u64> = (0..9).map(|_| backoff.advance().as_secs()).collect();
        assert_eq!(pauses, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
    }
}
