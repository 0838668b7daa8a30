//! Consuming this instance's own queue, in order, reconnecting after RabbitMQ goes away.

use std::sync::Arc;

use anyhow::Context;
use futures::StreamExt;
use messaging::lapin::options::BasicAckOptions;
use messaging::{Reconnection, Topology};
use tokio_util::sync::CancellationToken;

use crate::dispatch::Dispatcher;
use crate::health::Status;

/// The most deliveries held unacknowledged: they are handled one at a time, in order, so a few
/// suffice to keep the next ones ready.
const PREFETCH: u16 = 32;

/// Consumes chat events and hands them to the dispatcher.
pub struct Consumer {
    /// Where to connect.
    pub rabbitmq: settings::RabbitSettings,
    /// The names under the configured prefix.
    pub topology: Topology,
    /// What handles each event.
    pub dispatcher: Dispatcher,
    /// Shared with `/readyz`.
    pub status: Arc<Status>,
}

impl Consumer {
    /// Consumes until `shutdown`, reconnecting with backoff after every failure.
    pub async fn run(mut self, shutdown: CancellationToken) {
        let mut reconnection = Reconnection::default();
        while !shutdown.is_cancelled() {
            let Err(error) = self.consume(&shutdown, &mut reconnection).await else { break };
            self.status.set_consuming(false);
            if !reconnection.wait(&error, &shutdown).await {
                break;
            }
        }
        self.status.set_consuming(false);
        tracing::info!("stopped consuming");
    }

    /// Consumes on one connection until it fails (`Err`) or `shutdown` (`Ok`). Each connection has a
    /// queue of its own, which goes away with it.
    async fn consume(
        &mut self,
        shutdown: &CancellationToken,
        reconnection: &mut Reconnection,
    ) -> anyhow::Result<()> {
        let connection = messaging::connect(&self.rabbitmq).await.context("connecting to RabbitMQ")?;
        let channel = connection.create_channel().await.context("opening a channel")?;
        let queue = self.topology.live_queue(&uuid::Uuid::now_v7().simple().to_string());
        self.topology.declare_live_queue(&channel, &queue).await.context("declaring the queue")?;
        let mut deliveries =
            messaging::consume(&channel, &queue, &queue, PREFETCH).await.context("consuming")?;
        // Whatever was published while no queue existed was missed: load every channel afresh.
        self.dispatcher.forget_channels();
        self.status.set_consuming(true);
        reconnection.connected();
        tracing::info!(queue, "consuming chat events");
        let ended = loop {
            let delivery = tokio::select! {
                delivery = deliveries.next() => delivery,
                () = shutdown.cancelled() => break Ok(()),
            };
            let delivery = match delivery {
                Some(Ok(delivery)) => delivery,
                Some(Err(error)) => break Err(anyhow::Error::from(error).context("receiving")),
                None => break Err(anyhow::anyhow!("the broker cancelled the consumer")),
            };
            match messaging::envelope_of(&delivery) {
                Ok(envelope) => self.dispatcher.handle(&envelope).await,
                Err(error) => tracing::warn!(%error, "skipping a message that is not an envelope"),
            }
            if let Err(error) = delivery.acker.ack(BasicAckOptions::default()).await {
                break Err(anyhow::Error::from(error).context("acknowledging"));
            }
            self.status.record_handled();
        };
        self.status.set_consuming(false);
        let _ = channel.close(200, "shutting down".into()).await;
        let _ = connection.close(200, "shutting down".into()).await;
        ended
    }
}
