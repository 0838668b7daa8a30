use chrono::{DateTime, Utc};
use domain::names::{GameName, PlayerName, RegionName};
use domain::scores::{GameSettings, NewScore, Operator, Period, ScoreValue, SortOrder};
use eventlog::{Checkpoint, LoggedEvent};

use super::*;

fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339).unwrap().with_timezone(&Utc)
}

fn submitted(id: &str, player: &str, score: i64, region: Option<&str>, achieved_at: &str) -> LoggedEvent {
    let score = NewScore {
        game: GameName::parse("tetris").unwrap(),
        player: PlayerName::parse(player).unwrap(),
        score: ScoreValue::new(score).unwrap(),
        region: region.map(|r| RegionName::parse(r).unwrap()),
        achieved_at: at(achieved_at),
        request_hash: "h".into(),
    };
    LoggedEvent {
        checkpoint: Checkpoint { transaction_id: 1, position: 1 },
        aggregate_type: "score".into(),
        aggregate_id: id.into(),
        sequence: 1,
        event_type: "ScoreSubmitted".into(),
        event_version: "1".into(),
        payload: serde_json::to_value(domain::scores::Recorded(score)).unwrap(),
        metadata: serde_json::json!({ "job_id": id }),
        recorded_at: at(achieved_at),
    }
}

fn book(operator: Operator, order: SortOrder, periods: Vec<Period>) -> GameBook {
    let settings = GameSettings { title: None, sort_order: order, operator, periods };
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
    let ops = plan_batch(&[submitted("j1", "ada", 10, Some("eu"), NOW)], &mut games, at(NOW)).unwrap();
    let boards: Vec<String> = score_ops(&ops).into_iter().map(|(board, _, _)| board).collect();
    assert_eq!(
        boards,
        ["tetris:all:all:~", "tetris:all:all:eu", "tetris:week:2026-11-23:~", "tetris:week:2026-11-23:eu"]
    );
}

#[test]
fn a_score_without_region_counts_on_the_global_boards_only() {
    let mut games = book(Operator::Best, SortOrder::Desc, Period::EVERY.to_vec());
    let ops = plan_batch(&[submitted("j1", "ada", 10, None, NOW)], &mut games, at(NOW)).unwrap();
    assert_eq!(score_ops(&ops).len(), 4);
    assert!(score_ops(&ops).iter().all(|(board, _, _)| board.ends_with(":~")));
}

#[test]
fn each_touched_board_gets_one_update_and_one_render_and_the_jobs_come_last_together() {
    let mut games = book(Operator::Best, SortOrder::Desc, vec![Period::All]);
    let batch = [submitted("j1", "ada", 10, None, NOW), submitted("j2", "bob", 20, None, NOW)];
    let ops = plan_batch(&batch, &mut games, at(NOW)).unwrap();
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
    let ops = plan_batch(&batch, &mut games, at(NOW)).unwrap();
    assert_eq!(
        score_ops(&ops),
        [("tetris:all:all:~".into(), "ada".into(), 15), ("tetris:all:all:~".into(), "bob".into(), 7)]
    );
}

#[test]
fn a_score_whose_window_has_expired_touches_no_board_of_that_period_but_still_finishes_its_job() {
    let mut games = book(Operator::Best, SortOrder::Desc, vec![Period::All, Period::Day]);
    let ops =
        plan_batch(&[submitted("j1", "ada", 10, None, "2026-11-01T10:00:00Z")], &mut games, at(NOW)).unwrap();
    assert_eq!(score_ops(&ops), [("tetris:all:all:~".into(), "ada".into(), 10)]);
    assert!(ops.iter().any(
        |op| matches!(op, Op::Jobs { documents } if documents.iter().any(|(id, document)| id == "j1" && document.contains("\"succeeded\"")))
    ));
}

#[test]
fn a_configured_game_is_recorded_and_ranks_the_scores_that_follow_it_in_the_batch() {
    let mut games = GameBook::new();
    let settings = GameSettings { operator: Operator::Sum, periods: vec![Period::All], ..Default::default() };
    let configured = LoggedEvent {
        aggregate_type: "game".into(),
        aggregate_id: "tetris".into(),
        event_type: "GameConfigured".into(),
        payload: serde_json::to_value(GameEvent::GameConfigured { settings: settings.clone() }).unwrap(),
        ..submitted("x", "ada", 1, None, NOW)
    };
    let batch = [configured, submitted("j1", "ada", 1, None, NOW), submitted("j2", "ada", 2, None, NOW)];
    let ops = plan_batch(&batch, &mut games, at(NOW)).unwrap();
    assert_eq!(games[&GameName::parse("tetris").unwrap()], settings);
    assert_eq!(score_ops(&ops), [("tetris:all:all:~".into(), "ada".into(), 3)]);
}

