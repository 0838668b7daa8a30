//! The settings themselves, with defaults that work on a machine running PostgreSQL, Redis and RabbitMQ
//! on their standard local ports.

mod processes;
mod rules;
mod stores;

pub use processes::*;
pub use rules::*;
pub use stores::*;

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

pub(crate) fn expose_optional_for_layering<S: serde::Serializer>(
    secret: &Option<SecretString>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    use secrecy::ExposeSecret;
    match secret {
        Some(secret) => serializer.serialize_some(secret.expose_secret()),
        None => serializer.serialize_none(),
    }
}

pub(crate) fn expose_for_layering<S: serde::Serializer>(
    secret: &SecretString,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    // Defaults are serialized only to seed figment's layers; settings are never serialized to a log.
    use secrecy::ExposeSecret;
    serializer.serialize_str(secret.expose_secret())
}
