//! The relaying loop: keep a link to RabbitMQ and let the log follower lead (or stand by) over it.
//! A failed link is closed and opened again with backoff; the lead, and the lock, survive it.

use std::sync::Arc;

use eventlog::{Follower, Subscription};
use messaging::{Published, Reconnection, Topology};
use tokio_util::sync::CancellationToken;

use crate::Status;
use crate::link::Link;
use crate::publishing::Publishing;

pub(crate) struct Relaying {
    pub follower: Follower,
    pub checkpoints: Subscription,
    pub topology: Topology,
    pub published: Published,
    pub rabbitmq: settings::RabbitSettings,
    pub status: Arc<Status>,
}

impl Relaying {
    /// Relays until `shutdown`, reconnecting to RabbitMQ after every failure.
    pub async fn run(&mut self, shutdown: CancellationToken) {
        let mut reconnection = Reconnection::default();
        while !shutdown.is_cancelled() {
            let opened = tokio::select! {
                opened = Link::open(&self.rabbitmq, &self.topology) => opened,
                _ = shutdown.cancelled() => break,
            };
            let error = match opened {
                Ok(link) => {
                    let passed = self.status.passed();
                    let relayed = self.relay_over(link, &shutdown).await;
                    if self.status.passed() > passed {
                        reconnection.connected();
                    }
                    match relayed {
                        Ok(()) => break,
                        Err(error) => error,
                    }
                }
                Err(error) => error,
            };
            if !reconnection.wait(&error, &shutdown).await {
                break;
            }
        }
        self.status.set_leading(false);
    }

    /// Leads or stands by on `link` until it fails (the error) or `shutdown`.
    async fn relay_over(&mut self, link: Link, shutdown: &CancellationToken) -> anyhow::Result<()> {
        self.status.set_connected(true);
        tracing::info!("connected to RabbitMQ");
        let mut publishing = Publishing::new(&link, &self.published, &self.checkpoints, &self.status);
        let relayed = self.follower.run(&mut publishing, shutdown).await;
        self.status.set_connected(false);
        link.close().await;
        relayed
    }
}
