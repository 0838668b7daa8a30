//! Exchange and queue names, and declaring them. Every name starts with a prefix, so tests and tenants
//! share one broker without meeting.

use lapin::options::{
    ExchangeDeclareOptions, ExchangeDeleteOptions, QueueBindOptions, QueueDeclareOptions, QueueDeleteOptions,
};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{Channel, ExchangeKind};

/// How many times a work queue delivers a message before dead-lettering it.
pub const DELIVERY_LIMIT: i32 = 20;

/// The routing keys the converter's queue is bound to.
pub const CONVERTER_BINDINGS: [&str; 1] = ["conversion.requested"];

/// The routing keys the notifier's queue is bound to.
pub const NOTIFIER_BINDINGS: [&str; 2] = ["conversion.succeeded", "conversion.failed"];

/// The routing keys every `live` instance's queue is bound to: chat events and revoked sessions.
pub const LIVE_BINDINGS: [&str; 3] = ["channel.*", "message.*", "user.session_revoked"];

/// The names of Reprise's exchanges and queues under one prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topology {
    prefix: String,
}

impl Topology {
    /// Names under `prefix` (`settings.rabbitmq.prefix`; empty in production).
    pub fn new(prefix: impl Into<String>) -> Self {
        Self { prefix: prefix.into() }
    }

    /// The durable topic exchange the relay publishes the log's events to (those `relay.publish` names).
    pub fn events_exchange(&self) -> String {
        format!("{}reprise.events", self.prefix)
    }

    /// The durable fanout exchange work queues send messages to once past their delivery limit.
    pub fn dead_letters(&self) -> String {
        format!("{}reprise.dlx", self.prefix)
    }

    /// Where dead-lettered messages wait for a person to look at them.
    pub fn dead_letter_queue(&self) -> String {
        format!("{}reprise.dead", self.prefix)
    }

    /// The converter's work queue: `conversion.requested`.
    pub fn converter_queue(&self) -> String {
        format!("{}reprise.converter", self.prefix)
    }

    /// The notifier's work queue: `conversion.succeeded` and `conversion.failed`.
    pub fn notifier_queue(&self) -> String {
        format!("{}reprise.notifier", self.prefix)
    }

    /// A `live` instance's own queue, named after `instance` (unique per process and connection).
    pub fn live_queue(&self, instance: &str) -> String {
        format!("{}reprise.live.{instance}", self.prefix)
    }

    /// Declares the events exchange and `queue` as an exclusive, auto-deleted queue bound to
    /// [`LIVE_BINDINGS`]: it lives as long as the connection that declared it, so a `live` instance
    /// receives what is published while it is connected and leaves nothing behind. Idempotent.
    pub async fn declare_live_queue(&self, channel: &Channel, queue: &str) -> Result<(), lapin::Error> {
        self.declare_events_exchange(channel).await?;
        let options =
            QueueDeclareOptions { exclusive: true, auto_delete: true, ..QueueDeclareOptions::default() };
        channel.queue_declare(queue.into(), options, FieldTable::default()).await?;
        for routing_key in LIVE_BINDINGS {
            channel
                .queue_bind(
                    queue.into(),
                    self.events_exchange().into(),
                    routing_key.into(),
                    QueueBindOptions::default(),
                    FieldTable::default(),
                )
                .await?;
        }
        Ok(())
    }

    /// Declares the durable topic exchange every event is published to.
    async fn declare_events_exchange(&self, channel: &Channel) -> Result<(), lapin::Error> {
        let durable = ExchangeDeclareOptions { durable: true, ..ExchangeDeclareOptions::default() };
        let kind = ExchangeKind::Topic;
        channel.exchange_declare(self.events_exchange().into(), kind, durable, FieldTable::default()).await
    }

    /// Declares the exchanges, queues and bindings. Idempotent: declaring what exists with the same
    /// arguments changes nothing, so every process declares at start.
    pub async fn declare(&self, channel: &Channel) -> Result<(), lapin::Error> {
        self.declare_events_exchange(channel).await?;
        let durable = ExchangeDeclareOptions { durable: true, ..ExchangeDeclareOptions::default() };
        channel
            .exchange_declare(
                self.dead_letters().into(),
                ExchangeKind::Fanout,
                durable,
                FieldTable::default(),
            )
            .await?;
        channel
            .queue_declare(self.dead_letter_queue().into(), QueueDeclareOptions::durable(), quorum())
            .await?;
        channel
            .queue_bind(
                self.dead_letter_queue().into(),
                self.dead_letters().into(),
                "#".into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await?;
        self.declare_work_queue(channel, &self.converter_queue(), &CONVERTER_BINDINGS).await?;
        self.declare_work_queue(channel, &self.notifier_queue(), &NOTIFIER_BINDINGS).await
    }

    /// Deletes everything [`declare`](Self::declare) made, messages included: for tests and tear-down.
    pub async fn delete(&self, channel: &Channel) -> Result<(), lapin::Error> {
        for queue in [self.converter_queue(), self.notifier_queue(), self.dead_letter_queue()] {
            channel.queue_delete(queue.into(), QueueDeleteOptions::default()).await?;
        }
        for exchange in [self.events_exchange(), self.dead_letters()] {
            channel.exchange_delete(exchange.into(), ExchangeDeleteOptions::default()).await?;
        }
        Ok(())
    }

    async fn declare_work_queue(
        &self,
        channel: &Channel,
        queue: &str,
        routing_keys: &[&str],
    ) -> Result<(), lapin::Error> {
        let mut arguments = quorum();
        arguments.insert("x-dead-letter-exchange".into(), AMQPValue::LongString(self.dead_letters().into()));
        arguments.insert("x-delivery-limit".into(), AMQPValue::LongInt(DELIVERY_LIMIT));
        channel.queue_declare(queue.into(), QueueDeclareOptions::durable(), arguments).await?;
        for routing_key in routing_keys {
            channel
                .queue_bind(
                    queue.into(),
                    self.events_exchange().into(),
                    (*routing_key).into(),
                    QueueBindOptions::default(),
                    FieldTable::default(),
                )
                .await?;
        }
        Ok(())
    }
}

/// Replicated, durable queues: a message confirmed to the relay survives a broker node's loss.
fn quorum() -> FieldTable {
    let mut arguments = FieldTable::default();
    arguments.insert("x-queue-type".into(), AMQPValue::LongString("quorum".into()));
    arguments
}

#[cfg(test)]
mod tests {
    use super::Topology;

    #[test]
    fn every_name_starts_with_the_prefix() {
        let topology = Topology::new("t1:");
        assert_eq!(topology.events_exchange(), "t1:reprise.events");
        assert_eq!(topology.dead_letters(), "t1:reprise.dlx");
        assert_eq!(topology.dead_letter_queue(), "t1:reprise.dead");
        assert_eq!(topology.converter_queue(), "t1:reprise.converter");
        assert_eq!(topology.notifier_queue(), "t1:reprise.notifier");
        assert_eq!(topology.live_queue("a1"), "t1:reprise.live.a1");
    }

    #[test]
    fn an_empty_prefix_gives_the_production_names() {
        assert_eq!(Topology::new("").events_exchange(), "reprise.events");
    }
}
