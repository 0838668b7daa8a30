//! Unique jobs (`uniqueKey`, `uniqueFor`): a key collapses different requests meant to do one thing
//! into one job, also when they race and across restarts.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use e2e::{Stack, StackOptions};
use futures::future::join_all;
use serde_json::{Value, json};

async fn post_job(stack: &Stack, token: &str, body: Value) -> (u16, Value) {
    let response = stack
        .http
        .post(format!("{}/v1/jobs", stack.command))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

/// The jobs the log holds with `key`.
async fn jobs_with_key(stack: &Stack, key: &str) -> i64 {
    let pool = sqlx::PgPool::connect(&stack.database.url()).await.unwrap();
    let count = sqlx::query_scalar(
        "SELECT count(*) FROM events WHERE aggregate_type = 'job' AND event_type = 'JobQueued'
           AND payload->'JobQueued'->'spec'->'unique'->>'key' = $1",
    )
    .bind(key)
    .fetch_one(&pool)
    .await
    .unwrap();
    pool.close().await;
    count
}

#[tokio::test]
async fn a_second_job_with_the_same_unique_key_is_answered_200_with_the_first_and_queues_nothing() {
    let stack = Stack::start().await;
    let (status, first) =
        post_job(&stack, &stack.token, json!({ "message": "report", "uniqueKey": "nightly" })).await;
    assert_eq!(status, 202);
    let (status, again) =
        post_job(&stack, &stack.token, json!({ "message": "report, again", "uniqueKey": "nightly" })).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["id"], first["jobId"]);
    assert_eq!(again["deduplicated"], true);
    assert_eq!(again["status"], "queued");
    assert_eq!(again["links"]["self"], format!("/v1/jobs/{}", first["jobId"].as_str().unwrap()));
    assert_eq!(jobs_with_key(&stack, "nightly").await, 1);
}

#[tokio::test]
async fn racing_requests_with_one_unique_key_create_exactly_one_job_round_after_round() {
    let stack = Stack::start().await;
    for round in 0..10 {
        let key = format!("race-{round}");
        let racing = (0..24).map(|n| {
            post_job(&stack, &stack.token, json!({ "message": format!("attempt {n}"), "uniqueKey": key }))
        });
        let answers = join_all(racing).await;
        let created: Vec<&Value> =
            answers.iter().filter(|(status, _)| *status == 202).map(|(_, b)| b).collect();
        assert_eq!(created.len(), 1, "round {round}: {answers:?}");
        let job = created[0]["jobId"].clone();
        for (status, body) in answers.iter().filter(|(status, _)| *status != 202) {
            assert_eq!(
                (*status, &body["id"], &body["deduplicated"]),
                (200, &job, &json!(true)),
                "round {round}"
            );
        }
        assert_eq!(jobs_with_key(&stack, &key).await, 1, "round {round}");
    }
}

#[tokio::test]
async fn once_the_job_is_final_its_key_queues_a_new_job() {
    let stack = Stack::start().await;
    let _worker = stack.start_worker(vec![]).await;
    let (_, first) = post_job(&stack, &stack.token, json!({ "message": "m", "uniqueKey": "k" })).await;
    let first = first["jobId"].as_str().unwrap().to_owned();
    assert_eq!(stack.finished(&first).await["status"], "succeeded");
    let (status, second) = post_job(&stack, &stack.token, json!({ "message": "m", "uniqueKey": "k" })).await;
    assert_eq!(status, 202, "{second}");
    assert_ne!(second["jobId"], first.as_str());
}

#[tokio::test]
async fn a_cancelled_job_gives_its_key_back() {
    let stack = Stack::start().await;
    let later = json!({ "message": "m", "uniqueKey": "k", "runAt": "2099-01-01T00:00:00Z" });
    let (_, first) = post_job(&stack, &stack.token, later.clone()).await;
    let id = first["jobId"].as_str().unwrap();
    let cancelled =
        stack.http.delete(format!("{}/v1/jobs/{id}", stack.command)).bearer_auth(&stack.token).send().await;
    assert_eq!(cancelled.unwrap().status(), 202);
    let (status, _) = post_job(&stack, &stack.token, later).await;
    assert_eq!(status, 202);
}

