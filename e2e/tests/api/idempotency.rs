use e2e::Stack;
use futures::future::join_all;
use serde_json::{Value, json};

async fn post_with_key(stack: &Stack, key: &str, body: Value) -> reqwest::Response {
    stack
        .http
        .post(format!("{}/v1/scores", stack.command))
        .bearer_auth(&stack.token)
        .header("Idempotency-Key", key)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn score_events(stack: &Stack) -> i64 {
    let pool = sqlx::PgPool::connect(&stack.database.url()).await.unwrap();
    sqlx::query_scalar("SELECT count(*) FROM events WHERE aggregate_type = 'score'")
        .fetch_one(&pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_replay_with_the_same_key_gets_the_same_job_and_runs_nothing_again() {
    let stack = Stack::start().await;
    let body = json!({ "game": "tetris", "player": "ada", "score": 10 });
    let first: Value = post_with_key(&stack, "k-1", body.clone()).await.json().await.unwrap();
    let replay = post_with_key(&stack, "k-1", body).await;
    assert_eq!(replay.status(), 202);
    let replay: Value = replay.json().await.unwrap();
    assert_eq!(first["jobId"], replay["jobId"]);
    assert_eq!(score_events(&stack).await, 1);
}

#[tokio::test]
async fn the_same_key_with_a_different_body_is_a_422() {
    let stack = Stack::start().await;
    post_with_key(&stack, "k-2", json!({ "game": "tetris", "player": "ada", "score": 10 })).await;
    let different =
        post_with_key(&stack, "k-2", json!({ "game": "tetris", "player": "ada", "score": 11 })).await;
    assert_eq!(different.status(), 422);
}

#[tokio::test]
async fn racing_duplicates_with_one_key_all_get_the_same_job_and_one_event() {
    let stack = Stack::start().await;
    let body = json!({ "game": "tetris", "player": "ada", "score": 10 });
    let answers = join_all((0..12).map(|_| post_with_key(&stack, "k-race", body.clone()))).await;
    let mut jobs = Vec::new();
    for answer in answers {
        assert_eq!(answer.status(), 202);
        jobs.push(answer.json::<Value>().await.unwrap()["jobId"].clone());
    }
    jobs.dedup();
    assert_eq!(jobs.len(), 1);
    assert_eq!(score_events(&stack).await, 1);
}

#[tokio::test]
async fn a_replay_after_a_restart_of_every_service_still_gets_the_same_job() {
    let first_stack = Stack::start().await;
    let body = json!({ "game": "tetris", "player": "ada", "score": 10 });
    let first: Value = post_with_key(&first_stack, "k-3", body.clone()).await.json().await.unwrap();
    // A new command-api process over the same database, with the first job's documents gone from
    // Redis: only the log remembers the key.
    let keys = first_stack.keys();
    let job_id = first["jobId"].as_str().unwrap();
    let _: i64 =
        fred::prelude::KeysInterface::del(&first_stack.redis, vec![keys.job(job_id), keys.job_owner(job_id)])
            .await
            .unwrap();
    let settings = {
        let mut s = first_stack.settings.clone();
        s.http.command_addr = "127.0.0.1:0".into();
        s
    };
    let restarted = command_api::Application::build(settings, domain::Clock::system()).await.unwrap();
    let url = format!("http://{}/v1/scores", restarted.address());
    let stop = tokio_util::sync::CancellationToken::new();
    tokio::spawn(restarted.run_until_stopped(stop.clone()));
    let replay: Value = first_stack
        .http
        .post(url)
        .bearer_auth(&first_stack.token)
        .header("Idempotency-Key", "k-3")
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    stop.cancel();
    assert_eq!(first["jobId"], replay["jobId"]);
}

#[tokio::test]
async fn an_idempotency_key_longer_than_255_characters_is_a_422() {
    let stack = Stack::start().await;
    let response =
        post_with_key(&stack, &"k".repeat(256), json!({ "game": "tetris", "player": "ada", "score": 1 }))
            .await;
    assert_eq!(response.status(), 422);
}
