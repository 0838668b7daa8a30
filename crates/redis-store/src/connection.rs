//! Redis clients built from settings.

use std::time::Duration;

use fred::prelude::*;
use secrecy::ExposeSecret;
use settings::RedisSettings;

/// Whether a client may resend a command whose connection dropped before the reply arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resend {
    /// Reads and idempotent writes: resending is harmless.
    Allowed,
    /// The projector's fenced apply: a resent batch is refused by the checkpoint anyway, but the
    /// projector must hear that the first reply was lost, so it re-reads the checkpoint itself.
    Never,
}

/// A client that reconnects forever in the background and fails each command after the configured
/// timeout while Redis is away, so requests answer 503 instead of hanging. It is not yet connected: call
/// [`start`] to begin.
pub fn client(settings: &RedisSettings, resend: Resend) -> Result<Client, Error> {
    let config = Config::from_url(settings.url.expose_secret())?;
    let timeout = Duration::from_millis(settings.command_timeout_ms);
    Builder::from_config(config)
        .with_performance_config(|performance| performance.default_command_timeout = timeout)
        .with_connection_config(|connection| {
            connection.connection_timeout = timeout;
            connection.internal_command_timeout = timeout;
            connection.max_command_attempts = if resend == Resend::Never { 1 } else { 3 };
        })
        .set_policy(ReconnectPolicy::new_exponential(0, 50, 2_000, 2))
        .build()
}

/// Waits until `client` is connected, for at most `within`. Not fred's `wait_for_connect`, which reads
/// the client's state and only then listens for the next connection's announcement, so a connection
/// made in between is never heard and the wait never ends (a restarted projector stalled on it).
pub async fn connected(client: &Client, within: Duration) -> Result<(), Error> {
    let deadline = tokio::time::Instant::now() + within;
    while !client.is_connected() {
        if tokio::time::Instant::now() >= deadline {
            return Err(Error::new(ErrorKind::Timeout, format!("Redis did not answer within {within:?}")));
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Ok(())
}

/// Starts the client's connection task without waiting for Redis to answer.
pub fn start(client: &Client) {
    // The task ends only when the client quits; its result says why, which the client's own errors repeat.
    let _task = client.connect();
}
