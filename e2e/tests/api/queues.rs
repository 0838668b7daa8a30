//! Queue controls and the queue overview through the API: who may change a queue and what is refused,
//! and the counts of `GET /v1/queues` for an owner and an admin, the same after a rebuild.

use std::time::Duration;

use e2e::{Stack, StackOptions};
use fred::prelude::*;
use serde_json::{Value, json};

/// A stack whose user `boss` has the `admin` scope (the stack's own user does not).
pub async fn stack_with_an_admin() -> (Stack, String) {
    let stack = Stack::start_with(StackOptions {
        adjust: Some(|settings| {
            settings.auth.admins = vec!["boss@example.com".to_owned()];
            settings.worker.concurrency = 4;
        }),
        ..StackOptions::default()
    })
    .await;
    let admin = stack.sign_up("boss").await;
    (stack, admin)
}

/// `PUT /v1/queues/{kind}` as the holder of `token`.
pub async fn put_queue(stack: &Stack, token: &str, kind: &str, body: Value) -> reqwest::Response {
    stack
        .http
        .put(format!("{}/v1/queues/{kind}", stack.command))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// `GET /v1/queues` as the holder of `token`, by kind.
pub async fn queues(stack: &Stack, token: &str) -> Vec<Value> {
    let response =
        stack.http.get(format!("{}/v1/queues", stack.query)).bearer_auth(token).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    body["items"].as_array().unwrap().clone()
}

/// The `message` queue's entry of `GET /v1/queues`.
pub async fn message_queue(stack: &Stack, token: &str) -> Value {
    queues(stack, token).await.into_iter().find(|queue| queue["kind"] == "message").expect("message queue")
}

#[tokio::test]
async fn only_an_admin_changes_a_known_queue_within_its_limits() {
    let (stack, admin) = stack_with_an_admin().await;
    let refused = put_queue(&stack, &stack.token, "message", json!({ "paused": true })).await;
    assert_eq!(refused.status(), 403);
    assert_eq!(put_queue(&stack, &admin, "teleport", json!({ "paused": true })).await.status(), 404);
    for (body, field) in [
        (json!({ "concurrency": 0 }), "concurrency"),
        (json!({ "concurrency": 10001 }), "concurrency"),
        (json!({ "concurrency": "many" }), "concurrency"),
        (json!({ "ratePerSecond": 0 }), "ratePerSecond"),
        (json!({ "ratePerSecond": -1.5 }), "ratePerSecond"),
        (json!({ "ratePerSecond": "fast" }), "ratePerSecond"),
        (json!({ "paused": "yes" }), "paused"),
    ] {
        let response = put_queue(&stack, &admin, "message", body.clone()).await;
        assert_eq!(response.status(), 422, "{body}");
        let problem: Value = response.json().await.unwrap();
        assert_eq!(problem["errors"][0]["field"], field, "{body}");
    }

    let answered = put_queue(&stack, &admin, "message", json!({ "paused": true, "concurrency": 3 })).await;
    assert_eq!(answered.status(), 200);
    let expected = json!({ "kind": "message", "paused": true, "concurrency": 3, "ratePerSecond": null });
    assert_eq!(answered.json::<Value>().await.unwrap(), expected);
    let changed =
        put_queue(&stack, &admin, "message", json!({ "ratePerSecond": 2.5, "concurrency": null })).await;
    let expected = json!({ "kind": "message", "paused": true, "concurrency": null, "ratePerSecond": 2.5 });
    assert_eq!(changed.json::<Value>().await.unwrap(), expected, "what was left out stays");

    // Everyone reads every queue's settings; the PUT answered once they were in force.
    let listed = queues(&stack, &stack.token).await;
    let kinds: Vec<&str> = listed.iter().filter_map(|queue| queue["kind"].as_str()).collect();
    assert_eq!(kinds, ["message", "webhook"]);
    assert_eq!((listed[0]["paused"].clone(), listed[0]["ratePerSecond"].clone()), (json!(true), json!(2.5)));
    assert_eq!(listed[1]["paused"], false);
    assert_eq!(listed[1]["counts"]["queued"], 0, "a kind without jobs is listed with zero counts");
}

/// What the overview says of a queue that does not move with the clock.
fn steady(queue: &Value) -> Value {
    json!([queue["kind"], queue["paused"], queue["concurrency"], queue["ratePerSecond"], queue["counts"]])
}

#[tokio::test]
async fn the_overview_counts_the_callers_jobs_or_every_job_for_an_admin_and_a_rebuild_counts_the_same() {
    let (stack, admin) = stack_with_an_admin().await;
    // Paused: the jobs stay queued, so the counts hold still while they are compared.
    assert_eq!(put_queue(&stack, &admin, "message", json!({ "paused": true })).await.status(), 200);
    let mut ids = Vec::new();
    for n in 0..3 {
        let response = stack.post("/v1/jobs", json!({ "message": format!("mine {n}") })).await;
        ids.push(response.json::<Value>().await.unwrap()["jobId"].as_str().unwrap().to_owned());
    }
    let theirs = stack
        .http
        .post(format!("{}/v1/jobs", stack.command))
        .bearer_auth(&admin)
        .json(&json!({ "message": "the admin's", "runAt": "2999-01-01T00:00:00Z" }))
        .send()
        .await
        .unwrap();
    assert_eq!(theirs.status(), 202);
    let cancelled =
        stack.http.delete(format!("{}/v1/jobs/{}", stack.command, ids[0])).bearer_auth(&stack.token);
    assert_eq!(cancelled.send().await.unwrap().status(), 202);

    let settled = testkit::wait_until("the projector to count the jobs", Duration::from_secs(20), || async {
        let mine = message_queue(&stack, &stack.token).await;
        (mine["counts"]["queued"] == 2 && mine["counts"]["cancelled"] == 1).then_some(mine)
    })
    .await;
    let expected = json!({ "waiting": 0, "queued": 2, "scheduled": 0, "running": 0, "retrying": 0,
        "succeeded": 0, "failed": 0, "cancelled": 1 });
    assert_eq!(settled["counts"], expected);
    assert!(settled["oldestQueuedAgeSeconds"].as_f64().unwrap() >= 0.0);
    assert_eq!(settled["throughputPerMinute"], 0);
    let every = message_queue(&stack, &admin).await;
    assert_eq!(
        (every["counts"]["queued"].clone(), every["counts"]["scheduled"].clone()),
        (json!(2), json!(1))
    );

    let before = (steady(&message_queue(&stack, &stack.token).await), steady(&every));
    let prefix = stack.settings.redis.key_prefix.clone();
    let counted = |generation: u64| {
        let keys = read_model::Keys::new(prefix.clone()).generation(generation);
        let redis = stack.redis.clone();
        async move {
            let all: std::collections::BTreeMap<String, i64> =
                redis.hgetall(keys.queue_counts(None)).await.unwrap();
            all.into_iter().filter(|(_, count)| *count != 0).collect::<Vec<_>>()
        }
    };
    let counted_before = counted(1).await;
    let rebuilt = stack
        .projector_rebuild()
        .status()
        .await
        .expect("run `projector rebuild` (built by `cargo build --workspace`)");
    assert!(rebuilt.success());
    let current: Option<String> = stack.redis.get(format!("{prefix}generation")).await.unwrap();
    assert_eq!(current.as_deref(), Some("2"), "readers read the rebuilt generation");
    assert_eq!(counted(2).await, counted_before, "the rebuild counted every job as the projector had");
    testkit::wait_until("query-api to read the rebuilt generation", Duration::from_secs(20), || async {
        let mine = steady(&message_queue(&stack, &stack.token).await);
        let every = steady(&message_queue(&stack, &admin).await);
        ((mine, every) == before).then_some(())
    })
    .await;
}
