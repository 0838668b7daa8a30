use e2e::Stack;
use futures::future::join_all;
use serde_json::json;

#[tokio::test]
async fn a_submitted_score_succeeds_and_then_shows_on_the_weekly_board() {
    let stack = Stack::start().await;
    let job = stack.submit(json!({ "game": "tetris", "player": "ada", "score": 4200 })).await;
    let finished = stack.finished(&job).await;
    assert_eq!(finished["status"], "succeeded");
    assert_eq!(finished["kind"], "score.submit");
    let board = stack.board("/v1/leaderboards/tetris?period=week").await;
    assert_eq!(Stack::ranking(&board), [("ada".to_owned(), 4200)]);
    assert_eq!(board["entries"][0]["rank"], 1);
    assert_eq!(board["period"], "week");
    assert!(board["window"]["start"].as_str().is_some());
}

#[tokio::test]
async fn a_job_id_the_api_returned_is_found_at_once() {
    let stack = Stack::start_with(e2e::StackOptions { without_projector: true, ..Default::default() }).await;
    // A projector that is up but behind: its checkpoint exists, it has not read the new event yet.
    let _: () =
        fred::prelude::KeysInterface::set(&stack.redis, stack.keys().checkpoint(), "0:0", None, None, false)
            .await
            .unwrap();
    let job = stack.submit(json!({ "game": "tetris", "player": "ada", "score": 1 })).await;
    let response = stack.get(&format!("/v1/jobs/{job}")).await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "queued");
}

#[tokio::test]
async fn sixty_four_concurrent_submissions_to_one_new_game_all_succeed() {
    let stack = Stack::start().await;
    let jobs = join_all(
        (0..64).map(|n| stack.submit(json!({ "game": "rush", "player": format!("p{n}"), "score": n }))),
    )
    .await;
    for job in &jobs {
        assert_eq!(stack.finished(job).await["status"], "succeeded");
    }
    let board = stack.board("/v1/leaderboards/rush").await;
    assert_eq!(board["total"], 64);
    assert_eq!(Stack::ranking(&board)[0], ("p63".to_owned(), 63));
}

#[tokio::test]
async fn equal_scores_rank_the_earlier_achievement_first_not_the_player_name() {
    let stack = Stack::start().await;
    for (player, at) in
        [("aaron", "2026-01-01T00:00:03Z"), ("zoe", "2026-01-01T00:00:01Z"), ("mia", "2026-01-01T00:00:02Z")]
    {
        let job =
            stack.submit(json!({ "game": "tie", "player": player, "score": 100, "achievedAt": at })).await;
        stack.finished(&job).await;
    }
    let players: Vec<String> =
        Stack::ranking(&stack.board("/v1/leaderboards/tie").await).into_iter().map(|(p, _)| p).collect();
    assert_eq!(players, ["zoe", "mia", "aaron"]);
}

#[tokio::test]
async fn the_operators_best_latest_and_sum_combine_a_players_scores() {
    let stack = Stack::start().await;
    for (game, operator) in [("g-best", "best"), ("g-latest", "latest"), ("g-sum", "sum")] {
        let configured = stack
            .put(
                &format!("/v1/games/{game}"),
                json!({ "sortOrder": "desc", "operator": operator, "periods": ["all"] }),
            )
            .await;
        assert_eq!(configured.status(), 200);
        for (score, at) in
            [(50, "2026-01-01T00:00:01Z"), (90, "2026-01-01T00:00:03Z"), (70, "2026-01-01T00:00:02Z")]
        {
            let job = stack
                .submit(json!({ "game": game, "player": "ada", "score": score, "achievedAt": at }))
                .await;
            stack.finished(&job).await;
        }
    }
    let score_of = |board: serde_json::Value| Stack::ranking(&board)[0].1;
    assert_eq!(score_of(stack.board("/v1/leaderboards/g-best").await), 90);
    assert_eq!(score_of(stack.board("/v1/leaderboards/g-latest").await), 90);
    assert_eq!(score_of(stack.board("/v1/leaderboards/g-sum").await), 210);
}

