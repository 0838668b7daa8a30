//! Reading the log in commit order without skipping.
//!
//! Identity values are handed out before commit, so `position > last` would skip a row whose transaction
//! commits after a later one. Instead the reader orders by `(transaction_id, position)` and reads only rows
//! of transactions below the snapshot's xmin: all of those have finished, so nothing can later appear
//! behind the checkpoint.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::postgres::PgListener;
use sqlx::{PgPool, Row};

/// Where a reader stands in the log: the last `(transaction_id, position)` it has handled.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The transaction id (`xid8`) of the last event read.
    pub transaction_id: i64,
    /// The position of the last event read.
    pub position: i64,
}

impl Checkpoint {
    /// Before the first event.
    pub const START: Checkpoint = Checkpoint { transaction_id: 0, position: 0 };
}

impl fmt::Display for Checkpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.transaction_id, self.position)
    }
}

impl FromStr for Checkpoint {
    type Err = String;
    fn from_str(raw: &str) -> Result<Self, String> {
        let (tx, pos) = raw.split_once(':').ok_or_else(|| format!("not a checkpoint: {raw:?}"))?;
        Ok(Checkpoint {
            transaction_id: tx.parse().map_err(|_| format!("not a checkpoint: {raw:?}"))?,
            position: pos.parse().map_err(|_| format!("not a checkpoint: {raw:?}"))?,
        })
    }
}

/// One event as stored, for readers that handle every aggregate type.
#[derive(Debug, Clone, PartialEq)]
pub struct LoggedEvent {
    /// Where the event stands in the log.
    pub checkpoint: Checkpoint,
    /// The aggregate type (`Aggregate::TYPE`).
    pub aggregate_type: String,
    /// The aggregate's id.
    pub aggregate_id: String,
    /// The event's sequence number within its aggregate, from 1.
    pub sequence: i64,
    /// The event's type (`DomainEvent::event_type`).
    pub event_type: String,
    /// The version of the payload's shape.
    pub event_version: String,
    /// The event as serialized by cqrs-es: `{ "VariantName": { ... } }` (JSON `null` from a reader
    /// told to read only other events whole: [`EventLogReader::reading_whole`]).
    pub payload: serde_json::Value,
    /// The command's metadata: `job_id`, `request_id`, `user_id`, `idempotency_key` (JSON `null` as
    /// the payload is).
    pub metadata: serde_json::Value,
    /// When the event was committed.
    pub recorded_at: DateTime<Utc>,
}

impl LoggedEvent {
    /// The event's stable id, which messages carry so consumers can drop duplicates.
    pub fn id(&self) -> String {
        format!("{}:{}:{}", self.aggregate_type, self.aggregate_id, self.sequence)
    }

    /// A metadata entry, if the command set it.
    pub fn metadata_value(&self, key: &str) -> Option<&str> {
        self.metadata.get(key).and_then(serde_json::Value::as_str)
    }
}

/// How far a reader is behind the log.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Lag {
    /// About how many events follow the reader's checkpoint (see [`EventLogReader::estimated_lag`]);
    /// zero exactly when none does.
    pub events: i64,
    /// How long ago the first event after the checkpoint was recorded, in seconds: the age of the
    /// oldest event not yet handled. Zero when none follows.
    pub seconds: f64,
}

impl Lag {
    /// Caught up: nothing follows the checkpoint.
    pub const NONE: Lag = Lag { events: 0, seconds: 0.0 };
}

/// Which events a reader reads whole, payload and metadata; the others arrive with JSON `null` in both,
/// costing neither Postgres nor the reader their text. For a follower that passes most events by (the
/// relay, the dependency follower), in order and checkpointed all the same.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Whole {
    /// Only events on these aggregate types; none: on any.
    pub aggregate_types: Option<Vec<String>>,
    /// Only events of these types; none: of any.
    pub event_types: Option<Vec<String>>,
}

/// Reads batches of finished transactions' events in commit order.
#[derive(Debug, Clone)]
pub struct EventLogReader {
    pool: PgPool,
    whole: Whole,
}

impl EventLogReader {
    /// A reader over the pool's `events` table, reading every event whole.
    pub fn new(pool: PgPool) -> Self {
        Self { pool, whole: Whole::default() }
    }

    /// Reads only the events `whole` names whole.
    pub fn reading_whole(mut self, whole: Whole) -> Self {
        self.whole = whole;
        self
    }

