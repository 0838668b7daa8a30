//! The query side's board reads against a real Redis: named players (a friends' list) and a player's
//! standing, both ranked as every page of the board ranks them.

use chrono::{DateTime, Utc};
use domain::names::{GameName, PlayerName, RegionName};
use domain::scores::{Operator, Period, SortOrder};
use eventlog::Checkpoint;
use read_model::boards::Board;
use read_model::documents::{LeaderboardDocument, PlayerStanding};
use read_model::entry::Entry;
use read_model::{Keys, Op};
use redis_store::{BoardReader, ProjectionStore};

use crate::common::store;

const NOW: &str = "2026-11-23T12:00:00Z";

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(NOW).unwrap().with_timezone(&Utc)
}

fn board(period: Period, region: Option<&str>) -> Board {
    let region = region.map(|name| RegionName::parse(name).unwrap());
    Board::containing(&GameName::parse("g").unwrap(), period, now(), region.as_ref())
}

/// Writes `entries` (player, score, achieved micros) to `board` under `operator` and `order`, as one
/// batch of the projector's.
async fn write(
    store: &ProjectionStore,
    board: &Board,
    operator: Operator,
    order: SortOrder,
    entries: &[(&str, i128, i64)],
) {
    let entries = entries
        .iter()
        .map(|&(player, score, micros)| {
            (player.to_owned(), Entry { score, achieved_micros: micros, achieved_at: format!("t{micros}") })
        })
        .collect();
    let ops = vec![Op::Board { board: board.id(), operator, order, entries }];
    let expected = store.checkpoint::<Checkpoint>().await.unwrap();
    let next = expected.map_or(1, |at| at.position + 1);
    let checkpoint = Checkpoint { transaction_id: next, position: next };
    store.apply(1, expected, checkpoint, now(), ops).await.unwrap();
}

fn names(players: &[&str]) -> Vec<PlayerName> {
    players.iter().map(|name| PlayerName::parse(name).unwrap()).collect()
}

async fn named(
    redis: &fred::prelude::Client,
    keys: &Keys,
    board: &Board,
    players: &[&str],
) -> LeaderboardDocument {
    let rendered = BoardReader::new(redis, keys).players(board, NOW, &names(players)).await.unwrap();
    serde_json::from_slice(&rendered).unwrap()
}

fn ranks(document: &LeaderboardDocument) -> Vec<(u64, &str)> {
    document.entries.iter().map(|entry| (entry.rank, entry.player.as_str())).collect()
}

#[tokio::test]
async fn named_players_come_best_first_with_the_ranks_the_whole_boards_page_gives_them() {
    let (store, redis, keys) = store().await;
    let global = board(Period::All, None);
    // Four equal scores: the earlier achievement ranks first, whatever the names.
    let entries = [("top", 101, 1), ("aaa", 100, 300), ("zzz", 100, 100), ("mmm", 100, 200), ("low", 5, 1)];
    write(&store, &global, Operator::Best, SortOrder::Desc, &entries).await;
    let document = named(&redis, &keys, &global, &["low", "aaa", "zzz"]).await;
    assert_eq!(ranks(&document), [(2, "zzz"), (4, "aaa"), (5, "low")]);
    let page = BoardReader::new(&redis, &keys).page(&global, NOW, 0, 100).await.unwrap();
    let page: LeaderboardDocument = serde_json::from_slice(&page).unwrap();
    let on_the_page: Vec<(u64, &str)> =
        ranks(&page).into_iter().filter(|(_, player)| ["low", "aaa", "zzz"].contains(player)).collect();
    assert_eq!(ranks(&document), on_the_page);
    assert_eq!(document.entries[0].score, 100);
    assert_eq!(document.entries[0].achieved_at, "t100");
}

