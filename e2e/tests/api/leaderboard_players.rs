//! A board seen from some of its players: `?players=` (a friends' list, each with their global rank)
//! and a player's standing with its percentile.

use chrono::{Duration, Utc};
use e2e::Stack;
use serde_json::{Value, json};

/// Submits `scores` (each a `POST /v1/scores` body) and waits until every one is on its boards.
async fn scored(stack: &Stack, scores: Vec<Value>) {
    let mut jobs = vec![];
    for score in scores {
        jobs.push(stack.submit(score).await);
    }
    for job in &jobs {
        assert_eq!(stack.finished(job).await["status"], "succeeded");
    }
}

/// The ranks and players of a board document's entries, in order.
fn ranks(board: &Value) -> Vec<(u64, String)> {
    let entries = board["entries"].as_array().expect("entries");
    entries.iter().map(|e| (e["rank"].as_u64().unwrap(), e["player"].as_str().unwrap().to_owned())).collect()
}

fn ranked(pairs: &[(u64, &str)]) -> Vec<(u64, String)> {
    pairs.iter().map(|&(rank, player)| (rank, player.to_owned())).collect()
}

/// The fields a 422's problem names.
async fn refused_fields(stack: &Stack, path: &str) -> Vec<String> {
    let response = stack.get(path).await;
    assert_eq!(response.status(), 422, "{path}");
    let problem: Value = response.json().await.unwrap();
    let errors = problem["errors"].as_array().cloned().unwrap_or_default();
    errors.iter().map(|e| e["field"].as_str().unwrap_or_default().to_owned()).collect()
}

#[tokio::test]
async fn named_players_come_best_first_each_with_their_rank_on_the_whole_board() {
    let stack = Stack::start().await;
    let at = |second: u32| format!("2026-01-01T00:00:0{second}Z");
    scored(
        &stack,
        vec![
            json!({ "game": "pals", "player": "top", "score": 300 }),
            json!({ "game": "pals", "player": "aaron", "score": 100, "achievedAt": at(3) }),
            json!({ "game": "pals", "player": "zoe", "score": 100, "achievedAt": at(1) }),
            json!({ "game": "pals", "player": "mia", "score": 100, "achievedAt": at(2) }),
            json!({ "game": "pals", "player": "low", "score": 1 }),
        ],
    )
    .await;
    let friends = stack.board("/v1/leaderboards/pals?players=low,aaron,zoe").await;
    // Equal scores rank the earlier achievement first, on the whole board as among friends.
    assert_eq!(ranks(&friends), ranked(&[(2, "zoe"), (4, "aaron"), (5, "low")]));
    let whole = ranks(&stack.board("/v1/leaderboards/pals").await);
    let friends_on_the_whole_board: Vec<_> =
        whole.into_iter().filter(|(_, player)| ["low", "aaron", "zoe"].contains(&player.as_str())).collect();
    assert_eq!(ranks(&friends), friends_on_the_whole_board);
    assert_eq!(
        friends["entries"][0],
        json!({ "rank": 2, "player": "zoe", "score": 100, "achievedAt": at(1) })
    );
    assert_eq!((&friends["total"], &friends["nextCursor"]), (&json!(5), &Value::Null));
}

#[tokio::test]
async fn named_players_without_a_score_on_the_board_are_left_out_and_a_name_named_twice_shows_once() {
    let stack = Stack::start().await;
    scored(&stack, vec![json!({ "game": "pals", "player": "ada", "score": 1 })]).await;
    let friends = stack.board("/v1/leaderboards/pals?players=ghost,ada,nobody,ada").await;
    assert_eq!(ranks(&friends), ranked(&[(1, "ada")]));
    let strangers = stack.board("/v1/leaderboards/pals?players=ghost,nobody").await;
    assert_eq!((&strangers["entries"], &strangers["total"]), (&json!([]), &json!(1)));
}

#[tokio::test]
async fn named_players_are_ranked_on_the_board_of_the_region_and_period_asked_for() {
    let stack = Stack::start().await;
    let long_ago = (Utc::now() - Duration::days(40)).to_rfc3339();
    scored(
        &stack,
        vec![
            json!({ "game": "pals", "player": "old", "score": 100, "region": "eu", "achievedAt": long_ago }),
            json!({ "game": "pals", "player": "cy", "score": 7, "region": "eu" }),
            json!({ "game": "pals", "player": "ada", "score": 5, "region": "eu" }),
            json!({ "game": "pals", "player": "bob", "score": 6, "region": "us" }),
        ],
    )
    .await;
    let this_month_in_eu =
        stack.board("/v1/leaderboards/pals?region=eu&period=month&players=old,ada,bob").await;
    assert_eq!(ranks(&this_month_in_eu), ranked(&[(2, "ada")]));
    assert_eq!((&this_month_in_eu["region"], &this_month_in_eu["period"]), (&json!("eu"), &json!("month")));
    assert_eq!(this_month_in_eu["total"], 2);
    let ever_in_eu = stack.board("/v1/leaderboards/pals?region=eu&players=old,ada,bob").await;
    assert_eq!(ranks(&ever_in_eu), ranked(&[(1, "old"), (3, "ada")]));
    let ever_everywhere = stack.board("/v1/leaderboards/pals?players=old,ada,bob").await;
    assert_eq!(ranks(&ever_everywhere), ranked(&[(1, "old"), (3, "bob"), (4, "ada")]));
}

