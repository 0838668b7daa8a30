//! What the window-close checker reads from the event log: the games' configurations, folded into
//! subscriptions, and which callback jobs exist already.

use anyhow::Context;
use chrono::{DateTime, Utc};
use domain::names::GameName;
use domain::scores::GameEvent;
use domain::scores::window_close::{Configuration, Subscription};
use sqlx::PgPool;

/// The subscriptions of every game whose latest settings have `onWindowClose`, from the log's
/// `GameConfigured` events (of games that ever had one), each with who recorded it and when.
pub async fn subscriptions(pool: &PgPool) -> anyhow::Result<Vec<Subscription>> {
    let rows: Vec<(String, serde_json::Value, Option<String>, DateTime<Utc>)> = sqlx::query_as(
        "SELECT aggregate_id, payload, metadata->>'user_id', recorded_at FROM events
         WHERE aggregate_type = 'game' AND event_type = 'GameConfigured'
           AND aggregate_id IN (
             SELECT aggregate_id FROM events
             WHERE aggregate_type = 'game' AND event_type = 'GameConfigured'
               AND payload->'GameConfigured'->'settings'->'onWindowClose' IS NOT NULL)
         ORDER BY aggregate_id, sequence",
    )
    .fetch_all(pool)
    .await
    .context("reading the games' configurations")?;
    let mut subscriptions = Vec::new();
    let mut history: Vec<Configuration> = Vec::new();
    let mut rows = rows.into_iter().peekable();
    while let Some((game, payload, by, at)) = rows.next() {
        let event: GameEvent = serde_json::from_value(payload)
            .with_context(|| format!("a GameConfigured event of game {game} does not load"))?;
        if let GameEvent::GameConfigured { settings } = event {
            history.push(Configuration { settings, by, at });
        }
        if rows.peek().is_none_or(|(next, ..)| *next != game) {
            let subscription =
                GameName::parse(&game).ok().and_then(|name| Subscription::from_history(name, &history));
            subscriptions.extend(subscription);
            history.clear();
        }
    }
    Ok(subscriptions)
}

/// Which of the job ids `ids` name jobs the log holds.
pub async fn existing_jobs(pool: &PgPool, ids: &[String]) -> anyhow::Result<Vec<String>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    sqlx::query_scalar(
        "SELECT aggregate_id FROM events WHERE aggregate_type = 'job' AND aggregate_id = ANY($1) AND sequence = 1",
    )
    .bind(ids)
    .fetch_all(pool)
    .await
    .context("looking up callback jobs")
}
