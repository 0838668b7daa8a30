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

/// Starts the client's connection task without waiting for Redis to answer.
pub fn start(client: &Client) {
    // The task ends only when the client quits; its result says why, which the client's own errors repeat.
    let _task = client.connect();
}

/// Whether the query side is being rebuilt from the log (or was never built): documents that are
/// missing now may exist once it catches up.
pub async fn rebuilding(client: &Client, keys: &crate::Keys) -> Result<bool, Error> {
    let checkpoint: i64 = client.exists(keys.checkpoint()).await?;
    let rebuilding: i64 = client.exists(keys.rebuilding()).await?;
    Ok(checkpoint == 0 || rebuilding == 1)
}

/// What a subscription hands on: a message's payload, or `None` when messages were lost (the
/// subscriber fell behind), so listeners re-check instead of waiting for a message that is gone.
pub type Announcement = Option<String>;

/// Subscribes to `channel` on a connection of its own, resubscribing after every reconnect, and fans
/// the messages out to any number of listeners (`sender.subscribe()`). Falling behind never ends the
/// subscription: listeners hear `None` and re-check.
pub fn subscribe(
    settings: &RedisSettings,
    channel: String,
) -> Result<tokio::sync::broadcast::Sender<Announcement>, Error> {
    use tokio::sync::broadcast::error::RecvError;
    let subscriber = client(settings, Resend::Allowed)?;
    let (sender, _) = tokio::sync::broadcast::channel(1024);
    let forward = sender.clone();
    let mut messages = subscriber.message_rx();
    tokio::spawn(async move {
        loop {
            match messages.recv().await {
                Ok(message) => {
                    let _ = forward.send(message.value.as_string());
                }
                Err(RecvError::Lagged(_)) => {
                    let _ = forward.send(None);
                }
                Err(RecvError::Closed) => return,
            }
        }
    });
    let mut reconnects = subscriber.reconnect_rx();
    let resubscriber = subscriber.clone();
    let resubscribe_channel = channel.clone();
    tokio::spawn(async move {
        while reconnects.recv().await.is_ok() {
            let _ = resubscriber.subscribe(resubscribe_channel.clone()).await;
        }
    });
    start(&subscriber);
    tokio::spawn(async move {
        if subscriber.wait_for_connect().await.is_ok() {
            let _ = subscriber.subscribe(channel).await;
        }
    });
    Ok(sender)
}
