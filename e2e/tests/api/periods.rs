use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, DurationRound, Utc};
use domain::Clock;
use e2e::{Stack, StackOptions};
use serde_json::json;

/// A clock the test moves by hand.
fn settable(start: DateTime<Utc>) -> (Clock, Arc<Mutex<DateTime<Utc>>>) {
    let now = Arc::new(Mutex::new(start));
    let reading = now.clone();
    (Clock::from_fn(move || *reading.lock().unwrap()), now)
}

#[tokio::test]
async fn the_last_second_of_a_day_and_the_first_of_the_next_land_on_different_day_boards() {
    let midnight = Utc::now().duration_trunc(Duration::days(1)).unwrap();
    let (clock, now) = settable(midnight + Duration::seconds(5));
    let stack = Stack::start_with(StackOptions { clock: Some(clock), ..Default::default() }).await;
    let before = (midnight - Duration::seconds(1)).to_rfc3339();
    let after = midnight.to_rfc3339();
    stack.submit(json!({ "game": "daily", "player": "late", "score": 1, "achievedAt": before })).await;
    let job =
        stack.submit(json!({ "game": "daily", "player": "early", "score": 2, "achievedAt": after })).await;
    stack.finished(&job).await;

    let today = stack.board("/v1/leaderboards/daily?period=day").await;
    assert_eq!(Stack::ranking(&today), [("early".to_owned(), 2)]);
    assert_eq!(today["window"]["start"], midnight.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true));
    assert_eq!(stack.board("/v1/leaderboards/daily?period=all").await["total"], 2);

    *now.lock().unwrap() = midnight - Duration::seconds(2);
    let yesterday = stack.board("/v1/leaderboards/daily?period=day").await;
    assert_eq!(Stack::ranking(&yesterday), [("late".to_owned(), 1)]);
}

#[tokio::test]
async fn a_score_of_an_earlier_month_is_not_on_this_months_board() {
    let stack = Stack::start().await;
    let old = (Utc::now() - Duration::days(40)).to_rfc3339();
    stack.submit(json!({ "game": "monthly", "player": "old", "score": 9, "achievedAt": old })).await;
    let job = stack.submit(json!({ "game": "monthly", "player": "new", "score": 1 })).await;
    stack.finished(&job).await;
    assert_eq!(
        Stack::ranking(&stack.board("/v1/leaderboards/monthly?period=month").await),
        [("new".to_owned(), 1)]
    );
    assert_eq!(stack.board("/v1/leaderboards/monthly?period=all").await["total"], 2);
}
