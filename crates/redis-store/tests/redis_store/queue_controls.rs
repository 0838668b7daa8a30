//! The claim's queue controls (pause, concurrency cap, start rate) and the counts the projector keeps per
//! kind, through the projector's plan, the fenced apply and `claim_next`, against a real Redis.

use chrono::{DateTime, Utc};
use domain::jobs::{Concurrency, JobEvent, JobSpec, QueueEvent, QueueSettings, StartRate};
use fred::prelude::*;
use read_model::LogEntry;
use serde_json::json;

use crate::common::logged;
use crate::job_fixture::{JobFixture, at, claim_ids, event, queued_as, spec};

fn millis(ms: i64) -> DateTime<Utc> {
    at(0) + chrono::Duration::milliseconds(ms)
}

fn queued(id: &str, kind: &str, owner: &str) -> LogEntry<'static> {
    queued_as(id, JobSpec { kind: kind.into(), owner: owner.into(), ..spec(id) })
}

fn configured(kind: &str, settings: QueueSettings) -> LogEntry<'static> {
    let event = QueueEvent::QueueConfigured { settings, configured_at: at(0) };
    logged("queue", kind, 1, serde_json::to_value(event).unwrap(), json!({ "user_id": "admin" }), at(0))
}

fn paused() -> QueueSettings {
    QueueSettings { paused: true, ..QueueSettings::default() }
}

#[tokio::test]
async fn a_paused_kind_starts_nothing_and_holds_back_none_of_the_others_jobs() {
    let mut fixture = JobFixture::new().await;
    fixture.apply(&[queued("m1", "message", "u1"), queued("w1", "webhook", "u1")]).await;
    fixture.apply(&[queued("m2", "message", "u1"), configured("message", paused())]).await;
    let queue = fixture.queue("worker");
    assert_eq!(claim_ids(&queue, 10, at(1)).await, ["w1"]);
    assert!(claim_ids(&queue, 10, at(1)).await.is_empty(), "nothing of the paused kind starts");

    let mut resumed = configured("message", QueueSettings::default());
    resumed.sequence = 2;
    fixture.apply(&[resumed]).await;
    assert_eq!(claim_ids(&queue, 10, at(2)).await, ["m2", "m1"], "newest first once resumed");
}

#[tokio::test]
async fn a_concurrency_cap_holds_across_workers_until_a_run_is_released_or_rescued() {
    let mut fixture = JobFixture::new().await;
    let capped =
        QueueSettings { concurrency: Some(Concurrency::new(2).unwrap()), ..QueueSettings::default() };
    let jobs: Vec<LogEntry<'static>> = (0..5).map(|n| queued(&format!("j{n}"), "message", "u1")).collect();
    fixture.apply(&jobs).await;
    fixture.apply(&[configured("message", capped)]).await;
    let (first, second) = (fixture.queue("first"), fixture.queue("second"));
    assert_eq!(claim_ids(&first, 1, at(1)).await, ["j4"]);
    assert_eq!(claim_ids(&second, 10, at(1)).await, ["j3"], "one slot was left");
    assert!(claim_ids(&second, 10, at(1)).await.is_empty());
    assert_eq!(first.running("message").await.unwrap(), 2);

    first.release("j4").await.unwrap();
    assert_eq!(claim_ids(&second, 10, at(2)).await, ["j2"]);
    // A worker killed with runs in flight: the cleaner's drop frees the slot with the list entry.
    second.drop_from("second", "j3").await.unwrap();
    assert_eq!(claim_ids(&first, 10, at(3)).await, ["j1"]);
    assert_eq!(first.running("message").await.unwrap(), 2);
    assert!(second.in_flight_of("second").await.unwrap() == ["j2"]);
}

#[tokio::test]
async fn a_start_rate_spaces_the_starts_and_says_when_the_next_one_is_allowed() {
    let mut fixture = JobFixture::new().await;
    // 10 a second: one start every 100 ms, with a tolerance of 100 ms (a burst of two after a pause).
    let rated =
        QueueSettings { rate_per_second: Some(StartRate::new(10.0).unwrap()), ..QueueSettings::default() };
    let jobs: Vec<LogEntry<'static>> = (0..30).map(|n| queued(&format!("j{n}"), "message", "u1")).collect();
    fixture.apply(&jobs).await;
    fixture.apply(&[configured("message", rated)]).await;
    let (first, second) = (fixture.queue("first"), fixture.queue("second"));
    let claim = first.claim(10, millis(0)).await.unwrap();
    assert_eq!(claim.orders.len(), 2, "the burst the tolerance allows");
    assert_eq!(claim.look_again_at, Some(millis(100)), "the next start, 200 ms on less the tolerance");
    assert!(claim_ids(&second, 10, millis(50)).await.is_empty(), "the other worker is held too");
    // Over two seconds of claims every 10 ms from both workers: twenty starts, not more.
    let mut started = 2;
    for tick in 1..=200 {
        let worker = if tick % 2 == 0 { &first } else { &second };
        started += claim_ids(worker, 10, millis(10 * tick)).await.len();
    }
    assert_eq!(started, 2 + 20, "one start per 100 ms after the burst");
}

