use e2e::{Nginx, Stack};
use serde_json::{Value, json};
use std::time::Duration;

async fn stack_behind_nginx() -> (Stack, Nginx) {
    let stack = Stack::start().await;
    let nginx =
        Nginx::start(stack.query.trim_start_matches("http://"), stack.command.trim_start_matches("http://"))
            .await;
    (stack, nginx)
}

#[tokio::test]
async fn writes_reach_the_command_side_and_reads_the_query_side_through_one_door() {
    let (stack, nginx) = stack_behind_nginx().await;
    let accepted = stack
        .http
        .post(format!("{}/v1/scores", nginx.url))
        .bearer_auth(&stack.token)
        .json(&json!({ "game": "tetris", "player": "ada", "score": 4200 }))
        .send()
        .await
        .unwrap();
    assert_eq!(accepted.status(), 202);
    let location = accepted.headers()["location"].to_str().unwrap().to_owned();
    let job: Value = stack
        .http
        .get(format!("{}{location}", nginx.url))
        .bearer_auth(&stack.token)
        .header("Prefer", "wait=10")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(job["status"], "succeeded");
    let board: Value = stack
        .http
        .get(format!("{}/v1/leaderboards/tetris?period=week", nginx.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(Stack::ranking(&board), [("ada".to_owned(), 4200)]);
}

#[tokio::test]
async fn a_clients_request_id_is_passed_through_and_one_is_made_when_missing() {
    let (stack, nginx) = stack_behind_nginx().await;
    let response = stack
        .http
        .get(format!("{}/v1/leaderboards/nope", nginx.url))
        .header("X-Request-Id", "abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(response.headers()["x-request-id"], "abc-123");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["requestId"], "abc-123");
    let response = stack.http.get(format!("{}/v1/leaderboards/nope", nginx.url)).send().await.unwrap();
    assert!(!response.headers()["x-request-id"].is_empty());
    testkit::wait_until("the access log to name the request id", Duration::from_secs(5), || async {
        nginx.access_log().contains("request_id=abc-123").then_some(())
    })
    .await;
}

#[tokio::test]
async fn nginx_refuses_a_body_over_one_mebibyte_with_a_problem() {
    let (stack, nginx) = stack_behind_nginx().await;
    let response = stack
        .http
        .post(format!("{}/v1/scores", nginx.url))
        .bearer_auth(&stack.token)
        .header("content-type", "application/json")
        .body(vec![b' '; 1024 * 1024 + 10])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    assert_eq!(response.headers()["content-type"], "application/problem+json");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], 413);
}

#[tokio::test]
async fn operations_docs_and_the_web_page_are_served() {
    let (stack, nginx) = stack_behind_nginx().await;
    for (path, needle) in [
        ("/healthz", "ok"),
        ("/readyz", "ready"),
        ("/metrics", "# TYPE"),
        ("/openapi.json", "\"/v1/scores\""),
        ("/docs/", "swagger"),
        ("/", "Reprise"),
    ] {
        // /metrics lists counters only once a request was counted, which /healthz just did.
        let response = stack.http.get(format!("{}{path}", nginx.url)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let text = response.text().await.unwrap();
        assert!(text.to_lowercase().contains(&needle.to_lowercase()), "{path} lacks {needle}");
    }
    // The browser test and its npm manifest live in web/tests/ but are not part of the site.
    for path in ["/tests/app.test.mjs", "/tests/package.json"] {
        let response = stack.http.get(format!("{}{path}", nginx.url)).send().await.unwrap();
        assert_eq!(response.status(), 404, "{path}");
    }
}

#[tokio::test]
async fn with_the_command_side_down_nginx_answers_a_503_problem() {
    let stack = Stack::start().await;
    let nginx = Nginx::start(stack.query.trim_start_matches("http://"), "127.0.0.1:9").await;
    let response = stack
        .http
        .post(format!("{}/v1/scores", nginx.url))
        .bearer_auth(&stack.token)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    assert!(response.headers().contains_key("retry-after"));
    assert_eq!(response.headers()["content-type"], "application/problem+json");
}
