//! Worker jobs through the projector's plan, the fenced apply and `claim_next`, against a real Redis
//! under a key prefix of the test's own.

use chrono::{DateTime, Utc};
use domain::jobs::{JobEvent, JobSpec};
use fred::prelude::*;
use read_model::documents::JobDocument;
use read_model::{GameBook, LogEntry};
use redis_store::ProjectionStore;
use serde_json::json;

use crate::common::{checkpoint, plan};
use crate::job_fixture::{JobFixture, at, claim_ids, event, queued_as, spec};

fn queued(id: &str, priority: u8, run_at: Option<DateTime<Utc>>) -> LogEntry<'static> {
    queued_as(id, JobSpec { priority, run_at, ..spec(id) })
}

#[tokio::test]
async fn workers_take_the_highest_priority_first_and_the_newest_first_within_one() {
    let mut fixture = JobFixture::new().await;
    fixture.apply(&[queued("old", 5, None), queued("new", 5, None), queued("urgent", 9, None)]).await;
    fixture.apply(&[queued("newest", 5, None), queued("low", 0, None)]).await;
    let queue = fixture.queue("w1");
    queue.load_library().await.unwrap();
    let claimed = claim_ids(&queue, 10, at(1)).await;
    assert_eq!(claimed, ["urgent", "newest", "new", "old", "low"]);
    assert_eq!(queue.in_flight_of("w1").await.unwrap().len(), 5);
    assert!(claim_ids(&queue, 10, at(1)).await.is_empty(), "a claimed job is not claimed twice");
}

#[tokio::test]
async fn a_delayed_job_waits_for_its_time_and_a_cancelled_one_never_runs() {
    let mut fixture = JobFixture::new().await;
    fixture.apply(&[queued("later", 5, Some(at(30))), queued("cancelled", 5, None)]).await;
    fixture
        .apply(&[event("cancelled", 2, JobEvent::JobCancelled { cancelled_at: at(1), reason: None })])
        .await;
    let queue = fixture.queue("w1");
    queue.load_library().await.unwrap();
    let claim = queue.claim(10, at(2)).await.unwrap();
    assert!(claim.orders.is_empty());
    assert_eq!(claim.look_again_at, Some(at(30)));
    assert_eq!(claim_ids(&queue, 10, at(31)).await, ["later"]);
}

#[tokio::test]
async fn a_rescued_job_is_queued_again_and_its_history_says_so() {
    let mut fixture = JobFixture::new().await;
    fixture.apply(&[queued("j", 5, None)]).await;
    let queue = fixture.queue("w1");
    queue.load_library().await.unwrap();
    assert_eq!(claim_ids(&queue, 1, at(1)).await, ["j"]);
    let started = JobEvent::JobStarted { worker: "w1".into(), attempt: 1, started_at: at(1) };
    let rescued = JobEvent::JobRescued { worker: "w1".into(), attempt: 1, rescued_at: at(9) };
    fixture.apply(&[event("j", 2, started), event("j", 3, rescued)]).await;
    let other = fixture.queue("w2");
    assert_eq!(claim_ids(&other, 1, at(10)).await, ["j"]);
    let document: JobDocument = serde_json::from_str(&fixture.stored("j").await).unwrap();
    let history: Vec<String> = document.history.unwrap().into_iter().map(|entry| entry.status).collect();
    assert_eq!(history, ["queued", "running", "queued"]);
}

#[tokio::test]
async fn the_rendered_document_reads_exactly_as_the_query_side_would_serialize_it() {
    let mut fixture = JobFixture::new().await;
    fixture.apply(&[queued("j", 7, None)]).await;
    let retry = JobEvent::JobRetryScheduled {
        attempt: 1,
        started_at: at(1),
        failed_at: at(2),
        error: "the \"remote\" said no\nand more".into(),
        retry_at: at(20),
    };
    let done = JobEvent::JobSucceeded {
        attempt: 2,
        started_at: at(21),
        finished_at: at(22),
        result: json!({ "echo": "hi", "n": 9007199254740993_i64 }),
    };
    fixture.apply(&[event("j", 2, retry)]).await;
    let retrying = fixture.stored("j").await;
    let parsed: JobDocument = serde_json::from_str(&retrying).unwrap();
    assert_eq!(serde_json::to_string(&parsed).unwrap(), retrying);
    assert_eq!(parsed.error.unwrap().message, "the \"remote\" said no\nand more");

    fixture.apply(&[event("j", 3, done)]).await;
    let finished = fixture.stored("j").await;
    let parsed: JobDocument = serde_json::from_str(&finished).unwrap();
    assert_eq!(serde_json::to_string(&parsed).unwrap(), finished);
    assert_eq!((parsed.status.as_str(), parsed.attempts, parsed.priority), ("succeeded", 2, 7));
    assert!(parsed.error.is_none(), "success clears the last failure");
    assert!(finished.contains("9007199254740993"), "numbers keep every digit");
}

