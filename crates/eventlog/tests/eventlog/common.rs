//! What the event log's tests share.

use std::time::Duration;

use domain::scores::Game;
use eventlog::{Checkpoint, EventLogReader, EventStore, LoggedEvent};
use testkit::TestDatabase;

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

/// A database of its own, migrated, with a pool on it and the games' event store.
pub async fn game_store() -> (TestDatabase, sqlx::PgPool, EventStore<Game>) {
    let database = TestDatabase::create().await;
    let pool = sqlx::PgPool::connect(&database.url()).await.unwrap();
    eventlog::migrate(&pool).await.unwrap();
    let store = EventStore::new(pool.clone());
    (database, pool, store)
}