#[test]
fn an_unreadable_event_stops_the_plan_instead_of_being_skipped() {
    let mut broken = submitted("j1", "ada", 1, None, NOW);
    broken.payload = serde_json::json!({ "ScoreSubmitted": { "game": "no spaces allowed" } });
    assert!(plan_batch(&[broken], &mut GameBook::new(), at(NOW)).is_err());
}

fn entry(score: i128, micros: i64) -> Entry {
    Entry { score, achieved_micros: micros, achieved_at: micros.to_string() }
}

#[test]
fn best_keeps_the_higher_score_on_a_descending_board_and_the_lower_on_an_ascending_one() {
    assert_eq!(combine(&entry(5, 1), entry(9, 2), Operator::Best, SortOrder::Desc).score, 9);
    assert_eq!(combine(&entry(5, 1), entry(9, 2), Operator::Best, SortOrder::Asc).score, 5);
}

#[test]
fn best_keeps_the_earlier_of_two_equal_scores() {
    assert_eq!(combine(&entry(5, 3), entry(5, 2), Operator::Best, SortOrder::Desc).achieved_micros, 2);
    assert_eq!(combine(&entry(5, 2), entry(5, 3), Operator::Best, SortOrder::Desc).achieved_micros, 2);
}

#[test]
fn latest_keeps_the_score_achieved_last_even_when_it_arrives_first() {
    assert_eq!(combine(&entry(5, 9), entry(7, 2), Operator::Latest, SortOrder::Desc).score, 5);
    assert_eq!(combine(&entry(5, 2), entry(7, 9), Operator::Latest, SortOrder::Desc).score, 7);
}

#[test]
fn sum_adds_up_exactly_beyond_two_to_the_53() {
    assert_eq!(combine(&entry(5, 1), entry(-7, 2), Operator::Sum, SortOrder::Desc), entry(-2, 2));
    let huge = 1 << 53;
    assert_eq!(combine(&entry(huge, 1), entry(huge, 2), Operator::Sum, SortOrder::Desc).score, 2 * huge);
}

/// A batch's scores are combined before they are added to what a board stores: however the log is
/// cut, a player's total comes out the same.
#[test]
fn a_sum_does_not_depend_on_how_its_scores_are_grouped() {
    let sum = |kept: Entry, new: Entry| combine(&kept, new, Operator::Sum, SortOrder::Desc);
    let huge = 1 << 53;
    let one_by_one = sum(sum(entry(1, 1), entry(-huge, 2)), entry(-huge, 3));
    let in_two_batches = sum(entry(1, 1), sum(entry(-huge, 2), entry(-huge, 3)));
    assert_eq!(one_by_one, in_two_batches);
    assert_eq!(one_by_one.score, 1 - 2 * huge);
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
    let channel = |event: ChannelEvent| LoggedEvent {
        checkpoint: Checkpoint { transaction_id: 1, position: 1 },
        aggregate_type: "channel".into(),
        aggregate_id: "c1".into(),
        sequence: 1,
        event_type: String::new(),
        event_version: "1".into(),
        payload: serde_json::to_value(event).unwrap(),
        metadata: serde_json::json!({}),
        recorded_at: at(NOW),
    };
    let mut events =
        vec![channel(ChannelEvent::ChannelCreated { channel: info, members: vec!["ada".into()] })];
    for user in ["bob", "eve", "joe"] {
        events.push(channel(ChannelEvent::ChannelMemberAdded { user_id: user.into(), added_at: at(NOW) }));
    }
    let ops = plan_batch(&events, &mut GameBook::new(), at(NOW)).unwrap();
    let renders: Vec<usize> =
        ops.iter().enumerate().filter(|(_, op)| matches!(op, Op::WithSet { .. })).map(|(n, _)| n).collect();
    assert_eq!(renders.len(), 1, "{ops:?}");
    let last_add = ops.iter().rposition(|op| matches!(op, Op::SAdd { .. })).unwrap();
    assert!(renders[0] > last_add, "the rendering follows the last change");
}
