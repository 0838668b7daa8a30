//! Queue controls holding across two workers: a paused kind starts nothing, a concurrency cap is never
//! exceeded, a start rate holds over ten seconds, and a worker killed while running keeps no slot.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use domain::jobs::WorkOrder;
use e2e::Stack;
use fred::prelude::*;
use job_kinds::{Failure, JobHandler, Outcome, RunContext};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::queues::{message_queue, put_queue, stack_with_an_admin};

/// The `message` kind, recording when each run started and how many ran at once.
#[derive(Default)]
struct Recorder {
    starts: Mutex<Vec<(Instant, String)>>,
    running: AtomicUsize,
    most: AtomicUsize,
    finished: AtomicUsize,
    takes: Duration,
}

#[async_trait::async_trait]
impl JobHandler for Recorder {
    fn kind(&self) -> &'static str {
        "message"
    }

    fn validate(&self, _: &str, _: Option<&Value>) -> Result<(), Vec<domain::FieldError>> {
        Ok(())
    }

    async fn run(&self, job: &WorkOrder, _context: &RunContext) -> Result<Outcome, Failure> {
        self.starts.lock().unwrap().push((Instant::now(), job.message.clone()));
        let now = self.running.fetch_add(1, Ordering::SeqCst) + 1;
        self.most.fetch_max(now, Ordering::SeqCst);
        tokio::time::sleep(self.takes).await;
        self.running.fetch_sub(1, Ordering::SeqCst);
        self.finished.fetch_add(1, Ordering::SeqCst);
        Ok(json!({}).into())
    }
}

impl Recorder {
    fn taking(takes: Duration) -> Arc<Self> {
        Arc::new(Self { takes, ..Self::default() })
    }

    fn started(&self) -> Vec<String> {
        self.starts.lock().unwrap().iter().map(|(_, message)| message.clone()).collect()
    }

    async fn wait_for(&self, finished: usize) {
        testkit::wait_until("the runs to finish", Duration::from_secs(120), || async {
            (self.finished.load(Ordering::SeqCst) >= finished).then_some(())
        })
        .await;
    }
}

/// A worker in-process running `recorder`'s kind, at most `concurrency` runs at once.
async fn start_worker(stack: &Stack, recorder: &Arc<Recorder>, concurrency: usize) -> CancellationToken {
    let mut settings = stack.settings.clone();
    settings.worker.concurrency = concurrency;
    let kinds = job_kinds::Registry::standard(&settings).with_shared(recorder.clone());
    let worker = worker::Worker::build_with_kinds(settings, domain::Clock::default(), kinds).await.unwrap();
    let stop = CancellationToken::new();
    tokio::spawn(worker.run_until_stopped(stop.clone()));
    stop
}

async fn queue_batch(stack: &Stack, count: usize) {
    let jobs: Vec<Value> = (0..count).map(|n| json!({ "message": format!("m{n}") })).collect();
    let response = stack.post("/v1/jobs/batch", json!({ "jobs": jobs })).await;
    assert_eq!(response.status(), 202);
}

