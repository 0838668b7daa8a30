//! Handlers that report progress and that snooze: a running job shows its `progress`; a snoozed job
//! is `scheduled`, runs again after the delay, and the snooze costs no attempt.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use domain::jobs::WorkOrder;
use e2e::Stack;
use fred::prelude::*;
use job_kinds::{Failure, JobHandler, Outcome, RunContext};
use serde_json::{Value, json};

/// Reports 40 %, then takes a few seconds before it succeeds.
struct Slow;

#[async_trait::async_trait]
impl JobHandler for Slow {
    fn kind(&self) -> &'static str {
        "slow"
    }

    fn validate(&self, _: &str, _: Option<&Value>) -> Result<(), Vec<domain::FieldError>> {
        Ok(())
    }

    async fn run(&self, _job: &WorkOrder, context: &RunContext) -> Result<Outcome, Failure> {
        context.progress(40);
        tokio::time::sleep(Duration::from_secs(4)).await;
        Ok(json!({ "slow": true }).into())
    }
}

/// Snoozes for a second on its first run (a long one, whose start is recorded), then succeeds.
struct SnoozeOnce(Arc<AtomicU32>);

#[async_trait::async_trait]
impl JobHandler for SnoozeOnce {
    fn kind(&self) -> &'static str {
        "snooze-once"
    }

    fn validate(&self, _: &str, _: Option<&Value>) -> Result<(), Vec<domain::FieldError>> {
        Ok(())
    }

    async fn run(&self, _job: &WorkOrder, _context: &RunContext) -> Result<Outcome, Failure> {
        if self.0.fetch_add(1, Ordering::SeqCst) == 0 {
            tokio::time::sleep(Duration::from_millis(600)).await;
            return Ok(Outcome::Snooze(Duration::from_secs(1)));
        }
        Ok(json!({ "ran": self.0.load(Ordering::SeqCst) }).into())
    }
}

/// Queues a job of `kind` straight into the log (the HTTP side knows only the standard kinds).
async fn queue_in_the_log(stack: &Stack, kind: &str) -> String {
    let id = uuid::Uuid::now_v7().to_string();
    let spec = domain::jobs::JobSpec {
        kind: kind.into(),
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
    let pool = sqlx::PgPool::connect(&stack.database.url()).await.unwrap();
    let jobs = eventlog::EventStore::<domain::jobs::Job>::new(pool.clone());
    let metadata = eventlog::Metadata::from([("user_id".to_owned(), "someone".to_owned())]);
    jobs.execute(&id, domain::jobs::JobCommand::Queue { spec, at: chrono::Utc::now() }, &metadata)
        .await
        .unwrap();
    pool.close().await;
    id
}

async fn document(stack: &Stack, id: &str) -> Option<Value> {
    let stored: Option<String> = stack.redis.get(stack.keys().job(id)).await.ok()?;
    serde_json::from_str(&stored?).ok()
}

async fn wait_for(stack: &Stack, id: &str, what: &str, test: impl Fn(&Value) -> bool) -> Value {
    testkit::wait_until(what, Duration::from_secs(20), || async {
        document(stack, id).await.filter(|job| test(job))
    })
    .await
}

#[tokio::test]
async fn a_running_job_shows_the_progress_its_handler_reports() {
    let stack = Stack::start().await;
    let _worker = stack.start_worker(vec![Arc::new(Slow)]).await;
    let id = queue_in_the_log(&stack, "slow").await;
    let running = wait_for(&stack, &id, "the progress shown", |job| job["progress"] == 40).await;
    assert_eq!(running["status"], "running");
    let done = wait_for(&stack, &id, "the job done", |job| job["status"] == "succeeded").await;
    assert_eq!(done["progress"], 100);
}

#[tokio::test]
async fn a_snoozing_job_is_scheduled_runs_again_after_the_delay_and_counts_no_attempt() {
    let stack = Stack::start().await;
    let runs = Arc::new(AtomicU32::new(0));
    let _worker = stack.start_worker(vec![Arc::new(SnoozeOnce(runs.clone()))]).await;
    let id = queue_in_the_log(&stack, "snooze-once").await;
    let snoozed = wait_for(&stack, &id, "the job snoozed", |job| job["status"] == "scheduled").await;
    assert_eq!(snoozed["attempts"], 0, "{snoozed}");
    assert!(snoozed["runAt"].is_string());
    let done = wait_for(&stack, &id, "the job done", |job| job["status"] == "succeeded").await;
    assert_eq!(done["attempts"], 1, "only the run that finished counts: {done}");
    assert_eq!(runs.load(Ordering::SeqCst), 2);
    assert!(done["startedAt"].as_str() >= snoozed["runAt"].as_str(), "{done}");
}
