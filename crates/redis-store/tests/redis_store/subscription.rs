//! Subscriptions keep going after a burst larger than any buffer: listeners hear that messages were
//! lost, then the messages after the burst.

use std::time::Duration;

use fred::prelude::*;
use redis_store::{Resend, client, start, subscribe};

#[tokio::test]
async fn a_burst_of_announcements_does_not_end_the_subscription() {
    let settings = settings::RedisSettings::default();
    let channel = format!("{}burst", testkit::unique_prefix());
    let sender = subscribe(&settings, channel.clone()).unwrap();
    let mut listener = sender.subscribe();
    let publisher = client(&settings, Resend::Allowed).unwrap();
    start(&publisher);
    redis_store::connected(&publisher, std::time::Duration::from_secs(10)).await.unwrap();
    testkit::wait_until("the subscription", Duration::from_secs(10), || async {
        let counts: Vec<(String, i64)> = publisher.pubsub_numsub(channel.clone()).await.ok()?;
        (counts.first()?.1 == 1).then_some(())
    })
    .await;

    // Far more messages at once than fred's or our buffer holds.
    let burst = "for i = 1, tonumber(ARGV[1]) do redis.call('PUBLISH', KEYS[1], i) end";
    let _: () = publisher.eval(burst, vec![channel.clone()], vec!["200000"]).await.unwrap();
    let _: i64 = publisher.publish(channel.clone(), "after the burst").await.unwrap();

    let heard = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            match listener.recv().await {
                Ok(Some(message)) if message == "after the burst" => return true,
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(_) => return false,
            }
        }
    })
    .await;
    assert_eq!(heard, Ok(true), "the message after the burst never arrived");
}