    /// Up to `limit` events after `after`, all from transactions that have certainly finished.
    pub async fn next_batch(&self, after: Checkpoint, limit: i64) -> Result<Vec<LoggedEvent>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT transaction_id::text::bigint AS tx, position, aggregate_type, aggregate_id, sequence,
                    event_type, event_version, recorded_at,
                    CASE WHEN ($4::text[] IS NULL OR aggregate_type = ANY($4))
                          AND ($5::text[] IS NULL OR event_type = ANY($5)) THEN payload END AS payload,
                    CASE WHEN ($4::text[] IS NULL OR aggregate_type = ANY($4))
                          AND ($5::text[] IS NULL OR event_type = ANY($5)) THEN metadata END AS metadata
             FROM events
             WHERE (transaction_id, position) > ($1::text::xid8, $2)
               AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
             ORDER BY transaction_id, position
             LIMIT $3",
        )
        .bind(after.transaction_id.to_string())
        .bind(after.position)
        .bind(limit)
        .bind(self.whole.aggregate_types.as_deref())
        .bind(self.whole.event_types.as_deref())
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(|row| to_logged_event(&row)).collect()
    }

    /// How many events were committed after `after` (finished or not): the reader's lag.
    pub async fn lag(&self, after: Checkpoint) -> Result<i64, sqlx::Error> {
        sqlx::query_scalar(
            "SELECT count(*) FROM events WHERE (transaction_id, position) > ($1::text::xid8, $2)",
        )
        .bind(after.transaction_id.to_string())
        .bind(after.position)
        .fetch_one(&self.pool)
        .await
    }

    /// About how many events were committed after `after`, from one index lookup rather than a count:
    /// the distance in positions to the last event. Zero exactly when `after` is the last event; at
    /// least one whenever anything follows it, even an event whose position is lower.
    pub async fn estimated_lag(&self, after: Checkpoint) -> Result<i64, sqlx::Error> {
        Ok(self.measure_lag(after).await?.events)
    }

    /// How far a reader that has handled the log up to `after` is behind it, in events (as
    /// [`estimated_lag`](Self::estimated_lag) counts them) and in time (the age of the first event
    /// after `after`), from two index lookups in one round trip.
    pub async fn measure_lag(&self, after: Checkpoint) -> Result<Lag, sqlx::Error> {
        // The age is taken by the database's clock, the one that stamped `recorded_at`, so the
        // process's clock cannot skew it. Both lookups run on the same snapshot, so they agree on
        // whether anything follows `after`.
        let row = sqlx::query(
            "SELECT head.tx, head.position,
                    coalesce(extract(epoch FROM clock_timestamp() - oldest.recorded_at)::float8, 0) AS age
             FROM (SELECT 1) AS one
             LEFT JOIN LATERAL (
               SELECT transaction_id::text::bigint AS tx, position FROM events
               ORDER BY transaction_id DESC, position DESC LIMIT 1
             ) AS head ON true
             LEFT JOIN LATERAL (
               SELECT recorded_at FROM events
               WHERE (transaction_id, position) > ($1::text::xid8, $2)
               ORDER BY transaction_id, position LIMIT 1
             ) AS oldest ON true",
        )
        .bind(after.transaction_id.to_string())
        .bind(after.position)
        .fetch_one(&self.pool)
        .await?;
        let head = match (row.try_get::<Option<i64>, _>("tx")?, row.try_get::<Option<i64>, _>("position")?) {
            (Some(transaction_id), Some(position)) => Checkpoint { transaction_id, position },
            _ => Checkpoint::START,
        };
        let events = if head <= after { 0 } else { (head.position - after.position).max(1) };
        let age: f64 = row.try_get("age")?;
        Ok(Lag { events, seconds: if events == 0 { 0.0 } else { age.max(0.0) } })
    }

    /// The checkpoint of the last event committed so far, whether or not it is readable yet.
    pub async fn head(&self) -> Result<Checkpoint, sqlx::Error> {
        let row = sqlx::query(
            "SELECT transaction_id::text::bigint AS tx, position FROM events
             ORDER BY transaction_id DESC, position DESC LIMIT 1",
        )
        .fetch_optional(&self.pool)
        .await?;
        Ok(match row {
            Some(row) => {
                Checkpoint { transaction_id: row.try_get("tx")?, position: row.try_get("position")? }
            }
            None => Checkpoint::START,
        })
    }
}

fn to_logged_event(row: &sqlx::postgres::PgRow) -> Result<LoggedEvent, sqlx::Error> {
    Ok(LoggedEvent {
        checkpoint: Checkpoint { transaction_id: row.try_get("tx")?, position: row.try_get("position")? },
        aggregate_type: row.try_get("aggregate_type")?,
        aggregate_id: row.try_get("aggregate_id")?,
        sequence: row.try_get("sequence")?,
        event_type: row.try_get("event_type")?,
        event_version: row.try_get("event_version")?,
        payload: row.try_get::<Option<serde_json::Value>, _>("payload")?.unwrap_or_default(),
        metadata: row.try_get::<Option<serde_json::Value>, _>("metadata")?.unwrap_or_default(),
        recorded_at: row.try_get("recorded_at")?,
    })
}

/// Wakes a reader when events are appended, or after `poll` at the latest.
pub struct Wakeups {
    pool: PgPool,
    listener: Option<PgListener>,
    poll: Duration,
}

impl Wakeups {
    /// Wake-ups for the pool's log; the listener connects on first use.
    pub fn new(pool: PgPool, poll: Duration) -> Self {
        Self { pool, listener: None, poll }
    }

    /// Waits for a notification or for the poll interval, whichever comes first. Returns whether a
    /// notification arrived; errors only drop the listener, to be reconnected on the next call.
    pub async fn wait(&mut self) -> bool {
        if self.listener.is_none() {
            self.listener = self.listen().await;
        }
        let Some(listener) = self.listener.as_mut() else {
            tokio::time::sleep(self.poll).await;
            return false;
        };
        match tokio::time::timeout(self.poll, listener.try_recv()).await {
            Ok(Ok(Some(_))) => true,
            Ok(Ok(None)) | Ok(Err(_)) => {
                self.listener = None;
                false
            }
            Err(_elapsed) => false,
        }
    }

    async fn listen(&self) -> Option<PgListener> {
        let mut listener = PgListener::connect_with(&self.pool).await.ok()?;
        listener.listen("events").await.ok()?;
        Some(listener)
    }
}
