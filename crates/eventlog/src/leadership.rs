//! Single-active readers: a Postgres advisory lock elects one, and a fencing token lets whatever it
//! writes to refuse a deposed leader.

use std::time::Duration;

use sqlx::{PgConnection, PgPool};

/// Elects one active reader per name and log.
#[derive(Debug, Clone)]
pub struct Leadership {
    pool: PgPool,
    name: String,
}

/// The elected reader: holds the lock's connection for as long as it lives. The connection is
/// detached from the pool, so dropping the leader closes it and releases the lock; returned to the
/// pool, it would keep holding the lock for whichever caller got it next.
pub struct Leader {
    connection: PgConnection,
    /// Larger than every token handed to an earlier leader of the same name.
    pub fencing_token: i64,
}

impl Leadership {
    /// The election for readers named `name` (`projector`, `relay`).
    pub fn new(pool: PgPool, name: &str) -> Self {
        Self { pool, name: name.to_owned() }
    }

    /// Tries once to become the leader; `None` while another process holds the lock.
    pub async fn try_acquire(&self) -> Result<Option<Leader>, sqlx::Error> {
        let mut connection = self.pool.acquire().await?.detach();
        let locked: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock(hashtextextended($1, 0))")
            .bind(&self.name)
            .fetch_one(&mut connection)
            .await?;
        if !locked {
            return Ok(None);
        }
        let fencing_token: i64 = sqlx::query_scalar(
            "INSERT INTO fencing_tokens (name, token) VALUES ($1, 1)
             ON CONFLICT (name) DO UPDATE SET token = fencing_tokens.token + 1
             RETURNING token",
        )
        .bind(&self.name)
        .fetch_one(&mut connection)
        .await?;
        Ok(Some(Leader { connection, fencing_token }))
    }

    /// Waits until this process is the leader, trying again every `retry`.
    pub async fn acquire(&self, retry: Duration) -> Leader {
        loop {
            match self.try_acquire().await {
                Ok(Some(leader)) => return leader,
                Ok(None) => tracing::debug!(name = %self.name, "another process leads; waiting"),
                Err(error) => tracing::warn!(name = %self.name, %error, "cannot reach Postgres to lead"),
            }
            tokio::time::sleep(retry).await;
        }
    }
}

impl Leader {
    /// Whether the lock's connection still answers: when it does not, the lock is gone with it.
    pub async fn still_leads(&mut self) -> bool {
        sqlx::query("SELECT 1").execute(&mut self.connection).await.is_ok()
    }
}
