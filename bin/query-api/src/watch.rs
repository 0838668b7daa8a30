//! Job update notifications: the projector publishes, once per batch, the ids of the jobs whose documents
//! changed (separated by spaces), and a long poll waits for its id instead of polling Redis.

use std::time::Duration;

use redis_store::Announcement;
use tokio::sync::broadcast;

/// A fan-out of job ids whose documents changed.
#[derive(Clone)]
pub struct JobUpdates {
    sender: broadcast::Sender<Announcement>,
}

impl JobUpdates {
    /// Subscribes to `channel` on a connection of its own, resubscribing after reconnects.
    pub fn listen(settings: &settings::RedisSettings, channel: String) -> anyhow::Result<Self> {
        Ok(Self { sender: redis_store::subscribe(settings, channel)? })
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
    receiver: broadcast::Receiver<Announcement>,
}

impl Watch {
    /// Returns when the job changed (or notifications were lost, which may hide a change), or after
    /// `timeout`.
    pub async fn changed(&mut self, timeout: Duration) {
        let wait = async {
            loop {
                match self.receiver.recv().await {
                    Ok(Some(ids)) if ids.split(' ').any(|id| id == self.id) => return,
                    // Announcements were lost upstream: this job's may be among them.
                    Ok(None) => return,
                    Ok(Some(_)) => continue,
                    Err(broadcast::error::RecvError::Lagged(_)) => return,
                    Err(broadcast::error::RecvError::Closed) => std::future::pending::<()>().await,
                }
            }
        };
        let _ = tokio::time::timeout(timeout, wait).await;
    }
}