async fn running_slots(stack: &Stack, kind: &str) -> i64 {
    let control = read_model::Keys::new(stack.settings.redis.key_prefix.clone());
    stack.redis.scard(control.running(kind)).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_kind_starts_no_run_on_either_worker_and_runs_newest_first_once_resumed() {
    let (stack, admin) = stack_with_an_admin().await;
    assert_eq!(put_queue(&stack, &admin, "message", json!({ "paused": true })).await.status(), 200);
    let recorder = Recorder::taking(Duration::from_millis(100));
    let _workers = (start_worker(&stack, &recorder, 1).await, start_worker(&stack, &recorder, 1).await);
    for n in 0..6 {
        assert_eq!(stack.post("/v1/jobs", json!({ "message": format!("m{n}") })).await.status(), 202);
    }
    testkit::wait_until("the jobs to be queued", Duration::from_secs(20), || async {
        (message_queue(&stack, &stack.token).await["counts"]["queued"] == 6).then_some(())
    })
    .await;
    // An observation, not a wait for a condition: two workers looking for work for two seconds.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(recorder.started(), Vec::<String>::new(), "no run starts while the kind is paused");

    assert_eq!(put_queue(&stack, &admin, "message", json!({ "paused": false })).await.status(), 200);
    recorder.wait_for(6).await;
    // Two workers claim in turn from one queue, newest first; their runs start within moments of each
    // other, so a start may swap places with its neighbour, never more.
    let newest_first = ["m5", "m4", "m3", "m2", "m1", "m0"];
    let started = recorder.started();
    for (place, message) in started.iter().enumerate() {
        let rank = newest_first.iter().position(|m| m == message).unwrap();
        assert!(rank.abs_diff(place) <= 1, "started {started:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_concurrency_cap_of_three_is_never_exceeded_by_two_workers_running_500_jobs() {
    let (stack, admin) = stack_with_an_admin().await;
    assert_eq!(put_queue(&stack, &admin, "message", json!({ "concurrency": 3 })).await.status(), 200);
    let recorder = Recorder::taking(Duration::from_millis(10));
    let _workers = (start_worker(&stack, &recorder, 8).await, start_worker(&stack, &recorder, 8).await);
    queue_batch(&stack, 500).await;
    recorder.wait_for(500).await;
    assert_eq!(recorder.most.load(Ordering::SeqCst), 3, "at most three at once, and the cap was used");
    testkit::wait_until("every slot to be freed", Duration::from_secs(10), || async {
        (running_slots(&stack, "message").await == 0).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_of_twenty_starts_a_second_holds_over_ten_seconds_with_two_workers() {
    let (stack, admin) = stack_with_an_admin().await;
    assert_eq!(put_queue(&stack, &admin, "message", json!({ "ratePerSecond": 20 })).await.status(), 200);
    let recorder = Recorder::taking(Duration::ZERO);
    let _workers = (start_worker(&stack, &recorder, 8).await, start_worker(&stack, &recorder, 8).await);
    queue_batch(&stack, 300).await;
    recorder.wait_for(250).await;
    let starts: Vec<Instant> = recorder.starts.lock().unwrap().iter().map(|(at, _)| *at).collect();
    // From a second after the first start (past the burst a tolerance allows), for ten seconds.
    let from = starts[0] + Duration::from_secs(1);
    let until = from + Duration::from_secs(10);
    let counted = starts.iter().filter(|at| **at >= from && **at < until).count();
    assert!((180..=220).contains(&counted), "{counted} starts in ten seconds at 20 a second");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_while_holding_the_only_slot_does_not_keep_it() {
    let (stack, admin) = stack_with_an_admin().await;
    assert_eq!(put_queue(&stack, &admin, "webhook", json!({ "concurrency": 1 })).await.status(), 200);
    // A receiver that answers the first call slowly, so that run still holds the slot when killed.
    let (url, _calls) = e2e::webhook_slow_the_first_time().await;
    let mut doomed = stack.spawn_worker_binary();
    let webhook = json!({ "message": "call", "kind": "webhook", "payload": { "url": url } });
    let first = stack.post("/v1/jobs", webhook.clone()).await.json::<Value>().await.unwrap();
    let first = first["jobId"].as_str().unwrap().to_owned();
    testkit::wait_until("the doomed worker to hold the slot", Duration::from_secs(20), || async {
        (running_slots(&stack, "webhook").await == 1).then_some(())
    })
    .await;
    let second = stack.post("/v1/jobs", webhook).await.json::<Value>().await.unwrap();
    let second = second["jobId"].as_str().unwrap().to_owned();
    doomed.start_kill().unwrap();
    doomed.wait().await.unwrap();

    let _rescuer = stack.start_worker(vec![]).await;
    for id in [&first, &second] {
        assert_eq!(stack.finished(id).await["status"], "succeeded", "{id}");
    }
    testkit::wait_until("the slot to be free", Duration::from_secs(10), || async {
        (running_slots(&stack, "webhook").await == 0).then_some(())
    })
    .await;
}
