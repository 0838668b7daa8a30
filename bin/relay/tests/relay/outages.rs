//! RabbitMQ going away under the relay: it reconnects and resumes from its checkpoint, so every event
//! still arrives (some perhaps twice) and the checkpoint reaches the head of the log.

use std::time::Duration;

use secrecy::SecretString;
use testkit::{TcpProxy, wait_until};

use crate::helpers::{Harness, TestRelay};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_event_arrives_when_the_broker_link_is_cut_mid_stream_and_restored() {
    let harness = Harness::start().await;
    let proxy = TcpProxy::start("127.0.0.1:5672").await;
    let mut settings = harness.settings.clone();
    settings.rabbitmq.url = SecretString::from(format!("amqp://guest:guest@{}/%2f", proxy.address()));
    settings.relay.batch_size = 10;
    let relay = TestRelay::spawn(settings).await;
    relay.wait_until_leading().await;

    let writing = {
        let pool = harness.pool.clone();
        tokio::spawn(async move { crate::helpers::append_with(&pool, "before", 4, 60).await })
    };
    let mut seen = wait_until("the first messages", Duration::from_secs(30), || {
        let drained = harness.observer.drain();
        async { Some(drained.await).filter(|messages| !messages.is_empty()) }
    })
    .await;

    proxy.cut();
    wait_until("the relay to notice the outage", Duration::from_secs(30), || async {
        (!relay.status.connected()).then_some(())
    })
    .await;
    assert_eq!(relay.get("/readyz").await.0, 503);
    harness.append("during", 2, 10).await;
    writing.await.expect("the writers finished");
    // The outage lasts long enough for reconnection attempts to hang on the cut link.
    tokio::time::sleep(Duration::from_secs(1)).await;
    proxy.restore();

    let expected = harness.event_ids().await;
    harness.observer.collect_ids(&mut seen, &expected, Duration::from_secs(60)).await;
    harness.wait_for_checkpoint_at_head(Duration::from_secs(30)).await;
    assert!(relay.status.connected());
    assert_eq!(relay.get("/readyz").await.0, 200);
    relay.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_event_arrives_when_the_database_link_is_cut_mid_stream_and_restored() {
    let harness = Harness::start().await;
    let proxy = TcpProxy::start("127.0.0.1:5432").await;
    let mut settings = harness.settings.clone();
    let direct = secrecy::ExposeSecret::expose_secret(&settings.database.url).to_owned();
    let proxied = direct.replace("127.0.0.1:5432", &proxy.address().to_string());
    settings.database.url = SecretString::from(proxied);
    settings.database.acquire_timeout_ms = 500;
    settings.relay.batch_size = 10;
    let relay = TestRelay::spawn(settings).await;
    relay.wait_until_leading().await;

    let writing = {
        let pool = harness.pool.clone();
        tokio::spawn(async move { crate::helpers::append_with(&pool, "before", 4, 60).await })
    };
    let mut seen = wait_until("the first messages", Duration::from_secs(30), || {
        let drained = harness.observer.drain();
        async { Some(drained.await).filter(|messages| !messages.is_empty()) }
    })
    .await;

    proxy.cut();
    wait_until("the relay to lose its lock with its connection", Duration::from_secs(30), || async {
        (!relay.status.leading()).then_some(())
    })
    .await;
    harness.append("during", 2, 10).await;
    writing.await.expect("the writers finished");
    proxy.restore();

    let expected = harness.event_ids().await;
    harness.observer.collect_ids(&mut seen, &expected, Duration::from_secs(60)).await;
    harness.wait_for_checkpoint_at_head(Duration::from_secs(30)).await;
    assert!(relay.status.leading(), "the relay leads again once Postgres is back");
    relay.stop().await;
}
