use chrono::{DateTime, Utc};
use serde_json::json;

use super::*;
use crate::scores::window_callback::{CallbackTop, CallbackUrl};

fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339).unwrap().with_timezone(&Utc)
}

fn kept(count: i64) -> KeptWindows {
    KeptWindows::new(count).unwrap()
}

fn keys(windows: &[Window]) -> Vec<String> {
    windows.iter().map(Window::key).collect()
}

fn callback(url: &str, top: i64) -> OnWindowClose {
    OnWindowClose { url: CallbackUrl::parse(url).unwrap(), top: CallbackTop::new(top).unwrap() }
}

fn configured(title: &str, on_window_close: Option<OnWindowClose>, by: &str, when: &str) -> Configuration {
    let settings = GameSettings {
        title: Some(title.to_owned()),
        periods: vec![Period::All, Period::Day, Period::Week],
        on_window_close,
        ..GameSettings::default()
    };
    Configuration { settings, by: Some(by.to_owned()), at: at(when) }
}

fn tetris() -> GameName {
    GameName::parse("tetris").unwrap()
}

#[test]
fn a_day_window_is_closed_from_the_first_instant_of_the_next_day() {
    let since = at("2026-12-05T10:00:00Z");
    let day = |now| keys(&closed_windows(Period::Day, since, at(now), kept(12)));
    assert_eq!(day("2026-12-05T23:59:59Z"), Vec::<String>::new());
    assert_eq!(day("2026-12-06T00:00:00Z"), ["2026-12-05"]);
    assert_eq!(day("2026-12-08T09:00:00Z"), ["2026-12-05", "2026-12-06", "2026-12-07"]);
}

#[test]
fn windows_that_closed_before_the_callback_was_set_are_not_called_back() {
    let windows =
        closed_windows(Period::Day, at("2026-12-06T00:00:00Z"), at("2026-12-07T08:00:00Z"), kept(12));
    assert_eq!(keys(&windows), ["2026-12-06"], "the 5th ended exactly when the callback was set");
}

#[test]
fn windows_no_longer_kept_are_not_called_back_since_their_standings_are_gone() {
    let since = at("2026-11-01T00:00:00Z");
    // Keeping none, a closed day stays readable for its day of grace only.
    assert_eq!(
        keys(&closed_windows(Period::Day, since, at("2026-12-06T08:00:00Z"), kept(0))),
        ["2026-12-05"]
    );
    assert_eq!(
        keys(&closed_windows(Period::Day, since, at("2026-12-06T08:00:00Z"), kept(2))),
        ["2026-12-03", "2026-12-04", "2026-12-05"]
    );
}

#[test]
fn weeks_close_on_monday_and_months_on_the_first_and_the_all_time_board_never_closes() {
    let since = at("2026-11-25T00:00:00Z");
    let now = at("2026-12-01T00:00:00Z"); // a Tuesday, the first of December
    assert_eq!(keys(&closed_windows(Period::Week, since, now, kept(12))), ["2026-11-23"]);
    assert_eq!(keys(&closed_windows(Period::Month, since, now, kept(12))), ["2026-11-01"]);
    assert_eq!(closed_windows(Period::All, since, now, kept(12)), Vec::<Window>::new());
}

#[test]
fn a_subscription_dates_from_when_its_callback_was_last_set_and_belongs_to_who_set_it() {
    let hook = callback("http://127.0.0.1:9/close", 10);
    let history = [
        configured("Tetris", None, "ann", "2026-12-01T10:00:00Z"),
        configured("Tetris", Some(hook.clone()), "bob", "2026-12-02T10:00:00Z"),
        configured("Tetris 2", Some(hook.clone()), "cy", "2026-12-03T10:00:00Z"),
    ];
    let subscription = Subscription::from_history(tetris(), &history).unwrap();
    assert_eq!(subscription.callback, hook);
    assert_eq!(subscription.owner, "bob", "renaming the game does not take the callbacks over");
    assert_eq!(subscription.since, at("2026-12-02T10:00:00Z"));
    assert_eq!(subscription.periods, [Period::All, Period::Day, Period::Week]);
}

