use chrono::{DateTime, Utc};
use domain::names::{GameName, PlayerName, RegionName};
use std::borrow::Cow;

use domain::scores::{GameEvent, GameSettings, NewScore, Operator, Period, Recorded, ScoreValue, SortOrder};

use super::*;

fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339).unwrap().with_timezone(&Utc)
}

/// An event of `aggregate_type` with `payload`, as the log would hold it.
fn logged(
    aggregate_type: &str,
    id: &str,
    payload: serde_json::Value,
    metadata: serde_json::Value,
) -> LogEntry<'static> {
    LogEntry {
        aggregate_type: Cow::Owned(aggregate_type.into()),
        aggregate_id: Cow::Owned(id.into()),
        sequence: 1,
        event_type: Cow::Borrowed(""),
        payload: Cow::Owned(payload),
        metadata: Cow::Owned(metadata),
        recorded_at: at(NOW),
    }
}

fn submitted(
    id: &str,
    player: &str,
    score: i64,
    region: Option<&str>,
    achieved_at: &str,
) -> LogEntry<'static> {
    let score = NewScore {
        game: GameName::parse("tetris").unwrap(),
        player: PlayerName::parse(player).unwrap(),
        score: ScoreValue::new(score).unwrap(),
        region: region.map(|r| RegionName::parse(r).unwrap()),
        achieved_at: at(achieved_at),
        request_hash: "h".into(),
    };
    let payload = serde_json::to_value(Recorded(score)).unwrap();
    LogEntry {
        recorded_at: at(achieved_at),
        ..logged("score", id, payload, serde_json::json!({ "job_id": id }))
    }
}

/// The operations of a batch whose every event is known.
fn plan(events: &[LogEntry<'_>], games: &mut GameBook) -> Vec<Op> {
    let plan = plan_batch(events, games, at(NOW)).unwrap();
    assert_eq!(plan.unknown, []);
    plan.ops
}

fn book(operator: Operator, order: SortOrder, periods: Vec<Period>) -> GameBook {
    let settings = GameSettings { title: None, sort_order: order, operator, periods, ..Default::default() };
    GameBook::from([(GameName::parse("tetris").unwrap(), settings)])
}

fn score_ops(ops: &[Op]) -> Vec<(String, String, i128)> {
    ops.iter()
        .filter_map(|op| match op {
            Op::Board { board, entries, .. } => Some(
                entries
                    .iter()
                    .map(|(player, entry)| (board.clone(), player.clone(), entry.score))
                    .collect::<Vec<_>>(),
            ),
            _ => None,
        })
        .flatten()
        .collect()
}

const NOW: &str = "2026-11-23T12:00:00Z";

#[test]
fn a_regional_score_counts_on_its_region_and_the_global_board_of_every_kept_period() {
    let mut games = book(Operator::Best, SortOrder::Desc, vec![Period::All, Period::Week]);
    let ops = plan(&[submitted("j1", "ada", 10, Some("eu"), NOW)], &mut games);
    let boards: Vec<String> = score_ops(&ops).into_iter().map(|(board, _, _)| board).collect();
    assert_eq!(
        boards,
        ["tetris:all:all:~", "tetris:all:all:eu", "tetris:week:2026-11-23:~", "tetris:week:2026-11-23:eu"]
    );
}

#[test]
fn a_batch_lists_each_region_it_scored_in_among_its_games_regions_once() {
    let mut games = book(Operator::Best, SortOrder::Desc, vec![Period::All, Period::Week]);
    let batch = [
        submitted("j1", "ada", 10, Some("eu"), NOW),
        submitted("j2", "bob", 20, Some("eu"), NOW),
        submitted("j3", "cy", 30, Some("us"), NOW),
        submitted("j4", "di", 40, None, NOW),
    ];
    let listed: Vec<(String, String)> = plan(&batch, &mut games)
        .into_iter()
        .filter_map(|op| match op {
            Op::SAdd { key, member } => Some((key, member)),
            _ => None,
        })
        .collect();
    let regions = |region: &str| ("lbregions:tetris".to_owned(), region.to_owned());
    assert_eq!(listed, [regions("eu"), regions("us")]);
}

#[test]
fn a_score_without_region_counts_on_the_global_boards_only() {
    let mut games = book(Operator::Best, SortOrder::Desc, Period::EVERY.to_vec());
    let ops = plan(&[submitted("j1", "ada", 10, None, NOW)], &mut games);
    assert_eq!(score_ops(&ops).len(), 4);
    assert!(score_ops(&ops).iter().all(|(board, _, _)| board.ends_with(":~")));
}

#[test]
fn each_touched_board_gets_one_update_and_one_render_and_the_jobs_come_last_together() {
    let mut games = book(Operator::Best, SortOrder::Desc, vec![Period::All]);
    let batch = [submitted("j1", "ada", 10, None, NOW), submitted("j2", "bob", 20, None, NOW)];
    let ops = plan(&batch, &mut games);
    let kinds: Vec<&str> = ops
        .iter()
        .map(|op| match op {
            Op::Board { .. } => "board",
            Op::Render { .. } => "render",
            Op::Jobs { .. } => "jobs",
            _ => "other",
        })
        .collect();
    assert_eq!(kinds, ["board", "render", "jobs"]);
    let Some(Op::Jobs { documents }) = ops.last() else { unreachable!() };
    let ids: Vec<&str> = documents.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, ["j1", "j2"]);
}