#[tokio::test]
async fn an_ascending_game_ranks_the_lowest_score_first() {
    let stack = Stack::start().await;
    stack
        .put(
            "/v1/games/golf",
            json!({ "title": "Golf", "sortOrder": "asc", "operator": "best", "periods": ["all"] }),
        )
        .await;
    for (player, score) in [("ada", 72), ("bob", 68), ("cy", 80)] {
        stack
            .finished(&stack.submit(json!({ "game": "golf", "player": player, "score": score })).await)
            .await;
    }
    assert_eq!(
        Stack::ranking(&stack.board("/v1/leaderboards/golf").await),
        [("bob".to_owned(), 68), ("ada".to_owned(), 72), ("cy".to_owned(), 80)]
    );
}

#[tokio::test]
async fn a_regional_score_shows_on_its_region_and_the_global_board_but_not_another_region() {
    let stack = Stack::start().await;
    stack
        .finished(
            &stack.submit(json!({ "game": "tetris", "player": "ada", "score": 5, "region": "eu" })).await,
        )
        .await;
    stack
        .finished(
            &stack.submit(json!({ "game": "tetris", "player": "bob", "score": 6, "region": "us" })).await,
        )
        .await;
    assert_eq!(
        Stack::ranking(&stack.board("/v1/leaderboards/tetris?region=eu").await),
        [("ada".to_owned(), 5)]
    );
    assert_eq!(stack.board("/v1/leaderboards/tetris").await["total"], 2);
    assert_eq!(stack.board("/v1/leaderboards/tetris?region=eu").await["region"], "eu");
}

#[tokio::test]
async fn pages_follow_the_cursor_and_around_centres_on_a_player() {
    let stack = Stack::start().await;
    let mut last = String::new();
    for n in 0..25 {
        last = stack.submit(json!({ "game": "paged", "player": format!("p{n:02}"), "score": n })).await;
    }
    stack.finished(&last).await;
    let first = stack.board("/v1/leaderboards/paged?limit=10").await;
    assert_eq!(Stack::ranking(&first)[0].0, "p24");
    let cursor = first["nextCursor"].as_str().expect("a next page").to_owned();
    let second = stack.board(&format!("/v1/leaderboards/paged?limit=10&cursor={cursor}")).await;
    assert_eq!(Stack::ranking(&second)[0].0, "p14");
    assert_eq!(second["entries"][0]["rank"], 11);
    let third = stack
        .board(&format!("/v1/leaderboards/paged?limit=10&cursor={}", second["nextCursor"].as_str().unwrap()))
        .await;
    assert_eq!(third["entries"].as_array().unwrap().len(), 5);
    assert!(third["nextCursor"].is_null());
    let around = stack.board("/v1/leaderboards/paged?limit=5&around=p10").await;
    assert_eq!(
        Stack::ranking(&around).iter().map(|(p, _)| p.as_str()).collect::<Vec<_>>(),
        ["p12", "p11", "p10", "p09", "p08"]
    );
}

#[tokio::test]
async fn a_players_standing_gives_rank_score_time_and_percentile() {
    let stack = Stack::start().await;
    stack
        .submit(
            json!({ "game": "tetris", "player": "ada", "score": 10, "achievedAt": "2026-01-01T00:00:00Z" }),
        )
        .await;
    let job = stack.submit(json!({ "game": "tetris", "player": "bob", "score": 20 })).await;
    stack.finished(&job).await;
    let standing: serde_json::Value =
        stack.get("/v1/leaderboards/tetris/players/ada").await.json().await.unwrap();
    assert_eq!(
        standing,
        json!({ "rank": 2, "score": 10, "achievedAt": "2026-01-01T00:00:00Z", "percentile": 0.0 })
    );
    assert_eq!(stack.get("/v1/leaderboards/tetris/players/nobody").await.status(), 404);
}

