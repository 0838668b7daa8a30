//! `POST /v1/jobs/batch`: up to 1,000 jobs validated together and appended in one commit.

use std::time::Duration;

use e2e::{Nginx, Stack};
use fred::prelude::*;
use futures::future::join_all;
use serde_json::{Value, json};

async fn post_batch(stack: &Stack, base: &str, key: Option<&str>, body: &Value) -> reqwest::Response {
    let mut request = stack.http.post(format!("{base}/v1/jobs/batch")).bearer_auth(&stack.token).json(body);
    if let Some(key) = key {
        request = request.header("Idempotency-Key", key);
    }
    request.send().await.unwrap()
}

fn messages(count: usize) -> Value {
    json!({ "jobs": (0..count).map(|n| json!({ "message": format!("m{n}") })).collect::<Vec<_>>() })
}

fn job_ids(accepted: &Value) -> Vec<String> {
    accepted["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["jobId"].as_str().unwrap().to_owned())
        .collect()
}

/// How many jobs the log holds, and in how many transactions they were committed.
async fn jobs_and_commits(stack: &Stack) -> (i64, i64) {
    let pool = sqlx::PgPool::connect(&stack.database.url()).await.unwrap();
    let counted = sqlx::query_as(
        "SELECT count(*), count(DISTINCT transaction_id::text) FROM events
         WHERE aggregate_type = 'job' AND event_type = 'JobQueued'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    pool.close().await;
    counted
}

#[tokio::test]
async fn a_batch_of_1000_jobs_is_one_commit_answered_in_request_order_and_each_job_is_run() {
    let stack = Stack::start().await;
    let response = post_batch(&stack, &stack.command, None, &messages(1000)).await;
    assert_eq!(response.status(), 202);
    let accepted: Value = response.json().await.unwrap();
    let ids = job_ids(&accepted);
    assert_eq!(ids.len(), 1000);
    let first = &accepted["items"][0];
    assert_eq!(first["status"], "queued");
    assert_eq!(first["links"]["job"], format!("/v1/jobs/{}", ids[0]));
    assert_eq!(jobs_and_commits(&stack).await, (1000, 1));
    assert_eq!(stack.get(&format!("/v1/jobs/{}", ids[999])).await.status(), 200, "readable at once");
    testkit::wait_until("the projector to queue the whole batch", Duration::from_secs(20), || async {
        let depth: i64 = stack.redis.zcard(stack.keys().ready_queue("message")).await.ok()?;
        (depth == 1000).then_some(())
    })
    .await;

    let _worker = stack.start_worker(vec![]).await;
    for (n, id) in [(0, &ids[0]), (999, &ids[999])] {
        let done = stack.finished(id).await;
        assert_eq!(
            (done["status"].as_str(), done["result"]["message"].as_str()),
            (Some("succeeded"), Some(format!("m{n}").as_str()))
        );
    }
}

#[tokio::test]
async fn invalid_jobs_fail_the_whole_batch_with_each_error_named_by_its_place() {
    let stack = Stack::start().await;
    let body = json!({ "jobs": [
        { "message": "fine" },
        { "message": "m", "priority": 10 },
        { "message": "" },
        { "message": "m", "maxAttempts": 0, "kind": "teleport" },
        { "message": "m", "uniqueKey": "" },
    ] });
    let response = post_batch(&stack, &stack.command, None, &body).await;
    assert_eq!(response.status(), 422);
    assert_eq!(response.headers()["content-type"], "application/problem+json");
    let problem: Value = response.json().await.unwrap();
    let mut fields: Vec<&str> =
        problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    fields.sort();
    assert_eq!(
        fields,
        ["jobs[1].priority", "jobs[2].message", "jobs[3].kind", "jobs[3].maxAttempts", "jobs[4].uniqueKey"]
    );
    assert_eq!(jobs_and_commits(&stack).await, (0, 0));
}

#[tokio::test]
async fn a_field_of_the_wrong_type_is_named_by_its_place() {
    let stack = Stack::start().await;
    let body = json!({ "jobs": [{ "message": "m" }, { "message": "m", "priority": "high" }] });
    let response = post_batch(&stack, &stack.command, None, &body).await;
    assert_eq!(response.status(), 422);
    let problem: Value = response.json().await.unwrap();
    assert_eq!(problem["errors"][0]["field"], "jobs[1].priority");
}

#[tokio::test]
async fn an_empty_or_missing_list_or_one_over_1000_jobs_is_a_422_naming_jobs() {
    let stack = Stack::start().await;
    for body in [json!({}), json!({ "jobs": [] }), messages(1001)] {
        let response = post_batch(&stack, &stack.command, None, &body).await;
        assert_eq!(response.status(), 422);
        let problem: Value = response.json().await.unwrap();
        assert_eq!(problem["errors"][0]["field"], "jobs");
    }
}

#[tokio::test]
async fn a_replayed_batch_gets_the_same_answer_and_queues_nothing_again() {
    let stack = Stack::start().await;
    let body = messages(10);
    let first: Value = post_batch(&stack, &stack.command, Some("b-1"), &body).await.json().await.unwrap();
    let replay = post_batch(&stack, &stack.command, Some("b-1"), &body).await;
    assert_eq!(replay.status(), 202);
    assert_eq!(replay.json::<Value>().await.unwrap(), first);
    assert_eq!(jobs_and_commits(&stack).await, (10, 1));
    let different = post_batch(&stack, &stack.command, Some("b-1"), &messages(11)).await;
    assert_eq!(different.status(), 422);
}

#[tokio::test]
async fn racing_batches_with_one_idempotency_key_queue_the_jobs_once() {
    let stack = Stack::start().await;
    let body = messages(50);
    let answers = join_all((0..8).map(|_| post_batch(&stack, &stack.command, Some("b-race"), &body))).await;
    let mut bodies = Vec::new();
    for answer in answers {
        assert_eq!(answer.status(), 202);
        bodies.push(answer.json::<Value>().await.unwrap());
    }
    bodies.dedup();
    assert_eq!(bodies.len(), 1);
    assert_eq!(jobs_and_commits(&stack).await, (50, 1));
}

#[tokio::test]
async fn through_nginx_a_full_batch_of_large_jobs_passes_and_a_body_over_8_mib_is_a_413() {
    let stack = Stack::start().await;
    let nginx =
        Nginx::start(stack.query.trim_start_matches("http://"), stack.command.trim_start_matches("http://"))
            .await;
    let large = |count: usize, chars: usize| json!({ "jobs": (0..count).map(|_| json!({ "message": "x".repeat(chars) })).collect::<Vec<_>>() });
    let full = post_batch(&stack, &nginx.url, None, &large(1000, 7 * 1024)).await;
    assert_eq!(full.status(), 202);
    let too_large = post_batch(&stack, &nginx.url, None, &large(1000, 9 * 1024)).await;
    assert_eq!(too_large.status(), 413);
    assert_eq!(too_large.headers()["content-type"], "application/problem+json");
    let direct = post_batch(&stack, &stack.command, None, &large(1000, 9 * 1024)).await;
    assert_eq!(direct.status(), 413, "command-api enforces the same limit");
}

#[tokio::test]
async fn a_batch_without_a_token_is_a_401_and_one_not_json_a_415_or_malformed_a_400() {
    let stack = Stack::start().await;
    let url = format!("{}/v1/jobs/batch", stack.command);
    let anonymous = stack.http.post(&url).json(&messages(1)).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    let as_text = stack.http.post(&url).bearer_auth(&stack.token).body("jobs=1").send().await.unwrap();
    assert_eq!(as_text.status(), 415);
    let malformed = stack
        .http
        .post(&url)
        .bearer_auth(&stack.token)
        .header("content-type", "application/json")
        .body("{\"jobs\": [")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), 400);
}

#[tokio::test]
async fn reading_the_batch_path_is_a_405_naming_post_not_a_job_called_batch() {
    let stack = Stack::start().await;
    let response = stack.get("/v1/jobs/batch").await;
    assert_eq!(response.status(), 405);
    assert_eq!(response.headers()["allow"], "POST");
    let cancel = stack
        .http
        .delete(format!("{}/v1/jobs/batch", stack.command))
        .bearer_auth(&stack.token)
        .send()
        .await
        .unwrap();
    assert_eq!(cancel.status(), 405);
}
