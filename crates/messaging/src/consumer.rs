//! What the converter, the notifier and `live` share to consume: a consumer with manual acks and a
//! bounded number of unacknowledged deliveries, and reading a delivery's envelope.

use lapin::message::Delivery;
use lapin::options::{BasicConsumeOptions, BasicQosOptions};
use lapin::types::FieldTable;
use lapin::{Channel, Consumer};

use crate::Envelope;

/// Starts consuming `queue` with manual acknowledgements, at most `prefetch` deliveries unacknowledged
/// at a time. Each delivery must be acked (or nacked) by the caller once handled.
pub async fn consume(
    channel: &Channel,
    queue: &str,
    consumer_tag: &str,
    prefetch: u16,
) -> Result<Consumer, lapin::Error> {
    channel.basic_qos(prefetch, BasicQosOptions::default()).await?;
    channel
        .basic_consume(
            queue.into(),
            consumer_tag.into(),
            BasicConsumeOptions { no_ack: false, ..BasicConsumeOptions::default() },
            FieldTable::default(),
        )
        .await
}

/// The envelope a delivery carries.
pub fn envelope_of(delivery: &Delivery) -> Result<Envelope, serde_json::Error> {
    serde_json::from_slice(&delivery.data)
}
