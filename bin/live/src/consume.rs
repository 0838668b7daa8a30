//! Consuming this instance's own queue, in order, reconnecting after RabbitMQ goes away.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use futures::StreamExt;
use messaging::Topology;
use messaging::lapin::options::BasicAckOptions;
use tokio_util::sync::CancellationToken;

use crate::dispatch::Dispatcher;
use crate::health::Status;

/// The most deliveries held unacknowledged: they are handled one at a time, in order, so a few
/// suffice to keep the next ones ready.
const PREFETCH: u16 = 32;

/// The first pause before reconnecting to RabbitMQ; it doubles per failed attempt.
const FIRST_RECONNECT: Duration = Duration::from_millis(200);

/// The longest pause between two attempts to reach RabbitMQ.
const LAST_RECONNECT: Duration = Duration::from_secs(5);

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
        let mut pause = FIRST_RECONNECT;
        while !shutdown.is_cancelled() {
            let Err(error) = self.consume(&shutdown, &mut pause).await else { break };
            self.status.set_consuming(false);
            let (error, retry_in_ms) = (format!("{error:#}"), pause.as_millis() as u64);
            tracing::warn!(error, retry_in_ms, "lost RabbitMQ; reconnecting");
            tokio::select! {
                () = tokio::time::sleep(pause) => {}
                () = shutdown.cancelled() => break,
            }
            pause = (pause * 2).min(LAST_RECONNECT);
        }
        self.status.set_consuming(false);
        tracing::info!("stopped consuming");
    }

    /// Consumes on one connection until it fails (`Err`) or `shutdown` (`Ok`). Each connection has a
    /// queue of its own, which goes away with it.
    async fn consume(&mut self, shutdown: &CancellationToken, pause: &mut Duration) -> anyhow::Result<()> {
        let connection = messaging::connect(&self.rabbitmq).await.context("connecting to RabbitMQ")?;
        let channel = connection.create_channel().await.context("opening a channel")?;
        let queue = self.topology.live_queue(&uuid::Uuid::now_v7().simple().to_string());
        self.topology.declare_live_queue(&channel, &queue).await.context("declaring the queue")?;
        let mut deliveries =
            messaging::consume(&channel, &queue, &queue, PREFETCH).await.context("consuming")?;
        // Whatever was published while no queue existed was missed: load every channel afresh.
        self.dispatcher.forget_channels();
        self.status.set_consuming(true);
        *pause = FIRST_RECONNECT;
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
