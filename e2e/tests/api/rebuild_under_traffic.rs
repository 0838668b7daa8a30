//! A rebuild nobody notices: `projector rebuild` fills a new generation of the documents beside the
//! current one, which keeps serving and being kept, and readers move to the new one in one step.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use domain::jobs::WorkOrder;
use e2e::Stack;
use fred::prelude::*;
use job_kinds::{Failure, JobHandler, Outcome, RunContext};
use serde_json::{Value, json};

/// Scores appended straight into the log before the rebuild, so that it takes a while.
const BACKLOG: i64 = 30_000;

/// `message` jobs, counting how many times each one ran.
#[derive(Default)]
struct CountedMessages(Mutex<HashMap<String, u32>>);

#[async_trait::async_trait]
impl JobHandler for CountedMessages {
    fn kind(&self) -> &'static str {
        "message"
    }

    fn validate(&self, _: &str, _: Option<&Value>) -> Result<(), Vec<domain::FieldError>> {
        Ok(())
    }

    async fn run(&self, job: &WorkOrder, _context: &RunContext) -> Result<Outcome, Failure> {
        *self.0.lock().unwrap().entry(job.id.clone()).or_default() += 1;
        Ok(json!({ "ran": true }).into())
    }
}

/// A `best` game of 700 players and `BACKLOG` scores, as the command side would have appended them.
async fn fill_backlog(pool: &sqlx::PgPool) {
    sqlx::query(
        r#"INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
           VALUES ('game', 'backlog', 1, 'GameConfigured', '1',
                   '{"GameConfigured":{"settings":{"title":null,"sortOrder":"desc","operator":"best","periods":["all"]}}}', '{}'),
                  ('game', 'backlog', 2, 'GameScoringStarted', '1', '"GameScoringStarted"', '{}')"#,
    )
    .execute(pool)
    .await
    .unwrap();
    sqlx::query(
        r#"INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
           SELECT 'score', 'backlog-' || n, 1, 'ScoreSubmitted', '1',
                  json_build_object('ScoreSubmitted', json_build_object(
                    'game', 'backlog', 'player', 'p' || (n % 700), 'score', n,
                    'achievedAt', to_char(now(), 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), 'requestHash', 'h')),
                  json_build_object('job_id', 'backlog-' || n)
           FROM generate_series(1, $1::bigint) AS n"#,
    )
    .bind(BACKLOG)
    .execute(pool)
    .await
    .unwrap();
}

/// The board's `total`, if it answers 200.
async fn board_total(stack: &Stack) -> Result<i64, String> {
    let response = stack.get("/v1/leaderboards/backlog").await;
    let status = response.status();
    let body: Value = response.json().await.unwrap_or_default();
    match (status.as_u16(), body["total"].as_i64()) {
        (200, Some(total)) => Ok(total),
        _ => Err(format!("{status}: {body}")),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_rebuild_under_traffic_serves_every_read_whole_keeps_sessions_and_runs_no_job_twice() {
    let stack = Stack::start().await;
    let runs = Arc::new(CountedMessages::default());
    let _worker = stack.start_worker(vec![runs.clone()]).await;
    let pool = sqlx::PgPool::connect(&stack.database.url()).await.unwrap();
    fill_backlog(&pool).await;
    testkit::wait_until("the backlog to be projected", Duration::from_secs(120), || async {
        (board_total(&stack).await == Ok(700)).then_some(())
    })
    .await;

    let prefix = stack.settings.redis.key_prefix.clone();
    let mut rebuild = stack
        .projector_rebuild()
        .spawn()
        .expect("start `projector rebuild` (built by `cargo build --workspace`)");

    let (mut rounds, mut jobs) = (0, Vec::new());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    let exit = loop {
        if let Some(exit) = rebuild.try_wait().unwrap() {
            break exit;
        }
        assert!(tokio::time::Instant::now() < deadline, "the rebuild did not finish in two minutes");
        assert_eq!(board_total(&stack).await, Ok(700), "round {rounds}: a read during the rebuild");
        let me =
            stack.http.get(format!("{}/v1/users/me", stack.query)).bearer_auth(&stack.token).send().await;
        assert_eq!(me.unwrap().status(), 200, "round {rounds}: the session during the rebuild");
        let queued =
            stack.post("/v1/jobs", json!({ "kind": "message", "message": format!("m{rounds}") })).await;
        assert_eq!(queued.status(), 202, "round {rounds}: a job during the rebuild");
        let id = queued.json::<Value>().await.unwrap()["jobId"].as_str().unwrap().to_owned();
        let read = stack.get(&format!("/v1/jobs/{id}")).await;
        assert_eq!(read.status(), 200, "round {rounds}: reading the job just queued");
        jobs.push(id);
        rounds += 1;
    };
    assert!(exit.success(), "projector rebuild: {exit}");
    assert!(rounds >= 3, "only {rounds} rounds ran during the rebuild: nothing was tested");
    let current: Option<String> = stack.redis.get(format!("{prefix}generation")).await.unwrap();
    assert_eq!(current.as_deref(), Some("2"), "readers read the rebuilt generation");

    for id in &jobs {
        testkit::wait_until("every job to succeed", Duration::from_secs(60), || async {
            let job: Value = stack.get(&format!("/v1/jobs/{id}")).await.json().await.ok()?;
            (job["status"] == "succeeded").then_some(())
        })
        .await;
    }
    let runs = runs.0.lock().unwrap().clone();
    for id in &jobs {
        assert_eq!(runs.get(id), Some(&1), "job {id} ran {:?} times", runs.get(id));
    }
    assert_eq!(board_total(&stack).await, Ok(700));
    // The replaced generation is deleted once readers have moved on.
    testkit::wait_until("generation 1 to be deleted", Duration::from_secs(30), || async {
        let left: i64 = stack.redis.exists(format!("{prefix}gen1:lb:backlog:all:all:~")).await.ok()?;
        (left == 0).then_some(())
    })
    .await;
}
