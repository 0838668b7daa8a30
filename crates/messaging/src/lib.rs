//! RabbitMQ for Reprise: the relay publishes the events of the log that consumers bind to one topic
//! exchange, and the converter, notifier and `live` consume from it.
//!
//! - [`routing_key`]: `{aggregate}.{event}` in snake case (`conversion.requested`).
//! - [`Published`]: which routing keys the relay publishes (`relay.publish`).
//! - [`Envelope`]: the JSON body of every message.
//! - [`Topology`]: the prefixed names of the exchanges and queues, and declaring them.
//! - [`Publisher`]: publishing with publisher confirms.
//! - [`consume`] and [`envelope_of`]: the consumers' side; [`Reconnection`]: their pause after losing the
//!   broker.

mod consumer;
mod envelope;
mod published;
mod publisher;
mod reconnection;
mod routing;
pub mod topology;

use std::time::Duration;

use lapin::{Connection, ConnectionProperties};
use secrecy::ExposeSecret;

pub use consumer::{consume, envelope_of};
pub use envelope::Envelope;
pub use lapin;
pub use published::Published;
pub use publisher::{PublishError, Publisher};
pub use reconnection::Reconnection;
pub use routing::routing_key;
pub use topology::Topology;

/// How long opening a connection may take: an unreachable broker can leave the handshake hanging.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Opens a connection to the broker at `settings.url`, on the current tokio runtime.
///
/// Fails after a few seconds when the broker does not answer, rather than hanging.
pub async fn connect(settings: &settings::RabbitSettings) -> Result<Connection, lapin::Error> {
    let opening = Connection::connect(settings.url.expose_secret(), ConnectionProperties::default());
    match tokio::time::timeout(CONNECT_TIMEOUT, opening).await {
        Ok(connection) => connection,
        Err(_elapsed) => Err(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            format!("RabbitMQ did not answer within {CONNECT_TIMEOUT:?}"),
        )
        .into()),
    }
}
