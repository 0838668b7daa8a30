//! The converter: consumes `conversion.requested`, turns the video into an MP3 with ffmpeg, stores it
//! and completes (or fails) the conversion by command, acknowledging the message only once the
//! outcome is committed to the log. A redelivered message of a finished conversion is acked without
//! work; one of a conversion whose converter died starts it again.

mod convert;
mod ffmpeg;

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context;
use futures::StreamExt;
use messaging::Topology;
use messaging::lapin::options::{BasicAckOptions, BasicNackOptions};
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

pub use convert::Conversions;

/// A converter, ready to run.
pub struct Converter {
    conversions: Arc<Conversions>,
    settings: settings::Settings,
    topology: Topology,
    parallel: u16,
    health: Option<TcpListener>,
    connected: Arc<AtomicBool>,
}

impl Converter {
    /// Binds the health port; connects when run.
    pub async fn build(settings: settings::Settings, clock: domain::Clock) -> anyhow::Result<Self> {
        let health = TcpListener::bind(&settings.conversions.converter_health_addr)
            .await
            .with_context(|| format!("binding {}", settings.conversions.converter_health_addr))?;
        let pool = eventlog::connect(&settings.database, "converter")?;
        let parallel = match settings.conversions.parallel {
            0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
            n => n,
        };
        let conversions = Arc::new(Conversions {
            store: eventlog::EventStore::new(pool),
            blobs: blobs::Blobs::from_settings(&settings.blobs)?,
            clock,
            name: format!("converter-{}-{}", std::process::id(), uuid::Uuid::now_v7().simple()),
            timeout: Duration::from_secs(settings.conversions.timeout_seconds.max(1)),
            scratch: std::env::temp_dir().join("reprise-converter"),
            progress_after: Duration::from_millis(settings.conversions.progress_after_ms),
        });
        conversions.sweep_scratch();
        Ok(Self {
            conversions,
            topology: Topology::new(settings.rabbitmq.prefix.clone()),
            settings,
            parallel: u16::try_from(parallel).unwrap_or(u16::MAX).max(1),
            health: Some(health),
            connected: Arc::new(AtomicBool::new(false)),
        })
    }

    /// Where `/healthz`, `/readyz` and `/metrics` listen.
    pub fn health_address(&self) -> SocketAddr {
        self.health.as_ref().and_then(|listener| listener.local_addr().ok()).expect("a bound listener")
    }

    /// Converts until `shutdown`; conversions in progress finish first and are acked.
    pub async fn run_until_stopped(mut self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let listener = self.health.take().context("the converter ran once already")?;
        let readiness: Arc<dyn http_kit::operations::Readiness> = Arc::new(Connected(self.connected.clone()));
        let router = http_kit::middleware::around(http_kit::operations::routes(readiness), 1024);
        let health = tokio::spawn(http_kit::serve(listener, router, shutdown.clone()));
        let mut reconnection = messaging::Reconnection::default();
        while !shutdown.is_cancelled() {
            let Err(error) = self.consume(&shutdown, &mut reconnection).await else { break };
            self.connected.store(false, Ordering::SeqCst);
            if !reconnection.wait(&error, &shutdown).await {
                break;
            }
        }
        health.await.context("health server")?.context("serving health")
    }

    /// Consumes on one connection until it fails (`Err`) or `shutdown` (`Ok`); once consuming, the
    /// reconnection's pause starts over.
    async fn consume(
        &self,
        shutdown: &CancellationToken,
        reconnection: &mut messaging::Reconnection,
    ) -> anyhow::Result<()> {
        let connection = messaging::connect(&self.settings.rabbitmq).await.context("connecting")?;
        let channel = connection.create_channel().await.context("opening a channel")?;
        self.topology.declare(&channel).await.context("declaring the topology")?;
        let mut deliveries = messaging::consume(
            &channel,
            &self.topology.converter_queue(),
            &self.conversions.name,
            self.parallel,
        )
        .await
        .context("consuming")?;
        self.connected.store(true, Ordering::SeqCst);
        reconnection.connected();
        tracing::info!(parallel = self.parallel, "converting");
        let mut running = JoinSet::new();
        loop {
            let delivery = tokio::select! {
                delivery = deliveries.next() => delivery,
                Some(_) = running.join_next(), if !running.is_empty() => continue,
                () = shutdown.cancelled() => break,
            };
            let delivery = match delivery {
                Some(Ok(delivery)) => delivery,
                Some(Err(error)) => return Err(error).context("receiving"),
                None => anyhow::bail!("the consumer was cancelled by the broker"),
            };
            let conversions = self.conversions.clone();
            running.spawn(async move {
                let settled = match conversions.handle(&delivery).await {
                    convert::Settle::Ack => delivery.acker.ack(BasicAckOptions::default()).await,
                    convert::Settle::Requeue => {
                        delivery
                            .acker
                            .nack(BasicNackOptions { requeue: true, ..BasicNackOptions::default() })
                            .await
                    }
                };
                if let Err(error) = settled {
                    tracing::warn!(%error, "could not settle a delivery; the broker will redeliver it");
                }
            });
        }
        while running.join_next().await.is_some() {}
        let _ = channel.close(200, "shutting down".into()).await;
        let _ = connection.close(200, "shutting down".into()).await;
        Ok(())
    }
}

/// Ready while connected to RabbitMQ.
struct Connected(Arc<AtomicBool>);

impl http_kit::operations::Readiness for Connected {
    fn check(&self) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + '_>> {
        Box::pin(async move {
            if self.0.load(Ordering::SeqCst) { Ok(()) } else { Err("not connected to RabbitMQ".to_owned()) }
        })
    }
}