#[tokio::test]
async fn counts_follow_each_status_change_per_kind_and_per_owner() {
    let mut fixture = JobFixture::new().await;
    fixture
        .apply(&[
            queued("a", "message", "alice"),
            queued("b", "message", "bob"),
            queued("c", "webhook", "bob"),
        ])
        .await;
    let started = JobEvent::JobStarted { worker: "w".into(), attempt: 1, started_at: at(1) };
    let done =
        JobEvent::JobSucceeded { attempt: 1, started_at: at(1), finished_at: at(2), result: json!(null) };
    fixture.apply(&[event("a", 2, started), event("a", 3, done)]).await;
    fixture.apply(&[event("b", 2, JobEvent::JobCancelled { cancelled_at: at(3), reason: None })]).await;

    let every = fixture.overview(None, at(30)).await;
    assert_eq!(every[0].counts, [("cancelled".into(), 1), ("succeeded".into(), 1)].into());
    assert_eq!(every[1].counts, [("queued".into(), 1)].into());
    assert_eq!(every[1].oldest_queued_at, Some(at(0)));
    assert_eq!(every[0].oldest_queued_at, None);
    assert_eq!(every[0].finished_last_minute, 1);
    assert_eq!(fixture.overview(None, millis(63_000)).await[0].finished_last_minute, 0, "a minute later");

    let alices = fixture.overview(Some("alice"), at(30)).await;
    assert_eq!(alices[0].counts, [("succeeded".into(), 1)].into());
    assert!(alices[1].counts.is_empty());
}

#[tokio::test]
async fn a_first_document_written_ahead_of_the_projector_is_counted_once() {
    let mut fixture = JobFixture::new().await;
    // command-api writes the job's first document (status queued) before the projector reads the event.
    let document = r#"{"id":"a","kind":"message","status":"queued"}"#;
    let _: () = fixture.redis.set(fixture.store.keys().job("a"), document, None, None, false).await.unwrap();
    fixture.apply(&[queued("a", "message", "alice")]).await;
    assert_eq!(fixture.overview(None, at(1)).await[0].counts, [("queued".into(), 1)].into());
}

/// Jobs' lives with every kind of count change: finished, cancelled, queued again after a rescue (so
/// leaving the queued index and joining it again), retried, and two runs finished a minute apart (one
/// slot of the per-second counts).
fn lives() -> Vec<LogEntry<'static>> {
    let started =
        |attempt, second| JobEvent::JobStarted { worker: "w".into(), attempt, started_at: at(second) };
    let succeeded = |second: i64| JobEvent::JobSucceeded {
        attempt: 1,
        started_at: at(1),
        finished_at: millis(second * 1000),
        result: json!(null),
    };
    let rescued = JobEvent::JobRescued { worker: "w".into(), attempt: 1, rescued_at: at(5) };
    let retrying = JobEvent::JobRetryScheduled {
        attempt: 1,
        started_at: at(1),
        failed_at: at(4),
        error: "boom".into(),
        retry_at: at(40),
    };
    vec![
        queued("a", "message", "alice"),
        queued("b", "message", "bob"),
        queued("c", "message", "bob"),
        queued("d", "message", "alice"),
        queued("e", "message", "bob"),
        queued("f", "webhook", "bob"),
        event("a", 2, started(1, 1)),
        event("a", 3, succeeded(2)),
        event("b", 2, JobEvent::JobCancelled { cancelled_at: at(3), reason: None }),
        event("c", 2, started(1, 1)),
        event("c", 3, rescued),
        event("d", 2, started(1, 1)),
        event("d", 3, retrying),
        event("e", 2, started(1, 1)),
        event("e", 3, succeeded(62)),
    ]
}

/// Compares what two fixtures that applied `lives()` show: every owner's overview at three times, and
/// every job's document.
async fn assert_same_as(together: &JobFixture, one_by_one: &JobFixture) {
    for now in [at(30), millis(61_500), millis(90_000)] {
        for owner in [None, Some("alice"), Some("bob")] {
            assert_eq!(
                together.overview(owner, now).await,
                one_by_one.overview(owner, now).await,
                "{owner:?} at {now}"
            );
        }
    }
    for id in ["a", "b", "c", "d", "e", "f"] {
        assert_eq!(together.stored(id).await, one_by_one.stored(id).await, "job {id}");
    }
}

async fn one_event_a_batch() -> JobFixture {
    let mut one_by_one = JobFixture::new().await;
    for entry in lives() {
        one_by_one.apply(&[entry]).await;
    }
    one_by_one
}

#[tokio::test]
async fn a_batch_read_before_the_one_ahead_of_it_lands_counts_and_renders_as_if_it_had_landed() {
    let events = lives();
    let (ahead, behind) = events.split_at(8);
    let mut pipelined = JobFixture::new().await;
    pipelined.apply_before_landing(ahead, behind).await;
    assert_same_as(&pipelined, &one_event_a_batch().await).await;
    let counts = [("cancelled", 1), ("queued", 1), ("retrying", 1), ("succeeded", 2)];
    assert_eq!(
        pipelined.overview(None, at(30)).await[0].counts,
        counts.map(|(s, n)| (s.to_owned(), n)).into()
    );
}

#[tokio::test]
async fn a_batch_counts_and_renders_as_its_events_one_batch_each_would() {
    let mut together = JobFixture::new().await;
    together.apply(&lives()).await;
    assert_same_as(&together, &one_event_a_batch().await).await;
    let every = together.overview(None, at(30)).await;
    let counts = [("cancelled", 1), ("queued", 1), ("retrying", 1), ("succeeded", 2)];
    assert_eq!(every[0].counts, counts.map(|(status, n)| (status.to_owned(), n)).into());
    assert_eq!(every[0].oldest_queued_at, Some(at(5)), "c queued again at its rescue");
    assert_eq!(every[1].counts, [("queued".into(), 1)].into());
    let later = together.overview(None, millis(90_000)).await;
    assert_eq!(later[0].finished_last_minute, 1, "e's run: a's, a minute earlier, shared its slot");
}
