//! What every relay test shares: a migrated database, a broker prefix with an observing queue, writers
//! that append events, and a relay running in the background.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use domain::scores::{Game, GameCommand, GameSettings};
use eventlog::{Checkpoint, EventLogReader, EventStore, Metadata};
use messaging::lapin::message::Delivery;
use messaging::lapin::options::{BasicGetOptions, QueueBindOptions, QueueDeclareOptions};
use messaging::lapin::types::FieldTable;
use messaging::lapin::{Channel, Connection};
use messaging::{Envelope, Topology, envelope_of};
use relay::{Relay, Status};
use sqlx::{PgPool, Row};
use testkit::{TestDatabase, wait_until};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// A test's own database and broker prefix, observed from a queue bound to `#`.
pub struct Harness {
    pub settings: settings::Settings,
    pub pool: PgPool,
    pub observer: Observer,
    _database: TestDatabase,
}

impl Harness {
    pub async fn start() -> Self {
        let database = TestDatabase::create().await;
        let mut settings = testkit::settings_for(&database, &testkit::unique_prefix());
        settings.rabbitmq.prefix = testkit::unique_prefix();
        settings.relay.health_addr = "127.0.0.1:0".to_owned();
        settings.relay.batch_size = 25;
        settings.relay.poll_interval_ms = 200;
        // Every event: the tests append game events, which no Reprise consumer binds.
        settings.relay.publish = Some(vec!["#".to_owned()]);
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(8)
            .connect(&database.url())
            .await
            .expect("connect to the test database");
        eventlog::migrate(&pool).await.expect("migrate the test database");
        let observer = Observer::bind(&settings.rabbitmq).await;
        Self { settings, pool, observer, _database: database }
    }

    /// Appends events through [`append_with`] on the test's database.
    pub async fn append(&self, tag: &str, writers: usize, commands: usize) {
        append_with(&self.pool, tag, writers, commands).await;
    }

    /// Every event's id, in log order.
    pub async fn event_ids(&self) -> Vec<String> {
        sqlx::query_scalar(
            "SELECT aggregate_type || ':' || aggregate_id || ':' || sequence FROM events
             ORDER BY transaction_id, position",
        )
        .fetch_all(&self.pool)
        .await
        .unwrap()
    }

    /// The relay's stored checkpoint, if it has one.
    pub async fn checkpoint(&self) -> Option<Checkpoint> {
        let row = sqlx::query(
            "SELECT transaction_id::text::bigint AS tx, position FROM subscriptions WHERE name = $1",
        )
        .bind(relay::SUBSCRIPTION)
        .fetch_optional(&self.pool)
        .await
        .unwrap()?;
        Some(Checkpoint { transaction_id: row.get("tx"), position: row.get("position") })
    }

    /// Waits until the relay's checkpoint is the log's last event.
    pub async fn wait_for_checkpoint_at_head(&self, deadline: Duration) {
        let head = EventLogReader::new(self.pool.clone()).head().await.unwrap();
        wait_until("the checkpoint to reach the head of the log", deadline, || async {
            (self.checkpoint().await == Some(head)).then_some(())
        })
        .await;
    }
}

/// `writers` concurrent writers each run `commands` commands, spread over five games of their own whose
/// names start with `tag`: one `GameConfigured` event each, with a `job_id` in its metadata.
pub async fn append_with(pool: &PgPool, tag: &str, writers: usize, commands: usize) {
    let store = EventStore::<Game>::new(pool.clone());
    let writing: Vec<_> = (0..writers)
        .map(|writer| {
            let (store, tag) = (store.clone(), tag.to_owned());
            tokio::spawn(async move {
                for command in 0..commands {
                    let game = format!("{tag}-w{writer}-g{}", command % 5);
                    let settings = GameSettings { title: Some(format!("{command}")), ..Default::default() };
                    let job = format!("{tag}-{writer}-{command}");
                    let metadata = Metadata::from([("job_id".to_owned(), job)]);
                    store.execute(&game, GameCommand::Configure(settings), &metadata).await.unwrap();
                }
            })
        })
        .collect();
    for writer in writing {
        writer.await.expect("a writer panicked");
    }
}

/// One message as the observing queue received it.
pub struct Observed {
    pub envelope: Envelope,
    pub delivery: Delivery,
}

/// A queue bound to `#` on the test's events exchange. It is exclusive, so it goes with its connection;
/// the topology the relay declared is deleted when the observer is dropped.
pub struct Observer {
    _connection: Connection,
    channel: Channel,
    queue: String,
    topology: Topology,
    settings: settings::RabbitSettings,
}

