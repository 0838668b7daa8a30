//! Job update notifications: the projector publishes a job's id whenever its document changes, and a
//! long poll waits for its id instead of polling Redis.

use std::time::Duration;

use fred::prelude::*;
use projections::redis::Resend;
use tokio::sync::broadcast;

/// A fan-out of job ids whose documents changed.
#[derive(Clone)]
pub struct JobUpdates {
    sender: broadcast::Sender<String>,
}

impl JobUpdates {
    /// Subscribes to `channel` on a connection of its own, resubscribing after reconnects.
    pub fn listen(settings: &settings::RedisSettings, channel: String) -> anyhow::Result<Self> {
        let subscriber = projections::redis::client(settings, Resend::Allowed)?;
        let (sender, _) = broadcast::channel(1024);
        let forward = sender.clone();
        let mut messages = subscriber.message_rx();
        tokio::spawn(async move {
            while let Ok(message) = messages.recv().await {
                if let Some(id) = message.value.as_string() {
                    let _ = forward.send(id);
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
        projections::redis::start(&subscriber);
        tokio::spawn(async move {
            if subscriber.wait_for_connect().await.is_ok() {
                let _ = subscriber.subscribe(channel).await;
            }
        });
        Ok(Self { sender })
    }

    /// Starts listening for `id`'s next change; call before reading the document, so no change between
    /// the read and the wait is missed.
    pub fn watch(&self, id: &str) -> Watch {
        Watch { id: id.to_owned(), receiver: self.sender.subscribe() }
    }
}

/// A pending wait for one job's next change.
pub struct Watch {
    id: String,
    receiver: broadcast::Receiver<String>,
}

impl Watch {
    /// Returns when the job changed (or notifications were lost, which may hide a change), or after
    /// `timeout`.
    pub async fn changed(&mut self, timeout: Duration) {
        let wait = async {
            loop {
                match self.receiver.recv().await {
                    Ok(id) if id == self.id => return,
                    Ok(_) => continue,
                    Err(broadcast::error::RecvError::Lagged(_)) => return,
                    Err(broadcast::error::RecvError::Closed) => std::future::pending::<()>().await,
                }
            }
        };
        let _ = tokio::time::timeout(timeout, wait).await;
    }
}
