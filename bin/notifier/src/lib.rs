//! The notifier: consumes conversion outcomes (`conversion.succeeded`, `conversion.failed`) and
//! e-mails each conversion's owner once per outcome, even when RabbitMQ delivers a message again.
//!
//! - Exactly one e-mail per outcome: the `notifications` table is claimed before sending and settled
//!   after (the `ledger` module names the one window where a crash resends, with the same `Message-ID`).
//! - A mail server that is down, slow or answers 4xx is retried in-process with backoff (1 s doubling
//!   to 60 s) while the delivery stays unacknowledged; a 5xx is logged, recorded and acked.
//! - A message whose body cannot be read is rejected without requeueing, so the queue dead-letters
//!   it; a well-formed event that is not an outcome is acked.
//! - A lost connection to RabbitMQ is re-opened with backoff, the topology declared again and the
//!   queue consumed again. On shutdown the notifier stops taking messages, lets the sends in
//!   progress finish (bounded) and leaves everything unfinished unacknowledged for redelivery.

mod email;
mod health;
mod ledger;
mod mailer;
mod notify;
mod retry;

pub use health::Status;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use futures::StreamExt;
use messaging::lapin::message::Delivery;
use messaging::lapin::options::{BasicAckOptions, BasicNackOptions};
use messaging::{Reconnection, Topology};
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::ledger::Ledger;
use crate::mailer::Mailer;
use crate::notify::{Courier, Settle};

/// The most deliveries held unacknowledged, and so the most e-mails in flight, at once.
const PREFETCH: u16 = 16;

/// How long sends in progress may take to finish once the notifier stops or loses RabbitMQ: longer
/// than one attempt may take, so a send that started finishes and is recorded.
const DRAIN_GRACE: Duration = Duration::from_secs(35);
const _: () = assert!(DRAIN_GRACE.as_secs() > mailer::ATTEMPT_LIMIT.as_secs());

/// A notifier, ready to run.
pub struct Notifier {
    courier: Courier,
    rabbitmq: settings::RabbitSettings,
    topology: Topology,
    consumer_tag: String,
    health: Option<TcpListener>,
    status: Arc<Status>,
}

impl Notifier {
    /// Binds the health port and prepares the SMTP client and the (lazy) database pool; connects to
    /// RabbitMQ when run.
    pub async fn build(settings: settings::Settings) -> anyhow::Result<Self> {
        let address = &settings.conversions.notifier_health_addr;
        let health = TcpListener::bind(address).await.with_context(|| format!("binding {address}"))?;
        let pool =
            eventlog::connect(&settings.database, "notifier").context("reading the database settings")?;
        let mailer = Mailer::new(&settings.smtp).context("reading the SMTP settings")?;
        let status = Arc::new(Status::default());
        Ok(Self {
            courier: Courier { mailer, ledger: Ledger::new(pool), status: status.clone() },
            topology: Topology::new(settings.rabbitmq.prefix.clone()),
            rabbitmq: settings.rabbitmq,
            consumer_tag: format!("notifier-{}-{}", std::process::id(), uuid::Uuid::now_v7().simple()),
            health: Some(health),
            status,
        })
    }

    /// Where `/healthz`, `/readyz` and `/metrics` listen.
    pub fn health_address(&self) -> SocketAddr {
        self.health.as_ref().and_then(|listener| listener.local_addr().ok()).expect("a bound listener")
    }

    /// What the notifier is doing, as `/readyz` reports it.
    pub fn status(&self) -> Arc<Status> {
        self.status.clone()
    }

    /// Notifies until `shutdown`; sends in progress finish first (bounded by a grace period).
    pub async fn run_until_stopped(mut self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let listener = self.health.take().context("the notifier ran once already")?;
        let readiness: Arc<dyn http_kit::operations::Readiness> = self.status.clone();
        let router = http_kit::middleware::around(http_kit::operations::routes(readiness), 1024);
        let health = tokio::spawn(http_kit::serve(listener, router, shutdown.clone()));
        let mut reconnection = Reconnection::default();
        while !shutdown.is_cancelled() {
            let Err(error) = self.consume(&shutdown, &mut reconnection).await else { break };
            self.status.set_connected(false);
            if !reconnection.wait(&error, &shutdown).await {
                break;
            }
        }
        tracing::info!("notifier stopped");
        health.await.context("health server")?.context("serving health")
    }

    /// Consumes on one connection until it fails (`Err`) or `shutdown` (`Ok`). Once consuming, the
    /// reconnection's pause starts over.
    async fn consume(
        &self,
        shutdown: &CancellationToken,
        reconnection: &mut Reconnection,
    ) -> anyhow::Result<()> {
        let connection = messaging::connect(&self.rabbitmq).await.context("connecting to RabbitMQ")?;
        let channel = connection.create_channel().await.context("opening a channel")?;
        self.topology.declare(&channel).await.context("declaring the topology")?;
        let queue = self.topology.notifier_queue();
        let mut deliveries =
            messaging::consume(&channel, &queue, &self.consumer_tag, PREFETCH).await.context("consuming")?;
        self.status.set_connected(true);
        reconnection.connected();
        tracing::info!(queue, "notifying");
        // Cancelled when this connection ends, for whatever reason: retrying sends stop waiting and
        // leave their deliveries to be redelivered.
        let stop = shutdown.child_token();
        let mut running = JoinSet::new();
        let ended = loop {
            let delivery = tokio::select! {
                delivery = deliveries.next() => delivery,
                Some(_) = running.join_next(), if !running.is_empty() => continue,
                () = shutdown.cancelled() => break Ok(()),
            };
            match delivery {
                Some(Ok(delivery)) => {
                    running.spawn(settle(self.courier.clone(), delivery, stop.clone()));
                }
                Some(Err(error)) => break Err(anyhow::Error::from(error).context("receiving")),
                None => break Err(anyhow::anyhow!("the broker cancelled the consumer")),
            }
        };
        self.status.set_connected(false);
        stop.cancel();
        drain(&mut running).await;
        let _ = channel.close(200, "shutting down".into()).await;
        let _ = connection.close(200, "shutting down".into()).await;
        ended
    }
}

/// Handles one delivery and settles it as the courier says.
async fn settle(courier: Courier, delivery: Delivery, stop: CancellationToken) {
    let status = courier.status.clone();
    let settled = match courier.handle(&delivery.data, &stop).await {
        Settle::Ack => delivery.acker.ack(BasicAckOptions::default()).await,
        Settle::DeadLetter => {
            delivery.acker.nack(BasicNackOptions { requeue: false, ..BasicNackOptions::default() }).await
        }
        Settle::Leave => return,
    };
    match settled {
        Ok(_) => status.record_settled(),
        Err(error) => tracing::warn!(%error, "could not settle a delivery; the broker will deliver it again"),
    }
}

/// Waits, at most [`DRAIN_GRACE`], for the deliveries in progress; what is left is abandoned
/// unacknowledged, for the broker to deliver again.
async fn drain(running: &mut JoinSet<()>) {
    if running.is_empty() {
        return;
    }
    tracing::info!(in_flight = running.len(), "finishing the e-mails in progress");
    let finished =
        tokio::time::timeout(DRAIN_GRACE, async { while running.join_next().await.is_some() {} }).await;
    if finished.is_err() {
        tracing::warn!(abandoned = running.len(), "e-mails still in progress are left for redelivery");
        running.abort_all();
    }
}