#[tokio::test]
async fn named_players_without_a_score_are_left_out_and_the_total_is_the_whole_boards() {
    let (store, redis, keys) = store().await;
    let global = board(Period::All, None);
    write(&store, &global, Operator::Best, SortOrder::Desc, &[("ada", 3, 1), ("bob", 2, 1), ("cy", 1, 1)])
        .await;
    let document = named(&redis, &keys, &global, &["nobody", "bob", "ghost"]).await;
    assert_eq!(ranks(&document), [(2, "bob")]);
    assert_eq!((document.total, document.next_cursor), (3, None));
    let nobody = named(&redis, &keys, &global, &["nobody"]).await;
    assert!(nobody.entries.is_empty());
    assert_eq!(nobody.total, 3);
}

#[tokio::test]
async fn named_players_are_read_from_the_board_of_the_period_and_region_asked_for() {
    let (store, redis, keys) = store().await;
    let weekly_eu = board(Period::Week, Some("eu"));
    write(
        &store,
        &board(Period::Week, None),
        Operator::Best,
        SortOrder::Desc,
        &[("ada", 1, 1), ("bob", 9, 1)],
    )
    .await;
    write(&store, &weekly_eu, Operator::Best, SortOrder::Desc, &[("ada", 1, 1)]).await;
    let document = named(&redis, &keys, &weekly_eu, &["ada", "bob"]).await;
    assert_eq!(ranks(&document), [(1, "ada")]);
    assert_eq!((document.period.as_str(), document.region.as_deref()), ("week", Some("eu")));
    assert_eq!(document.window.start.as_deref(), Some("2026-11-23T00:00:00Z"));
    assert_eq!(document.generated_at, NOW);
}

async fn standing(
    redis: &fred::prelude::Client,
    keys: &Keys,
    board: &Board,
    player: &str,
) -> Option<PlayerStanding> {
    BoardReader::new(redis, keys).standing(&board.id(), player).await.unwrap()
}

#[tokio::test]
async fn a_standing_gives_the_share_of_the_board_ranked_below_at_the_top_the_middle_and_the_bottom() {
    let (store, redis, keys) = store().await;
    let global = board(Period::All, None);
    let entries = [("first", 40, 1), ("second", 30, 1), ("third", 20, 1), ("last", 10, 1)];
    write(&store, &global, Operator::Best, SortOrder::Desc, &entries).await;
    let percentiles = [("first", 1, 75.0), ("second", 2, 50.0), ("third", 3, 25.0), ("last", 4, 0.0)];
    for (player, rank, percentile) in percentiles {
        let standing = standing(&redis, &keys, &global, player).await.unwrap();
        assert_eq!((standing.rank, standing.percentile), (rank, percentile), "{player}");
    }
    let second = standing(&redis, &keys, &global, "second").await.unwrap();
    assert_eq!((second.score, second.achieved_at.as_str()), (30, "t1"));
    assert_eq!(standing(&redis, &keys, &global, "nobody").await, None);
}

#[tokio::test]
async fn a_player_alone_on_a_board_is_first_and_ahead_of_nobody() {
    let (store, redis, keys) = store().await;
    let global = board(Period::All, None);
    write(&store, &global, Operator::Best, SortOrder::Asc, &[("solo", 7, 1)]).await;
    let alone = standing(&redis, &keys, &global, "solo").await.unwrap();
    assert_eq!((alone.rank, alone.percentile), (1, 0.0));
}

/// A `sum` total beyond ±2^53 is stored with its exact total after the member: the reads still find
/// the member.
#[tokio::test]
async fn a_sum_total_beyond_two_to_the_53_is_still_found_and_ranked() {
    let (store, redis, keys) = store().await;
    let global = board(Period::All, None);
    let beyond = 1_i128 << 60;
    write(&store, &global, Operator::Sum, SortOrder::Desc, &[("huge", beyond, 1), ("small", 1, 1)]).await;
    let huge = standing(&redis, &keys, &global, "huge").await.unwrap();
    assert_eq!((huge.rank, huge.score, huge.percentile), (1, 1 << 53, 50.0));
    assert_eq!(ranks(&named(&redis, &keys, &global, &["small", "huge"]).await), [(1, "huge"), (2, "small")]);
}
