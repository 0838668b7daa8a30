//! The fenced apply against a real Redis, under a key prefix of the test's own.

use chrono::{DateTime, Utc};
use domain::names::GameName;
use domain::scores::{Operator, Period, SortOrder};
use eventlog::Checkpoint;
use fred::prelude::*;
use read_model::boards::Board;
use read_model::documents::LeaderboardDocument;
use read_model::entry::Entry;
use read_model::plan::OwnedJob;
use read_model::{Keys, Op};
use redis_store::ApplyError;

use crate::common::store;

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-23T12:00:00Z").unwrap().with_timezone(&Utc)
}

fn at(n: i64) -> Checkpoint {
    Checkpoint { transaction_id: n, position: n }
}

fn score(player: &str, score: i64, micros: i64, operator: Operator, order: SortOrder) -> Op {
    scores(operator, order, &[(player, score, micros)])
}

/// One board operation carrying several players' entries, as a batch's plan groups them.
fn scores(operator: Operator, order: SortOrder, entries: &[(&str, i64, i64)]) -> Op {
    let entries = entries
        .iter()
        .map(|&(player, score, micros)| {
            let score = score.into();
            (player.to_owned(), Entry { score, achieved_micros: micros, achieved_at: format!("t{micros}") })
        })
        .collect();
    Op::Board { board: "g:all:all:~".into(), operator, order, entries }
}

fn render() -> Op {
    let board = Board {
        game: GameName::parse("g").unwrap(),
        period: Period::All,
        window: Period::All.window_at(now()),
        region: None,
    };
    Op::Render { board, expires_at: None }
}

async fn document(redis: &Client, keys: &Keys) -> LeaderboardDocument {
    let stored: String = redis.get(keys.board_document("g:all:all:~")).await.unwrap();
    serde_json::from_str(&stored).unwrap()
}

fn ranking(document: &LeaderboardDocument) -> Vec<(String, i64)> {
    document.entries.iter().map(|e| (e.player.clone(), e.score)).collect()
}

#[tokio::test]
async fn equal_scores_rank_the_earlier_achievement_first_whatever_the_player_names() {
    let (store, redis, keys) = store().await;
    let entries = [("aaa", 100, 300), ("zzz", 100, 100), ("mmm", 100, 200), ("top", 101, 999)];
    let ops = vec![scores(Operator::Best, SortOrder::Desc, &entries), render()];
    store.apply(1, None, at(1), now(), ops).await.unwrap();
    let players: Vec<String> = ranking(&document(&redis, &keys).await).into_iter().map(|(p, _)| p).collect();
    assert_eq!(players, ["top", "zzz", "mmm", "aaa"]);
}

#[tokio::test]
async fn scores_at_the_edges_of_two_to_the_53_keep_every_digit_and_their_order() {
    let (store, redis, keys) = store().await;
    let big = 1_i64 << 53;
    let entries =
        [("max", big, 1), ("almost", big - 1, 1), ("min", -big, 1), ("minus_one", -1, 1), ("zero", 0, 1)];
    let ops = vec![scores(Operator::Best, SortOrder::Desc, &entries), render()];
    store.apply(1, None, at(1), now(), ops).await.unwrap();
    assert_eq!(
        ranking(&document(&redis, &keys).await),
        [
            ("max".into(), big),
            ("almost".into(), big - 1),
            ("zero".into(), 0),
            ("minus_one".into(), -1),
            ("min".into(), -big)
        ]
    );
}

#[tokio::test]
async fn an_ascending_board_puts_the_lowest_score_on_top() {
    let (store, redis, keys) = store().await;
    let entries = [("slow", 90, 1), ("fast", -5, 1), ("mid", 10, 1)];
    let ops = vec![scores(Operator::Best, SortOrder::Asc, &entries), render()];
    store.apply(1, None, at(1), now(), ops).await.unwrap();
    assert_eq!(
        ranking(&document(&redis, &keys).await),
        [("fast".into(), -5), ("mid".into(), 10), ("slow".into(), 90)]
    );
}

