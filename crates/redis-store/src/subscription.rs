//! Redis channels fanned out to any number of listeners in the process.

use std::time::Duration;

use fred::prelude::*;
use settings::RedisSettings;

use crate::connection::{Resend, client, connected, start};

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
        // Until connected (the client reconnects forever; a later reconnection resubscribes above).
        while connected(&subscriber, Duration::from_secs(5)).await.is_err() {}
        let _ = subscriber.subscribe(channel).await;
    });
    Ok(sender)
}
