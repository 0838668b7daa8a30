//! The follower's Postgres side: how jobs ended (from the log), which jobs wait for which (its own
//! `job_dependents` table), and its checkpoint, moved together with that table.

use std::collections::{HashMap, HashSet};

use domain::jobs::{DependencyOutcome, Job, JobEvent};
use eventlog::{Checkpoint, Subscription};
use sqlx::PgPool;

use super::plan::Handling;

/// The follower's name: its row in `subscriptions`, its advisory lock and its fencing token.
pub const FOLLOWER: &str = "dependencies";

/// The tables the follower reads and writes.
#[derive(Clone)]
pub(crate) struct Dependents {
    pool: PgPool,
    subscription: Subscription,
}

/// What became of a batch's record.
pub(crate) enum Recorded {
    /// The record and the checkpoint moved together.
    Moved,
    /// A newer follower holds the lead: nothing was written.
    Deposed,
}

impl Dependents {
    pub(crate) fn new(pool: PgPool) -> Self {
        Self { subscription: Subscription::new(pool.clone(), FOLLOWER), pool }
    }

    /// Where the follower stands in the log.
    pub(crate) async fn checkpoint(&self) -> Result<Checkpoint, sqlx::Error> {
        self.subscription.load().await
    }

    /// How those of `ids` that ended did, from their final events.
    pub(crate) async fn endings(
        &self,
        ids: &[String],
    ) -> Result<HashMap<String, DependencyOutcome>, sqlx::Error> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT aggregate_id, event_type FROM events
             WHERE aggregate_type = $1 AND aggregate_id = ANY($2) AND event_type = ANY($3)",
        )
        .bind(<Job as cqrs_es::Aggregate>::TYPE)
        .bind(ids)
        .bind(&JobEvent::ENDINGS[..])
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(id, event_type)| Some((id, DependencyOutcome::of_event_type(&event_type)?)))
            .collect())
    }

    /// Every dependency that remembered jobs wait for.
    pub(crate) async fn awaited(&self) -> Result<HashSet<String>, sqlx::Error> {
        let rows: Vec<String> = sqlx::query_scalar("SELECT DISTINCT dependency FROM job_dependents")
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().collect())
    }

    /// The remembered `(dependency, dependent)` pairs of the dependencies in `ids`.
    pub(crate) async fn waiting_for(&self, ids: &[String]) -> Result<Vec<(String, String)>, sqlx::Error> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        sqlx::query_as("SELECT dependency, dependent FROM job_dependents WHERE dependency = ANY($1)")
            .bind(ids)
            .fetch_all(&self.pool)
            .await
    }

    /// Remembers and forgets what `handling` says and moves the checkpoint to `to`, in one
    /// transaction, as long as `fence` is the newest fencing token.
    pub(crate) async fn record(
        &self,
        handling: &Handling,
        fence: i64,
        to: Checkpoint,
    ) -> Result<Recorded, sqlx::Error> {
        let mut transaction = self.pool.begin().await?;
        if !self.subscription.advance_in(&mut transaction, fence, to).await? {
            transaction.rollback().await?;
            return Ok(Recorded::Deposed);
        }
        if !handling.remember.is_empty() {
            let (dependencies, dependents): (Vec<&str>, Vec<&str>) =
                handling.remember.iter().map(|(a, b)| (a.as_str(), b.as_str())).unzip();
            sqlx::query(
                "INSERT INTO job_dependents (dependency, dependent)
                 SELECT * FROM UNNEST($1::text[], $2::text[]) ON CONFLICT DO NOTHING",
            )
            .bind(&dependencies)
            .bind(&dependents)
            .execute(&mut *transaction)
            .await?;
        }
        if !handling.forget.is_empty() {
            sqlx::query("DELETE FROM job_dependents WHERE dependency = ANY($1)")
                .bind(&handling.forget)
                .execute(&mut *transaction)
                .await?;
        }
        transaction.commit().await?;
        Ok(Recorded::Moved)
    }
}