#[tokio::test]
async fn operators_combine_with_what_earlier_batches_stored() {
    let (store, redis, keys) = store().await;
    let first = vec![
        score("best", 50, 1, Operator::Best, SortOrder::Desc),
        score("sum", 50, 1, Operator::Sum, SortOrder::Desc),
        score("latest", 50, 5, Operator::Latest, SortOrder::Desc),
    ];
    store.apply(1, None, at(1), now(), first).await.unwrap();
    let second = vec![
        score("best", 40, 2, Operator::Best, SortOrder::Desc),
        score("sum", 40, 2, Operator::Sum, SortOrder::Desc),
        score("latest", 10, 4, Operator::Latest, SortOrder::Desc),
        render(),
    ];
    store.apply(1, Some(at(1)), at(2), now(), second).await.unwrap();
    let mut scores = ranking(&document(&redis, &keys).await);
    scores.sort();
    assert_eq!(scores, [("best".into(), 50), ("latest".into(), 50), ("sum".into(), 90)]);
}

#[tokio::test]
async fn a_batch_resent_after_it_applied_changes_nothing() {
    let (store, redis, keys) = store().await;
    let ops = vec![score("ada", 7, 1, Operator::Sum, SortOrder::Desc), render()];
    store.apply(1, None, at(1), now(), ops.clone()).await.unwrap();
    let resent = store.apply(1, None, at(1), now(), ops.to_vec()).await;
    assert!(matches!(resent, Err(ApplyError::CheckpointMoved)), "{resent:?}");
    assert_eq!(ranking(&document(&redis, &keys).await), [("ada".into(), 7)]);
}

#[tokio::test]
async fn a_deposed_projector_cannot_write() {
    let (store, redis, keys) = store().await;
    assert!(store.claim_fence(2).await.unwrap());
    assert!(!store.claim_fence(1).await.unwrap(), "a smaller token took the fence back");
    let stale = store.apply(1, None, at(1), now(), vec![render()]).await;
    assert!(matches!(stale, Err(ApplyError::Fenced)), "{stale:?}");
    let exists: i64 = redis.exists(keys.checkpoint()).await.unwrap();
    assert_eq!(exists, 0);
}

#[tokio::test]
async fn a_board_of_more_than_a_hundred_players_stores_the_top_hundred_and_a_cursor() {
    let (store, redis, keys) = store().await;
    let players: Vec<String> = (0..150).map(|n| format!("p{n}")).collect();
    let entries: Vec<(&str, i64, i64)> = players.iter().zip(0..).map(|(p, n)| (p.as_str(), n, 1)).collect();
    let ops = vec![scores(Operator::Best, SortOrder::Desc, &entries), render()];
    store.apply(1, None, at(1), now(), ops).await.unwrap();
    let document = document(&redis, &keys).await;
    assert_eq!(document.entries.len(), 100);
    assert_eq!(document.total, 150);
    assert_eq!(document.entries[0].player, "p149");
    assert_eq!(document.entries[99].rank, 100);
    assert_eq!(document.next_cursor.as_deref(), Some("r100"));
}

#[tokio::test]
async fn the_member_the_query_side_computes_is_the_one_the_function_stored() {
    let (store, redis, keys) = store().await;
    let ops = vec![scores(Operator::Best, SortOrder::Asc, &[("ada", -42, 7), ("bob", 9, 3)])];
    store.apply(1, None, at(1), now(), ops).await.unwrap();
    let member = read_model::boards::ranking_member(3, "bob");
    let rank: Option<i64> = redis.zrank(keys.board_ranking("g:all:all:~"), member, false).await.unwrap();
    assert_eq!(rank, Some(1));
}

