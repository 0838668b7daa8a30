//! The services Reprise talks to: the event log's database, Redis, RabbitMQ, blob storage and the
//! mail server.

use super::{expose_for_layering, expose_optional_for_layering};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

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
    /// Group commit: the most commands one of those INSERTs carries. Most of what a commit costs
    /// Postgres is paid once per commit, not per command, so the larger the groups under load, the
    /// less each command costs.
    pub commit_group_max: usize,
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self {
            // A local server: TLS would only cost CPU on both ends (~15% of pgbench's appends here).
            url: SecretString::from("postgres://postgres@127.0.0.1:5432/reprise?sslmode=disable"),
            max_connections: 16,
            acquire_timeout_ms: 2_000,
            commits_in_flight: 1,
            commit_group_max: 256,
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
