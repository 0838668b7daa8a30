//! A `live` of one's own per test, with the relay publishing the test's event log to a RabbitMQ prefix
//! of its own, and what a test needs around them: users with open sessions, channels, messages, and
//! WebSocket clients.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use domain::identity::{Email, Profile, Session, User, UserCommand, UserName};
use domain::meetups::{
    Channel, ChannelCommand, ChannelInfo, ChannelName, Message, MessageBody, MessageCommand, MessageInfo,
};
use eventlog::{EventStore, Metadata};
use fred::prelude::*;
use http_kit::auth::Tokens;
use live::registry::Registry;
use live::{Live, Status};
use messaging::Topology;
use read_model::Keys;
use read_model::users::{REVOKED, SessionRecord};
use testkit::TestDatabase;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::client::Client as SocketClient;

/// How long waiting for anything may take before the test fails.
pub const DEADLINE: Duration = Duration::from_secs(20);

/// A user with an open session.
pub struct SignedIn {
    pub user_id: String,
    pub session_id: String,
    pub token: String,
}

/// A running `live` and relay over a test's own database, Redis prefix and RabbitMQ prefix.
pub struct TestLive {
    pub address: SocketAddr,
    pub status: Arc<Status>,
    pub sockets: Registry,
    pub settings: settings::Settings,
    users: EventStore<User>,
    channels: EventStore<Channel>,
    messages: EventStore<Message>,
    redis: fred::prelude::Client,
    keys: Keys,
    tokens: Tokens,
    written: std::sync::Mutex<Vec<String>>,
    shutdown: CancellationToken,
    live: Option<JoinHandle<anyhow::Result<()>>>,
    _relay: JoinHandle<anyhow::Result<()>>,
    _database: TestDatabase,
}

impl TestLive {
    /// Starts `live` and waits until it consumes, then starts the relay.
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// Like [`spawn`](Self::spawn), with `adjust` changing the settings first.
    pub async fn spawn_with(adjust: impl FnOnce(&mut settings::Settings)) -> Self {
        telemetry::init_logs("live-tests");
        let database = TestDatabase::create().await;
        let prefix = testkit::unique_prefix();
        let mut settings = testkit::settings_for(&database, &prefix);
        settings.live.addr = "127.0.0.1:0".to_owned();
        settings.relay.health_addr = "127.0.0.1:0".to_owned();
        settings.relay.poll_interval_ms = 200;
        adjust(&mut settings);
        let pool = eventlog::connect(&settings.database, "live").expect("a pool");
        eventlog::migrate(&pool).await.expect("apply the migrations");

        let redis =
            redis_store::client(&settings.redis, redis_store::Resend::Allowed).expect("a Redis client");
        redis.init().await.expect("connect to Redis");
        let control = Keys::new(settings.redis.key_prefix.clone());
        let keys = control.generation(1);
        // What the projector writes once it has caught up: without it every session is "rebuilding".
        redis.set::<(), _, _>(keys.checkpoint(), "0:0", an_hour(), None, false).await.expect("a checkpoint");
        let pointer = control.current_generation();
        redis.set::<(), _, _>(&pointer, 1, an_hour(), None, false).await.expect("a current generation");

        let live = Live::build(settings.clone()).await.expect("build live");
        let (address, status, sockets) = (live.address(), live.status(), live.sockets());
        let shutdown = CancellationToken::new();
        let running = tokio::spawn(live.run_until_stopped(shutdown.clone()));
        testkit::wait_until("live to consume", DEADLINE, || {
            let consuming = status.consuming();
            async move { consuming.then_some(()) }
        })
        .await;
        let relay = relay::Relay::build(settings.clone()).await.expect("build the relay");
        let relay = tokio::spawn(relay.run_until_stopped(shutdown.clone()));

        Self {
            address,
            status,
            sockets,
            tokens: Tokens::from_settings(&settings.auth).expect("tokens"),
            written: std::sync::Mutex::new(vec![keys.checkpoint(), pointer]),
            settings,
            users: EventStore::new(pool.clone()),
            channels: EventStore::new(pool.clone()),
            messages: EventStore::new(pool),
            redis,
            keys,
            shutdown,
            live: Some(running),
            _relay: relay,
            _database: database,
        }
    }

    /// Registers a user with a session in the log and opens the session in Redis, as the projector
    /// would; returns a token of it.
    pub async fn sign_up(&self, user_name: &str) -> SignedIn {
        let user_id = uuid::Uuid::now_v7().to_string();
        let session_id = uuid::Uuid::now_v7().to_string();
        let now = Utc::now();
        let expires_at = now + chrono::Duration::hours(1);
        let profile = Profile {
            email: Email::parse(&format!("{user_name}@example.com")).expect("an e-mail"),
            user_name: UserName::parse(user_name).expect("a user name"),
            first_name: String::new(),
            last_name: String::new(),
            created_at: now,
        };
        let session = Session { id: session_id.clone(), expires_at, scopes: vec![] };
        let register = UserCommand::Register { profile, password_hash: String::new(), session };
        self.users.execute(&user_id, register, &Metadata::new()).await.expect("register");
        let record = SessionRecord { user_id: user_id.clone(), scopes: vec![], expires_at };
        let key = self.keys.session(&session_id);
        let value = serde_json::to_string(&record).expect("a session record");
        self.redis.set::<(), _, _>(&key, value, an_hour(), None, false).await.expect("open the session");
        self.written.lock().expect("the key list").push(key);
        let token = self.tokens.issue(&user_id, &session_id, &[], now, expires_at);
        SignedIn { user_id, session_id, token }
    }

