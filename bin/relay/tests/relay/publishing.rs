//! Without faults: every event is published exactly once, in per-aggregate order, as its envelope.

use std::collections::HashSet;
use std::time::Duration;

use eventlog::{Checkpoint, EventLogReader};
use messaging::Envelope;

use crate::helpers::{Harness, TestRelay, by_aggregate};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn events_from_four_concurrent_writers_are_each_published_once_and_in_order_per_aggregate() {
    let harness = Harness::start().await;
    let relay = TestRelay::spawn(harness.settings.clone()).await;
    relay.wait_until_leading().await;

    harness.append("race", 4, 60).await;
    harness.wait_for_checkpoint_at_head(Duration::from_secs(60)).await;
    let observed = harness.observer.drain().await;
    relay.stop().await;

    let expected = harness.event_ids().await;
    assert_eq!(expected.len(), 240);
    let ids: Vec<&str> = observed.iter().map(|message| message.envelope.id.as_str()).collect();
    assert_eq!(ids.len(), expected.len(), "published a different number of messages than events");
    assert_eq!(
        ids.iter().copied().collect::<HashSet<_>>(),
        expected.iter().map(String::as_str).collect::<HashSet<_>>()
    );
    let streams = by_aggregate(&observed);
    assert_eq!(streams.len(), 20);
    for (aggregate, events) in streams {
        let sequences: Vec<i64> = events.iter().map(|event| event.sequence).collect();
        assert_eq!(sequences, (1..=12).collect::<Vec<_>>(), "{aggregate} arrived out of order");
        assert!(events.windows(2).all(|pair| pair[0].position < pair[1].position));
    }
}

#[tokio::test]
async fn a_message_is_the_event_s_envelope_sent_persistently_under_its_id_type_and_routing_key() {
    let harness = Harness::start().await;
    harness.append("one", 1, 1).await;
    let relay = TestRelay::spawn(harness.settings.clone()).await;
    harness.wait_for_checkpoint_at_head(Duration::from_secs(30)).await;
    let observed = harness.observer.drain().await;
    relay.stop().await;

    let logged = EventLogReader::new(harness.pool.clone()).next_batch(Checkpoint::START, 10).await.unwrap();
    assert_eq!(observed.len(), 1);
    let (message, event) = (&observed[0], &logged[0]);
    assert_eq!(message.envelope, Envelope::from(event));
    assert_eq!(message.envelope.id, "game:one-w0-g0:1");
    assert_eq!(message.envelope.position, event.checkpoint.position);
    assert_eq!(message.envelope.event_type, "GameConfigured");
    assert_eq!(message.envelope.metadata_value("job_id"), Some("one-0-0"));
    let (delivery, properties) = (&message.delivery, &message.delivery.properties);
    assert_eq!(delivery.exchange.as_str(), format!("{}reprise.events", harness.settings.rabbitmq.prefix));
    assert_eq!(delivery.routing_key.as_str(), "game.configured");
    assert_eq!(properties.message_id().as_ref().map(|id| id.as_str()), Some("game:one-w0-g0:1"));
    assert_eq!(properties.kind().as_ref().map(|kind| kind.as_str()), Some("GameConfigured"));
    assert_eq!(properties.content_type().as_ref().map(|kind| kind.as_str()), Some("application/json"));
    assert_eq!(*properties.delivery_mode(), Some(2));
    let body: serde_json::Value = serde_json::from_slice(&delivery.data).unwrap();
    assert_eq!(body["aggregateType"], "game");
    assert_eq!(body["aggregateId"], "one-w0-g0");
    assert_eq!(body["type"], "GameConfigured");
    assert_eq!(body["version"], "1");
    assert_eq!(body["payload"]["GameConfigured"]["settings"]["title"], "0");
}

#[tokio::test]
async fn a_restarted_relay_resumes_after_its_checkpoint_without_publishing_again() {
    let harness = Harness::start().await;
    harness.append("first", 2, 10).await;
    let relay = TestRelay::spawn(harness.settings.clone()).await;
    harness.wait_for_checkpoint_at_head(Duration::from_secs(30)).await;
    relay.stop().await;
    assert_eq!(harness.observer.drain().await.len(), 20);

    harness.append("second", 2, 5).await;
    let relay = TestRelay::spawn(harness.settings.clone()).await;
    harness.wait_for_checkpoint_at_head(Duration::from_secs(30)).await;
    relay.stop().await;

    let observed = harness.observer.drain().await;
    assert_eq!(observed.len(), 10);
    assert!(observed.iter().all(|message| message.envelope.aggregate_id.starts_with("second-")));
}

#[tokio::test]
async fn by_default_events_no_consumer_binds_pass_the_checkpoint_unpublished() {
    let mut harness = Harness::start().await;
    harness.settings.relay.publish = None;
    let relay = TestRelay::spawn(harness.settings.clone()).await;
    relay.wait_until_leading().await;
    harness.append("unbound", 1, 3).await;
    harness.wait_for_checkpoint_at_head(Duration::from_secs(30)).await;

    assert!(harness.observer.drain().await.is_empty(), "game events are bound by no consumer");
    assert_eq!((relay.status.published(), relay.status.passed_over()), (0, 3));
    let (_, metrics) = relay.get("/metrics").await;
    assert!(metrics.contains("relay_events_passed_over_total 3"), "{metrics}");
    relay.stop().await;
}

#[tokio::test]
async fn the_health_port_reports_liveness_readiness_and_metrics() {
    let harness = Harness::start().await;
    let relay = TestRelay::spawn(harness.settings.clone()).await;
    relay.wait_until_leading().await;
    harness.append("metrics", 1, 3).await;
    harness.wait_for_checkpoint_at_head(Duration::from_secs(30)).await;

    assert_eq!(relay.get("/healthz").await.0, 200);
    assert_eq!(relay.get("/readyz").await.0, 200);
    let (status, metrics) = relay.get("/metrics").await;
    assert_eq!(status, 200);
    assert!(metrics.contains("relay_events_published_total"), "{metrics}");
    assert!(metrics.contains("relay_lag_events"), "{metrics}");
    assert!(metrics.contains("relay_lag_seconds"), "{metrics}");
    relay.stop().await;
}
