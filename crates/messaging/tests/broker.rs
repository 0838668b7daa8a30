//! The topology, publisher and consumer helpers against the machine's RabbitMQ, each test under a
//! prefix of its own that it deletes again.

use std::time::Duration;

use futures::StreamExt;
use messaging::lapin::options::{BasicAckOptions, BasicGetOptions, BasicNackOptions};
use messaging::lapin::{Channel, Connection};
use messaging::{Envelope, Publisher, Topology, consume, envelope_of};
use serde_json::json;

/// A connection and channel under a fresh prefix, with the topology declared and deleted on drop.
struct Broker {
    connection: Connection,
    channel: Channel,
    topology: Topology,
    settings: settings::RabbitSettings,
}

impl Broker {
    async fn start() -> Self {
        let settings = settings::RabbitSettings { prefix: testkit::unique_prefix(), ..Default::default() };
        let connection = messaging::connect(&settings).await.expect("connect to RabbitMQ");
        let channel = connection.create_channel().await.unwrap();
        let topology = Topology::new(settings.prefix.clone());
        topology.declare(&channel).await.expect("declare the topology");
        Self { connection, channel, topology, settings }
    }

    /// A publisher on a channel of its own: confirm mode is per channel.
    async fn publisher(&self) -> Publisher {
        let channel = self.connection.create_channel().await.unwrap();
        Publisher::new(channel, &self.topology).await.unwrap()
    }

    async fn next_in(&self, queue: &str) -> Option<messaging::lapin::message::Delivery> {
        testkit::wait_until(&format!("a message in {queue}"), Duration::from_secs(10), || async {
            let got = self.channel.basic_get(queue.into(), BasicGetOptions::default()).await.unwrap();
            got.map(|message| Some(message.delivery))
        })
        .await
    }

    /// The next message in `queue`, or `None` once it stays empty for a moment.
    async fn next_in_or_none(&self, queue: &str) -> Option<messaging::lapin::message::Delivery> {
        for _ in 0..25 {
            let got = self.channel.basic_get(queue.into(), BasicGetOptions::default()).await.unwrap();
            if let Some(message) = got {
                return Some(message.delivery);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        None
    }

    async fn is_empty(&self, queue: &str) -> bool {
        let got = self.channel.basic_get(queue.into(), BasicGetOptions::default()).await.unwrap();
        got.is_none()
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        let (topology, settings) = (self.topology.clone(), self.settings.clone());
        // Drop runs inside the test's runtime, which cannot block on itself: use a thread of its own.
        let deleted = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
            runtime.block_on(async {
                let connection = messaging::connect(&settings).await.ok()?;
                let channel = connection.create_channel().await.ok()?;
                topology.delete(&channel).await.ok()?;
                connection.close(200, "test over".into()).await.ok()
            })
        });
        let _ = deleted.join();
    }
}

fn envelope(aggregate_type: &str, event_type: &str, sequence: i64) -> Envelope {
    Envelope {
        id: format!("{aggregate_type}:a-1:{sequence}"),
        position: sequence,
        aggregate_type: aggregate_type.to_owned(),
        aggregate_id: "a-1".to_owned(),
        sequence,
        event_type: event_type.to_owned(),
        version: "1".to_owned(),
        recorded_at: chrono::Utc::now(),
        metadata: json!({ "job_id": "j-1" }),
        payload: json!({ event_type: {} }),
    }
}

#[tokio::test]
async fn declaring_the_topology_again_is_harmless() {
    let broker = Broker::start().await;
    broker.topology.declare(&broker.channel).await.expect("a second declaration");
}

#[tokio::test]
async fn each_work_queue_receives_exactly_the_events_it_is_bound_to() {
    let broker = Broker::start().await;
    let publisher = broker.publisher().await;
    let events = [
        envelope("conversion", "ConversionRequested", 1),
        envelope("conversion", "ConversionStarted", 2),
        envelope("conversion", "ConversionSucceeded", 3),
        envelope("game", "GameConfigured", 1),
        envelope("conversion", "ConversionFailed", 4),
    ];
    publisher.publish_all(&events).await.expect("confirmed");

    let requested = broker.next_in(&broker.topology.converter_queue()).await.unwrap();
    assert_eq!(envelope_of(&requested).unwrap(), events[0]);
    assert!(broker.is_empty(&broker.topology.converter_queue()).await);
    let notified: Vec<Envelope> = [
        broker.next_in(&broker.topology.notifier_queue()).await.unwrap(),
        broker.next_in(&broker.topology.notifier_queue()).await.unwrap(),
    ]
    .iter()
    .map(|delivery| envelope_of(delivery).unwrap())
    .collect();
    assert_eq!(notified, [events[2].clone(), events[4].clone()]);
    assert!(broker.is_empty(&broker.topology.notifier_queue()).await);
}