    /// Signs `user` out as command-api does: a `UserSessionRevoked` in the log and a tombstone in Redis.
    pub async fn sign_out(&self, user: &SignedIn) {
        let revoke = UserCommand::RevokeSession { session_id: user.session_id.clone() };
        self.users.execute(&user.user_id, revoke, &Metadata::new()).await.expect("revoke");
        let key = self.keys.session(&user.session_id);
        self.redis.set::<(), _, _>(&key, REVOKED, an_hour(), None, false).await.expect("a tombstone");
    }

    /// Closes `user`'s session in Redis only, with no event in the log.
    pub async fn revoke_in_store_only(&self, user: &SignedIn) {
        let key = self.keys.session(&user.session_id);
        self.redis.set::<(), _, _>(&key, REVOKED, an_hour(), None, false).await.expect("a tombstone");
    }

    /// Creates a channel of `creator` with `members` (the creator among them); returns its id.
    pub async fn create_channel(&self, creator: &SignedIn, private: bool, members: &[&SignedIn]) -> String {
        let id = uuid::Uuid::now_v7().to_string();
        let channel = ChannelInfo {
            name: ChannelName::parse(&format!("channel {id}")).expect("a name"),
            description: "a test channel".to_owned(),
            private,
            creator: creator.user_id.clone(),
            created_at: Utc::now(),
            meetup_id: None,
            request_hash: id.clone(),
        };
        let members = members.iter().map(|member| member.user_id.clone()).collect();
        let create = ChannelCommand::Create { channel, members };
        self.channels.execute(&id, create, &Metadata::new()).await.expect("create a channel");
        id
    }

    /// `by` (the creator) adds `member` to channel `id`.
    pub async fn add_member(&self, id: &str, by: &SignedIn, member: &SignedIn) {
        let add = ChannelCommand::AddMember {
            by: Some(by.user_id.clone()),
            user_id: member.user_id.clone(),
            at: Utc::now(),
        };
        self.channels.execute(id, add, &Metadata::new()).await.expect("add a member");
    }

    /// `author` posts `body` in channel `channel_id`; returns the message's id.
    pub async fn post(&self, author: &SignedIn, channel_id: &str, body: &str) -> String {
        let id = uuid::Uuid::now_v7().to_string();
        let message = MessageInfo {
            channel_id: channel_id.to_owned(),
            body: MessageBody::parse(body).expect("a body"),
            creator: author.user_id.clone(),
            created_at: Utc::now(),
            request_hash: id.clone(),
        };
        self.messages.execute(&id, MessageCommand::Post(message), &Metadata::new()).await.expect("post");
        id
    }

    /// The WebSocket URL, with `?auth=` when given a token.
    pub fn url(&self, query_token: Option<&str>) -> String {
        match query_token {
            Some(token) => format!("ws://{}/v1/ws?auth={token}", self.address),
            None => format!("ws://{}/v1/ws", self.address),
        }
    }

    /// A socket of `user`, with the token in the `Authorization` header.
    pub async fn connect(&self, user: &SignedIn) -> SocketClient {
        SocketClient::connect(&self.url(None), Some(&user.token)).await.expect("a socket")
    }

    /// `GET {path}` on `live`'s port: the status and body.
    pub async fn get(&self, path: &str) -> (u16, String) {
        let response = reqwest::get(format!("http://{}{path}", self.address)).await.expect("an answer");
        (response.status().as_u16(), response.text().await.expect("a body"))
    }

    /// Waits until exactly `count` sockets are connected.
    pub async fn wait_for_sockets(&self, count: usize) {
        testkit::wait_until("the number of connected sockets", DEADLINE, || {
            let connected = self.sockets.connected();
            async move { (connected == count).then_some(()) }
        })
        .await;
    }

    /// Stops `live` as SIGTERM would and checks that it stops cleanly, in time.
    pub async fn stop(&mut self) {
        self.shutdown.cancel();
        let running = self.live.take().expect("live is running");
        let stopped = tokio::time::timeout(DEADLINE, running).await.expect("live stops in time");
        stopped.expect("live's task").expect("live stops without error");
    }
}

impl Drop for TestLive {
    fn drop(&mut self) {
        self.shutdown.cancel();
        let keys =
            std::mem::take(&mut *self.written.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
        let topology = Topology::new(self.settings.rabbitmq.prefix.clone());
        let (redis_settings, rabbitmq) = (self.settings.redis.clone(), self.settings.rabbitmq.clone());
        // Best effort, on a thread of its own: Drop runs inside the test's runtime. Only this test's own
        // keys, exchanges and queues are removed.
        let cleaned = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
            runtime.block_on(async {
                // A client of this runtime's own: the test's runtime is blocked on this thread.
                let redis = redis_store::client(&redis_settings, redis_store::Resend::Allowed).ok()?;
                if redis.init().await.is_ok() {
                    let _ = redis.del::<i64, _>(keys).await;
                }
                let connection = messaging::connect(&rabbitmq).await.ok()?;
                let channel = connection.create_channel().await.ok()?;
                let deleted = topology.delete(&channel).await.ok();
                let _ = connection.close(200, "test over".into()).await;
                deleted
            })
        });
        let _ = cleaned.join();
    }
}

/// Keys a test writes expire on their own, should a killed test leave them behind.
fn an_hour() -> Option<Expiration> {
    Some(Expiration::EX(3_600))
}