#[test]
fn scores_of_one_player_on_one_board_fold_into_one_update_per_batch() {
    let mut games = book(Operator::Sum, SortOrder::Desc, vec![Period::All]);
    let batch = [
        submitted("j1", "ada", 10, None, NOW),
        submitted("j2", "ada", 5, None, NOW),
        submitted("j3", "bob", 7, None, NOW),
    ];
    let ops = plan(&batch, &mut games);
    assert_eq!(
        score_ops(&ops),
        [("tetris:all:all:~".into(), "ada".into(), 15), ("tetris:all:all:~".into(), "bob".into(), 7)]
    );
}

#[test]
fn a_score_whose_window_is_no_longer_kept_touches_no_board_of_that_period_but_still_finishes_its_job() {
    let mut games = book(Operator::Best, SortOrder::Desc, vec![Period::All, Period::Day]);
    let ops = plan(&[submitted("j1", "ada", 10, None, "2026-11-01T10:00:00Z")], &mut games);
    assert_eq!(score_ops(&ops), [("tetris:all:all:~".into(), "ada".into(), 10)]);
    assert!(ops.iter().any(
        |op| matches!(op, Op::Jobs { documents } if documents.iter().any(|(id, document)| id == "j1" && document.contains("\"succeeded\"")))
    ));
}

/// A game whose day boards keep `kept` closed days.
fn keeping_days(kept: i64) -> GameBook {
    let settings = GameSettings {
        periods: vec![Period::All, Period::Day],
        keep_windows: domain::scores::KeptWindows::new(kept).unwrap(),
        ..Default::default()
    };
    GameBook::from([(GameName::parse("tetris").unwrap(), settings)])
}

/// A score achieved at `achieved_at` that the command side accepted at `accepted_at`.
fn accepted(id: &str, player: &str, achieved_at: &str, accepted_at: &str) -> LogEntry<'static> {
    LogEntry { recorded_at: at(accepted_at), ..submitted(id, player, 10, None, achieved_at) }
}

#[test]
fn a_score_accepted_after_its_window_and_the_grace_counts_on_the_all_time_board_only() {
    let late = accepted("j1", "ada", "2026-11-20T10:00:00Z", "2026-11-22T00:00:00Z");
    let ops = plan(&[late], &mut keeping_days(12));
    assert_eq!(score_ops(&ops), [("tetris:all:all:~".into(), "ada".into(), 10)]);
}

#[test]
fn a_score_accepted_within_the_grace_counts_on_its_closed_window_however_late_it_is_projected() {
    // Projected at NOW (as a rebuild would), days after it was accepted: the window is still kept.
    let in_grace = accepted("j1", "ada", "2026-11-20T10:00:00Z", "2026-11-21T23:59:59Z");
    let ops = plan(&[in_grace], &mut keeping_days(12));
    let boards: Vec<String> = score_ops(&ops).into_iter().map(|(board, _, _)| board).collect();
    assert_eq!(boards, ["tetris:all:all:~", "tetris:day:2026-11-20:~"]);
}

#[test]
fn a_score_of_a_window_no_longer_kept_when_projected_writes_nothing_there() {
    // Kept 2 days: the 2026-11-20 board is kept until the end of 11-22 plus the grace, 11-24 00:00.
    let on_time = accepted("j1", "ada", "2026-11-20T10:00:00Z", "2026-11-20T10:00:01Z");
    assert_eq!(score_ops(&plan(&[on_time], &mut keeping_days(2))).len(), 2);
    let older = accepted("j1", "ada", "2026-11-19T10:00:00Z", "2026-11-19T10:00:01Z");
    assert_eq!(score_ops(&plan(&[older], &mut keeping_days(2))).len(), 1);
}

