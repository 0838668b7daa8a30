//! Properties of the projector's board writes: however a log of scores is cut into batches, and
//! whether or not a batch lands before the next one's boards are read, the boards end up ranked as a
//! naive model that keeps every score and sorts them all from scratch ranks them.

mod model;
mod redis_twin;

use chrono::{DateTime, Duration, TimeZone, Utc};
use domain::names::{GameName, PlayerName, RegionName};
use domain::scores::{GameSettings, NewScore, Operator, Period, Recorded, ScoreValue, SortOrder};
use proptest::prelude::*;
use read_model::board_write::Landing;
use read_model::boards::ranking_member;
use read_model::{GameBook, LogEntry, Op};
use redis_store::encode::encode_batch;
use redis_store::store::Stored;

use self::model::Submission;
use self::redis_twin::RedisTwin;
use crate::common::{logged, plan};

const GAME: &str = "tetris";
/// Few players and few scores, so that ties are frequent; names whose byte order is not their
/// alphabetical order.
const PLAYERS: [&str; 4] = ["ada", "bob", "Dee", "bob-2"];
const REGIONS: [Option<&str>; 3] = [None, Some("eu"), Some("us")];
/// Times of day on a window's edges, and one inside.
const TIMES_OF_DAY_MICROS: [i64; 4] = [0, 1, 43_200_000_000, 86_399_999_999];

/// The largest magnitude of `achievedAt` in microseconds a ranking member holds: 16 digits.
const MEMBER_MICROS: i64 = 9_999_999_999_999_999;

/// Saturday 2025-12-27: the seven days from it cross day windows, the ISO week starting Monday
/// 2025-12-29, and the month (and year) starting 2026-01-01.
fn first_day() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 12, 27, 0, 0, 0).unwrap()
}

/// Scores: mostly small, so that ties are frequent; sometimes at or near ±2^53, the largest a client
/// may send, so that `sum` totals go beyond it and come back.
fn score() -> impl Strategy<Value = i64> {
    const LIMIT: i64 = 1 << 53;
    let extremes = vec![LIMIT, LIMIT - 1, LIMIT / 2, -LIMIT / 2, -LIMIT + 1, -LIMIT];
    prop_oneof![4 => -2i64..=3, 1 => prop::sample::select(extremes)]
}

fn submission() -> impl Strategy<Value = Submission> {
    (0..PLAYERS.len(), score(), 0i64..7, 0..TIMES_OF_DAY_MICROS.len(), 0..REGIONS.len()).prop_map(
        |(player, score, day, time, region)| Submission {
            player: PLAYERS[player],
            score,
            achieved_at: first_day()
                + Duration::days(day)
                + Duration::microseconds(TIMES_OF_DAY_MICROS[time]),
            region: REGIONS[region],
        },
    )
}

fn operator() -> impl Strategy<Value = Operator> {
    prop_oneof![Just(Operator::Best), Just(Operator::Latest), Just(Operator::Sum)]
}

fn sort_order() -> impl Strategy<Value = SortOrder> {
    prop_oneof![Just(SortOrder::Desc), Just(SortOrder::Asc)]
}

/// How the log is cut into batches: each batch's size, and whether the batch before it lands before
/// its boards are read (otherwise after, which the projector covers with the earlier batch's landing).
fn batching() -> impl Strategy<Value = Vec<(usize, bool)>> {
    prop::collection::vec((1usize..=6, any::<bool>()), 1..=40)
}

fn submitted(n: usize, submission: &Submission) -> LogEntry<'static> {
    let score = NewScore {
        game: GameName::parse(GAME).unwrap(),
        player: PlayerName::parse(submission.player).unwrap(),
        score: ScoreValue::new(submission.score).unwrap(),
        region: submission.region.map(|region| RegionName::parse(region).unwrap()),
        achieved_at: submission.achieved_at,
        request_hash: "h".into(),
    };
    let payload = serde_json::to_value(Recorded(score)).unwrap();
    let metadata = serde_json::json!({ "job_id": format!("s{n}") });
    logged("score", &format!("s{n}"), 1, payload, metadata, submission.achieved_at)
}

/// A batch's writes on their way to Redis: the Function's arguments, and what they write to boards.
struct InFlight {
    args: Vec<String>,
    landing: Landing,
    /// How many submissions of the log are in once it lands.
    through: usize,
}