/// One renderer: the top-100 the projector stored and the same page rendered for a read are the same
/// bytes, but for the time each was rendered.
#[tokio::test]
async fn the_stored_top_hundred_equals_the_same_page_rendered_on_request_byte_for_byte() {
    let stack = Stack::start().await;
    let mut last = String::new();
    for n in 0..120 {
        last = stack.submit(json!({ "game": "big", "player": format!("p{n}"), "score": n % 40 })).await;
    }
    stack.finished(&last).await;
    let stored = stack.board("/v1/leaderboards/big").await;
    assert_eq!(stored["nextCursor"], "r100");
    let stored = stack.get("/v1/leaderboards/big").await.text().await.unwrap();
    let rendered = stack.get("/v1/leaderboards/big?limit=100&cursor=r0").await.text().await.unwrap();
    assert_eq!(without_generated_at(&stored), without_generated_at(&rendered));
}

/// `document` with the value of its `generatedAt` left out.
fn without_generated_at(document: &str) -> String {
    let (head, rest) = document.split_once("\"generatedAt\":\"").expect("a generatedAt");
    let (_, tail) = rest.split_once('"').expect("its closing quote");
    format!("{head}{tail}")
}

#[tokio::test]
async fn a_refresh_job_succeeds_through_the_projector() {
    let stack = Stack::start().await;
    stack.finished(&stack.submit(json!({ "game": "tetris", "player": "ada", "score": 1 })).await).await;
    let response = stack.post("/v1/leaderboards/tetris/refresh", json!({ "period": "all" })).await;
    assert_eq!(response.status(), 202);
    let job: serde_json::Value = response.json().await.unwrap();
    let finished = stack.finished(job["jobId"].as_str().unwrap()).await;
    assert_eq!(finished["kind"], "leaderboard.refresh");
    assert_eq!(finished["status"], "succeeded");
}

#[tokio::test]
async fn a_board_read_again_after_each_new_score_never_shows_a_stale_copy() {
    let stack = Stack::start().await;
    for n in 1..=8 {
        let job = stack.submit(json!({ "game": "fresh", "player": format!("p{n}"), "score": n })).await;
        assert_eq!(stack.finished(&job).await["status"], "succeeded");
        // Read twice: the first read may fill query-api's memory, the second is served from it.
        for _ in 0..2 {
            let board = stack.board("/v1/leaderboards/fresh").await;
            assert_eq!(board["total"], n, "a succeeded score was missing from the board");
            assert_eq!(Stack::ranking(&board)[0], (format!("p{n}"), n));
        }
    }
    let metrics = stack.http.get(format!("{}/metrics", stack.query)).send().await.unwrap();
    let metrics = metrics.text().await.unwrap();
    assert!(
        metrics.contains("leaderboard_reads_total{source=\"memory\"}"),
        "the second reads came from query-api's memory:\n{metrics}"
    );
}

/// GETs `path` from query-api with `If-None-Match: etag` (when given); the status and the `ETag`.
async fn conditional_read(stack: &Stack, path: &str, etag: Option<&str>) -> (u16, String) {
    let mut request = stack.http.get(format!("{}{path}", stack.query));
    if let Some(etag) = etag {
        request = request.header("if-none-match", etag);
    }
    let response = request.send().await.unwrap();
    let etag = response.headers().get("etag").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    (response.status().as_u16(), etag)
}

#[tokio::test]
async fn a_board_read_again_with_its_etag_is_304_until_a_score_changes_it() {
    let stack = Stack::start().await;
    let job = stack.submit(json!({ "game": "tetris", "player": "ada", "score": 1 })).await;
    stack.finished(&job).await;
    // The stored top 100 (served as stored bytes) and a page rendered for the read.
    for path in ["/v1/leaderboards/tetris", "/v1/leaderboards/tetris?limit=25"] {
        let (status, etag) = conditional_read(&stack, path, None).await;
        assert_eq!(status, 200, "{path}");
        assert!(etag.starts_with("W/\""), "{path}: a weak ETag, not {etag:?}");
        assert_eq!(conditional_read(&stack, path, Some(&etag)).await, (304, etag.clone()), "{path}");
        let job =
            stack.submit(json!({ "game": "tetris", "player": format!("p{}", path.len()), "score": 2 })).await;
        stack.finished(&job).await;
        let (status, changed) = conditional_read(&stack, path, Some(&etag)).await;
        assert_eq!(status, 200, "{path}: a new score changes the board");
        assert_ne!(changed, etag, "{path}");
    }
}
