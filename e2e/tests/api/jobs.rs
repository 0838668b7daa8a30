//! Jobs queued through the API and run by workers: the contract, LIFO order, cancellation, panics and
//! a worker killed mid-job.

use std::sync::Arc;
use std::time::Duration;

use domain::jobs::WorkOrder;
use e2e::Stack;
use fred::prelude::*;
use job_kinds::{Failure, JobHandler, Outcome, RunContext};
use serde_json::{Value, json};

async fn queue(stack: &Stack, body: Value) -> String {
    let response = stack.post("/v1/jobs", body).await;
    assert_eq!(response.status(), 202, "{:?}", response.text().await);
    assert!(response.headers().contains_key("location"));
    let accepted: Value = response.json().await.unwrap();
    accepted["jobId"].as_str().unwrap().to_owned()
}

async fn job(stack: &Stack, id: &str) -> Value {
    stack.get(&format!("/v1/jobs/{id}")).await.json().await.unwrap()
}

/// How many `message` jobs of `priority` wait in the ready queue (scored `priority * 2^48 + sequence`).
async fn queued_depth(stack: &Stack, priority: u8) -> i64 {
    let span = 2_f64.powi(48);
    let (low, high) = (f64::from(priority) * span, f64::from(priority + 1) * span);
    stack.redis.zcount(stack.keys().ready_queue("message"), low, high - 1.0).await.unwrap()
}

async fn wait_for_depth(stack: &Stack, priority: u8, depth: i64) {
    testkit::wait_until("the projector to queue the jobs", Duration::from_secs(20), || async {
        (queued_depth(stack, priority).await == depth).then_some(())
    })
    .await;
}

#[tokio::test]
async fn a_queued_message_is_run_by_the_worker_and_listed_among_the_users_jobs() {
    let stack = Stack::start().await;
    let _worker = stack.start_worker(vec![]).await;
    let id = queue(&stack, json!({ "message": "hello" })).await;
    let done = stack.finished(&id).await;
    assert_eq!(done["status"], "succeeded");
    assert_eq!(
        (done["kind"].as_str(), done["attempts"].as_u64(), done["priority"].as_u64()),
        (Some("message"), Some(1), Some(5))
    );
    assert_eq!(done["result"]["message"], "hello");
    assert!(done["startedAt"].is_string() && done["finishedAt"].is_string());

    let listed: Value = stack.get("/v1/jobs?status=processed&kind=message").await.json().await.unwrap();
    let ids: Vec<&str> =
        listed["items"].as_array().unwrap().iter().filter_map(|j| j["id"].as_str()).collect();
    assert_eq!(ids, [id.as_str()]);
    let none: Value = stack.get("/v1/jobs?status=failed").await.json().await.unwrap();
    assert_eq!(none, json!({ "items": [], "nextCursor": null }));
}

#[tokio::test]
async fn the_job_list_pages_newest_first_with_a_cursor() {
    let stack = Stack::start().await;
    let mut ids = Vec::new();
    for n in 0..5 {
        ids.push(queue(&stack, json!({ "message": format!("m{n}") })).await);
    }
    testkit::wait_until("the projector to index the jobs", Duration::from_secs(20), || async {
        let listed: Value = stack.get("/v1/jobs?limit=100").await.json().await.ok()?;
        (listed["items"].as_array()?.len() == 5).then_some(())
    })
    .await;
    let first: Value = stack.get("/v1/jobs?limit=3").await.json().await.unwrap();
    let cursor = first["nextCursor"].as_str().unwrap();
    let second: Value = stack.get(&format!("/v1/jobs?limit=3&cursor={cursor}")).await.json().await.unwrap();
    let seen: Vec<String> = [first, second]
        .iter()
        .flat_map(|page| {
            page["items"].as_array().unwrap().iter().map(|j| j["id"].as_str().unwrap().to_owned())
        })
        .collect();
    ids.reverse();
    assert_eq!(seen, ids);
}