#[test]
fn a_new_url_or_top_starts_a_new_subscription() {
    let history = [
        configured("Tetris", Some(callback("http://127.0.0.1:9/a", 10)), "ann", "2026-12-01T10:00:00Z"),
        configured("Tetris", Some(callback("http://127.0.0.1:9/a", 20)), "bob", "2026-12-02T10:00:00Z"),
    ];
    let subscription = Subscription::from_history(tetris(), &history).unwrap();
    assert_eq!((subscription.owner.as_str(), subscription.since), ("bob", at("2026-12-02T10:00:00Z")));
}

#[test]
fn a_game_whose_latest_settings_have_no_callback_has_no_subscription() {
    let history = [
        configured("Tetris", Some(callback("http://127.0.0.1:9/a", 10)), "ann", "2026-12-01T10:00:00Z"),
        configured("Tetris", None, "ann", "2026-12-02T10:00:00Z"),
    ];
    assert_eq!(Subscription::from_history(tetris(), &history), None);
    assert_eq!(Subscription::from_history(tetris(), &[]), None);
}

#[test]
fn a_subscription_owes_the_closed_windows_of_each_of_its_periods() {
    let history =
        [configured("Tetris", Some(callback("http://127.0.0.1:9/a", 3)), "ann", "2026-11-29T10:00:00Z")];
    let subscription = Subscription::from_history(tetris(), &history).unwrap();
    let owed: Vec<(Period, String)> = subscription
        .closed_windows(at("2026-12-01T00:00:05Z"))
        .into_iter()
        .map(|(period, window)| (period, window.key()))
        .collect();
    assert_eq!(
        owed,
        [
            (Period::Day, "2026-11-29".to_owned()),
            (Period::Day, "2026-11-30".to_owned()),
            (Period::Week, "2026-11-23".to_owned()),
        ]
    );
}

fn board(region: Option<&str>) -> ClosedBoard {
    ClosedBoard {
        game: tetris(),
        period: Period::Day,
        window: Period::Day.window_at(at("2026-12-05T12:00:00Z")),
        region: region.map(|region| RegionName::parse(region).unwrap()),
    }
}

#[test]
fn a_closed_board_has_one_callback_job_id_whoever_computes_it_and_whenever() {
    assert_eq!(board(None).callback_job_id(), board(None).callback_job_id());
    assert_eq!(board(None).callback_job_id().get_version_num(), 5);
    let others = [
        board(Some("eu")),
        ClosedBoard {
            period: Period::Week,
            window: Period::Week.window_at(at("2026-12-05T00:00:00Z")),
            ..board(None)
        },
        ClosedBoard { window: Period::Day.window_at(at("2026-12-06T00:00:00Z")), ..board(None) },
        ClosedBoard { game: GameName::parse("golf").unwrap(), ..board(None) },
    ];
    for other in others {
        assert_ne!(other.callback_job_id(), board(None).callback_job_id(), "{other:?}");
    }
}

#[test]
fn a_callback_job_posts_the_closed_window_and_its_entries_to_the_url_as_its_owner() {
    let subscription = Subscription {
        game: tetris(),
        callback: callback("http://127.0.0.1:9/close", 2),
        owner: "user-1".to_owned(),
        since: at("2026-12-01T00:00:00Z"),
        periods: vec![Period::Day],
        keep_windows: kept(12),
    };
    let entries = json!([{ "rank": 1, "player": "ada", "score": 50, "achievedAt": "2026-12-05T10:00:00Z" }]);
    let spec = board(Some("eu")).callback_job(&subscription, entries.clone());
    assert_eq!((spec.kind.as_str(), spec.owner.as_str()), ("webhook", "user-1"));
    assert_eq!(spec.max_attempts, CALLBACK_ATTEMPTS);
    assert_eq!(spec.run_at, None);
    assert_eq!(
        spec.payload,
        Some(json!({
            "url": "http://127.0.0.1:9/close",
            "game": "tetris",
            "period": "day",
            "region": "eu",
            "window": "2026-12-05",
            "start": "2026-12-05T00:00:00Z",
            "end": "2026-12-06T00:00:00Z",
            "entries": entries,
        }))
    );
    assert_eq!(spec.message, "day window 2026-12-05 of tetris closed (region eu)");
    let global = board(None).callback_job(&subscription, json!([]));
    assert_eq!(global.payload.unwrap()["region"], serde_json::Value::Null);
}