#[tokio::test]
async fn a_hundred_names_are_read_but_a_hundred_and_one_an_empty_or_an_invalid_name_is_a_422() {
    let stack = Stack::start().await;
    scored(&stack, vec![json!({ "game": "pals", "player": "p7", "score": 1 })]).await;
    let hundred: Vec<String> = (0..100).map(|n| format!("p{n}")).collect();
    let read = stack.board(&format!("/v1/leaderboards/pals?players={}", hundred.join(","))).await;
    assert_eq!(ranks(&read), ranked(&[(1, "p7")]));
    let too_many = format!("{},p100", hundred.join(","));
    for list in [too_many.as_str(), "", "ada,,bob", "ada,", "ada,b%20b", "ada,b:b", &"x".repeat(65)] {
        let path = format!("/v1/leaderboards/pals?players={list}");
        assert_eq!(refused_fields(&stack, &path).await, ["players"], "{list:?}");
    }
}

#[tokio::test]
async fn players_with_around_or_cursor_is_a_422_naming_that_parameter_and_limit_does_not_apply() {
    let stack = Stack::start().await;
    scored(
        &stack,
        vec![
            json!({ "game": "pals", "player": "ada", "score": 2 }),
            json!({ "game": "pals", "player": "bob", "score": 1 }),
        ],
    )
    .await;
    assert_eq!(refused_fields(&stack, "/v1/leaderboards/pals?players=ada&around=bob").await, ["around"]);
    assert_eq!(refused_fields(&stack, "/v1/leaderboards/pals?players=ada&cursor=r1").await, ["cursor"]);
    let one_per_page = stack.board("/v1/leaderboards/pals?players=bob,ada&limit=1").await;
    assert_eq!(ranks(&one_per_page), ranked(&[(1, "ada"), (2, "bob")]));
}

#[tokio::test]
async fn named_players_read_again_with_their_etag_are_a_304_until_a_score_changes_them() {
    let stack = Stack::start().await;
    scored(&stack, vec![json!({ "game": "pals", "player": "ada", "score": 1 })]).await;
    let path = format!("{}/v1/leaderboards/pals?players=ada", stack.query);
    let etag_of = |response: &reqwest::Response| response.headers()["etag"].to_str().unwrap().to_owned();
    let etag = etag_of(&stack.http.get(&path).send().await.unwrap());
    let again = stack.http.get(&path).header("if-none-match", &etag).send().await.unwrap();
    assert_eq!((again.status().as_u16(), etag_of(&again)), (304, etag.clone()));
    scored(&stack, vec![json!({ "game": "pals", "player": "bob", "score": 2 })]).await;
    let changed = stack.http.get(&path).header("if-none-match", &etag).send().await.unwrap();
    assert_eq!(changed.status(), 200, "ada's rank moved");
}

/// A player's standing, asserting a 200.
async fn standing(stack: &Stack, path: &str) -> Value {
    let response = stack.get(path).await;
    assert_eq!(response.status(), 200, "{path}");
    response.json().await.unwrap()
}

#[tokio::test]
async fn a_players_percentile_is_the_share_of_the_board_ranked_below_at_the_top_the_middle_and_the_bottom() {
    let stack = Stack::start().await;
    let players = [("first", 40), ("second", 30), ("third", 20), ("last", 10)];
    let scores =
        players.iter().map(|(player, score)| json!({ "game": "pct", "player": player, "score": score }));
    scored(&stack, scores.collect()).await;
    for (player, rank, percentile) in
        [("first", 1, 75.0), ("second", 2, 50.0), ("third", 3, 25.0), ("last", 4, 0.0)]
    {
        let standing = standing(&stack, &format!("/v1/leaderboards/pct/players/{player}")).await;
        assert_eq!(
            (&standing["rank"], &standing["percentile"]),
            (&json!(rank), &json!(percentile)),
            "{player}"
        );
    }
}

#[tokio::test]
async fn a_player_alone_on_a_board_is_first_with_a_percentile_of_zero() {
    let stack = Stack::start().await;
    scored(&stack, vec![json!({ "game": "solo", "player": "ada", "score": 3, "region": "eu" })]).await;
    let alone = standing(&stack, "/v1/leaderboards/solo/players/ada?region=eu&period=week").await;
    assert_eq!((&alone["rank"], &alone["percentile"]), (&json!(1), &json!(0.0)));
    // The JSON carries the one decimal.
    let text = stack.get("/v1/leaderboards/solo/players/ada").await.text().await.unwrap();
    assert!(text.contains("\"percentile\":0.0"), "{text}");
}
