//! Unique jobs in `POST /v1/jobs/batch`: a job whose `uniqueKey` a job of the caller's holds, or an
//! earlier job of the batch has, queues nothing, and its item names the job it was collapsed into.

use e2e::Stack;
use futures::future::join_all;
use serde_json::{Value, json};

async fn post(stack: &Stack, path: &str, key: Option<&str>, body: &Value) -> (u16, Value) {
    let mut request =
        stack.http.post(format!("{}{path}", stack.command)).bearer_auth(&stack.token).json(body);
    if let Some(key) = key {
        request = request.header("Idempotency-Key", key);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

/// How many jobs the log holds, and how many of them have unique key `key`.
async fn jobs_and_with_key(stack: &Stack, key: &str) -> (i64, i64) {
    let pool = sqlx::PgPool::connect(&stack.database.url()).await.unwrap();
    let counted = sqlx::query_as(
        "SELECT count(*), count(*) FILTER (WHERE payload->'JobQueued'->'spec'->'unique'->>'key' = $1)
         FROM events WHERE aggregate_type = 'job' AND event_type = 'JobQueued'",
    )
    .bind(key)
    .fetch_one(&pool)
    .await
    .unwrap();
    pool.close().await;
    counted
}

#[tokio::test]
async fn a_batch_collapses_jobs_into_a_held_key_and_into_its_own_earlier_job_with_the_same_key() {
    let stack = Stack::start().await;
    let (_, held) = post(&stack, "/v1/jobs", None, &json!({ "message": "m", "uniqueKey": "held" })).await;
    let batch = json!({ "jobs": [
        { "message": "a", "uniqueKey": "held" },
        { "message": "b", "uniqueKey": "fresh" },
        { "message": "c", "uniqueKey": "fresh" },
        { "message": "d", "dependsOn": ["$2"] },
    ] });
    let (status, answer) = post(&stack, "/v1/jobs/batch", None, &batch).await;
    assert_eq!(status, 202, "{answer}");
    let items = answer["items"].as_array().unwrap();
    let seen: Vec<(&Value, &Value)> =
        items.iter().map(|item| (&item["status"], &item["deduplicated"])).collect();
    assert_eq!(
        seen,
        [
            (&json!("queued"), &json!(true)),
            (&json!("queued"), &json!(false)),
            (&json!("queued"), &json!(true)),
            (&json!("waiting"), &json!(false)),
        ]
    );
    assert_eq!(items[0]["jobId"], held["jobId"]);
    assert_eq!(items[2]["jobId"], items[1]["jobId"]);
    assert_eq!(items[2]["links"]["job"], format!("/v1/jobs/{}", items[1]["jobId"].as_str().unwrap()));
    let fourth = stack.get(&format!("/v1/jobs/{}", items[3]["jobId"].as_str().unwrap())).await;
    let fourth: Value = fourth.json().await.unwrap();
    assert_eq!(fourth["dependsOn"], json!([items[1]["jobId"]]), "\"$2\" names the job place 2 stands for");
    assert_eq!(jobs_and_with_key(&stack, "held").await, (3, 1));
    assert_eq!(jobs_and_with_key(&stack, "fresh").await.1, 1);
}

#[tokio::test]
async fn racing_batches_with_the_same_keys_in_different_orders_create_one_job_per_key() {
    let stack = Stack::start().await;
    let keys: Vec<String> = (0..20).map(|n| format!("k{n:02}")).collect();
    let batches = (0..8).map(|round| {
        let mut order = keys.clone();
        order.rotate_left(round * 3 % keys.len());
        if round % 2 == 1 {
            order.reverse();
        }
        let jobs: Vec<Value> =
            order.iter().map(|key| json!({ "message": format!("{round}"), "uniqueKey": key })).collect();
        json!({ "jobs": jobs })
    });
    let batches: Vec<Value> = batches.collect();
    let answers = join_all(batches.iter().map(|batch| post(&stack, "/v1/jobs/batch", None, batch))).await;
    let mut job_of_key = std::collections::HashMap::new();
    let mut new_jobs = 0;
    for ((status, answer), batch) in answers.iter().zip(&batches) {
        assert_eq!(*status, 202, "{answer}");
        for (item, job) in answer["items"].as_array().unwrap().iter().zip(batch["jobs"].as_array().unwrap()) {
            let key = job["uniqueKey"].as_str().unwrap();
            let id = job_of_key.entry(key).or_insert_with(|| item["jobId"].clone());
            assert_eq!(&item["jobId"], id, "key {key}: one job, named alike by every batch");
            new_jobs += usize::from(item["deduplicated"] == json!(false));
        }
    }
    assert_eq!(new_jobs, keys.len());
    assert_eq!(jobs_and_with_key(&stack, "k00").await, (20, 1));
}

#[tokio::test]
async fn jobs_with_one_key_naming_each_other_are_a_job_naming_itself() {
    let stack = Stack::start().await;
    let batch = json!({ "jobs": [
        { "message": "a", "uniqueKey": "k", "dependsOn": ["$1"] },
        { "message": "b", "uniqueKey": "k" },
    ] });
    let (status, problem) = post(&stack, "/v1/jobs/batch", None, &batch).await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "jobs[0].dependsOn");
    assert_eq!(jobs_and_with_key(&stack, "k").await, (0, 0));
}

#[tokio::test]
async fn a_replayed_batch_with_unique_keys_gets_the_same_answer_and_queues_nothing_again() {
    let stack = Stack::start().await;
    post(&stack, "/v1/jobs", None, &json!({ "message": "m", "uniqueKey": "held" })).await;
    let batch = json!({ "jobs": [
        { "message": "a", "uniqueKey": "held" },
        { "message": "b", "uniqueKey": "mine" },
        { "message": "c" },
    ] });
    let (status, first) = post(&stack, "/v1/jobs/batch", Some("b-1"), &batch).await;
    assert_eq!(status, 202, "{first}");
    let (status, replay) = post(&stack, "/v1/jobs/batch", Some("b-1"), &batch).await;
    assert_eq!((status, &replay), (202, &first));
    assert_eq!(jobs_and_with_key(&stack, "mine").await, (3, 1));
}
