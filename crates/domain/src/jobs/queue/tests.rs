use chrono::TimeZone;
use cqrs_es::test::TestFramework;

use super::*;

type QueueTest = TestFramework<Queue>;

fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 6, 12, 0, 0).unwrap()
}

fn configure(change: QueueChange) -> QueueCommand {
    QueueCommand::Configure { change, at: at() }
}

fn configured(settings: QueueSettings) -> QueueEvent {
    QueueEvent::QueueConfigured { settings, configured_at: at() }
}

fn capped(runs: i64) -> Option<Concurrency> {
    Some(Concurrency::new(runs).unwrap())
}

fn rate(per_second: f64) -> Option<StartRate> {
    Some(StartRate::new(per_second).unwrap())
}

#[test]
fn pausing_a_queue_never_configured_records_the_pause_with_no_limits() {
    QueueTest::with(())
        .given_no_previous_events()
        .when(configure(QueueChange { paused: Some(true), ..QueueChange::default() }))
        .then_expect_events(vec![configured(QueueSettings { paused: true, ..QueueSettings::default() })]);
}

#[test]
fn a_change_keeps_the_settings_it_does_not_name() {
    let before = QueueSettings { paused: true, concurrency: capped(3), rate_per_second: rate(20.0) };
    QueueTest::with(())
        .given(vec![configured(before)])
        .when(configure(QueueChange { concurrency: Some(capped(5)), ..QueueChange::default() }))
        .then_expect_events(vec![configured(QueueSettings { concurrency: capped(5), ..before })]);
}

#[test]
fn a_null_limit_removes_it() {
    let before = QueueSettings { paused: false, concurrency: capped(3), rate_per_second: rate(20.0) };
    QueueTest::with(())
        .given(vec![configured(before)])
        .when(configure(QueueChange {
            concurrency: Some(None),
            rate_per_second: Some(None),
            ..QueueChange::default()
        }))
        .then_expect_events(vec![configured(QueueSettings::default())]);
}

#[test]
fn resuming_a_paused_queue_keeps_its_limits() {
    let before = QueueSettings { paused: true, concurrency: capped(3), rate_per_second: None };
    QueueTest::with(())
        .given(vec![configured(before)])
        .when(configure(QueueChange { paused: Some(false), ..QueueChange::default() }))
        .then_expect_events(vec![configured(QueueSettings { paused: false, ..before })]);
}

#[test]
fn a_change_that_changes_nothing_records_nothing() {
    let before = QueueSettings { paused: true, concurrency: capped(3), rate_per_second: None };
    QueueTest::with(())
        .given(vec![configured(before)])
        .when(configure(QueueChange {
            paused: Some(true),
            concurrency: Some(capped(3)),
            rate_per_second: None,
        }))
        .then_expect_events(vec![]);
    QueueTest::with(())
        .given_no_previous_events()
        .when(configure(QueueChange::default()))
        .then_expect_events(vec![]);
}

#[test]
fn concurrency_is_a_whole_number_from_one_to_ten_thousand() {
    assert_eq!(Concurrency::new(1).map(Concurrency::get), Ok(1));
    assert_eq!(Concurrency::new(10_000).map(Concurrency::get), Ok(10_000));
    for refused in [0, -1, 10_001, i64::from(u32::MAX) + 1] {
        assert!(Concurrency::new(refused).is_err(), "{refused}");
    }
    assert!(serde_json::from_str::<Concurrency>("0").is_err());
}

#[test]
fn a_start_rate_is_a_finite_number_above_zero() {
    assert_eq!(StartRate::new(0.5).map(StartRate::get), Ok(0.5));
    for refused in [0.0, -1.0, f64::NAN, f64::INFINITY, StartRate::MAX * 2.0] {
        assert!(StartRate::new(refused).is_err(), "{refused}");
    }
    assert!(serde_json::from_str::<StartRate>("0").is_err());
}

#[test]
fn the_event_records_the_settings_in_the_clients_spelling() {
    let event =
        configured(QueueSettings { paused: true, concurrency: capped(3), rate_per_second: rate(2.5) });
    assert_eq!(
        serde_json::to_value(&event).unwrap(),
        serde_json::json!({ "QueueConfigured": {
            "settings": { "paused": true, "concurrency": 3, "ratePerSecond": 2.5 },
            "configuredAt": "2026-12-06T12:00:00Z"
        } })
    );
}
