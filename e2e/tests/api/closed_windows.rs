//! Closed windows kept: a game keeps `keepWindows` closed day, week and month windows readable with
//! `window=` and listed at `/windows`. Scores are achieved yesterday (by the real clock, which the
//! log's acceptance times follow), so their window is closed but still took them within its grace.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use domain::Clock;
use e2e::{Stack, StackOptions};
use serde_json::{Value, json};

fn day(at: DateTime<Utc>) -> NaiveDate {
    at.date_naive()
}

/// Noon of the day before today.
fn yesterday_noon() -> DateTime<Utc> {
    let today = day(Utc::now()).and_hms_opt(0, 0, 0).unwrap().and_utc();
    today - Duration::hours(12)
}

/// Configures `game` with day and all-time boards keeping `kept` closed days.
async fn keeping_days(stack: &Stack, game: &str, kept: u16) -> Value {
    let settings =
        json!({ "sortOrder": "desc", "operator": "best", "periods": ["all", "day"], "keepWindows": kept });
    let response = stack.put(&format!("/v1/games/{game}"), settings).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// Submits each `(player, score, region)` achieved at `at` and waits for the last.
async fn scores_at(stack: &Stack, game: &str, at: DateTime<Utc>, scores: &[(&str, i64, Option<&str>)]) {
    let mut last = String::new();
    for &(player, score, region) in scores {
        let mut body =
            json!({ "game": game, "player": player, "score": score, "achievedAt": at.to_rfc3339() });
        if let Some(region) = region {
            body["region"] = json!(region);
        }
        last = stack.submit(body).await;
    }
    assert_eq!(stack.finished(&last).await["status"], "succeeded");
}

fn players(board: &Value) -> Vec<String> {
    Stack::ranking(board).into_iter().map(|(player, _)| player).collect()
}

async fn status(stack: &Stack, path: &str) -> u16 {
    stack.get(path).await.status().as_u16()
}

async fn fields_of_422(stack: &Stack, path: &str) -> Vec<String> {
    let response = stack.get(path).await;
    assert_eq!(response.status(), 422, "{path}");
    let problem: Value = response.json().await.unwrap();
    problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn a_closed_day_window_is_read_by_its_start_with_paging_around_and_regions() {
    let stack = Stack::start().await;
    assert_eq!(keeping_days(&stack, "daily", 3).await["keepWindows"], 3);
    let players_scores = [
        ("ada", 50, Some("eu")),
        ("bob", 40, None),
        ("cy", 30, Some("eu")),
        ("di", 20, None),
        ("ed", 10, None),
    ];
    scores_at(&stack, "daily", yesterday_noon(), &players_scores).await;
    let window = day(yesterday_noon());
    let path = format!("/v1/leaderboards/daily?period=day&window={window}");

    let closed = stack.board(&path).await;
    assert_eq!(players(&closed), ["ada", "bob", "cy", "di", "ed"]);
    assert_eq!(closed["window"]["start"], format!("{window}T00:00:00Z"));
    let first = stack.board(&format!("{path}&limit=2")).await;
    assert_eq!(players(&first), ["ada", "bob"]);
    let cursor = first["nextCursor"].as_str().expect("a next page");
    assert_eq!(players(&stack.board(&format!("{path}&limit=2&cursor={cursor}")).await), ["cy", "di"]);
    assert_eq!(players(&stack.board(&format!("{path}&limit=3&around=di")).await), ["cy", "di", "ed"]);
    assert_eq!(players(&stack.board(&format!("{path}&region=eu")).await), ["ada", "cy"]);
    // Today's day board holds none of them, and a window of today that never had a score is not kept.
    assert_eq!(stack.board("/v1/leaderboards/daily?period=day").await["total"], 0);
    assert_eq!(
        status(&stack, &format!("/v1/leaderboards/daily?period=day&window={}", day(Utc::now()))).await,
        404
    );
}

#[tokio::test]
async fn the_kept_windows_of_a_period_are_listed_newest_first_with_their_totals() {
    let stack = Stack::start().await;
    keeping_days(&stack, "listed", 12).await;
    scores_at(&stack, "listed", yesterday_noon(), &[("ada", 5, Some("eu")), ("bob", 6, None)]).await;
    scores_at(&stack, "listed", Utc::now(), &[("cy", 7, None)]).await;
    let (today, yesterday) = (day(Utc::now()).to_string(), day(yesterday_noon()).to_string());

    let listed = stack.board("/v1/leaderboards/listed/windows?period=day").await;
    let items = listed["items"].as_array().unwrap();
    let windows: Vec<(&str, u64, bool)> = items
        .iter()
        .map(|item| {
            (
                item["window"].as_str().unwrap(),
                item["total"].as_u64().unwrap(),
                item["closed"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(windows, [(today.as_str(), 1, false), (yesterday.as_str(), 2, true)]);
    assert_eq!(items[1]["start"], format!("{yesterday}T00:00:00Z"));
    assert_eq!(items[1]["end"], format!("{today}T00:00:00Z"));
    assert!(listed["nextCursor"].is_null());

    let first = stack.board("/v1/leaderboards/listed/windows?period=day&limit=1").await;
    assert_eq!(first["items"][0]["window"], today.as_str());
    let cursor = first["nextCursor"].as_str().expect("a next page");
    let second =
        stack.board(&format!("/v1/leaderboards/listed/windows?period=day&limit=1&cursor={cursor}")).await;
    assert_eq!(second["items"][0]["window"], yesterday.as_str());
    assert!(second["nextCursor"].is_null());

    let regional = stack.board("/v1/leaderboards/listed/windows?period=day&region=eu").await;
    assert_eq!(regional["items"].as_array().unwrap().len(), 1);
    assert_eq!(regional["items"][0]["total"], 1);
}

#[tokio::test]
async fn a_score_accepted_after_its_windows_grace_counts_on_the_all_time_board_only() {
    let stack = Stack::start().await;
    keeping_days(&stack, "late", 12).await;
    let three_days_ago = yesterday_noon() - Duration::days(2);
    scores_at(&stack, "late", three_days_ago, &[("ada", 5, None)]).await;
    assert_eq!(stack.board("/v1/leaderboards/late").await["total"], 1);
    let window = day(three_days_ago);
    assert_eq!(status(&stack, &format!("/v1/leaderboards/late?period=day&window={window}")).await, 404);
    assert_eq!(stack.board("/v1/leaderboards/late/windows?period=day").await["items"], json!([]));
}

#[tokio::test]
async fn a_window_past_its_keeping_when_projected_is_a_404_and_not_listed() {
    // Three days on, a game keeping no closed day has let yesterday's board go (its keeping ended at
    // the end of today): the projector, whose clock says so, does not write it.
    let later = Arc::new(Mutex::new(Utc::now() + Duration::days(3)));
    let reading = later.clone();
    let clock = Clock::from_fn(move || *reading.lock().unwrap());
    let stack = Stack::start_with(StackOptions { clock: Some(clock), ..Default::default() }).await;
    assert_eq!(keeping_days(&stack, "brief", 0).await["keepWindows"], 0);
    scores_at(&stack, "brief", yesterday_noon(), &[("ada", 5, None)]).await;
    assert_eq!(stack.board("/v1/leaderboards/brief").await["total"], 1);
    let window = day(yesterday_noon());
    assert_eq!(status(&stack, &format!("/v1/leaderboards/brief?period=day&window={window}")).await, 404);
    assert_eq!(stack.board("/v1/leaderboards/brief/windows?period=day").await["items"], json!([]));
}

#[tokio::test]
async fn window_reads_that_name_no_window_of_their_period_are_422s_and_an_unknown_game_a_404() {
    let stack = Stack::start().await;
    let settings = json!({ "sortOrder": "desc", "operator": "best", "periods": ["all"], "keepWindows": 367 });
    let response = stack.put("/v1/games/tetris", settings).await;
    assert_eq!(response.status(), 422);
    let problem: Value = response.json().await.unwrap();
    assert_eq!(problem["errors"][0]["field"], "keepWindows");
    let configured = stack
        .put("/v1/games/tetris", json!({ "sortOrder": "desc", "operator": "best", "periods": ["all"] }))
        .await;
    assert_eq!(configured.json::<Value>().await.unwrap()["keepWindows"], 12);

    for query in [
        "period=week&window=2026-11-24",
        "period=month&window=2026-11-02",
        "period=all&window=2026-11-01",
        "window=2026-11-01",
        "period=day&window=23-11-2026",
    ] {
        assert_eq!(
            fields_of_422(&stack, &format!("/v1/leaderboards/tetris?{query}")).await,
            ["window"],
            "{query}"
        );
    }
    for query in ["", "?period=all", "?period=year"] {
        assert_eq!(
            fields_of_422(&stack, &format!("/v1/leaderboards/tetris/windows{query}")).await,
            ["period"],
            "{query}"
        );
    }
    assert_eq!(
        fields_of_422(&stack, "/v1/leaderboards/tetris/windows?period=day&limit=101").await,
        ["limit"]
    );
    assert_eq!(
        fields_of_422(&stack, "/v1/leaderboards/tetris/windows?period=week&cursor=w2026-11-23").await,
        ["cursor"]
    );
    assert_eq!(status(&stack, "/v1/leaderboards/nobody/windows?period=day").await, 404);
}