#[tokio::test]
async fn a_message_is_persistent_json_carrying_the_event_s_id_type_and_routing_key() {
    let broker = Broker::start().await;
    let publisher = broker.publisher().await;
    publisher.publish_all(&[envelope("conversion", "ConversionRequested", 1)]).await.unwrap();

    let delivery = broker.next_in(&broker.topology.converter_queue()).await.unwrap();
    let properties = &delivery.properties;
    assert_eq!(delivery.exchange.as_str(), broker.topology.events_exchange());
    assert_eq!(delivery.routing_key.as_str(), "conversion.requested");
    assert_eq!(properties.message_id().as_ref().unwrap().as_str(), "conversion:a-1:1");
    assert_eq!(properties.kind().as_ref().unwrap().as_str(), "ConversionRequested");
    assert_eq!(properties.content_type().as_ref().unwrap().as_str(), "application/json");
    assert_eq!(*properties.delivery_mode(), Some(2));
    let body: serde_json::Value = serde_json::from_slice(&delivery.data).unwrap();
    assert_eq!(body["aggregateType"], "conversion");
    assert_eq!(body["type"], "ConversionRequested");
}

#[tokio::test]
async fn a_consumer_gets_deliveries_to_acknowledge_itself() {
    let broker = Broker::start().await;
    let publisher = broker.publisher().await;
    let queue = broker.topology.converter_queue();
    let mut consumer = consume(&broker.channel, &queue, "converter-test", 1).await.unwrap();
    publisher.publish_all(&[envelope("conversion", "ConversionRequested", 1)]).await.unwrap();

    let delivery = tokio::time::timeout(Duration::from_secs(10), consumer.next())
        .await
        .expect("a delivery in time")
        .expect("the consumer is open")
        .unwrap();
    assert_eq!(envelope_of(&delivery).unwrap().id, "conversion:a-1:1");
    assert!(!delivery.redelivered);
    delivery.ack(BasicAckOptions::default()).await.expect("acked");
}

#[tokio::test]
async fn a_message_rejected_without_requeueing_goes_to_the_dead_letter_queue() {
    let broker = Broker::start().await;
    let publisher = broker.publisher().await;
    publisher.publish_all(&[envelope("conversion", "ConversionFailed", 1)]).await.unwrap();

    let delivery = broker.next_in(&broker.topology.notifier_queue()).await.unwrap();
    delivery.nack(BasicNackOptions { requeue: false, ..Default::default() }).await.unwrap();

    let dead = broker.next_in(&broker.topology.dead_letter_queue()).await.unwrap();
    assert_eq!(envelope_of(&dead).unwrap().id, "conversion:a-1:1");
}

#[tokio::test]
async fn a_message_returned_more_often_than_the_delivery_limit_is_dead_lettered() {
    let broker = Broker::start().await;
    let publisher = broker.publisher().await;
    publisher.publish_all(&[envelope("conversion", "ConversionRequested", 1)]).await.unwrap();
    let queue = broker.topology.converter_queue();

    let mut deliveries = 0;
    while let Some(delivery) = broker.next_in_or_none(&queue).await {
        deliveries += 1;
        assert!(deliveries <= messaging::topology::DELIVERY_LIMIT + 1, "delivered {deliveries} times");
        delivery.nack(BasicNackOptions { requeue: true, ..Default::default() }).await.unwrap();
    }
    assert_eq!(deliveries, messaging::topology::DELIVERY_LIMIT + 1);
    let dead = broker.next_in(&broker.topology.dead_letter_queue()).await.unwrap();
    assert_eq!(envelope_of(&dead).unwrap().id, "conversion:a-1:1");
}
