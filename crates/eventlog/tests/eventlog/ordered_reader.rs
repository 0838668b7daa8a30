//! The ordered reader against a real Postgres, with writers racing it.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use domain::scores::{Game, GameCommand, GameSettings};
use eventlog::{Checkpoint, EventLogReader, EventStore, Lag, Metadata, Whole};
use testkit::TestDatabase;

use crate::common;

async fn migrated_pool(database: &TestDatabase) -> sqlx::PgPool {
    let pool =
        sqlx::postgres::PgPoolOptions::new().max_connections(12).connect(&database.url()).await.unwrap();
    eventlog::migrate(&pool).await.unwrap();
    pool
}

fn titled(title: String) -> GameCommand {
    GameCommand::Configure(GameSettings { title: Some(title), ..GameSettings::default() })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_reader_tailing_eight_racing_writers_reads_every_event_once_and_each_aggregate_in_order() {
    const WRITERS: usize = 8;
    const COMMANDS: usize = 500;
    let database = TestDatabase::create().await;
    let pool = migrated_pool(&database).await;
    let store = EventStore::<Game>::new(pool.clone());

    let writers: Vec<_> = (0..WRITERS)
        .map(|writer| {
            let store = store.clone();
            tokio::spawn(async move {
                for command in 0..COMMANDS {
                    let game = format!("w{writer}-g{}", command % 7);
                    store.execute(&game, titled(format!("{command}")), &Metadata::new()).await.unwrap();
                }
            })
        })
        .collect();

    let reader = EventLogReader::new(pool.clone());
    let mut checkpoint = Checkpoint::START;
    let mut seen = HashSet::new();
    let mut last_title: HashMap<String, (i64, usize)> = HashMap::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    while seen.len() < WRITERS * COMMANDS {
        assert!(std::time::Instant::now() < deadline, "read only {} events", seen.len());
        let batch = reader.next_batch(checkpoint, 97).await.unwrap();
        if batch.is_empty() {
            tokio::time::sleep(Duration::from_millis(5)).await;
            continue;
        }
        for event in batch {
            assert!(event.checkpoint > checkpoint, "the log went backwards");
            checkpoint = event.checkpoint;
            assert!(seen.insert(event.id()), "read {} twice", event.id());
            let title: usize =
                event.payload["GameConfigured"]["settings"]["title"].as_str().unwrap().parse().unwrap();
            if let Some((sequence, previous)) = last_title.get(&event.aggregate_id) {
                assert_eq!(event.sequence, sequence + 1, "{} skipped a sequence", event.aggregate_id);
                assert!(title > *previous, "{} read out of order", event.aggregate_id);
            }
            last_title.insert(event.aggregate_id.clone(), (event.sequence, title));
        }
    }
    for writer in writers {
        writer.await.unwrap();
    }
    assert!(reader.next_batch(checkpoint, 10).await.unwrap().is_empty(), "events beyond the expected count");
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM events").fetch_one(&pool).await.unwrap();
    assert_eq!(stored as usize, seen.len());
}

#[tokio::test]
async fn an_event_of_an_open_transaction_holds_back_later_commits_until_it_finishes() {
    let database = TestDatabase::create().await;
    let pool = migrated_pool(&database).await;
    let store = EventStore::<Game>::new(pool.clone());

    let mut open = pool.begin().await.unwrap();
    sqlx::query(
        "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
         VALUES ('game', 'slow', 1, 'GameScoringStarted', '1', '\"GameScoringStarted\"', '{}')",
    )
    .execute(&mut *open)
    .await
    .unwrap();
    store.execute("fast", titled("1".into()), &Metadata::new()).await.unwrap();

    let reader = EventLogReader::new(pool.clone());
    assert!(
        reader.next_batch(Checkpoint::START, 10).await.unwrap().is_empty(),
        "a later commit was read while an earlier transaction was still open"
    );
    open.commit().await.unwrap();
    let ids: Vec<String> =
        common::first_events(&reader, 2).await.iter().map(|e| e.aggregate_id.clone()).collect();
    assert_eq!(ids, ["slow", "fast"]);
}

#[tokio::test]
async fn the_estimated_lag_is_zero_only_at_the_last_event() {
    let database = TestDatabase::create().await;
    let pool = migrated_pool(&database).await;
    let store = EventStore::<Game>::new(pool.clone());
    let reader = EventLogReader::new(pool.clone());
    assert_eq!(reader.estimated_lag(Checkpoint::START).await.unwrap(), 0);
    for n in 0..3 {
        store.execute("g", titled(n.to_string()), &Metadata::new()).await.unwrap();
    }
    let events = common::first_events(&reader, 3).await;
    assert_eq!(
        reader.estimated_lag(Checkpoint::START).await.unwrap(),
        reader.lag(Checkpoint::START).await.unwrap()
    );
    assert!(reader.estimated_lag(events[1].checkpoint).await.unwrap() >= 1);
    assert_eq!(reader.estimated_lag(events[2].checkpoint).await.unwrap(), 0);
}

#[tokio::test]
async fn the_lag_in_time_is_the_age_of_the_first_event_after_the_checkpoint_and_zero_at_the_last() {
    let database = TestDatabase::create().await;
    let pool = migrated_pool(&database).await;
    let reader = EventLogReader::new(pool.clone());
    assert_eq!(reader.measure_lag(Checkpoint::START).await.unwrap(), Lag::NONE);
    for (sequence, age) in [(1, 30), (2, 10)] {
        sqlx::query(
            "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata, recorded_at)
             VALUES ('game', 'old', $1, 'GameScoringStarted', '1', '\"GameScoringStarted\"', '{}', now() - make_interval(secs => $2))",
        )
        .bind(sequence)
        .bind(f64::from(age))
        .execute(&pool)
        .await
        .unwrap();
    }
    let events = common::first_events(&reader, 2).await;

    let from_start = reader.measure_lag(Checkpoint::START).await.unwrap();
    assert!((30.0..40.0).contains(&from_start.seconds), "{from_start:?}");
    assert_eq!(from_start.events, reader.estimated_lag(Checkpoint::START).await.unwrap());
    let after_first = reader.measure_lag(events[0].checkpoint).await.unwrap();
    assert!((10.0..20.0).contains(&after_first.seconds), "{after_first:?}");
    assert_eq!(after_first.events, 1);
    assert_eq!(reader.measure_lag(events[1].checkpoint).await.unwrap(), Lag::NONE);
}

#[tokio::test]
async fn a_reader_told_which_events_to_read_whole_reads_every_event_but_only_their_payloads() {
    let database = TestDatabase::create().await;
    let pool = migrated_pool(&database).await;
    let store = EventStore::<Game>::new(pool.clone());
    let metadata = Metadata::from([("job_id".to_owned(), "j".to_owned())]);
    for command in 0..5 {
        store.execute(&format!("g{command}"), titled(format!("{command}")), &metadata).await.unwrap();
    }

    // Each read waits for all five: tests beside this one hold transactions open, which keeps recent
    // commits unreadable for a moment.
    let whole = common::first_events(&EventLogReader::new(pool.clone()), 5).await;
    let only = |aggregate: &str, event: Option<&str>| Whole {
        aggregate_types: Some(vec![aggregate.to_owned()]),
        event_types: event.map(|event| vec![event.to_owned()]),
    };
    let games = EventLogReader::new(pool.clone()).reading_whole(only("game", Some("GameConfigured")));
    let others = EventLogReader::new(pool.clone()).reading_whole(only("conversion", None));
    let other_events = EventLogReader::new(pool).reading_whole(only("game", Some("GameScoringStarted")));
    let games = common::first_events(&games, 5).await;
    let passed_by = common::first_events(&others, 5).await;
    assert_eq!(common::first_events(&other_events, 5).await, passed_by);

    assert_eq!(games, whole);
    for (bare, full) in passed_by.iter().zip(&whole) {
        assert_eq!(
            (bare.checkpoint, bare.id(), &bare.event_type),
            (full.checkpoint, full.id(), &full.event_type)
        );
        assert_eq!((&bare.payload, &bare.metadata), (&serde_json::Value::Null, &serde_json::Value::Null));
        assert_eq!(full.metadata_value("job_id"), Some("j"));
    }
}
