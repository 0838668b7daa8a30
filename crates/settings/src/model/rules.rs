//! The rules of the product that a deployment may tune: sign-in and tokens, jobs, conversions, meetups.

use super::expose_optional_for_layering;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

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
    /// The longest job message accepted, in characters (as the document's `maxLength` counts).
    pub max_message_chars: usize,
    /// The largest body `POST /v1/jobs/batch` accepts, in bytes: 8 MiB by default, 8 KiB a job for
    /// a full batch of 1,000 (nginx's `location = /v1/jobs/batch` allows the same).
    pub max_batch_body_bytes: usize,
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
            max_message_chars: 64 * 1024,
            max_batch_body_bytes: 8 * 1024 * 1024,
            retry_base_ms: 1_000,
            retry_cap_ms: 5 * 60 * 1_000,
            webhook_allowed_hosts: vec!["127.0.0.1".to_owned(), "localhost".to_owned(), "::1".to_owned()],
            webhook_timeout_ms: 10_000,
            webhook_secret: None,
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
