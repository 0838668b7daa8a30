//! What the job-queue tests share: a store whose batches are applied one after another, workers'
//! handles on its queue, and jobs' entries in the log.

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use domain::jobs::{JobEvent, JobSpec};
use fred::prelude::*;
use read_model::board_write::Landing;
use read_model::{GameBook, Keys, LogEntry};
use redis_store::ProjectionStore;
use redis_store::queue::WorkQueue;
use redis_store::queue_overview::{QueueState, read_queues};
use redis_store::store::PreparedBatch;
use serde_json::json;

use crate::common::{checkpoint, logged, plan, store};

/// A store under a prefix of the test's own, with the queue's Functions loaded.
pub struct JobFixture {
    pub store: ProjectionStore,
    pub redis: Client,
    pub keys: Keys,
    applied: i64,
}

impl JobFixture {
    pub async fn new() -> Self {
        let (store, redis, keys) = store().await;
        let fixture = Self { store, redis, keys, applied: 0 };
        fixture.queue("loader").load_library().await.unwrap();
        fixture
    }

    /// Plans `events` and applies them as the log's next batch.
    pub async fn apply(&mut self, events: &[LogEntry<'_>]) {
        let ops = plan(events, &mut GameBook::new(), at(0));
        let from = (self.applied > 0).then_some(checkpoint(self.applied));
        self.applied += 1;
        self.store.apply(1, from, checkpoint(self.applied), at(0), ops).await.unwrap();
    }

    /// Prepares `behind` while `ahead` is still on its way to Redis (its reads see what `ahead` writes
    /// only through its landing), then sends both in order, as the projector's pipeline does.
    pub async fn apply_before_landing(&mut self, ahead: &[LogEntry<'_>], behind: &[LogEntry<'_>]) {
        let first = self.prepare(ahead, None).await;
        let second = self.prepare(behind, Some(&first.landing)).await;
        self.store.send(first.args).await.unwrap();
        self.store.send(second.args).await.unwrap();
    }

    async fn prepare(&mut self, events: &[LogEntry<'_>], landing: Option<&Landing>) -> PreparedBatch {
        let ops = plan(events, &mut GameBook::new(), at(0));
        let from = (self.applied > 0).then_some(checkpoint(self.applied));
        self.applied += 1;
        let stored = self.store.stored(&ops, landing).await.unwrap();
        self.store.prepare(1, from, checkpoint(self.applied), at(0), ops, stored)
    }

    /// Worker `worker`'s handle on the queue, its heartbeat living 5 s.
    pub fn queue(&self, worker: &str) -> WorkQueue {
        WorkQueue::new(self.redis.clone(), self.store.control().clone(), worker, Duration::from_secs(5))
    }

    /// Job `id`'s stored document.
    pub async fn stored(&self, id: &str) -> String {
        self.redis.get(self.keys.job(id)).await.unwrap()
    }

    /// The queue overview of the `message` and `webhook` kinds, of `owner`'s jobs or everyone's.
    pub async fn overview(&self, owner: Option<&str>, now: DateTime<Utc>) -> Vec<QueueState> {
        let kinds = ["message".to_owned(), "webhook".to_owned()];
        read_queues(&self.redis, self.store.keys(), &kinds, owner, now).await.unwrap()
    }
}

/// `second` seconds into the tests' minute.
pub fn at(second: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, second).unwrap()
}

/// Job `id`'s event at `sequence`, by user `u1`.
pub fn event(id: &str, sequence: i64, event: JobEvent) -> LogEntry<'static> {
    event_by("u1", id, sequence, event)
}

/// Job `id`'s event at `sequence`, by `user`.
fn event_by(user: &str, id: &str, sequence: i64, event: JobEvent) -> LogEntry<'static> {
    let metadata = json!({ "job_id": id, "user_id": user });
    logged("job", id, sequence, serde_json::to_value(event).unwrap(), metadata, at(0))
}

/// A `message` job of `u1`'s, priority 5, to run at once.
pub fn spec(id: &str) -> JobSpec {
    JobSpec {
        kind: "message".into(),
        message: format!("hello from {id}"),
        priority: 5,
        run_at: None,
        max_attempts: 3,
        payload: None,
        owner: "u1".into(),
        request_hash: "h".into(),
        unique: None,
        depends_on: vec![],
    }
}

/// Job `id` queued as `spec` says, by its owner.
pub fn queued_as(id: &str, spec: JobSpec) -> LogEntry<'static> {
    let owner = spec.owner.clone();
    event_by(&owner, id, 1, JobEvent::JobQueued { spec, queued_at: at(0) })
}

/// The ids of up to `wanted` jobs `queue` claims at `now`.
pub async fn claim_ids(queue: &WorkQueue, wanted: usize, now: DateTime<Utc>) -> Vec<String> {
    queue.claim(wanted, now).await.unwrap().orders.into_iter().map(|order| order.id).collect()
}