#[tokio::test]
async fn unique_for_keeps_the_key_that_long_after_the_first_job_whatever_its_status_and_no_longer() {
    let offset = Arc::new(AtomicI64::new(0));
    let clock_offset = offset.clone();
    let clock = domain::Clock::from_fn(move || {
        chrono::Utc::now() + chrono::Duration::seconds(clock_offset.load(Ordering::SeqCst))
    });
    let stack = Stack::start_with(StackOptions { clock: Some(clock), ..StackOptions::default() }).await;
    let body = json!({ "message": "m", "uniqueKey": "k", "uniqueFor": 60, "runAt": "2099-01-01T00:00:00Z" });
    let (_, first) = post_job(&stack, &stack.token, body.clone()).await;
    let id = first["jobId"].as_str().unwrap();
    let cancelled =
        stack.http.delete(format!("{}/v1/jobs/{id}", stack.command)).bearer_auth(&stack.token).send().await;
    assert_eq!(cancelled.unwrap().status(), 202);
    let (status, within) = post_job(&stack, &stack.token, body.clone()).await;
    assert_eq!((status, &within["id"]), (200, &first["jobId"]), "final, but within uniqueFor");
    offset.store(61, Ordering::SeqCst);
    let (status, after) = post_job(&stack, &stack.token, body).await;
    assert_eq!(status, 202, "{after}");
}

#[tokio::test]
async fn unique_keys_are_each_users_own() {
    let stack = Stack::start().await;
    let other = stack.sign_up("grace").await;
    let (mine, _) = post_job(&stack, &stack.token, json!({ "message": "m", "uniqueKey": "k" })).await;
    let (theirs, _) = post_job(&stack, &other, json!({ "message": "m", "uniqueKey": "k" })).await;
    assert_eq!((mine, theirs), (202, 202));
}

#[tokio::test]
async fn the_key_holds_across_a_restart_with_the_job_documents_gone_from_redis() {
    let stack = Stack::start().await;
    let (_, first) = post_job(&stack, &stack.token, json!({ "message": "m", "uniqueKey": "k" })).await;
    let id = first["jobId"].as_str().unwrap();
    let keys = stack.keys();
    let _: i64 = fred::prelude::KeysInterface::del(&stack.redis, vec![keys.job(id), keys.job_owner(id)])
        .await
        .unwrap();
    let mut settings = stack.settings.clone();
    settings.http.command_addr = "127.0.0.1:0".into();
    let restarted = command_api::Application::build(settings, domain::Clock::system()).await.unwrap();
    let url = format!("http://{}/v1/jobs", restarted.address());
    let stop = tokio_util::sync::CancellationToken::new();
    tokio::spawn(restarted.run_until_stopped(stop.clone()));
    let again = stack
        .http
        .post(url)
        .bearer_auth(&stack.token)
        .json(&json!({ "message": "m", "uniqueKey": "k" }))
        .send()
        .await
        .unwrap();
    stop.cancel();
    assert_eq!(again.status(), 200);
    let again: Value = again.json().await.unwrap();
    assert_eq!(
        (&again["id"], &again["status"], &again["deduplicated"]),
        (&first["jobId"], &json!("queued"), &json!(true))
    );
}

#[tokio::test]
async fn a_replay_under_the_same_idempotency_key_gets_the_first_answer() {
    let stack = Stack::start().await;
    let send = || {
        stack
            .http
            .post(format!("{}/v1/jobs", stack.command))
            .bearer_auth(&stack.token)
            .header("Idempotency-Key", "i-1")
            .json(&json!({ "message": "m", "uniqueKey": "k" }))
            .send()
    };
    let first = send().await.unwrap();
    assert_eq!(first.status(), 202);
    let replay = send().await.unwrap();
    assert_eq!(replay.status(), 202);
    let (first, replay): (Value, Value) = (first.json().await.unwrap(), replay.json().await.unwrap());
    assert_eq!(first["jobId"], replay["jobId"]);
}

#[tokio::test]
async fn invalid_unique_fields_are_422s_naming_the_field() {
    let stack = Stack::start().await;
    for (body, field) in [
        (json!({ "message": "m", "uniqueKey": "" }), "uniqueKey"),
        (json!({ "message": "m", "uniqueKey": "k".repeat(256) }), "uniqueKey"),
        (json!({ "message": "m", "uniqueKey": "k", "uniqueFor": 0 }), "uniqueFor"),
        (json!({ "message": "m", "uniqueKey": "k", "uniqueFor": 31_536_001 }), "uniqueFor"),
        (json!({ "message": "m", "uniqueFor": 60 }), "uniqueFor"),
        (json!({ "message": "m", "uniqueKey": 7 }), "uniqueKey"),
    ] {
        let (status, problem) = post_job(&stack, &stack.token, body.clone()).await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(problem["errors"][0]["field"], field, "{body}");
    }
}
