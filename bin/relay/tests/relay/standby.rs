//! Two relays side by side: one publishes, the other stands by and takes over when the first stops.

use std::collections::HashSet;
use std::time::Duration;

use testkit::wait_until;

use crate::helpers::{Harness, TestRelay};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_second_relay_stands_by_and_takes_over_when_the_first_stops() {
    let harness = Harness::start().await;
    let first = TestRelay::spawn(harness.settings.clone()).await;
    first.wait_until_leading().await;
    let second = TestRelay::spawn(harness.settings.clone()).await;
    wait_until("the second relay to connect", Duration::from_secs(15), || async {
        second.status.connected().then_some(())
    })
    .await;

    harness.append("first", 2, 10).await;
    harness.wait_for_checkpoint_at_head(Duration::from_secs(30)).await;
    assert!(first.status.leading());
    assert!(!second.status.leading(), "two relays lead at once");
    assert_eq!(second.status.published(), 0);
    assert_eq!(second.get("/readyz").await.0, 200, "a standby is ready");

    first.stop().await;
    second.wait_until_leading().await;
    harness.append("second", 2, 10).await;
    harness.wait_for_checkpoint_at_head(Duration::from_secs(30)).await;
    assert!(second.status.published() >= 20);
    second.stop().await;

    let observed = harness.observer.drain().await;
    let ids: HashSet<&str> = observed.iter().map(|message| message.envelope.id.as_str()).collect();
    let expected = harness.event_ids().await;
    assert_eq!(expected.len(), 40);
    assert!(expected.iter().all(|id| ids.contains(id.as_str())), "an event was not published");
}