#[test]
fn a_window_board_expires_when_no_longer_kept_and_is_listed_in_its_index_of_windows() {
    let score = accepted("j1", "ada", "2026-11-20T10:00:00Z", "2026-11-20T10:00:01Z");
    let ops = plan(&[score], &mut keeping_days(5));
    let renders: Vec<(String, Option<DateTime<Utc>>)> = ops
        .iter()
        .filter_map(|op| match op {
            Op::Render { board, expires_at } => Some((board.id(), *expires_at)),
            _ => None,
        })
        .collect();
    assert_eq!(
        renders,
        [
            ("tetris:all:all:~".into(), None),
            ("tetris:day:2026-11-20:~".into(), Some(at("2026-11-27T00:00:00Z")))
        ]
    );
    let listed: Vec<&Op> = ops.iter().filter(|op| matches!(op, Op::ListWindow { .. })).collect();
    assert_eq!(
        listed,
        [&Op::ListWindow {
            index: "lbwin:tetris:day:~".into(),
            window: "2026-11-20".into(),
            start: at("2026-11-20T00:00:00Z").timestamp(),
            // At NOW (11-23 noon) with 5 days kept, the oldest kept day is 11-22 minus 5 days.
            oldest_kept: at("2026-11-17T00:00:00Z").timestamp(),
            kept_until: at("2026-11-27T00:00:00Z"),
        }]
    );
}

#[test]
fn a_configured_game_is_recorded_and_ranks_the_scores_that_follow_it_in_the_batch() {
    let mut games = GameBook::new();
    let settings = GameSettings { operator: Operator::Sum, periods: vec![Period::All], ..Default::default() };
    let payload = serde_json::to_value(GameEvent::GameConfigured { settings: settings.clone() }).unwrap();
    let configured = logged("game", "tetris", payload, serde_json::json!({}));
    let batch = [configured, submitted("j1", "ada", 1, None, NOW), submitted("j2", "ada", 2, None, NOW)];
    let ops = plan(&batch, &mut games);
    assert_eq!(games[&GameName::parse("tetris").unwrap()], settings);
    assert_eq!(score_ops(&ops), [("tetris:all:all:~".into(), "ada".into(), 3)]);
}

#[test]
fn an_unreadable_event_stops_the_plan_instead_of_being_skipped() {
    let mut broken = submitted("j1", "ada", 1, None, NOW);
    broken.payload = Cow::Owned(serde_json::json!({ "ScoreSubmitted": { "game": "no spaces allowed" } }));
    assert!(plan_batch(&[broken], &mut GameBook::new(), at(NOW)).is_err());
}

#[test]
fn a_batch_renders_each_channel_once_after_its_last_change() {
    use domain::meetups::{ChannelEvent, ChannelInfo, ChannelName};
    let info = ChannelInfo {
        name: ChannelName::parse("lobby").unwrap(),
        description: String::new(),
        private: false,
        creator: "ada".into(),
        created_at: at(NOW),
        meetup_id: None,
        request_hash: "h".into(),
    };
    let channel = |event: ChannelEvent| {
        logged("channel", "c1", serde_json::to_value(event).unwrap(), serde_json::json!({}))
    };
    let mut events =
        vec![channel(ChannelEvent::ChannelCreated { channel: info, members: vec!["ada".into()] })];
    for user in ["bob", "eve", "joe"] {
        events.push(channel(ChannelEvent::ChannelMemberAdded { user_id: user.into(), added_at: at(NOW) }));
    }
    let ops = plan(&events, &mut GameBook::new());
    let renders: Vec<usize> =
        ops.iter().enumerate().filter(|(_, op)| matches!(op, Op::WithSet { .. })).map(|(n, _)| n).collect();
    assert_eq!(renders.len(), 1, "{ops:?}");
    let last_add = ops.iter().rposition(|op| matches!(op, Op::SAdd { .. })).unwrap();
    assert!(renders[0] > last_add, "the rendering follows the last change");
}

#[test]
fn an_event_of_an_unknown_aggregate_type_is_reported_and_the_rest_of_the_batch_is_planned() {
    let mut games = book(Operator::Best, SortOrder::Desc, vec![Period::All]);
    let stranger = logged("stranger", "s1", serde_json::json!({ "Happened": {} }), serde_json::json!({}));
    let batch = [stranger, submitted("j1", "ada", 10, None, NOW)];
    let plan = plan_batch(&batch, &mut games, at(NOW)).unwrap();
    let reported = UnknownEvent { event_id: "stranger:s1:1".into(), aggregate_type: "stranger".into() };
    assert_eq!(plan.unknown, [reported]);
    assert_eq!(score_ops(&plan.ops), [("tetris:all:all:~".into(), "ada".into(), 10)]);
}

// That every aggregate type the domain declares is one the plan reads is tested with the stored
// events (tests/stored_events): each declared type has entries there, and each entry plans with no
// aggregate type reported unknown.