/// Projects `submissions` the way the projector's backlog loop does, and hands every batch to `land`
/// when it reaches Redis.
fn project(
    operator: Operator,
    order: SortOrder,
    submissions: &[Submission],
    batching: &[(usize, bool)],
    mut land: impl FnMut(&mut RedisTwin, InFlight) -> Result<(), TestCaseError>,
) -> Result<(), TestCaseError> {
    let settings = GameSettings {
        title: None,
        sort_order: order,
        operator,
        periods: Period::EVERY.to_vec(),
        ..Default::default()
    };
    let mut games = GameBook::from([(GameName::parse(GAME).unwrap(), settings)]);
    // Before every window's end: no board has expired when its scores arrive.
    let now = first_day();
    let events: Vec<LogEntry> = submissions.iter().enumerate().map(|(n, s)| submitted(n, s)).collect();
    let mut redis = RedisTwin::default();
    let mut in_flight: Option<InFlight> = None;
    let mut from = 0;
    for &(size, lands_first) in batching.iter().cycle() {
        if from == events.len() {
            break;
        }
        let to = (from + size).min(events.len());
        let ops = plan(&events[from..to], &mut games, now);
        let ops: Vec<Op> = ops.into_iter().filter(|op| matches!(op, Op::Board { .. })).collect();
        if lands_first && let Some(earlier) = in_flight.take() {
            land(&mut redis, earlier)?;
        }
        let states = redis.board_states(&ops, in_flight.as_ref().map(|earlier| &earlier.landing));
        if let Some(earlier) = in_flight.take() {
            land(&mut redis, earlier)?;
        }
        let mut batch = InFlight { args: Vec::new(), landing: Default::default(), through: to };
        let stored = Stored { boards: states, jobs: Default::default() };
        encode_batch(ops, stored, &mut batch.args, &mut batch.landing);
        in_flight = Some(batch);
        from = to;
    }
    match in_flight {
        Some(last) => land(&mut redis, last),
        None => Ok(()),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn a_board_built_batch_by_batch_ranks_players_as_sorting_every_score_would(
        operator in operator(),
        order in sort_order(),
        submissions in prop::collection::vec(submission(), 1..=40),
        batching in batching(),
    ) {
        project(operator, order, &submissions, &batching, |redis, batch| {
            redis.apply(&batch.args, order, usize::MAX);
            let expected = model::boards(GAME, operator, order, &submissions[..batch.through]);
            prop_assert_eq!(redis.boards(), expected.keys().cloned().collect());
            for (board, standings) in expected {
                prop_assert_eq!(redis.standings(&board, order), standings, "board {}", board);
            }
            Ok(())
        })?;
    }

    /// The Function renders a board's top entries again only when the best-ranked member leaving was
    /// among them before the writes or the best-ranked member joining is after; `top` stands for its
    /// 100, so that few players fill it.
    #[test]
    fn a_board_whose_top_entries_change_is_always_rendered_again(
        operator in operator(),
        order in sort_order(),
        submissions in prop::collection::vec(submission(), 1..=40),
        batching in batching(),
        top in 1usize..=3,
    ) {
        project(operator, order, &submissions, &batching, |redis, batch| {
            let unnoticed = redis.apply(&batch.args, order, top);
            prop_assert!(unnoticed.is_empty(), "the top {} changed unnoticed: {:#?}", top, unnoticed);
            Ok(())
        })?;
    }

    /// A member writes `achievedAt` in 16 digits, enough for any time from 1653 to 2286: the API
    /// accepts none before 1970 or in the future.
    #[test]
    fn ranking_members_sort_by_achievement_time_then_player(
        a in -MEMBER_MICROS..=MEMBER_MICROS,
        b in -MEMBER_MICROS..=MEMBER_MICROS,
        near in -2i64..=2,
        player_a in prop::sample::select(PLAYERS.to_vec()),
        player_b in prop::sample::select(PLAYERS.to_vec()),
    ) {
        // Far apart and next to each other, across zero.
        for (a, b) in [(a, b), (a, (a + near).clamp(-MEMBER_MICROS, MEMBER_MICROS)), (near, -near)] {
            let by_member = ranking_member(a, player_a).cmp(&ranking_member(b, player_b));
            let by_time = (a, player_a).cmp(&(b, player_b));
            prop_assert_eq!(by_member, by_time, "{} {} vs {} {}", a, player_a, b, player_b);
        }
    }
}
