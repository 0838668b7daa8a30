//! A notifier of one's own per test: its own database, RabbitMQ prefix and SMTP port, and a publisher
//! on the same prefix to hand it messages.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use domain::conversions::{ConversionEvent, Mp3};
use messaging::lapin::options::{BasicPublishOptions, QueueDeclareOptions};
use messaging::lapin::types::FieldTable;
use messaging::lapin::{BasicProperties, Connection};
use messaging::{Envelope, Publisher, Topology};
use notifier::{Notifier, Status};
use secrecy::SecretString;
use sqlx::PgPool;
use testkit::TestDatabase;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// How long a stopping notifier may take: longer than its grace for sends in progress.
const STOPPING: Duration = Duration::from_secs(30);

/// A running notifier and what a test needs around it.
pub struct TestApp {
    /// The notifier's database, with the migrations applied.
    pub pool: PgPool,
    /// The notifier's exchanges and queues.
    pub topology: Topology,
    /// What the notifier reports about itself.
    pub status: Arc<Status>,
    /// Where its operations routes listen.
    pub health: SocketAddr,
    publisher: Publisher,
    _connection: Connection,
    rabbitmq: settings::RabbitSettings,
    shutdown: CancellationToken,
    running: Option<JoinHandle<anyhow::Result<()>>>,
    _database: TestDatabase,
}

impl TestApp {
    /// Declares the topology under a fresh prefix and starts a notifier sending to SMTP `smtp_port`.
    pub async fn spawn(smtp_port: u16) -> Self {
        Self::spawn_with(smtp_port, None).await
    }

    /// Like [`spawn`](Self::spawn), with the notifier reaching RabbitMQ through `amqp` (a proxy to
    /// cut), while the test publishes directly.
    pub async fn spawn_through(smtp_port: u16, amqp: SocketAddr) -> Self {
        Self::spawn_with(smtp_port, Some(amqp)).await
    }

    async fn spawn_with(smtp_port: u16, amqp: Option<SocketAddr>) -> Self {
        telemetry::init_logs("notifier-tests");
        let database = TestDatabase::create().await;
        let prefix = testkit::unique_prefix();
        let mut settings = testkit::settings_for(&database, &prefix);
        settings.rabbitmq.prefix = prefix.clone();
        settings.smtp.port = smtp_port;
        settings.conversions.notifier_health_addr = "127.0.0.1:0".to_owned();
        let pool = eventlog::connect(&settings.database, "notifier").expect("a pool");
        eventlog::migrate(&pool).await.expect("apply the migrations");

        let topology = Topology::new(prefix);
        let connection = messaging::connect(&settings.rabbitmq).await.expect("connect to RabbitMQ");
        let channel = connection.create_channel().await.expect("open a channel");
        // Declared before the notifier starts, so nothing published before it consumes is lost.
        topology.declare(&channel).await.expect("declare the topology");
        let publisher = Publisher::new(channel, &topology).await.expect("a publisher");

        let mut notifier_settings = settings.clone();
        if let Some(amqp) = amqp {
            notifier_settings.rabbitmq.url = SecretString::from(format!("amqp://guest:guest@{amqp}/%2f"));
        }
        let notifier = Notifier::build(notifier_settings).await.expect("build the notifier");
        let (status, health) = (notifier.status(), notifier.health_address());
        let shutdown = CancellationToken::new();
        let running = tokio::spawn(notifier.run_until_stopped(shutdown.clone()));
        let app = Self {
            pool,
            topology,
            status,
            health,
            publisher,
            _connection: connection,
            rabbitmq: settings.rabbitmq,
            shutdown,
            running: Some(running),
            _database: database,
        };
        app.wait_connected(true).await;
        app
    }

    /// Publishes `events` as the relay would, confirmed by the broker.
    pub async fn publish(&self, events: &[Envelope]) {
        self.publisher.publish_all(events).await.expect("publish");
    }

    /// Publishes a body that is not an envelope under `routing_key`.
    pub async fn publish_raw(&self, routing_key: &str, body: &[u8]) {
        self.publisher
            .channel()
            .basic_publish(
                self.topology.events_exchange().into(),
                routing_key.into(),
                BasicPublishOptions::default(),
                body,
                BasicProperties::default().with_delivery_mode(2),
            )
            .await
            .expect("publish")
            .await
            .expect("a confirm");
    }

