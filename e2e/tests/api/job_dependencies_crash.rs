//! The worker that leads the dependency follower, killed with SIGKILL again and again while a flow
//! runs (chains of jobs, each waiting for the one before): after the restarts every waiting job is
//! released exactly once, and every chain runs to its end.

use std::time::{Duration, Instant};

use e2e::Stack;
use serde_json::{Value, json};

/// Chains of jobs, each job but the first waiting for the one before it.
const CHAINS: usize = 20;
/// Jobs per chain.
const LENGTH: usize = 30;

/// How many `JobReleased` events each waiting job has, by the log.
async fn releases(pool: &sqlx::PgPool) -> Vec<i64> {
    sqlx::query_scalar(
        "SELECT count(*) FILTER (WHERE event_type = 'JobReleased') FROM events
         WHERE aggregate_type = 'job'
           AND aggregate_id IN (SELECT aggregate_id FROM events
                                WHERE event_type = 'JobQueued'
                                  AND payload->'JobQueued'->'spec'->'dependsOn' IS NOT NULL)
         GROUP BY aggregate_id",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

/// How many jobs succeeded, by the log.
async fn succeeded(pool: &sqlx::PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM events WHERE event_type = 'JobSucceeded'")
        .fetch_one(pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn killing_the_worker_that_leads_the_follower_loses_no_release_and_repeats_none() {
    let stack = Stack::start().await;
    let pool = sqlx::PgPool::connect(&stack.database.url()).await.unwrap();
    let mut jobs: Vec<Value> = Vec::new();
    for chain in 0..CHAINS {
        for step in 0..LENGTH {
            // A run in flight when its worker dies counts as an attempt: enough of them for every kill.
            let mut job = json!({ "message": format!("chain {chain} step {step}"), "maxAttempts": 25 });
            if step > 0 {
                job["dependsOn"] = json!([format!("${}", jobs.len() - 1)]);
            }
            jobs.push(job);
        }
    }
    let response = stack.post("/v1/jobs/batch", json!({ "jobs": jobs })).await;
    assert_eq!(response.status(), 202);
    let accepted: Value = response.json().await.unwrap();
    let ids: Vec<String> = accepted["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["jobId"].as_str().unwrap().to_owned())
        .collect();

    // Kill the worker every few hundred milliseconds while the flow runs, then let the last one
    // finish it.
    let mut worker = stack.spawn_worker_binary();
    let started = Instant::now();
    for round in 0..8 {
        tokio::time::sleep(Duration::from_millis(400 + 200 * (round % 3))).await;
        worker.kill().await.expect("SIGKILL the worker");
        println!("killed the worker with {} of {} jobs succeeded", succeeded(&pool).await, jobs.len());
        worker = stack.spawn_worker_binary();
    }
    println!("killed the worker 8 times in {:.1} s", started.elapsed().as_secs_f64());
    for id in &ids {
        let job = stack.finished(id).await;
        assert_eq!(job["status"], "succeeded", "{job}");
    }
    worker.kill().await.expect("SIGKILL the worker");
    let released = releases(&pool).await;
    assert_eq!(released.len(), CHAINS * (LENGTH - 1));
    assert!(released.iter().all(|&count| count == 1), "released more than once: {released:?}");
    pool.close().await;
}
