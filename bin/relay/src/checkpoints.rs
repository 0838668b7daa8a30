//! The relay's checkpoint in the `subscriptions` table, moved only by the current leader.

use eventlog::Checkpoint;
use sqlx::{PgPool, Row};

/// The relay's name: its row in `subscriptions`, its advisory lock and its fencing token.
pub const SUBSCRIPTION: &str = "relay";

/// Reads and advances the relay's checkpoint.
pub(crate) struct Checkpoints {
    pool: PgPool,
}

impl Checkpoints {
    pub(crate) fn new(pool: PgPool) -> Self {
        Self { pool }
    }

    /// The last event the broker confirmed; the start of the log when nothing was published yet.
    pub(crate) async fn load(&self) -> Result<Checkpoint, sqlx::Error> {
        let row = sqlx::query(
            "SELECT transaction_id::text::bigint AS tx, position FROM subscriptions WHERE name = $1",
        )
        .bind(SUBSCRIPTION)
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
    /// leader has taken over. The token's row is locked while checking, so a takeover committing at
    /// the same moment is seen rather than raced.
    pub(crate) async fn advance(&self, fence: i64, to: Checkpoint) -> Result<bool, sqlx::Error> {
        let written = sqlx::query(
            "INSERT INTO subscriptions (name, transaction_id, position)
             SELECT $1, $2::text::xid8, $3
             WHERE EXISTS (SELECT 1 FROM fencing_tokens WHERE name = $1 AND token = $4 FOR SHARE)
             ON CONFLICT (name) DO UPDATE
               SET transaction_id = EXCLUDED.transaction_id, position = EXCLUDED.position",
        )
        .bind(SUBSCRIPTION)
        .bind(to.transaction_id.to_string())
        .bind(to.position)
        .bind(fence)
        .execute(&self.pool)
        .await?;
        Ok(written.rows_affected() == 1)
    }
}