#[tokio::test]
async fn a_job_queued_and_finished_in_one_batch_never_reaches_the_queue() {
    let mut fixture = JobFixture::new().await;
    let done =
        JobEvent::JobSucceeded { attempt: 1, started_at: at(1), finished_at: at(2), result: json!(null) };
    fixture.apply(&[queued("j", 5, None), event("j", 2, done)]).await;
    let depth: i64 = fixture.redis.zcard(fixture.keys.ready_queue("message")).await.unwrap();
    assert_eq!(depth, 0);
}

#[tokio::test]
async fn a_silent_worker_is_found_by_the_others() {
    let fixture = JobFixture::new().await;
    let (alive, silent) = (fixture.queue("alive"), fixture.queue("silent"));
    alive.beat(at(0)).await.unwrap();
    silent.beat(at(0)).await.unwrap();
    let _: i64 = fixture.redis.del(fixture.store.control().heartbeat("silent")).await.unwrap();
    assert_eq!(alive.silent_workers().await.unwrap(), ["silent"]);
}

#[tokio::test]
async fn a_job_taken_from_a_replaced_generation_is_not_taken_again_from_the_one_rebuilt_beside_it() {
    let mut fixture = JobFixture::new().await;
    fixture.apply(&[queued("j", 5, None)]).await;
    let queue = fixture.queue("w1");
    queue.load_library().await.unwrap();
    assert_eq!(claim_ids(&queue, 1, at(1)).await, ["j"]);

    // A rebuild replays the log into generation 2, where `j` still waits: its run has recorded nothing.
    let control = fixture.store.control().clone();
    let requested = redis_store::generations::request(&fixture.redis, &control, false).await.unwrap();
    let rebuilt = ProjectionStore::new(fixture.redis.clone(), control, requested);
    assert!(rebuilt.claim_fence(1).await.unwrap());
    let ops = plan(&[queued("j", 5, None)], &mut GameBook::new(), at(0));
    rebuilt.apply(1, None, checkpoint(1), at(0), ops).await.unwrap();
    let switched = rebuilt.switch_to(1).await.unwrap();
    assert_eq!(switched, redis_store::Switch::Done { replaced: Some(1) }, "generation 1 was replaced");

    let other = fixture.queue("w2");
    assert!(claim_ids(&other, 1, at(2)).await.is_empty(), "the run w1 took is not taken again");
    // A retry is another run: it is taken.
    let retry = JobEvent::JobRetryScheduled {
        attempt: 1,
        started_at: at(1),
        failed_at: at(2),
        error: "boom".into(),
        retry_at: at(3),
    };
    let ops = plan(&[event("j", 2, retry)], &mut GameBook::new(), at(2));
    rebuilt.apply(1, Some(checkpoint(1)), checkpoint(2), at(2), ops).await.unwrap();
    assert_eq!(claim_ids(&other, 1, at(4)).await, ["j"]);
}

#[tokio::test]
async fn a_silent_worker_from_before_the_in_flight_set_still_has_its_listed_jobs_rescued() {
    let fixture = JobFixture::new().await;
    let control = fixture.store.control().clone();
    let _: i64 = fixture.redis.rpush(control.legacy_in_flight("old"), vec!["a", "b"]).await.unwrap();
    let _: i64 = fixture.redis.sadd(control.workers(), "old").await.unwrap();
    let cleaner = fixture.queue("cleaner");
    let mut found = cleaner.in_flight_of("old").await.unwrap();
    found.sort();
    assert_eq!(found, ["a", "b"]);
    cleaner.drop_from("old", "a").await.unwrap();
    assert_eq!(cleaner.in_flight_of("old").await.unwrap(), ["b"]);
    cleaner.forget("old").await.unwrap();
    let listed: bool = fixture.redis.sismember(control.workers(), "old").await.unwrap();
    assert!(listed, "a worker with a job left is not forgotten");
    cleaner.drop_from("old", "b").await.unwrap();
    cleaner.forget("old").await.unwrap();
    let listed: bool = fixture.redis.sismember(control.workers(), "old").await.unwrap();
    assert!(!listed, "a worker with nothing left is forgotten");
}
