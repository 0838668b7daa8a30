//! The settings themselves, with defaults that work on a machine running PostgreSQL, Redis and RabbitMQ
//! on their standard local ports.

use secrecy::SecretString;
use serde::{Deserialize, Serialize};

/// Every setting of every service.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// The event log's database.
    pub database: DatabaseSettings,
    /// Redis, where the query side's documents live.
    pub redis: RedisSettings,
    /// HTTP listeners and limits.
    pub http: HttpSettings,
    /// The projector.
    pub projector: ProjectorSettings,
    /// Sign-in, tokens and scopes.
    pub auth: AuthSettings,
    /// Jobs queued through `POST /v1/jobs` and their kinds.
    pub jobs: JobSettings,
    /// The worker that runs them.
    pub worker: WorkerSettings,
    /// RabbitMQ, where the relay publishes the log.
    pub rabbitmq: RabbitSettings,
    /// The relay.
    pub relay: RelaySettings,
    /// Where uploaded videos and MP3s are stored.
    pub blobs: BlobSettings,
    /// Video conversions: upload limit, converter and notifier.
    pub conversions: ConversionSettings,
    /// The mail server the notifier sends through.
    pub smtp: SmtpSettings,
    /// The `live` service, which pushes chat events to WebSockets.
    pub live: LiveSettings,
    /// Meetups and chat.
    pub meetups: MeetupSettings,
}

/// The event log's database.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseSettings {
    /// A `postgres://` URL; it may hold a password, so it never reaches a log.
    #[serde(serialize_with = "expose_for_layering")]
    pub url: SecretString,
    /// The most connections one process opens.
    pub max_connections: u32,
    /// How long a request waits for a connection before answering 503, in milliseconds.
    pub acquire_timeout_ms: u64,
    /// Group commit: the most INSERTs that one kind of hot command (score submissions, new jobs, job
    /// outcomes) has in flight; commands arriving while all are busy share the next one.
    pub commits_in_flight: usize,
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self {
            // A local server: TLS would only cost CPU on both ends (~15% of pgbench's appends here).
            url: SecretString::from("postgres://postgres@127.0.0.1:5432/reprise?sslmode=disable"),
            max_connections: 16,
            acquire_timeout_ms: 2_000,
            commits_in_flight: 1,
        }
    }
}

/// Redis, where the query side's documents live.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RedisSettings {
    /// A `redis://` URL.
    #[serde(serialize_with = "expose_for_layering")]
    pub url: SecretString,
    /// Prepended to every key, so tests and tenants share one Redis.
    pub key_prefix: String,
    /// How long one command may take before the request answers 503, in milliseconds.
    pub command_timeout_ms: u64,
}

impl Default for RedisSettings {
    fn default() -> Self {
        Self {
            url: SecretString::from("redis://127.0.0.1:6379"),
            key_prefix: "reprise:".to_owned(),
            command_timeout_ms: 2_000,
        }
    }
}

/// HTTP listeners and limits.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpSettings {
    /// Where command-api listens.
    pub command_addr: String,
    /// Where query-api listens.
    pub query_addr: String,
    /// The largest JSON body accepted, in bytes.
    pub json_body_limit: usize,
    /// How far `achievedAt` may lie ahead of the server's clock, in seconds, to forgive clock skew.
    pub clock_skew_seconds: i64,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            command_addr: "127.0.0.1:3010".to_owned(),
            query_addr: "127.0.0.1:3000".to_owned(),
            json_body_limit: 1024 * 1024,
            clock_skew_seconds: 5,
        }
    }
}

/// The projector.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProjectorSettings {
    /// Where its health and metrics endpoints listen.
    pub health_addr: String,
    /// The most events read and applied in one batch.
    pub batch_size: i64,
    /// How often the log is polled when no notification arrives, in milliseconds.
    pub poll_interval_ms: u64,
    /// `/readyz` fails while the projector is further behind the log than this, in events.
    pub ready_max_lag: i64,
    /// After a partial batch, the next one is read no sooner than this many milliseconds after it:
    /// a steady stream is then taken a few milliseconds' worth at a time, not one commit at a time.
    /// The first event after a quiet spell is read at once.
    pub gather_ms: u64,
}

impl Default for ProjectorSettings {
    fn default() -> Self {
        Self {
            health_addr: "127.0.0.1:9101".to_owned(),
            batch_size: 10_000,
            poll_interval_ms: 1_000,
            ready_max_lag: 10_000,
            gather_ms: 5,
        }
    }
}

