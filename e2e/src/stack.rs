//! A Reprise stack of one's own, started in-process.

use std::time::Duration;

use domain::Clock;
use fred::prelude::*;
use read_model::Keys;
use serde_json::Value;
use testkit::TestDatabase;
use tokio_util::sync::CancellationToken;

mod cleanup;
mod redis;
mod workers;

pub use workers::{binary, webhook_slow_the_first_time};

pub(crate) use cleanup::remove_keys_exchanges_and_blobs;

/// What to vary about a stack.
#[derive(Default)]
pub struct StackOptions {
    /// The services' clock (the system's by default).
    pub clock: Option<Clock>,
    /// Start without a projector (tests that run their own, or none).
    pub without_projector: bool,
    /// Reach Postgres through this address instead of 127.0.0.1:5432 (a proxy to cut).
    pub postgres_via: Option<String>,
    /// Reach Redis through this address instead of 127.0.0.1:6379 (a proxy to cut).
    pub redis_via: Option<String>,
    /// Also start the relay and a converter (video conversions).
    pub conversions: bool,
    /// The largest video accepted (the settings' default when not given).
    pub max_upload_bytes: Option<u64>,
    /// Also start a notifier sending through the SMTP server on this port.
    pub smtp_port: Option<u16>,
    /// Changes the stack's settings last, before anything starts.
    pub adjust: Option<fn(&mut settings::Settings)>,
}

/// command-api, query-api and (optionally) a projector on free ports, over a database and key prefix of
/// their own; stopped and cleaned up when dropped.
pub struct Stack {
    /// The database.
    pub database: TestDatabase,
    /// The settings every service got.
    pub settings: settings::Settings,
    /// command-api's base URL.
    pub command: String,
    /// query-api's base URL.
    pub query: String,
    /// A client for both.
    pub http: reqwest::Client,
    /// Redis, for looking at documents directly.
    pub redis: Client,
    /// A session token of the stack's first user, whom `post`, `put` and `get` act as.
    pub token: String,
    shutdown: CancellationToken,
}

impl Stack {
    /// A stack with default options.
    pub async fn start() -> Self {
        Self::start_with(StackOptions::default()).await
    }

    /// A stack with the given options.
    pub async fn start_with(options: StackOptions) -> Self {
        #[allow(clippy::disallowed_methods)] // a test harness switch, not a service's configuration
        if let Ok(filter) = std::env::var("E2E_LOG") {
            // Debugging a test: the in-process services' logs on stderr, e.g. E2E_LOG=info.
            let _ = tracing_subscriber::fmt().with_env_filter(filter).with_test_writer().try_init();
        }
        let database = TestDatabase::create().await;
        let mut settings = testkit::settings_for(&database, &testkit::unique_prefix());
        {
            let pool = sqlx::PgPool::connect(&database.url()).await.expect("connect to the test database");
            eventlog::migrate(&pool).await.expect("migrate the test database");
            pool.close().await;
        }
        if let Some(address) = &options.postgres_via {
            settings.database.url = format!("postgres://postgres@{address}/{}", database.name()).into();
        }
        if let Some(address) = &options.redis_via {
            settings.redis.url = format!("redis://{address}").into();
        }
        settings.database.acquire_timeout_ms = 1_000;
        settings.redis.command_timeout_ms = 1_000;
        settings.http.command_addr = "127.0.0.1:0".into();
        settings.http.query_addr = "127.0.0.1:0".into();
        settings.projector.health_addr = "127.0.0.1:0".into();
        settings.projector.poll_interval_ms = 200;
        settings.worker.health_addr = "127.0.0.1:0".into();
        settings.worker.heartbeat_ttl_seconds = 2;
        settings.relay.health_addr = "127.0.0.1:0".into();
        settings.relay.poll_interval_ms = 200;
        settings.conversions.converter_health_addr = "127.0.0.1:0".into();
        settings.conversions.notifier_health_addr = "127.0.0.1:0".into();
        if let Some(limit) = options.max_upload_bytes {
            settings.conversions.max_upload_bytes = limit;
        }
        if let Some(adjust) = options.adjust {
            adjust(&mut settings);
        }
        let clock = options.clock.unwrap_or_default();
        let shutdown = CancellationToken::new();

        let command_api = command_api::Application::build(settings.clone(), clock.clone())
            .await
            .expect("build command-api");
        let command = format!("http://{}", command_api.address());
        tokio::spawn(command_api.run_until_stopped(shutdown.clone()));
        let query_api =
            query_api::Application::build(settings.clone(), clock.clone()).await.expect("build query-api");
        let query = format!("http://{}", query_api.address());
        tokio::spawn(query_api.run_until_stopped(shutdown.clone()));
        if !options.without_projector {
            let projector =
                projector::Projector::build(settings.clone(), clock).await.expect("build projector");
            tokio::spawn(projector.run_until_stopped(shutdown.clone()));
        }

        if options.conversions {
            let relay = relay::Relay::build(settings.clone()).await.expect("build relay");
            tokio::spawn(relay.run_until_stopped(shutdown.clone()));
            let converter = converter::Converter::build(settings.clone(), Clock::default())
                .await
                .expect("build converter");
            tokio::spawn(converter.run_until_stopped(shutdown.clone()));
        }
        if let Some(port) = options.smtp_port {
            let mut settings = settings.clone();
            settings.smtp.port = port;
            let notifier = notifier::Notifier::build(settings).await.expect("build notifier");
            tokio::spawn(notifier.run_until_stopped(shutdown.clone()));
        }

        let redis = redis_store::client(&settings::RedisSettings::default(), redis_store::Resend::Allowed)
            .expect("redis client");
        redis_store::start(&redis);
        redis_store::connected(&redis, std::time::Duration::from_secs(10)).await.expect("connect to Redis");
        let control = Keys::new(settings.redis.key_prefix.clone());
        if options.without_projector {
            // What the tests then write stands for a projector's work: in the generation readers read.
            let _: () =
                redis.set(control.current_generation(), 1, None, None, false).await.expect("a generation");
        } else {
            testkit::wait_until(
                "the projector to fill a first generation",
                Duration::from_secs(20),
                || async {
                    let started: i64 = redis.exists(control.current_generation()).await.ok()?;
                    (started == 1).then_some(())
                },
            )
            .await;
        }
        let http = reqwest::Client::builder().timeout(Duration::from_secs(40)).build().expect("http client");
        let mut stack =
            Self { database, settings, command, query, http, redis, shutdown, token: String::new() };
        stack.token = stack.sign_up("tester").await;
        stack
    }