#[tokio::test]
async fn invalid_jobs_and_filters_are_422s_naming_the_field() {
    let stack = Stack::start().await;
    for (body, field) in [
        (json!({}), "message"),
        (json!({ "message": "  " }), "message"),
        (json!({ "message": "m", "kind": "teleport" }), "kind"),
        (json!({ "message": "m", "priority": 10 }), "priority"),
        (json!({ "message": "m", "priority": -1 }), "priority"),
        (json!({ "message": "m", "maxAttempts": 0 }), "maxAttempts"),
        (json!({ "message": "m", "maxAttempts": 26 }), "maxAttempts"),
        (json!({ "message": "m", "runAt": "tomorrow" }), "runAt"),
        (
            json!({ "message": "m", "kind": "webhook", "payload": { "url": "http://example.com/" } }),
            "payload.url",
        ),
    ] {
        let response = stack.post("/v1/jobs", body.clone()).await;
        assert_eq!(response.status(), 422, "{body}");
        let problem: Value = response.json().await.unwrap();
        assert_eq!(problem["errors"][0]["field"], field, "{body}");
    }
    let not_json = stack
        .http
        .post(format!("{}/v1/jobs", stack.command))
        .bearer_auth(&stack.token)
        .header("content-type", "text/plain")
        .body("message=hi")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status(), 415);
    assert_eq!(stack.get("/v1/jobs?status=done").await.status(), 422);
    assert_eq!(stack.get("/v1/jobs?cursor=%21%21").await.status(), 422);
}

#[tokio::test]
async fn cancelling_works_before_the_run_only_and_only_for_the_owner() {
    let stack = Stack::start().await;
    let waiting = queue(&stack, json!({ "message": "later", "runAt": "2099-01-01T00:00:00Z" })).await;
    assert_eq!(job(&stack, &waiting).await["status"], "scheduled");
    let other = stack.sign_up("mallory").await;
    let delete_as = |token: String, id: String| {
        let http = stack.http.clone();
        let url = format!("{}/v1/jobs/{id}", stack.command);
        async move { http.delete(url).bearer_auth(token).send().await.unwrap().status().as_u16() }
    };
    assert_eq!(delete_as(other, waiting.clone()).await, 404);
    assert_eq!(delete_as(stack.token.clone(), waiting.clone()).await, 202);
    assert_eq!(stack.finished(&waiting).await["status"], "cancelled");
    assert_eq!(delete_as(stack.token.clone(), waiting).await, 409, "a cancelled job is finished");

    let score = stack.submit(json!({ "game": "tetris", "player": "ada", "score": 1 })).await;
    assert_eq!(delete_as(stack.token.clone(), score).await, 409, "score submissions cannot be cancelled");
    assert_eq!(delete_as(stack.token.clone(), uuid::Uuid::now_v7().to_string()).await, 404);
}

#[tokio::test]
async fn a_worker_takes_the_newest_job_first_and_a_higher_priority_before_a_lower_one() {
    let stack = Stack::start().await;
    let mut ids = Vec::new();
    for n in 0..5 {
        ids.push(queue(&stack, json!({ "message": format!("m{n}") })).await);
    }
    let low = queue(&stack, json!({ "message": "low", "priority": 1 })).await;
    let high = queue(&stack, json!({ "message": "high", "priority": 9 })).await;
    wait_for_depth(&stack, 5, 5).await;
    wait_for_depth(&stack, 9, 1).await;

    let mut settings = stack.settings.clone();
    settings.worker.concurrency = 1;
    let worker = worker::Worker::build(settings, domain::Clock::default()).await.unwrap();
    let stop = tokio_util::sync::CancellationToken::new();
    tokio::spawn(worker.run_until_stopped(stop.clone()));
    stack.finished(&low).await;
    stop.cancel();

    let mut order = vec![high.clone(), low.clone()];
    order.extend(ids.iter().cloned());
    let mut started = Vec::new();
    for id in &order {
        let done = stack.finished(id).await;
        assert_eq!(done["status"], "succeeded");
        started.push((done["startedAt"].as_str().unwrap().to_owned(), id.clone()));
    }
    started.sort();
    let run_order: Vec<String> = started.into_iter().map(|(_, id)| id).collect();
    let mut expected = vec![high];
    expected.extend(ids.into_iter().rev());
    expected.push(low);
    assert_eq!(run_order, expected);
}

/// A kind whose handler panics.
struct Explode;