/// Sign-in, tokens and scopes.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthSettings {
    /// The HMAC secret tokens are signed with; services refuse to start without one (`make up`
    /// generates one into `var/`).
    #[serde(serialize_with = "expose_optional_for_layering")]
    pub jwt_secret: Option<SecretString>,
    /// The `iss` of every token.
    pub issuer: String,
    /// How long a token is accepted, in seconds.
    pub token_ttl_seconds: i64,
    /// E-mails whose sessions get the `admin` scope.
    pub admins: Vec<String>,
    /// Failed sign-ins allowed per e-mail and per client address per minute before 429.
    pub sign_in_failures_per_minute: u32,
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            jwt_secret: None,
            issuer: "reprise".to_owned(),
            token_ttl_seconds: 24 * 60 * 60,
            admins: vec![],
            sign_in_failures_per_minute: 10,
        }
    }
}

/// Jobs queued through `POST /v1/jobs` and their kinds.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JobSettings {
    /// The longest job message accepted, in bytes.
    pub max_message_bytes: usize,
    /// The first retry's delay, in milliseconds; it doubles per attempt.
    pub retry_base_ms: u64,
    /// The longest delay between two attempts, in milliseconds.
    pub retry_cap_ms: u64,
    /// Hosts a `webhook` job may post to.
    pub webhook_allowed_hosts: Vec<String>,
    /// How long a webhook may take to answer, in milliseconds.
    pub webhook_timeout_ms: u64,
    /// The key of the `X-Reprise-Signature` HMAC; derived from `auth.jwt_secret` when not set.
    #[serde(serialize_with = "expose_optional_for_layering")]
    pub webhook_secret: Option<SecretString>,
}

impl Default for JobSettings {
    fn default() -> Self {
        Self {
            max_message_bytes: 64 * 1024,
            retry_base_ms: 1_000,
            retry_cap_ms: 5 * 60 * 1_000,
            webhook_allowed_hosts: vec!["127.0.0.1".to_owned(), "localhost".to_owned(), "::1".to_owned()],
            webhook_timeout_ms: 10_000,
            webhook_secret: None,
        }
    }
}

/// The worker that runs queued jobs.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WorkerSettings {
    /// A six-field cron expression with seconds (`*/10 * * * * *`); each tick drains up to
    /// `batch_size` jobs. Empty: consume continuously.
    pub schedule: String,
    /// The most jobs one tick runs.
    pub batch_size: usize,
    /// The most jobs run at once.
    pub concurrency: usize,
    /// A worker whose heartbeat is older than this is taken for dead and its jobs rescued, in seconds.
    pub heartbeat_ttl_seconds: u64,
    /// A run still going after this long records its start, so it shows `running`, in milliseconds;
    /// shorter runs record start and end in one event.
    pub record_start_after_ms: u64,
    /// Where its health and metrics endpoints listen.
    pub health_addr: String,
}

impl Default for WorkerSettings {
    fn default() -> Self {
        Self {
            schedule: String::new(),
            batch_size: 100,
            concurrency: 64,
            heartbeat_ttl_seconds: 10,
            record_start_after_ms: 250,
            health_addr: "127.0.0.1:9105".to_owned(),
        }
    }
}

/// RabbitMQ.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RabbitSettings {
    /// An `amqp://` URL.
    #[serde(serialize_with = "expose_for_layering")]
    pub url: SecretString,
    /// Prepended to every exchange and queue name, so tests and tenants share one broker.
    pub prefix: String,
}

impl Default for RabbitSettings {
    fn default() -> Self {
        Self { url: SecretString::from("amqp://guest:guest@127.0.0.1:5672/%2f"), prefix: String::new() }
    }
}

/// The relay, which publishes the event log to RabbitMQ.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RelaySettings {
    /// Where its health and metrics endpoints listen.
    pub health_addr: String,
    /// The most events published per batch.
    pub batch_size: i64,
    /// How often the log is polled when no notification arrives, in milliseconds.
    pub poll_interval_ms: u64,
    /// After a partial batch, the next one is read no sooner than this many milliseconds after it:
    /// a steady stream is then taken a few milliseconds' worth at a time, not one commit at a time.
    /// The first event after a quiet spell is read at once.
    pub gather_ms: u64,
}