    /// Signs up user `name` (`{name}@example.com`, password `correct horse`), signs in as a client
    /// would, and returns the session's token.
    pub async fn sign_up(&self, name: &str) -> String {
        let body = sign_up_body(name);
        let response =
            self.http.post(format!("{}/v1/users", self.command)).json(&body).send().await.expect("sign up");
        assert_eq!(response.status(), 201, "sign-up failed");
        let credentials =
            serde_json::json!({ "email": format!("{name}@example.com"), "password": "correct horse" });
        let response = self
            .http
            .post(format!("{}/v1/sessions", self.command))
            .json(&credentials)
            .send()
            .await
            .expect("sign in");
        assert_eq!(response.status(), 201, "sign-in failed");
        let session: Value = response.json().await.expect("session JSON");
        session["token"].as_str().expect("token").to_owned()
    }

    /// POSTs `body` as JSON to command-api.
    pub async fn post(&self, path: &str, body: Value) -> reqwest::Response {
        self.http
            .post(format!("{}{path}", self.command))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .expect("POST")
    }

    /// PUTs `body` as JSON to command-api.
    pub async fn put(&self, path: &str, body: Value) -> reqwest::Response {
        self.http
            .put(format!("{}{path}", self.command))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .expect("PUT")
    }

    /// GETs from query-api.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http.get(format!("{}{path}", self.query)).bearer_auth(&self.token).send().await.expect("GET")
    }

    /// Submits a score and returns its job id, asserting the 202.
    pub async fn submit(&self, score: Value) -> String {
        let response = self.post("/v1/scores", score).await;
        assert_eq!(response.status(), 202, "{:?}", response.text().await);
        let body: Value = response.json().await.expect("202 body");
        body["jobId"].as_str().expect("jobId").to_owned()
    }

    /// Waits (long poll, bounded) until job `id` is final and returns it.
    pub async fn finished(&self, id: &str) -> Value {
        for _ in 0..10 {
            let job: Value = self
                .http
                .get(format!("{}/v1/jobs/{id}", self.query))
                .bearer_auth(&self.token)
                .header("Prefer", "wait=5")
                .send()
                .await
                .expect("GET job")
                .json()
                .await
                .expect("job JSON");
            if matches!(job["status"].as_str(), Some("succeeded" | "failed" | "cancelled")) {
                return job;
            }
        }
        panic!("job {id} did not finish within 50 s");
    }

    /// Reads a leaderboard (query-api), asserting a 200.
    pub async fn board(&self, path_and_query: &str) -> Value {
        let response = self.get(path_and_query).await;
        assert_eq!(response.status(), 200, "{path_and_query}: {:?}", response.text().await);
        response.json().await.expect("board JSON")
    }

    /// The players of a board document, in order, with their scores.
    pub fn ranking(board: &Value) -> Vec<(String, i64)> {
        board["entries"]
            .as_array()
            .expect("entries")
            .iter()
            .map(|e| {
                (e["player"].as_str().unwrap_or_default().to_owned(), e["score"].as_i64().unwrap_or_default())
            })
            .collect()
    }

    /// Stops the services (the database and keys are dropped with the stack).
    pub fn stop(&self) {
        self.shutdown.cancel();
    }
}

/// The sign-up of user `name`: `{name}@example.com`, password `correct horse`.
pub(crate) fn sign_up_body(name: &str) -> Value {
    serde_json::json!({
        "email": format!("{name}@example.com"),
        "password": "correct horse",
        "passwordConf": "correct horse",
        "userName": name,
    })
}

impl Drop for Stack {
    fn drop(&mut self) {
        self.shutdown.cancel();
        remove_keys_exchanges_and_blobs(&self.settings);
    }
}
