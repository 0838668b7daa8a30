//! Publishing envelopes with publisher confirms: a batch counts as published only once the broker
//! has confirmed every message of it.

use std::task::Poll;

use futures::future::{self, Either};
use lapin::options::{BasicPublishOptions, ConfirmSelectOptions};
use lapin::{BasicProperties, Channel, Confirmation};

use crate::{Envelope, Topology};

/// AMQP's delivery mode for messages written to disk.
const PERSISTENT: u8 = 2;

/// Why a batch may not have reached the broker; publish it again.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// The channel or connection failed.
    #[error("RabbitMQ failed while publishing")]
    Broker(#[from] lapin::Error),
    /// The broker refused to take responsibility for a message.
    #[error("RabbitMQ refused (nacked) event {id}")]
    Nacked {
        /// The refused event's id.
        id: String,
    },
    /// The channel was not in confirm mode, so nothing says the message arrived.
    #[error("RabbitMQ did not confirm event {id}")]
    Unconfirmed {
        /// The unconfirmed event's id.
        id: String,
    },
    /// An envelope could not be serialized.
    #[error("event {id} cannot be serialized")]
    Encode {
        /// The event's id.
        id: String,
        /// What went wrong.
        #[source]
        source: serde_json::Error,
    },
}

/// Publishes envelopes to the events exchange on a channel in confirm mode.
#[derive(Debug, Clone)]
pub struct Publisher {
    channel: Channel,
    exchange: String,
}

impl Publisher {
    /// Puts `channel` in confirm mode and publishes to `topology`'s events exchange through it.
    pub async fn new(channel: Channel, topology: &Topology) -> Result<Self, lapin::Error> {
        channel.confirm_select(ConfirmSelectOptions::default()).await?;
        Ok(Self { channel, exchange: topology.events_exchange() })
    }

    /// Publishes every envelope, in order, then waits for all their confirms. `Ok` means the broker
    /// took responsibility for each one; after an error, any of them may or may not have arrived.
    pub async fn publish_all(&self, events: &[Envelope]) -> Result<(), PublishError> {
        let bodies = events
            .iter()
            .map(|event| {
                serde_json::to_vec(event)
                    .map_err(|source| PublishError::Encode { id: event.id.clone(), source })
            })
            .collect::<Result<Vec<_>, _>>()?;
        // A publish hands its frames (and takes its delivery tag) on its first poll, then waits for
        // lapin's I/O thread to write them. Polling each once, in order, queues the whole batch before
        // anything waits: one hand-off to that thread per batch rather than one per message.
        let mut sends = Vec::with_capacity(events.len());
        for (event, body) in events.iter().zip(&bodies) {
            let mut send = Box::pin(self.channel.basic_publish(
                self.exchange.as_str().into(),
                event.routing_key().into(),
                BasicPublishOptions::default(),
                body,
                properties(event),
            ));
            let send = match futures::poll!(send.as_mut()) {
                Poll::Ready(sent) => Either::Left(future::ready(sent)),
                Poll::Pending => Either::Right(send),
            };
            sends.push((event, send));
        }
        let mut confirms = Vec::with_capacity(events.len());
        for (event, send) in sends {
            confirms.push((event, send.await?));
        }
        for (event, confirm) in confirms {
            match confirm.await? {
                Confirmation::Ack(_) => {}
                Confirmation::Nack(_) => return Err(PublishError::Nacked { id: event.id.clone() }),
                Confirmation::NotRequested => return Err(PublishError::Unconfirmed { id: event.id.clone() }),
            }
        }
        Ok(())
    }

    /// The channel the publisher uses.
    pub fn channel(&self) -> &Channel {
        &self.channel
    }
}

fn properties(event: &Envelope) -> BasicProperties {
    BasicProperties::default()
        .with_delivery_mode(PERSISTENT)
        .with_message_id(event.id.as_str().into())
        .with_content_type("application/json".into())
        .with_type(event.event_type.as_str().into())
}