impl Default for RelaySettings {
    fn default() -> Self {
        Self {
            health_addr: "127.0.0.1:9102".to_owned(),
            batch_size: 1_000,
            poll_interval_ms: 1_000,
            gather_ms: 10,
        }
    }
}

/// Where blobs live: a local directory, or an S3-compatible bucket when `s3_bucket` is set.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BlobSettings {
    /// The local directory (created when missing).
    pub root: String,
    /// An S3 bucket; when set, blobs go there instead of `root`.
    pub s3_bucket: Option<String>,
    /// The S3 endpoint (for S3-compatible stores such as MinIO).
    pub s3_endpoint: Option<String>,
    /// The S3 region.
    pub s3_region: Option<String>,
    /// The S3 access key id.
    pub s3_access_key_id: Option<String>,
    /// The S3 secret access key.
    #[serde(serialize_with = "expose_optional_for_layering")]
    pub s3_secret_access_key: Option<SecretString>,
}

impl Default for BlobSettings {
    fn default() -> Self {
        Self {
            root: "var/blobs".to_owned(),
            s3_bucket: None,
            s3_endpoint: None,
            s3_region: None,
            s3_access_key_id: None,
            s3_secret_access_key: None,
        }
    }
}

/// Video conversions.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConversionSettings {
    /// The largest video accepted, in bytes.
    pub max_upload_bytes: u64,
    /// Conversions run at once by one converter; 0 means one per core.
    pub parallel: usize,
    /// The longest a conversion may take, in seconds.
    pub timeout_seconds: u64,
    /// How long a conversion runs before its progress is recorded, in milliseconds.
    pub progress_after_ms: u64,
    /// Where the converter's health and metrics endpoints listen.
    pub converter_health_addr: String,
    /// Where the notifier's health and metrics endpoints listen.
    pub notifier_health_addr: String,
}

impl Default for ConversionSettings {
    fn default() -> Self {
        Self {
            max_upload_bytes: 1 << 30,
            parallel: 0,
            timeout_seconds: 3_600,
            progress_after_ms: 1_000,
            converter_health_addr: "127.0.0.1:9103".to_owned(),
            notifier_health_addr: "127.0.0.1:9104".to_owned(),
        }
    }
}

/// The mail server.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmtpSettings {
    /// Its host.
    pub host: String,
    /// Its port.
    pub port: u16,
    /// `none`, `starttls` or `tls`.
    pub tls: String,
    /// The user name, when it wants one.
    pub username: Option<String>,
    /// The password, when it wants one.
    #[serde(serialize_with = "expose_optional_for_layering")]
    pub password: Option<SecretString>,
    /// The sender.
    pub from: String,
}

impl Default for SmtpSettings {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".to_owned(),
            port: 1025,
            tls: "none".to_owned(),
            username: None,
            password: None,
            from: "Reprise <noreply@reprise.local>".to_owned(),
        }
    }
}

/// The `live` service: WebSockets that receive chat events as they happen.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LiveSettings {
    /// Where it listens for WebSockets (`/v1/ws`) and its operations routes.
    pub addr: String,
    /// How many pushes one socket may have waiting to be written before it is disconnected as too slow.
    pub socket_buffer: usize,
    /// How often each socket is pinged, in milliseconds; a socket that sends nothing back for two
    /// intervals is closed.
    pub ping_interval_ms: u64,
    /// How many channels' privacy and members are kept in memory (others are loaded again when needed).
    pub channel_cache_capacity: usize,
}

impl Default for LiveSettings {
    fn default() -> Self {
        Self {
            addr: "127.0.0.1:3020".to_owned(),
            socket_buffer: 256,
            ping_interval_ms: 20_000,
            channel_cache_capacity: 10_000,
        }
    }
}

/// Meetups and chat.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MeetupSettings {
    /// How many chat messages one user may post per minute (429 beyond).
    pub messages_per_minute: u32,
}

impl Default for MeetupSettings {
    fn default() -> Self {
        Self { messages_per_minute: 120 }
    }
}

fn expose_optional_for_layering<S: serde::Serializer>(
    secret: &Option<SecretString>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    use secrecy::ExposeSecret;
    match secret {
        Some(secret) => serializer.serialize_some(secret.expose_secret()),
        None => serializer.serialize_none(),
    }
}

fn expose_for_layering<S: serde::Serializer>(
    secret: &SecretString,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    // Defaults are serialized only to seed figment's layers; settings are never serialized to a log.
    use secrecy::ExposeSecret;
    serializer.serialize_str(secret.expose_secret())
}
