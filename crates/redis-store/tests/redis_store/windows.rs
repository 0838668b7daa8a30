//! The index of a game's kept windows, written with its boards in the fenced apply, against a real
//! Redis. Times are around the real clock: Redis expires keys by it.

use chrono::{DateTime, Duration, DurationRound, Utc};
use domain::names::{GameName, PlayerName};
use domain::scores::{GameSettings, KeptWindows, NewScore, Period, Recorded, ScoreValue};
use fred::prelude::*;
use read_model::boards::{Board, windows_index_id};
use read_model::{GameBook, Keys, LogEntry};
use redis_store::BoardReader;

use crate::common::{checkpoint, logged, plan, store};

fn today() -> DateTime<Utc> {
    Utc::now().duration_trunc(Duration::days(1)).unwrap()
}

/// A game whose boards are day boards and all-time, keeping `kept` closed days.
fn keeping_days(kept: i64) -> (GameBook, GameSettings) {
    let settings = GameSettings {
        periods: vec![Period::All, Period::Day],
        keep_windows: KeptWindows::new(kept).unwrap(),
        ..Default::default()
    };
    (GameBook::from([(game(), settings.clone())]), settings)
}

fn game() -> GameName {
    GameName::parse("daily").unwrap()
}

/// `player`'s score achieved at `achieved_at` and accepted then too.
fn submitted(n: usize, player: &str, achieved_at: DateTime<Utc>) -> LogEntry<'static> {
    let score = NewScore {
        game: game(),
        player: PlayerName::parse(player).unwrap(),
        score: ScoreValue::new(10).unwrap(),
        region: None,
        achieved_at,
        request_hash: "h".into(),
    };
    let payload = serde_json::to_value(Recorded(score)).unwrap();
    logged(
        "score",
        &format!("s{n}"),
        1,
        payload,
        serde_json::json!({ "job_id": format!("s{n}") }),
        achieved_at,
    )
}

fn day_board(start: DateTime<Utc>) -> Board {
    Board::containing(&game(), Period::Day, start, None)
}

fn index() -> String {
    windows_index_id(&game(), Period::Day, None)
}

async fn listed(redis: &Client, keys: &Keys) -> Vec<String> {
    let windows = BoardReader::new(redis, keys).windows(&index(), None, 100).await.unwrap();
    windows.into_iter().map(|(window, _)| window).collect()
}

async fn expiry(redis: &Client, key: String) -> i64 {
    redis.expire_time(key).await.unwrap()
}

#[tokio::test]
async fn a_window_board_is_listed_newest_first_with_its_start_and_its_keys_expire_when_no_longer_kept() {
    let (store, redis, keys) = store().await;
    let (mut games, settings) = keeping_days(3);
    let yesterday = today() - Duration::days(1);
    let events = [submitted(1, "ada", yesterday), submitted(2, "bob", today()), submitted(3, "cy", today())];
    let ops = plan(&events, &mut games, Utc::now());
    store.apply(1, None, checkpoint(1), Utc::now(), ops).await.unwrap();

    let reader = BoardReader::new(&redis, &keys);
    let windows = reader.windows(&index(), None, 100).await.unwrap();
    let expected = [day_board(today()), day_board(yesterday)];
    assert_eq!(
        windows,
        expected
            .iter()
            .map(|board| (board.window.key(), board.window.start.unwrap().timestamp()))
            .collect::<Vec<_>>()
    );
    let ids: Vec<String> = expected.iter().map(Board::id).collect();
    assert_eq!(reader.totals(&ids).await.unwrap(), [2, 1]);
    let older = reader.windows(&index(), Some(today().timestamp()), 100).await.unwrap();
    assert_eq!(older, [(day_board(yesterday).window.key(), yesterday.timestamp())]);

    let board = day_board(yesterday);
    let kept_until = Period::Day.kept_until(&board.window, settings.keep_windows).unwrap().timestamp();
    for key in
        [keys.board_ranking(&board.id()), keys.board_entries(&board.id()), keys.board_document(&board.id())]
    {
        assert_eq!(expiry(&redis, key).await, kept_until);
    }
    let newest = Period::Day.kept_until(&day_board(today()).window, settings.keep_windows).unwrap();
    assert_eq!(expiry(&redis, keys.board_windows(&index())).await, newest.timestamp());
}

#[tokio::test]
async fn windows_no_longer_kept_leave_the_index_with_the_next_write_and_its_expiry_only_moves_forward() {
    let (store, redis, keys) = store().await;
    let (mut games, settings) = keeping_days(1);
    let two_days_ago = today() - Duration::days(2);
    let ops = plan(&[submitted(1, "ada", two_days_ago)], &mut games, Utc::now());
    store.apply(1, None, checkpoint(1), Utc::now(), ops).await.unwrap();
    assert_eq!(listed(&redis, &keys).await, [day_board(two_days_ago).window.key()]);

    // A day later the board of two days ago has passed its keeping: a new day's write drops it.
    let tomorrow = today() + Duration::days(1);
    let later = tomorrow + Duration::hours(1);
    let ops = plan(&[submitted(2, "bob", tomorrow)], &mut games, later);
    store.apply(1, Some(checkpoint(1)), checkpoint(2), later, ops).await.unwrap();
    assert_eq!(listed(&redis, &keys).await, [day_board(tomorrow).window.key()]);
    let newest = Period::Day.kept_until(&day_board(tomorrow).window, settings.keep_windows).unwrap();
    assert_eq!(expiry(&redis, keys.board_windows(&index())).await, newest.timestamp());

    // A score of today, accepted within its grace, lists today again without shortening the index's life.
    let in_grace = LogEntry { recorded_at: later, ..submitted(3, "cy", today()) };
    let ops = plan(&[in_grace], &mut games, later);
    store.apply(1, Some(checkpoint(2)), checkpoint(3), later, ops).await.unwrap();
    assert_eq!(
        listed(&redis, &keys).await,
        [day_board(tomorrow).window.key(), day_board(today()).window.key()]
    );
    assert_eq!(expiry(&redis, keys.board_windows(&index())).await, newest.timestamp());
}