    /// How many messages wait, unacked ones not counted, in `queue`.
    pub async fn ready_in(&self, queue: &str) -> u32 {
        let passive = QueueDeclareOptions { passive: true, ..QueueDeclareOptions::default() };
        let channel = self.publisher.channel();
        channel
            .queue_declare(queue.into(), passive, FieldTable::default())
            .await
            .expect("a queue")
            .message_count()
    }

    /// The state of the `notifications` row of `event_id`, if there is one.
    pub async fn notification(&self, event_id: &str) -> Option<String> {
        sqlx::query_scalar("SELECT state FROM notifications WHERE message_id = $1")
            .bind(event_id)
            .fetch_optional(&self.pool)
            .await
            .expect("read notifications")
    }

    /// Waits until the notifier is (`true`) or is not (`false`) consuming.
    pub async fn wait_connected(&self, connected: bool) {
        testkit::wait_until("the notifier's connection to change", Duration::from_secs(30), || {
            let now = self.status.connected();
            async move { (now == connected).then_some(()) }
        })
        .await;
    }

    /// The status code of `GET {path}` on the operations port.
    pub async fn operations(&self, path: &str) -> u16 {
        let url = format!("http://{}{path}", self.health);
        reqwest::get(url).await.expect("an answer").status().as_u16()
    }

    /// Waits until the notifier has settled (acked or rejected) at least `count` deliveries.
    pub async fn wait_settled(&self, count: u64) {
        testkit::wait_until("deliveries to be settled", Duration::from_secs(30), || {
            let settled = self.status.settled();
            async move { (settled >= count).then_some(()) }
        })
        .await;
    }

    /// Stops the notifier as SIGTERM would and checks that it stops cleanly, in time.
    pub async fn stop(&mut self) {
        self.shutdown.cancel();
        let running = self.running.take().expect("the notifier is running");
        let stopped = tokio::time::timeout(STOPPING, running).await.expect("the notifier stops in time");
        stopped.expect("the notifier's task").expect("the notifier stops without error");
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
        let (topology, rabbitmq) = (self.topology.clone(), self.rabbitmq.clone());
        // Best effort, on a thread of its own: Drop runs inside the test's runtime.
        let deleted = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
            runtime.block_on(async {
                let connection = messaging::connect(&rabbitmq).await.ok()?;
                let channel = connection.create_channel().await.ok()?;
                let deleted = topology.delete(&channel).await.ok();
                let _ = connection.close(200, "test over".into()).await;
                deleted
            })
        });
        let _ = deleted.join();
    }
}

/// A `ConversionSucceeded` of conversion `conversion_id`, as the relay publishes it.
pub fn succeeded(conversion_id: &str, owner_email: &str) -> Envelope {
    let mp3 = Mp3 {
        key: format!("mp3/{conversion_id}"),
        bytes: 1_024,
        sha256: "ab".repeat(32),
        duration_seconds: 2.5,
    };
    let event = ConversionEvent::ConversionSucceeded {
        mp3,
        finished_at: Utc::now(),
        filename: "talk.mp4".to_owned(),
        owner_email: owner_email.to_owned(),
    };
    outcome(conversion_id, "ConversionSucceeded", &event)
}

/// A `ConversionFailed` of conversion `conversion_id` for `reason`.
pub fn failed(conversion_id: &str, owner_email: &str, reason: &str) -> Envelope {
    let event = ConversionEvent::ConversionFailed {
        reason: reason.to_owned(),
        failed_at: Utc::now(),
        filename: "talk.mp4".to_owned(),
        owner_email: owner_email.to_owned(),
    };
    outcome(conversion_id, "ConversionFailed", &event)
}

fn outcome(conversion_id: &str, event_type: &str, event: &ConversionEvent) -> Envelope {
    Envelope {
        id: format!("conversion:{conversion_id}:4"),
        position: 17,
        aggregate_type: "conversion".to_owned(),
        aggregate_id: conversion_id.to_owned(),
        sequence: 4,
        event_type: event_type.to_owned(),
        version: "1".to_owned(),
        recorded_at: Utc::now(),
        metadata: serde_json::json!({ "job_id": conversion_id }),
        payload: serde_json::to_value(event).expect("serialize the event"),
    }
}

/// A fresh conversion id.
pub fn conversion_id() -> String {
    uuid::Uuid::now_v7().to_string()
}
