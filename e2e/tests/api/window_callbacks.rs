//! Callbacks when a window closes: a game with `onWindowClose` gets, for each day, week or month
//! window that closes, one signed `webhook` job per board (the global one and each region's) posting
//! `{ url, game, period, region, window, start, end, entries }`, owned by whoever set the callback —
//! once, however many workers check and however often they restart.
//!
//! Scores are achieved today by the real clock (the one the log's acceptance times follow); the
//! workers' clock runs a day ahead, so today's window has closed for them.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::HeaderMap;
use chrono::{DateTime, Utc};
use domain::Clock;
use e2e::{Stack, StackOptions};
use serde_json::{Value, json};
use worker::{CheckReport, WindowCloseChecker};

type Posts = Arc<Mutex<Vec<(HeaderMap, Value)>>>;

/// A receiver on loopback that keeps every post's headers and body.
async fn receiver() -> (String, Posts) {
    let posts: Posts = Arc::default();
    let kept = posts.clone();
    let app = axum::Router::new().route(
        "/closed",
        axum::routing::post(move |headers: HeaderMap, body: axum::body::Bytes| async move {
            let body = serde_json::from_slice(&body).unwrap_or(Value::Null);
            kept.lock().unwrap().push((headers, body));
            axum::http::StatusCode::NO_CONTENT
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/closed", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, posts)
}

/// A stack whose workers look for closed windows five times a second and sign with a known key.
async fn stack() -> Stack {
    Stack::start_with(StackOptions {
        adjust: Some(|settings| {
            settings.worker.window_close_check_ms = 200;
            settings.jobs.webhook_secret = Some("s3cret".to_owned().into());
        }),
        ..StackOptions::default()
    })
    .await
}

/// The start of today, by the real clock: never in the future, always in today's day window.
fn today() -> DateTime<Utc> {
    Utc::now().date_naive().and_hms_opt(0, 0, 0).unwrap().and_utc()
}

/// A clock a day ahead of the real one: today's window has closed by it.
fn tomorrow() -> Clock {
    Clock::from_fn(|| Utc::now() + chrono::Duration::days(1))
}

/// Configures `game` with all-time and day boards and a callback of the top `top` entries to `url`.
async fn calling_back(stack: &Stack, game: &str, url: &str, top: u16) -> Value {
    let settings = json!({
        "sortOrder": "desc", "operator": "best", "periods": ["all", "day"],
        "onWindowClose": { "url": url, "top": top },
    });
    let response = stack.put(&format!("/v1/games/{game}"), settings).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// Scores of today: ada 50 (eu), bob 40, cy 30 (eu); waits until the last is on the boards.
async fn scores_of_today(stack: &Stack, game: &str) {
    let mut last = String::new();
    for (player, score, region) in [("ada", 50, Some("eu")), ("bob", 40, None), ("cy", 30, Some("eu"))] {
        let mut body =
            json!({ "game": game, "player": player, "score": score, "achievedAt": today().to_rfc3339() });
        if let Some(region) = region {
            body["region"] = json!(region);
        }
        last = stack.submit(body).await;
    }
    assert_eq!(stack.finished(&last).await["status"], "succeeded");
}

fn entry(rank: u64, player: &str, score: i64) -> Value {
    let achieved_at = today().to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
    json!({ "rank": rank, "player": player, "score": score, "achievedAt": achieved_at })
}

/// The callback jobs the log holds.
async fn callback_jobs_in_the_log(stack: &Stack) -> i64 {
    let pool = sqlx::PgPool::connect(&stack.database.url()).await.unwrap();
    let count = sqlx::query_scalar(
        "SELECT count(*) FROM events WHERE aggregate_type = 'job' AND event_type = 'JobQueued'
           AND payload->'JobQueued'->'spec'->>'kind' = 'webhook'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    pool.close().await;
    count
}

#[tokio::test]
async fn a_closed_day_is_posted_signed_once_per_board_with_its_top_entries_as_the_owners_jobs() {
    let stack = stack().await;
    let (url, posts) = receiver().await;
    assert_eq!(
        calling_back(&stack, "daily", &url, 2).await["onWindowClose"],
        json!({ "url": url, "top": 2 })
    );
    scores_of_today(&stack, "daily").await;
    stack.start_worker_with(vec![], tomorrow()).await;

    testkit::wait_until("both boards' callbacks", Duration::from_secs(30), || async {
        (posts.lock().unwrap().len() >= 2).then_some(())
    })
    .await;
    let window = today().date_naive().to_string();
    let end = (today() + chrono::Duration::days(1)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let expected = |region: Value, entries: Vec<Value>| {
        json!({
            "url": url, "game": "daily", "period": "day", "region": region, "window": window,
            "start": format!("{window}T00:00:00Z"), "end": end, "entries": entries,
        })
    };
    let mut bodies: Vec<Value> = posts.lock().unwrap().iter().map(|(_, body)| body.clone()).collect();
    bodies.sort_by_key(|body| body["region"].to_string());
    assert_eq!(
        bodies,
        [
            expected(json!("eu"), vec![entry(1, "ada", 50), entry(2, "cy", 30)]),
            expected(Value::Null, vec![entry(1, "ada", 50), entry(2, "bob", 40)]),
        ]
    );
    for (headers, body) in posts.lock().unwrap().iter() {
        let signed = serde_json::to_vec(body).unwrap();
        assert_eq!(
            headers["x-reprise-signature"].to_str().unwrap(),
            job_kinds::webhook::signature(b"s3cret", &signed)
        );
    }

    let jobs_of_owner = || async {
        let listed: Value = stack.get("/v1/jobs?kind=webhook").await.json().await.unwrap();
        let items = listed["items"].as_array().cloned().unwrap_or_default();
        let done = items.len() == 2 && items.iter().all(|job| job["status"] == "succeeded");
        done.then_some(items)
    };
    let jobs = testkit::wait_until(
        "the owner's two succeeded callback jobs",
        Duration::from_secs(30),
        jobs_of_owner,
    )
    .await;
    let mut posted_ids: Vec<String> = posts
        .lock()
        .unwrap()
        .iter()
        .map(|(headers, _)| headers["x-reprise-job"].to_str().unwrap().to_owned())
        .collect();
    let mut listed_ids: Vec<String> = jobs.iter().map(|job| job["id"].as_str().unwrap().to_owned()).collect();
    posted_ids.sort();
    listed_ids.sort();
    assert_eq!(posted_ids, listed_ids, "each post is one of the owner's jobs");
    let stranger = stack.sign_up("stranger").await;
    let theirs: Value = stack
        .http
        .get(format!("{}/v1/jobs?kind=webhook", stack.query))
        .bearer_auth(stranger)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(theirs["items"], json!([]), "nobody else sees them");
    assert_eq!(
        posts.lock().unwrap().len(),
        2,
        "no board was posted twice, and the all-time board never closes"
    );
}

#[tokio::test]
async fn racing_checkers_and_a_restarted_one_queue_each_closed_boards_callback_once() {
    let stack = Stack::start().await;
    let (url, _posts) = receiver().await;
    calling_back(&stack, "raced", &url, 10).await;
    scores_of_today(&stack, "raced").await;

    let today_s_checker = WindowCloseChecker::build(&stack.settings, Clock::default()).unwrap();
    assert_eq!(today_s_checker.check().await.unwrap(), CheckReport::default(), "nothing has closed yet");

    let (first, second) = (
        WindowCloseChecker::build(&stack.settings, tomorrow()).unwrap(),
        WindowCloseChecker::build(&stack.settings, tomorrow()).unwrap(),
    );
    let (first, second) = tokio::join!(first.check(), second.check());
    let (first, second) = (first.unwrap(), second.unwrap());
    assert_eq!(first.queued + second.queued, 2, "the global and the eu board: {first:?} {second:?}");
    assert_eq!(first.queued + first.already_queued, 2, "{first:?}");
    assert_eq!(second.queued + second.already_queued, 2, "{second:?}");

    let restarted = WindowCloseChecker::build(&stack.settings, tomorrow()).unwrap();
    assert_eq!(restarted.check().await.unwrap(), CheckReport { already_queued: 2, ..CheckReport::default() });
    assert_eq!(restarted.check().await.unwrap(), CheckReport { already_queued: 2, ..CheckReport::default() });
    assert_eq!(callback_jobs_in_the_log(&stack).await, 2);
}

#[tokio::test]
async fn a_window_that_closed_before_its_callback_was_set_is_not_called_back() {
    let stack = Stack::start().await;
    let (url, _posts) = receiver().await;
    calling_back(&stack, "late", &url, 10).await;
    // Yesterday's window closed before the callback was set, today's has not closed yet.
    let checker = WindowCloseChecker::build(&stack.settings, Clock::default()).unwrap();
    assert_eq!(checker.check().await.unwrap(), CheckReport::default());
    assert_eq!(callback_jobs_in_the_log(&stack).await, 0);
}

/// The fields a 422 names.
async fn refused_fields(stack: &Stack, on_window_close: Value) -> Vec<String> {
    let settings = json!({ "sortOrder": "desc", "operator": "best", "periods": ["all", "day"], "onWindowClose": on_window_close });
    let response = stack.put("/v1/games/tetris", settings).await;
    assert_eq!(response.status(), 422, "{on_window_close}");
    let problem: Value = response.json().await.unwrap();
    problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn an_on_window_close_that_is_not_an_allowed_url_and_a_top_of_1_to_1000_is_a_422_naming_it() {
    let stack = Stack::start().await;
    let (url, top) = ("onWindowClose.url", "onWindowClose.top");
    let cases = [
        (json!("http://127.0.0.1:9/closed"), vec!["onWindowClose"]),
        (json!([]), vec!["onWindowClose"]),
        (json!({ "top": 10 }), vec![url]),
        (json!({ "url": null, "top": 10 }), vec![url]),
        (json!({ "url": 9, "top": 10 }), vec![url]),
        (json!({ "url": "127.0.0.1:9/closed", "top": 10 }), vec![url]),
        (json!({ "url": "ftp://127.0.0.1/closed", "top": 10 }), vec![url]),
        (json!({ "url": "http://example.com/closed", "top": 10 }), vec![url]),
        (json!({ "url": format!("http://127.0.0.1/{}", "a".repeat(2048)), "top": 10 }), vec![url]),
        (json!({ "url": "http://127.0.0.1:9/closed" }), vec![top]),
        (json!({ "url": "http://127.0.0.1:9/closed", "top": 0 }), vec![top]),
        (json!({ "url": "http://127.0.0.1:9/closed", "top": 1001 }), vec![top]),
        (json!({ "url": "http://127.0.0.1:9/closed", "top": 2.5 }), vec![top]),
        (json!({ "url": "http://127.0.0.1:9/closed", "top": "10" }), vec![top]),
        (json!({ "url": "http://example.com/closed", "top": -1 }), vec![url, top]),
    ];
    for (on_window_close, fields) in cases {
        assert_eq!(refused_fields(&stack, on_window_close.clone()).await, fields, "{on_window_close}");
    }
}

#[tokio::test]
async fn an_on_window_close_of_1_or_1000_entries_is_kept_and_null_or_none_removes_it() {
    let stack = Stack::start().await;
    for top in [json!(1), json!(1000), json!(10.0)] {
        let settings = json!({
            "sortOrder": "desc", "operator": "best", "periods": ["all", "day"],
            "onWindowClose": { "url": "http://localhost:9/closed", "top": top },
        });
        let configured: Value = stack.put("/v1/games/tetris", settings).await.json().await.unwrap();
        assert_eq!(configured["onWindowClose"]["top"].as_f64(), top.as_f64(), "{top}");
        assert_eq!(configured["onWindowClose"]["url"], "http://localhost:9/closed");
    }
    for removed in [json!({ "onWindowClose": null }), json!({})] {
        let mut settings = json!({ "sortOrder": "desc", "operator": "best", "periods": ["all"] });
        settings.as_object_mut().unwrap().extend(removed.as_object().unwrap().clone());
        let response = stack.put("/v1/games/tetris", settings).await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.json::<Value>().await.unwrap()["onWindowClose"], Value::Null, "{removed}");
    }
}
