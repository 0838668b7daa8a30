//! The projector killed with SIGKILL in the middle of a backlog: after a restart, every document equals
//! what a clean rebuild produces (nothing lost, nothing applied twice, `sum` boards included).

use std::process::{Child, Command};
use std::time::Duration;

use e2e::documents::documents;
use e2e::{Stack, StackOptions};
use eventlog::{Checkpoint, EventLogReader};
use fred::prelude::*;

const EVENTS: i64 = 100_000;

fn spawn_projector(stack: &Stack, prefix: &str) -> Child {
    Command::new(e2e::binary("projector"))
        .env("REPRISE_DATABASE__URL", stack.database.url())
        .env("REPRISE_REDIS__KEY_PREFIX", prefix)
        .env("REPRISE_PROJECTOR__HEALTH_ADDR", "127.0.0.1:0")
        .env("REPRISE_PROJECTOR__POLL_INTERVAL_MS", "100")
        .env("APP_CONFIG_PATH", "/nonexistent")
        // Its leadership and progress lines land in the test's output, shown when it fails.
        .env("RUST_LOG", "info")
        .spawn()
        .expect("start the projector binary (built by `cargo build --workspace`)")
}

/// Appends a `sum` game and a backlog of score submissions straight into the log, as the command side would.
async fn fill_backlog(pool: &sqlx::PgPool) {
    sqlx::query(
        r#"INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
           VALUES ('game', 'crash', 1, 'GameConfigured', '1',
                   '{"GameConfigured":{"settings":{"title":null,"sortOrder":"desc","operator":"sum","periods":["all","month"]}}}', '{}'),
                  ('game', 'crash', 2, 'GameScoringStarted', '1', '"GameScoringStarted"', '{}')"#,
    )
    .execute(pool)
    .await
    .unwrap();
    for chunk in 0..10_i64 {
        sqlx::query(
            r#"INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
               SELECT 'score', 'job-' || n, 1, 'ScoreSubmitted', '1',
                      json_build_object('ScoreSubmitted', json_build_object(
                        'game', 'crash', 'player', 'p' || (n % 700), 'score', n % 1000 - 300,
                        'region', CASE WHEN n % 3 = 0 THEN 'eu' ELSE NULL END,
                        'achievedAt', to_char(now() - make_interval(secs => n % 5000), 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                        'requestHash', 'h')),
                      json_build_object('job_id', 'job-' || n)
               FROM generate_series($1::bigint, $2::bigint) AS n"#,
        )
        .bind(chunk * EVENTS / 10)
        .bind((chunk + 1) * EVENTS / 10 - 1)
        .execute(pool)
        .await
        .unwrap();
    }
}

/// The checkpoint of the first generation of the documents under `prefix`, which every projector here
/// fills.
async fn checkpoint(redis: &Client, prefix: &str) -> Option<Checkpoint> {
    let stored: Option<String> = redis.get(format!("{prefix}gen1:projector:checkpoint")).await.ok()?;
    stored?.parse().ok()
}

async fn caught_up(redis: &Client, prefix: &str, head: Checkpoint) {
    testkit::wait_until("the projector to catch up", Duration::from_secs(240), || async {
        let rebuilding: i64 = redis.exists(format!("{prefix}gen1:projector:rebuilding")).await.ok()?;
        let current: Option<String> = redis.get(format!("{prefix}generation")).await.ok()?;
        (checkpoint(redis, prefix).await? == head && rebuilding == 0 && current.as_deref() == Some("1"))
            .then_some(())
    })
    .await;
}

/// Runs a projector on `prefix` until it has projected the log up to `head`, then kills it.
async fn project_to(stack: &Stack, prefix: &str, head: Checkpoint) {
    let mut projector = spawn_projector(stack, prefix);
    caught_up(&stack.redis, prefix, head).await;
    projector.kill().unwrap();
    projector.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_projector_killed_mid_backlog_and_restarted_ends_exactly_where_a_clean_rebuild_does() {
    let stack = Stack::start_with(StackOptions { without_projector: true, ..Default::default() }).await;
    let pool = sqlx::PgPool::connect(&stack.database.url()).await.unwrap();
    fill_backlog(&pool).await;
    let head = EventLogReader::new(pool.clone()).head().await.unwrap();
    let crashed = stack.settings.redis.key_prefix.clone();

    let mut first = spawn_projector(&stack, &crashed);
    testkit::wait_until("the projector to be part way through", Duration::from_secs(120), || async {
        let at = checkpoint(&stack.redis, &crashed).await?;
        (at.position > EVENTS / 5).then_some(())
    })
    .await;
    first.kill().expect("SIGKILL the projector");
    first.wait().unwrap();
    let at_kill = checkpoint(&stack.redis, &crashed).await.unwrap();
    assert!(at_kill < head, "the projector finished before it was killed; nothing was tested");

    project_to(&stack, &crashed, head).await;

    let clean = testkit::unique_prefix();
    project_to(&stack, &clean, head).await;

    let after_crash = documents(&stack.redis, &crashed).await;
    let rebuilt = documents(&stack.redis, &clean).await;
    // Not only the same as a rebuild: right. Every batch names all 700 players, so each batch's boards
    // are read while the batch before is still on its way, and the sums show whether its writes counted.
    let sums: Vec<(String, i64)> = sqlx::query_as(
        "SELECT payload->'ScoreSubmitted'->>'player', sum((payload->'ScoreSubmitted'->>'score')::bigint)::bigint
         FROM events WHERE aggregate_type = 'score' GROUP BY 1",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let entries = &rebuilt["lbe:crash:all:all:~"];
    assert_eq!(sums.len(), 700);
    for (player, sum) in sums {
        let stored = entries[&player].as_str().unwrap();
        assert_eq!(stored.split('|').next(), Some(sum.to_string().as_str()), "{player}'s all-time sum");
    }
    let clean_keys = read_model::Keys::new(clean.clone());
    redis_store::generations::delete_everything(&stack.redis, &clean_keys).await.unwrap();
    assert_eq!(after_crash.len(), rebuilt.len());
    assert!(after_crash.len() > EVENTS as usize, "expected a job document per event and the boards");
    for (key, value) in &rebuilt {
        assert_eq!(after_crash.get(key), Some(value), "{key} differs after the crash");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn projector_rebuild_throws_the_documents_away_and_rebuilds_the_same_ones_while_a_projector_runs() {
    let stack = Stack::start().await;
    for n in 0..30 {
        stack
            .submit(serde_json::json!({ "game": "rebuilt", "player": format!("p{}", n % 7), "score": n }))
            .await;
    }
    let last = stack.submit(serde_json::json!({ "game": "rebuilt", "player": "last", "score": 99 })).await;
    stack.finished(&last).await;
    let prefix = stack.settings.redis.key_prefix.clone();
    let before = documents(&stack.redis, &prefix).await;

    let status = stack.projector_rebuild().status();
    let status =
        tokio::time::timeout(Duration::from_secs(120), status).await.expect("rebuild finished").unwrap();
    assert!(status.success());

    let rebuilt = documents(&stack.redis, &prefix).await;
    assert_eq!(before.keys().collect::<Vec<_>>(), rebuilt.keys().collect::<Vec<_>>());
    for (key, value) in &before {
        assert_eq!(rebuilt.get(key), Some(value), "{key} differs after the rebuild");
    }
    let board = stack.board("/v1/leaderboards/rebuilt").await;
    assert_eq!(Stack::ranking(&board)[0], ("last".to_owned(), 99));
}

#[tokio::test]
async fn a_generation_never_projected_is_not_cleared_one_whose_checkpoint_was_deleted_is_and_keys_beside_stay()
 {
    let stack = Stack::start_with(StackOptions { without_projector: true, ..Default::default() }).await;
    stack.submit(serde_json::json!({ "game": "tetris", "player": "ada", "score": 1 })).await;
    let pool = sqlx::PgPool::connect(&stack.database.url()).await.unwrap();
    let head = EventLogReader::new(pool).head().await.unwrap();
    let prefix = stack.settings.redis.key_prefix.clone();
    let (beside, inside) = (format!("{prefix}stray"), format!("{prefix}gen1:stray"));
    for stray in [&beside, &inside] {
        let _: () = stack.redis.set(stray, "not a projection's", None, None, false).await.unwrap();
    }

    // Nothing was ever projected into generation 1 (no layout key): the projector fills it without
    // clearing.
    project_to(&stack, &prefix, head).await;
    let kept: i64 = stack.redis.exists(vec![&beside, &inside]).await.unwrap();
    assert_eq!(kept, 2, "a first projection cleared keys it never wrote");

    // A deleted checkpoint in a projected generation (Redis lost it) clears the generation first, and
    // only the generation.
    let _: i64 = stack.redis.del(format!("{prefix}gen1:projector:checkpoint")).await.unwrap();
    project_to(&stack, &prefix, head).await;
    let kept: i64 = stack.redis.exists(&inside).await.unwrap();
    assert_eq!(kept, 0, "the refill kept a key of the generation it should have cleared");
    let kept: i64 = stack.redis.exists(&beside).await.unwrap();
    assert_eq!(kept, 1, "the refill cleared a key beside the generations");
}
