//! What the event log's tests share.

use std::time::Duration;

use eventlog::{Checkpoint, EventLogReader, LoggedEvent};

/// The first `count` events of the log, once all are readable. A reader sees only transactions older
/// than the oldest one still open anywhere on the server, and tests running beside this one keep
/// transactions open: a commit becomes readable a moment later, not at once.
pub async fn first_events(reader: &EventLogReader, count: usize) -> Vec<LoggedEvent> {
    testkit::wait_until("the events to become readable", Duration::from_secs(10), || async {
        let events = reader.next_batch(Checkpoint::START, count as i64).await.ok()?;
        (events.len() == count).then_some(events)
    })
    .await
}
