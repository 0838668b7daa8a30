//! Commands committed together ([`eventlog::batch`]) against a real Postgres.

use domain::scores::{Game, GameCommand, GameError, GameSettings, Operator};
use eventlog::batch::{Batched, Expect};
use eventlog::{BatchLimits, CommandBatcher, CommandError, Metadata};

use crate::common;

fn batched(id: &str, command: GameCommand, expect: Expect) -> Batched<Game> {
    Batched { id: id.to_owned(), command, metadata: Metadata::new(), expect }
}

fn summing() -> GameCommand {
    GameCommand::Configure(GameSettings { operator: Operator::Sum, ..GameSettings::default() })
}

/// (aggregate id, sequence, transaction) of every event, in the order of the log.
async fn stored(pool: &sqlx::PgPool) -> Vec<(String, i64, String)> {
    sqlx::query_as("SELECT aggregate_id, sequence, transaction_id::text FROM events ORDER BY position")
        .fetch_all(pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn commands_on_many_aggregates_commit_in_one_transaction_each_with_its_own_outcome() {
    let (_database, pool, games) = common::game_store().await;
    games.create("started", GameCommand::StartScoring, &Metadata::new()).await.unwrap();
    games
        .create("configured", GameCommand::Configure(GameSettings::default()), &Metadata::new())
        .await
        .unwrap();
    let before = stored(&pool).await.len();

    let outcomes = games
        .execute_together(vec![
            batched("started", GameCommand::StartScoring, Expect::Existing),
            batched("new-1", GameCommand::StartScoring, Expect::New),
            batched("started", summing(), Expect::Existing),
            batched("configured", GameCommand::StartScoring, Expect::Existing),
            batched("new-2", summing(), Expect::New),
        ])
        .await;

    assert!(outcomes[0].is_ok(), "a started game starts again by doing nothing");
    assert!(outcomes[1].is_ok());
    assert!(
        matches!(outcomes[2], Err(CommandError::Rejected(GameError::RankingFrozen { .. }))),
        "{:?}",
        outcomes[2]
    );
    assert!(outcomes[3].is_ok());
    assert!(outcomes[4].is_ok());
    let appended: Vec<_> = stored(&pool).await.split_off(before);
    let ids: Vec<(&str, i64)> = appended.iter().map(|(id, sequence, _)| (id.as_str(), *sequence)).collect();
    assert_eq!(ids, [("new-1", 1), ("new-1", 2), ("configured", 2), ("new-2", 1)]);
    assert!(appended.iter().all(|(_, _, transaction)| *transaction == appended[0].2), "one transaction");
}

#[tokio::test]
async fn a_batch_that_meets_an_existing_aggregate_runs_each_command_alone_with_the_same_outcomes() {
    let (_database, pool, games) = common::game_store().await;
    games.create("taken", GameCommand::StartScoring, &Metadata::new()).await.unwrap();

    // `taken` is expected new but exists: the INSERT is refused, and each command decides again.
    let outcomes = games
        .execute_together(vec![
            batched("fresh", GameCommand::StartScoring, Expect::New),
            batched("taken", summing(), Expect::New),
        ])
        .await;

    assert!(outcomes[0].is_ok());
    assert!(
        matches!(outcomes[1], Err(CommandError::Rejected(GameError::RankingFrozen { .. }))),
        "{:?}",
        outcomes[1]
    );
    let ids: Vec<String> = stored(&pool).await.into_iter().map(|(id, _, _)| id).collect();
    assert_eq!(ids, ["taken", "taken", "fresh", "fresh"]);
}

#[tokio::test]
async fn a_second_command_on_the_same_aggregate_runs_after_the_batch_on_its_result() {
    let (_database, pool, games) = common::game_store().await;
    let outcomes = games
        .execute_together(vec![
            batched("g", GameCommand::Configure(GameSettings::default()), Expect::New),
            batched("g", GameCommand::StartScoring, Expect::Existing),
        ])
        .await;
    assert!(outcomes.iter().all(Result::is_ok), "{outcomes:?}");
    let sequences: Vec<i64> = stored(&pool).await.into_iter().map(|(_, sequence, _)| sequence).collect();
    assert_eq!(sequences, [1, 2]);
}

#[tokio::test]
async fn concurrent_callers_of_a_batcher_share_commits_and_each_gets_its_outcome() {
    let (_database, pool, games) = common::game_store().await;
    games.create("frozen", GameCommand::StartScoring, &Metadata::new()).await.unwrap();
    let batcher = CommandBatcher::start(games, BatchLimits { max_batch: 64, max_in_flight: 1 });
    let mut callers = tokio::task::JoinSet::new();
    for n in 0..40 {
        let batcher = batcher.clone();
        callers.spawn(async move {
            let outcome =
                batcher.create(&format!("game-{n}"), GameCommand::StartScoring, &Metadata::new()).await;
            outcome.is_ok()
        });
    }
    let refused = batcher.execute("frozen", summing(), &Metadata::new()).await;
    assert!(matches!(refused, Err(CommandError::Rejected(GameError::RankingFrozen { .. }))), "{refused:?}");
    assert!(callers.join_all().await.into_iter().all(|ok| ok));

    let events = stored(&pool).await;
    assert_eq!(events.len(), 2 + 40 * 2, "every game was created once");
    let transactions: std::collections::HashSet<&str> = events.iter().map(|(_, _, t)| t.as_str()).collect();
    assert!(transactions.len() < 1 + 40, "{} transactions for 41 commands: none shared", transactions.len());
}