impl Observer {
    async fn bind(settings: &settings::RabbitSettings) -> Self {
        let connection = messaging::connect(settings).await.expect("connect to RabbitMQ");
        let channel = connection.create_channel().await.unwrap();
        let topology = Topology::new(settings.prefix.clone());
        topology.declare(&channel).await.expect("declare the topology");
        let queue = format!("{}observer", settings.prefix);
        channel
            .queue_declare(queue.as_str().into(), QueueDeclareOptions::exclusive(), FieldTable::default())
            .await
            .unwrap();
        channel
            .queue_bind(
                queue.as_str().into(),
                topology.events_exchange().into(),
                "#".into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await
            .unwrap();
        Self { _connection: connection, channel, queue, topology, settings: settings.clone() }
    }

    /// Every message waiting in the queue now.
    pub async fn drain(&self) -> Vec<Observed> {
        let mut observed = Vec::new();
        let options = BasicGetOptions { no_ack: true };
        while let Some(message) = self.channel.basic_get(self.queue.as_str().into(), options).await.unwrap() {
            let envelope = envelope_of(&message.delivery).expect("a JSON envelope");
            observed.push(Observed { envelope, delivery: message.delivery });
        }
        observed
    }

    /// Drains into `seen` until it holds every id in `expected` (duplicates allowed), or panics after
    /// `deadline` saying how many are missing.
    pub async fn collect_ids(&self, seen: &mut Vec<Observed>, expected: &[String], deadline: Duration) {
        let started = std::time::Instant::now();
        loop {
            seen.extend(self.drain().await);
            let ids: HashSet<&str> = seen.iter().map(|message| message.envelope.id.as_str()).collect();
            let missing = expected.iter().filter(|id| !ids.contains(id.as_str())).count();
            if missing == 0 {
                return;
            }
            assert!(
                started.elapsed() < deadline,
                "{missing} of {} events unpublished after {deadline:?}",
                expected.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Observer {
    fn drop(&mut self) {
        let (topology, settings) = (self.topology.clone(), self.settings.clone());
        // Drop runs inside the test's runtime, which cannot block on itself: use a thread of its own.
        let deleted = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
            runtime.block_on(async {
                let connection = messaging::connect(&settings).await.ok()?;
                let channel = connection.create_channel().await.ok()?;
                topology.delete(&channel).await.ok()?;
                connection.close(200, "test over".into()).await.ok()
            })
        });
        let _ = deleted.join();
    }
}

/// Each aggregate's events in the order they arrived.
pub fn by_aggregate(observed: &[Observed]) -> HashMap<&str, Vec<&Envelope>> {
    let mut streams: HashMap<&str, Vec<&Envelope>> = HashMap::new();
    for message in observed {
        streams.entry(message.envelope.aggregate_id.as_str()).or_default().push(&message.envelope);
    }
    streams
}

/// A relay running in the background until stopped.
pub struct TestRelay {
    pub status: Arc<Status>,
    pub health: SocketAddr,
    shutdown: CancellationToken,
    running: JoinHandle<anyhow::Result<()>>,
}

impl TestRelay {
    pub async fn spawn(settings: settings::Settings) -> Self {
        telemetry::init_logs("relay"); // Shown when a test fails.
        let relay = Relay::build(settings).await.expect("build the relay");
        let (status, health) = (relay.status(), relay.health_address());
        let shutdown = CancellationToken::new();
        let running = tokio::spawn(relay.run_until_stopped(shutdown.clone()));
        Self { status, health, shutdown, running }
    }

    /// Waits until the relay is connected to RabbitMQ and leads.
    pub async fn wait_until_leading(&self) {
        wait_until("the relay to lead", Duration::from_secs(15), || async {
            (self.status.connected() && self.status.leading()).then_some(())
        })
        .await;
    }

    /// Stops the relay the way SIGTERM does and waits for it to finish.
    pub async fn stop(self) {
        self.shutdown.cancel();
        tokio::time::timeout(Duration::from_secs(15), self.running)
            .await
            .expect("the relay stops in time")
            .expect("the relay did not panic")
            .expect("the relay stopped cleanly");
    }

    /// `GET {path}` on the health port: the status code and body.
    pub async fn get(&self, path: &str) -> (u16, String) {
        let response =
            reqwest::get(format!("http://{}{path}", self.health)).await.expect("GET the health port");
        (response.status().as_u16(), response.text().await.unwrap())
    }
}
