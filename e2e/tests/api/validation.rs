use e2e::Stack;
use serde_json::{Value, json};

async fn problem(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(response.status(), status);
    assert_eq!(response.headers()["content-type"], "application/problem+json");
    let request_id = response.headers()["x-request-id"].to_str().unwrap().to_owned();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], status);
    assert_eq!(body["requestId"], request_id.as_str());
    body
}

fn fields(problem: &Value) -> Vec<String> {
    problem["errors"].as_array().map_or(vec![], |errors| {
        errors.iter().map(|e| e["field"].as_str().unwrap_or_default().to_owned()).collect()
    })
}

#[tokio::test]
async fn malformed_json_is_a_400() {
    let stack = Stack::start().await;
    let response = stack
        .http
        .post(format!("{}/v1/scores", stack.command))
        .bearer_auth(&stack.token)
        .header("content-type", "application/json")
        .body("{\"game\": ")
        .send()
        .await
        .unwrap();
    problem(response, 400).await;
}

#[tokio::test]
async fn a_body_that_is_not_json_is_a_415() {
    let stack = Stack::start().await;
    let response = stack
        .http
        .post(format!("{}/v1/scores", stack.command))
        .bearer_auth(&stack.token)
        .body("game=tetris")
        .send()
        .await
        .unwrap();
    problem(response, 415).await;
}

#[tokio::test]
async fn a_body_over_one_mebibyte_is_a_413() {
    let stack = Stack::start().await;
    let padding = "x".repeat(1024 * 1024 + 1);
    let response = stack
        .http
        .post(format!("{}/v1/scores", stack.command))
        .bearer_auth(&stack.token)
        .header("content-type", "application/json")
        .body(format!("{{\"game\":\"{padding}\"}}"))
        .send()
        .await
        .unwrap();
    problem(response, 413).await;
}

#[tokio::test]
async fn every_invalid_score_field_is_a_422_naming_the_field() {
    let stack = Stack::start().await;
    let cases = [
        (json!({ "game": "tetris", "player": "ada", "score": "many" }), "score"),
        (json!({ "game": "tetris", "player": "ada", "score": 1.5 }), "score"),
        (json!({ "game": "tetris", "player": "ada", "score": 9007199254740993_i64 }), "score"),
        (json!({ "game": "tetris", "player": "ada", "score": -9007199254740993_i64 }), "score"),
        (json!({ "game": "tetris", "player": "ada" }), "score"),
        (json!({ "game": "te tris", "player": "ada", "score": 1 }), "game"),
        (json!({ "game": "tetris", "player": "a".repeat(65), "score": 1 }), "player"),
        (json!({ "game": "tetris", "player": "", "score": 1 }), "player"),
        (json!({ "game": "tetris", "player": "ada", "score": 1, "region": "eu/west" }), "region"),
        (
            json!({ "game": "tetris", "player": "ada", "score": 1, "achievedAt": "2999-01-01T00:00:00Z" }),
            "achievedAt",
        ),
        (json!({ "game": "tetris", "player": "ada", "score": 1, "achievedAt": "yesterday" }), "achievedAt"),
    ];
    for (body, field) in cases {
        let problem = problem(stack.post("/v1/scores", body.clone()).await, 422).await;
        assert_eq!(fields(&problem), [field], "{body}");
    }
}

#[tokio::test]
async fn scores_at_two_to_the_53_are_accepted_exactly() {
    let stack = Stack::start().await;
    let job = stack.submit(json!({ "game": "huge", "player": "ada", "score": 9007199254740992_i64 })).await;
    stack.finished(&job).await;
    let board = stack.board("/v1/leaderboards/huge").await;
    assert_eq!(Stack::ranking(&board)[0].1, 9007199254740992);
}

#[tokio::test]
async fn an_unknown_game_is_a_404() {
    let stack = Stack::start().await;
    problem(stack.get("/v1/leaderboards/never-played").await, 404).await;
    problem(stack.post("/v1/leaderboards/never-played/refresh", json!({})).await, 404).await;
}

#[tokio::test]
async fn invalid_board_queries_are_422s() {
    let stack = Stack::start().await;
    stack.finished(&stack.submit(json!({ "game": "tetris", "player": "ada", "score": 1 })).await).await;
    for (query, field) in
        [("period=year", "period"), ("limit=0", "limit"), ("limit=101", "limit"), ("cursor=bogus", "cursor")]
    {
        let problem = problem(stack.get(&format!("/v1/leaderboards/tetris?{query}")).await, 422).await;
        assert_eq!(fields(&problem), [field]);
    }
}

