//! What the tests share: a projection store under a prefix of the test's own, and the log's entries.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use eventlog::Checkpoint;
use fred::prelude::*;
use read_model::{GameBook, Keys, LogEntry, Op, plan_batch};
use redis_store::{ProjectionStore, Resend, client, start};
use serde_json::Value;

/// A store of generation 1 under a fresh prefix, the current one, its Functions loaded and fencing
/// token 1 claimed, through a client that never resends; with the generation's keys.
pub async fn store() -> (ProjectionStore, Client, Keys) {
    let redis = client(&settings::RedisSettings::default(), Resend::Never).unwrap();
    start(&redis);
    redis_store::connected(&redis, std::time::Duration::from_secs(10)).await.unwrap();
    let control = Keys::new(testkit::unique_prefix());
    let store = ProjectionStore::new(redis.clone(), control.clone(), 1);
    store.load_library().await.unwrap();
    assert!(store.claim_fence(1).await.unwrap());
    let _: () = redis.set(control.current_generation(), 1, None, None, false).await.unwrap();
    let keys = store.keys().clone();
    (store, redis, keys)
}

/// The `n`th checkpoint of a test's log.
pub fn checkpoint(n: i64) -> Checkpoint {
    Checkpoint { transaction_id: n, position: n }
}

/// An event of the log: `payload` (an event as cqrs-es serializes it) of aggregate `id`.
pub fn logged(
    aggregate_type: &str,
    id: &str,
    sequence: i64,
    payload: Value,
    metadata: Value,
    recorded_at: DateTime<Utc>,
) -> LogEntry<'static> {
    LogEntry {
        aggregate_type: Cow::Owned(aggregate_type.into()),
        aggregate_id: Cow::Owned(id.into()),
        sequence,
        event_type: Cow::Borrowed(""),
        payload: Cow::Owned(payload),
        metadata: Cow::Owned(metadata),
        recorded_at,
    }
}

/// The operations of a batch whose every event the plan knows.
pub fn plan(events: &[LogEntry<'_>], games: &mut GameBook, now: DateTime<Utc>) -> Vec<Op> {
    let plan = plan_batch(events, games, now).unwrap();
    assert!(plan.unknown.is_empty(), "{:?}", plan.unknown);
    plan.ops
}
