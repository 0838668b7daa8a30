//! Appending commands to a real Postgres.

use domain::scores::{GameCommand, GameEvent};
use eventlog::{EventLogReader, EventStore, Metadata};

use crate::common;

#[tokio::test]
async fn creating_a_new_aggregate_appends_all_its_events_in_order_with_the_metadata() {
    let (_database, pool, store) = common::game_store().await;
    let metadata = Metadata::from([("job_id".to_owned(), "j1".to_owned())]);
    store.create("tetris", GameCommand::StartScoring, &metadata).await.unwrap();
    let events = common::first_events(&EventLogReader::new(pool), 2).await;
    let types: Vec<(i64, &str)> = events.iter().map(|e| (e.sequence, e.event_type.as_str())).collect();
    assert_eq!(types, [(1, "GameConfigured"), (2, "GameScoringStarted")]);
    assert!(events.iter().all(|e| e.metadata_value("job_id") == Some("j1")));
    let decoded: GameEvent = serde_json::from_value(events[1].payload.clone()).unwrap();
    assert_eq!(decoded, GameEvent::GameScoringStarted);
}

#[tokio::test]
async fn creating_an_aggregate_that_exists_decides_again_on_its_stored_state() {
    let (_database, pool, store) = common::game_store().await;
    store.create("tetris", GameCommand::StartScoring, &Metadata::new()).await.unwrap();
    store.create("tetris", GameCommand::StartScoring, &Metadata::new()).await.unwrap();
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM events").fetch_one(&pool).await.unwrap();
    assert_eq!(count, 2, "the second start found the game started and appended nothing");
}

#[tokio::test]
async fn a_leader_that_steps_down_releases_the_lock_for_the_next_one() {
    let (_database, pool, _store) = common::game_store().await;
    let leadership = eventlog::Leadership::new(pool.clone(), "projector");
    let first = leadership.try_acquire().await.unwrap().expect("the first leader");
    assert!(leadership.try_acquire().await.unwrap().is_none(), "two leaders at once");
    let first_token = first.fencing_token;
    drop(first);
    let second = testkit::wait_until("the lock to be free", std::time::Duration::from_secs(10), || async {
        leadership.try_acquire().await.unwrap()
    })
    .await;
    assert!(second.fencing_token > first_token);
}

#[tokio::test]
async fn new_aggregates_appended_together_exist_together_or_not_at_all() {
    use domain::scores::refresh::RefreshScope;
    use domain::scores::{LeaderboardRefresh, Record};
    let (_database, pool, games) = common::game_store().await;
    let refreshes: EventStore<LeaderboardRefresh> = EventStore::new(pool.clone());
    let refresh = |hash: &str| {
        Record(RefreshScope {
            game: domain::names::GameName::parse("tetris").unwrap(),
            period: None,
            region: None,
            request_hash: hash.to_owned(),
        })
    };
    let metadata = Metadata::new();
    let pair = [
        games.decide_new("tetris", GameCommand::StartScoring, &metadata).await.unwrap(),
        refreshes.decide_new("r1", refresh("h1"), &metadata).await.unwrap(),
    ];
    assert!(eventlog::append_new(&pool, &pair).await.unwrap());
    let transactions: i64 = sqlx::query_scalar("SELECT count(DISTINCT transaction_id) FROM events")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(transactions, 1, "both aggregates were committed together");

    // One of the next pair exists already: neither is appended.
    let clash = [
        refreshes.decide_new("r2", refresh("h2"), &metadata).await.unwrap(),
        games.decide_new("tetris", GameCommand::StartScoring, &metadata).await.unwrap(),
    ];
    assert!(!eventlog::append_new(&pool, &clash).await.unwrap());
    assert!(!eventlog::aggregate_exists::<LeaderboardRefresh>(&pool, "r2").await.unwrap());
}
