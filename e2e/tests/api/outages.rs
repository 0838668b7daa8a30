use std::time::Duration;

use e2e::{Stack, StackOptions};
use serde_json::json;
use testkit::TcpProxy;

#[tokio::test]
async fn with_postgres_unreachable_submissions_get_503_and_succeed_again_once_it_returns() {
    let proxy = TcpProxy::start("127.0.0.1:5432").await;
    let stack = Stack::start_with(StackOptions {
        postgres_via: Some(proxy.address().to_string()),
        ..Default::default()
    })
    .await;
    stack.submit(json!({ "game": "tetris", "player": "ada", "score": 1 })).await;

    proxy.cut();
    let response = stack.post("/v1/scores", json!({ "game": "tetris", "player": "bob", "score": 2 })).await;
    assert_eq!(response.status(), 503);
    assert!(response.headers().contains_key("retry-after"));
    let body = response.text().await.unwrap();
    assert!(
        !body.contains("pool") && !body.contains("sqlx") && !body.contains("5432"),
        "leaked internals: {body}"
    );

    proxy.restore();
    testkit::wait_until("command-api to recover", Duration::from_secs(20), || async {
        let response =
            stack.post("/v1/scores", json!({ "game": "tetris", "player": "cy", "score": 3 })).await;
        (response.status() == 202).then_some(())
    })
    .await;
    let pool = sqlx::PgPool::connect(&stack.database.url()).await.unwrap();
    let players: Vec<String> = sqlx::query_scalar(
        "SELECT payload->'ScoreSubmitted'->>'player' FROM events WHERE aggregate_type = 'score'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(!players.contains(&"bob".to_owned()), "a refused request left an event behind");
    assert!(players.contains(&"cy".to_owned()));
}

#[tokio::test]
async fn with_redis_unreachable_reads_get_503_and_recover_without_a_restart() {
    let proxy = TcpProxy::start("127.0.0.1:6379").await;
    let stack = Stack::start_with(StackOptions {
        redis_via: Some(proxy.address().to_string()),
        ..Default::default()
    })
    .await;
    stack.finished(&stack.submit(json!({ "game": "tetris", "player": "ada", "score": 1 })).await).await;

    proxy.cut();
    let response = stack.get("/v1/leaderboards/tetris").await;
    assert_eq!(response.status(), 503);
    assert!(response.headers().contains_key("retry-after"));

    proxy.restore();
    testkit::wait_until("query-api to recover", Duration::from_secs(20), || async {
        (stack.get("/v1/leaderboards/tetris").await.status() == 200).then_some(())
    })
    .await;
}

#[tokio::test]
async fn while_the_query_side_rebuilds_a_read_it_cannot_answer_is_a_503_not_a_404() {
    let stack = Stack::start_with(StackOptions { without_projector: true, ..Default::default() }).await;
    stack.submit(json!({ "game": "tetris", "player": "ada", "score": 1 })).await;
    let response = stack.get("/v1/leaderboards/tetris").await;
    assert_eq!(response.status(), 503, "no checkpoint yet means the projection is not built");
    assert!(response.headers().contains_key("retry-after"));
}