#[tokio::test]
async fn a_board_is_rendered_again_only_when_its_top_hundred_changed_and_its_total_always_follows() {
    let (store, redis, keys) = store().await;
    let later = |seconds: i64| now() + chrono::Duration::seconds(seconds);
    let best = |player: &str, points: i64| score(player, points, 1, Operator::Best, SortOrder::Desc);
    let players: Vec<String> = (0..100).map(|n| format!("p{n}")).collect();
    let entries: Vec<(&str, i64, i64)> =
        players.iter().zip(0..).map(|(p, n)| (p.as_str(), 1_000 + n, 1)).collect();
    let ops = vec![scores(Operator::Best, SortOrder::Desc, &entries), render()];
    store.apply(1, None, at(1), now(), ops).await.unwrap();
    let first = document(&redis, &keys).await;
    assert_eq!((first.entries.len(), first.total, first.next_cursor.as_deref()), (100, 100, None));

    // A player below the top joins: the entries stand, the total and the cursor move.
    store.apply(1, Some(at(1)), at(2), later(1), vec![best("low", 1), render()]).await.unwrap();
    let below = document(&redis, &keys).await;
    assert_eq!(below.entries, first.entries);
    assert_eq!(below.generated_at, first.generated_at, "the entries were not rendered again");
    assert_eq!((below.total, below.next_cursor.as_deref()), (101, Some("r100")));

    // A player enters the top: rendered again.
    store.apply(1, Some(at(2)), at(3), later(2), vec![best("star", 5_000), render()]).await.unwrap();
    let entered = document(&redis, &keys).await;
    assert_eq!(entered.entries[0].player, "star");
    assert_ne!(entered.generated_at, first.generated_at);
    assert_eq!(entered.total, 102);

    // A top player's later, lower score under `latest` drops them out of the top: rendered again.
    let latest = score("star", 0, 2, Operator::Latest, SortOrder::Desc);
    store.apply(1, Some(at(3)), at(4), later(3), vec![latest, render()]).await.unwrap();
    let left = document(&redis, &keys).await;
    assert!(left.entries.iter().all(|entry| entry.player != "star"), "star left the top hundred");
    assert_eq!(left.entries.len(), 100);
}

#[tokio::test]
async fn thousands_of_players_in_one_board_update_are_written_in_chunks() {
    let (store, redis, keys) = store().await;
    let players: Vec<String> = (0..2_500).map(|n| format!("p{n}")).collect();
    let entries = |offset: i64| -> Vec<(&str, i64, i64)> {
        players.iter().enumerate().map(|(n, p)| (p.as_str(), n as i64 + offset, 1)).collect()
    };
    let first = scores(Operator::Best, SortOrder::Desc, &entries(0));
    store.apply(1, None, at(1), now(), vec![first, render()]).await.unwrap();
    let better = scores(Operator::Best, SortOrder::Desc, &entries(10_000));
    store.apply(1, Some(at(1)), at(2), now(), vec![better, render()]).await.unwrap();
    let document = document(&redis, &keys).await;
    assert_eq!(document.total, 2_500);
    assert_eq!((document.entries[0].player.as_str(), document.entries[0].score), ("p2499", 12_499));
    let stored: i64 = redis.hlen(keys.board_entries("g:all:all:~")).await.unwrap();
    assert_eq!(stored, 2_500);
}

#[tokio::test]
async fn an_entry_tying_the_hundredth_score_renders_again_only_when_its_earlier_achievement_ranks_it_inside()
{
    let (store, redis, keys) = store().await;
    let later = |seconds: i64| now() + chrono::Duration::seconds(seconds);
    let hundred: Vec<(String, i64, i64)> = (0..100).map(|n| (format!("p{n}"), 1_000 + n, 10)).collect();
    let named: Vec<(&str, i64, i64)> = hundred.iter().map(|(p, s, m)| (p.as_str(), *s, *m)).collect();
    store
        .apply(1, None, at(1), now(), vec![scores(Operator::Best, SortOrder::Desc, &named), render()])
        .await
        .unwrap();
    let first = document(&redis, &keys).await;

    // Ties the 100th (1,000) but was achieved later: ranks 101st, the entries stand.
    let tied_later = score("late", 1_000, 20, Operator::Best, SortOrder::Desc);
    store.apply(1, Some(at(1)), at(2), later(1), vec![tied_later, render()]).await.unwrap();
    let below = document(&redis, &keys).await;
    assert_eq!(below.generated_at, first.generated_at, "not rendered again");
    assert_eq!(below.total, 101);

    // Ties the 100th but was achieved earlier: it takes the 100th place.
    let tied_earlier = score("early", 1_000, 5, Operator::Best, SortOrder::Desc);
    store.apply(1, Some(at(2)), at(3), later(2), vec![tied_earlier, render()]).await.unwrap();
    let entered = document(&redis, &keys).await;
    assert_eq!(entered.entries[99].player, "early");
    assert_ne!(entered.generated_at, first.generated_at);
}