#[tokio::test]
async fn a_configured_game_without_scores_has_an_empty_board() {
    let stack = Stack::start().await;
    let response = stack
        .put("/v1/games/fresh", json!({ "sortOrder": "asc", "operator": "sum", "periods": ["day", "all"] }))
        .await;
    let game: Value = response.json().await.unwrap();
    assert_eq!(game["periods"], json!(["all", "day"]));
    let board =
        testkit::wait_until("the game to be projected", std::time::Duration::from_secs(10), || async {
            let response = stack.get("/v1/leaderboards/fresh").await;
            if response.status() == 200 { response.json::<Value>().await.ok() } else { None }
        })
        .await;
    assert_eq!(board["total"], 0);
    assert_eq!(board["entries"], json!([]));
}

#[tokio::test]
async fn changing_the_ranking_of_a_game_with_scores_is_a_409_but_its_title_may_change() {
    let stack = Stack::start().await;
    stack.submit(json!({ "game": "tetris", "player": "ada", "score": 1 })).await;
    let settings = |order: &str, operator: &str| json!({ "title": "T", "sortOrder": order, "operator": operator, "periods": ["all"] });
    problem(stack.put("/v1/games/tetris", settings("asc", "best")).await, 409).await;
    problem(stack.put("/v1/games/tetris", settings("desc", "sum")).await, 409).await;
    assert_eq!(stack.put("/v1/games/tetris", settings("desc", "best")).await.status(), 200);
}

#[tokio::test]
async fn invalid_game_settings_are_422s() {
    let stack = Stack::start().await;
    let response = stack
        .put("/v1/games/tetris", json!({ "sortOrder": "sideways", "operator": "best", "periods": ["all"] }))
        .await;
    assert_eq!(fields(&problem(response, 422).await), ["sortOrder"]);
    let response =
        stack.put("/v1/games/tetris", json!({ "sortOrder": "asc", "operator": "best", "periods": [] })).await;
    assert_eq!(fields(&problem(response, 422).await), ["periods"]);
}

#[tokio::test]
async fn an_unknown_job_is_a_404() {
    let stack = Stack::start().await;
    stack.finished(&stack.submit(json!({ "game": "tetris", "player": "ada", "score": 1 })).await).await;
    problem(stack.get(&format!("/v1/jobs/{}", uuid::Uuid::now_v7())).await, 404).await;
}

/// Postgres keeps no U+0000 in text nor in the event log's `jsonb`: text that holds one is refused
/// up front, naming the field, instead of failing as a 500 deep in the write.
#[tokio::test]
async fn text_holding_u0000_is_a_422_naming_the_field_and_a_path_holding_it_a_404() {
    let stack = Stack::start().await;
    let post = |path: &str, body: Value| {
        stack.http.post(format!("{}{path}", stack.command)).bearer_auth(&stack.token).json(&body).send()
    };
    let refused = [
        ("/v1/jobs", json!({ "message": "a\u{0}b" }), "message"),
        ("/v1/jobs", json!({ "message": "m", "payload": { "tags": ["x", "\u{0}"] } }), "payload.tags[1]"),
        ("/v1/jobs", json!({ "message": "m", "payload": { "\u{0}": 1 } }), "payload.\\u0000"),
        ("/v1/channels", json!({ "name": "synths\u{0}" }), "name"),
    ];
    for (path, body, field) in refused {
        let response = post(path, body.clone()).await.unwrap();
        assert_eq!(fields(&problem(response, 422).await), [field], "{body}");
    }
    let ignored = post("/v1/jobs", json!({ "message": "m", "unread": "\u{0}" })).await.unwrap();
    assert_eq!(ignored.status(), 202, "a field the route does not read may hold anything");
    let response =
        stack.http.delete(format!("{}/v1/jobs/a%00b", stack.command)).bearer_auth(&stack.token).send().await;
    problem(response.unwrap(), 404).await;
}

/// The document's `maxLength` counts characters, and so does the server: 65,536 two-byte characters
/// are a message, one more is not.
#[tokio::test]
async fn a_job_message_is_at_most_65536_characters_whatever_their_bytes() {
    let stack = Stack::start().await;
    let queue = |message: String| {
        stack
            .http
            .post(format!("{}/v1/jobs", stack.command))
            .bearer_auth(&stack.token)
            .json(&json!({ "message": message }))
            .send()
    };
    assert_eq!(queue("é".repeat(65_536)).await.unwrap().status(), 202);
    let response = queue("é".repeat(65_537)).await.unwrap();
    assert_eq!(fields(&problem(response, 422).await), ["message"]);
}
