//! The `notifications` table: which outcomes have been e-mailed, so a message delivered again (by
//! RabbitMQ, or published twice by the relay) sends nothing twice.
//!
//! A row is claimed (`sending`) before the e-mail goes out and settled (`sent` or `failed`) after,
//! each in its own short statement: no transaction stays open across the SMTP exchange, since an
//! open transaction would hold back every event-log reader of the cluster. While `sending`, the row's
//! `updated_at` is a lease, renewed before every attempt: a copy of the message that finds a live
//! lease waits for the holder to settle, and one that finds an expired lease (its holder crashed)
//! takes the claim over and sends.
//!
//! That leaves one window, chosen on purpose: a crash after the server took the e-mail and before the
//! row says `sent` makes the next copy send it again. The resend carries the same `Message-ID`, by
//! which mail systems drop the duplicate. The alternative, marking `sent` before sending, would lose
//! the e-mail for good on such a crash.

use std::time::Duration;

use sqlx::PgPool;

/// How long a `sending` claim holds without renewal: longer than the longest pause between two
/// attempts plus one attempt, so only a holder that died loses it.
pub const LEASE: Duration = Duration::from_secs(180);

/// Where an outcome's e-mail stands, as a claim finds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// Nobody had tried to send it: this attempt holds the claim.
    First,
    /// An earlier attempt claimed it and stopped without settling (a crash, a shutdown): this
    /// attempt holds the claim now, and sends again.
    TakenOver,
    /// Another attempt holds a live claim: wait for it to settle.
    Busy,
    /// It was sent: nothing to do.
    Sent,
    /// It failed for good: nothing to do.
    Failed,
}

/// How an outcome's e-mail ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settled {
    /// The server took it.
    Sent,
    /// The server refused it for good, or it could not be written.
    Failed,
}

impl Settled {
    fn state(self) -> &'static str {
        match self {
            Settled::Sent => "sent",
            Settled::Failed => "failed",
        }
    }
}

/// The `notifications` table.
#[derive(Debug, Clone)]
pub struct Ledger {
    pool: PgPool,
}

impl Ledger {
    /// The table in `pool`'s database (created by the migrations).
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }

    /// Claims the e-mail for `message_id`, unless it was settled or another attempt holds it.
    pub async fn claim(&self, message_id: &str) -> Result<Claim, sqlx::Error> {
        let inserted = sqlx::query(
            "INSERT INTO notifications (message_id, state) VALUES ($1, 'sending') \
             ON CONFLICT (message_id) DO NOTHING",
        )
        .bind(message_id)
        .execute(&self.pool)
        .await?;
        if inserted.rows_affected() == 1 {
            return Ok(Claim::First);
        }
        let taken_over = sqlx::query(
            "UPDATE notifications SET updated_at = now() \
             WHERE message_id = $1 AND state = 'sending' AND updated_at < now() - make_interval(secs => $2)",
        )
        .bind(message_id)
        .bind(LEASE.as_secs_f64())
        .execute(&self.pool)
        .await?;
        if taken_over.rows_affected() == 1 {
            return Ok(Claim::TakenOver);
        }
        let state: String = sqlx::query_scalar("SELECT state FROM notifications WHERE message_id = $1")
            .bind(message_id)
            .fetch_one(&self.pool)
            .await?;
        Ok(match state.as_str() {
            "sent" => Claim::Sent,
            "failed" => Claim::Failed,
            _ => Claim::Busy,
        })
    }

    /// Renews this attempt's claim on `message_id` before another try.
    pub async fn renew(&self, message_id: &str) -> Result<(), sqlx::Error> {
        self.touch(
            "UPDATE notifications SET updated_at = now() WHERE message_id = $1 AND state = 'sending'",
            message_id,
        )
        .await
    }

    /// Gives up this attempt's claim, known not to have sent the e-mail, so the next copy of the
    /// message takes it over at once instead of waiting for the lease to run out.
    pub async fn release(&self, message_id: &str) -> Result<(), sqlx::Error> {
        self.touch(
            "UPDATE notifications SET updated_at = '-infinity' WHERE message_id = $1 AND state = 'sending'",
            message_id,
        )
        .await
    }

    async fn touch(&self, statement: &'static str, message_id: &str) -> Result<(), sqlx::Error> {
        sqlx::query(statement).bind(message_id).execute(&self.pool).await?;
        Ok(())
    }

    /// Records how the e-mail for `message_id` ended.
    pub async fn settle(&self, message_id: &str, settled: Settled) -> Result<(), sqlx::Error> {
        sqlx::query("UPDATE notifications SET state = $2, updated_at = now() WHERE message_id = $1")
            .bind(message_id)
            .bind(settled.state())
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