#[tokio::test]
async fn a_board_write_longer_than_its_arguments_is_refused_before_anything_is_written() {
    let (store, redis, keys) = store().await;
    let control = store.control().prefix().to_owned();
    let args: Vec<String> = [
        keys.prefix(),
        &control,
        "1",
        "1",
        "",
        "1:1",
        "2026-11-23T12:00:00Z",
        "SET",
        "written",
        "yes",
        // Claims one removed member and two added ones, but carries arguments for one.
        "BOARD",
        "g:all:all:~",
        "1",
        "1",
        "2",
        "old",
        "-5",
        "new",
        "ada",
        "5|1|t1|new",
    ]
    .map(String::from)
    .to_vec();
    let refused: Result<String, Error> = redis.fcall("reprise_apply_v7", Vec::<String>::new(), args).await;
    assert!(refused.unwrap_err().details().starts_with("BADOP"));
    let written: i64 = redis.exists(keys.full("written")).await.unwrap();
    let checkpoint: i64 = redis.exists(keys.checkpoint()).await.unwrap();
    assert_eq!((written, checkpoint), (0, 0));
    drop(store);
}

#[tokio::test]
async fn a_batch_records_thousands_of_job_owners_and_lists_each_job_in_both_indexes() {
    let (store, redis, keys) = store().await;
    let jobs: Vec<OwnedJob> = (0..2_500)
        .map(|n| OwnedJob {
            id: format!("job-{n}"),
            owner: if n % 5 == 0 { "bo" } else { "ada" }.to_owned(),
            member: read_model::keys::job_index_member(1_000 + n, &format!("job-{n}")),
        })
        .collect();
    store.apply(1, None, at(1), now(), vec![Op::Owners { jobs }]).await.unwrap();
    let owner: String = redis.get(keys.job_owner("job-2499")).await.unwrap();
    assert_eq!(owner, "ada");
    let owners: i64 = redis.exists(vec![keys.job_owner("job-0"), keys.job_owner("job-1234")]).await.unwrap();
    assert_eq!(owners, 2);
    let all: i64 = redis.zcard(keys.all_jobs()).await.unwrap();
    let (of_ada, of_bo): (i64, i64) =
        (redis.zcard(keys.jobs_of("ada")).await.unwrap(), redis.zcard(keys.jobs_of("bo")).await.unwrap());
    assert_eq!((all, of_ada, of_bo), (2_500, 2_000, 500));
    let newest: Vec<String> =
        redis.zrange(keys.jobs_of("bo"), -1, -1, None, false, None, false).await.unwrap();
    assert_eq!(newest, [read_model::keys::job_index_member(3_495, "job-2495")]);
}

#[tokio::test]
async fn a_sum_beyond_two_to_the_53_shows_the_limit_and_later_batches_add_to_its_exact_total() {
    let (store, redis, keys) = store().await;
    let big = 1_i64 << 53;
    let batches = [vec![("ada", big, 1), ("bob", big - 1, 1)], vec![("ada", big, 2)], vec![("ada", -big, 3)]];
    let mut from = None;
    let mut shown = Vec::new();
    for (n, entries) in (1..).zip(batches) {
        let ops = vec![scores(Operator::Sum, SortOrder::Desc, &entries), render()];
        store.apply(1, from, at(n), now(), ops).await.unwrap();
        from = Some(at(n));
        shown.push(ranking(&document(&redis, &keys).await));
    }
    assert_eq!(shown[1], [("ada".into(), big), ("bob".into(), big - 1)], "2^54, shown at the limit");
    assert_eq!(shown[2], [("ada".into(), big), ("bob".into(), big - 1)], "2^54 - 2^53, exactly");
}