#[async_trait::async_trait]
impl JobHandler for Explode {
    fn kind(&self) -> &'static str {
        "explode"
    }

    fn validate(&self, _: &str, _: Option<&Value>) -> Result<(), Vec<domain::FieldError>> {
        Ok(())
    }

    async fn run(&self, job: &WorkOrder, _context: &RunContext) -> Result<Outcome, Failure> {
        panic!("kaboom: {}", job.message)
    }
}

#[tokio::test]
async fn a_job_whose_handler_panics_fails_with_the_message_and_the_worker_keeps_going() {
    let stack = Stack::start().await;
    let _worker = stack.start_worker(vec![Arc::new(Explode)]).await;
    // The HTTP side knows only the standard kinds: this job enters the log as a client's would.
    let id = uuid::Uuid::now_v7().to_string();
    let spec = domain::jobs::JobSpec {
        kind: "explode".into(),
        message: "m".into(),
        priority: 5,
        run_at: None,
        max_attempts: 3,
        payload: None,
        owner: "someone".into(),
        request_hash: "h".into(),
        unique: None,
        depends_on: vec![],
    };
    let jobs = eventlog::EventStore::<domain::jobs::Job>::new(
        sqlx::PgPool::connect(&stack.database.url()).await.unwrap(),
    );
    let metadata = eventlog::Metadata::from([("user_id".to_owned(), "someone".to_owned())]);
    jobs.execute(&id, domain::jobs::JobCommand::Queue { spec, at: chrono::Utc::now() }, &metadata)
        .await
        .unwrap();
    testkit::wait_until("the job to fail", Duration::from_secs(20), || async {
        let stored: Option<String> = stack.redis.get(stack.keys().job(&id)).await.ok()?;
        let job: Value = serde_json::from_str(&stored?).ok()?;
        (job["status"] == "failed").then_some(job)
    })
    .await;
    let stored: String = stack.redis.get(stack.keys().job(&id)).await.unwrap();
    let failed: Value = serde_json::from_str(&stored).unwrap();
    assert_eq!(failed["error"]["message"], "the handler panicked: kaboom: m");
    assert_eq!(failed["error"]["retryable"], false);

    let after = queue(&stack, json!({ "message": "still here" })).await;
    assert_eq!(stack.finished(&after).await["status"], "succeeded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_mid_job_has_the_job_rescued_and_completed_by_another() {
    let stack = Stack::start().await;
    // A receiver that answers slowly the first time, so the first run is still going when killed.
    let (url, calls) = e2e::webhook_slow_the_first_time().await;
    let mut doomed = stack.spawn_worker_binary();
    let id = queue(&stack, json!({ "message": "call", "kind": "webhook", "payload": { "url": url } })).await;
    testkit::wait_until("the doomed worker to start the job", Duration::from_secs(20), || async {
        (job(&stack, &id).await["status"] == "running").then_some(())
    })
    .await;
    doomed.start_kill().unwrap();
    doomed.wait().await.unwrap();

    let _rescuer = stack.start_worker(vec![]).await;
    let done = stack.finished(&id).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(done["attempts"], 2);
    let notes: Vec<&str> =
        done["history"].as_array().unwrap().iter().filter_map(|h| h["note"].as_str()).collect();
    assert!(notes.iter().any(|note| note.starts_with("rescued from worker")), "{notes:?}");
    assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_long_poll_answers_as_soon_as_the_worker_finishes_the_job() {
    let stack = Stack::start().await;
    let id = queue(&stack, json!({ "message": "soon" })).await;
    let started = std::time::Instant::now();
    let poll = stack
        .http
        .get(format!("{}/v1/jobs/{id}", stack.query))
        .bearer_auth(&stack.token)
        .header("Prefer", "wait=20")
        .send();
    let worker = async {
        tokio::time::sleep(Duration::from_millis(500)).await;
        stack.start_worker(vec![]).await
    };
    let (answer, _worker) = tokio::join!(poll, worker);
    let job: Value = answer.unwrap().json().await.unwrap();
    assert_eq!(job["status"], "succeeded");
    assert!(started.elapsed() < Duration::from_secs(10), "the poll waited {:?}", started.elapsed());
}
