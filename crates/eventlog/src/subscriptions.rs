//! Checkpoints of single-active readers that keep theirs in Postgres (the relay, the dependency
//! follower): one row per reader in `subscriptions`, moved only by the reader holding the newest
//! fencing token of its name.

use sqlx::{PgConnection, PgPool, Row};

use crate::Checkpoint;

/// One reader's checkpoint in the `subscriptions` table.
#[derive(Debug, Clone)]
pub struct Subscription {
    pool: PgPool,
    name: &'static str,
}

impl Subscription {
    /// The checkpoint of the reader named `name` (also the name of its advisory lock and fencing
    /// token).
    pub fn new(pool: PgPool, name: &'static str) -> Self {
        Self { pool, name }
    }

    /// Where the reader stands; the start of the log when it has handled nothing yet.
    pub async fn load(&self) -> Result<Checkpoint, sqlx::Error> {
        let row = sqlx::query(
            "SELECT transaction_id::text::bigint AS tx, position FROM subscriptions WHERE name = $1",
        )
        .bind(self.name)
        .fetch_optional(&self.pool)
        .await?;
        Ok(match row {
            Some(row) => {
                Checkpoint { transaction_id: row.try_get("tx")?, position: row.try_get("position")? }
            }
            None => Checkpoint::START,
        })
    }

    /// Moves the checkpoint to `to` if `fence` is still the newest fencing token; `false` when a newer
    /// leader has taken over.
    pub async fn advance(&self, fence: i64, to: Checkpoint) -> Result<bool, sqlx::Error> {
        let mut connection = self.pool.acquire().await?;
        self.advance_in(&mut connection, fence, to).await
    }

    /// [`advance`](Self::advance) inside the caller's transaction, so the checkpoint moves together
    /// with what the reader wrote for the events it passes, or neither does. The token's row is locked
    /// while checking, so a takeover committing at the same moment is seen rather than raced.
    pub async fn advance_in(
        &self,
        connection: &mut PgConnection,
        fence: i64,
        to: Checkpoint,
    ) -> Result<bool, sqlx::Error> {
        let written = sqlx::query(
            "INSERT INTO subscriptions (name, transaction_id, position)
             SELECT $1, $2::text::xid8, $3
             WHERE EXISTS (SELECT 1 FROM fencing_tokens WHERE name = $1 AND token = $4 FOR SHARE)
             ON CONFLICT (name) DO UPDATE
               SET transaction_id = EXCLUDED.transaction_id, position = EXCLUDED.position",
        )
        .bind(self.name)
        .bind(to.transaction_id.to_string())
        .bind(to.position)
        .bind(fence)
        .execute(connection)
        .await?;
        Ok(written.rows_affected() == 1)
    }
}
