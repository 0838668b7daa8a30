//! Unique claims: an e-mail or user name belongs to one user, a channel name to one channel and a
//! unique job's key to one job at a time, even when creations race.

use chrono::{DateTime, Utc};
use domain::jobs::JobEvent;
use domain::meetups::ChannelEvent;
use http_kit::ApiError;
use sqlx::{PgConnection, PgPool};

use crate::failure::Failure;

/// What can be claimed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// A normalized e-mail address.
    Email,
    /// A user name.
    UserName,
    /// A channel's name, in lower case.
    ChannelName,
    /// A unique job's key, as `{user id}\n{uniqueKey}`.
    UniqueJob,
}

impl Claim {
    fn kind(self) -> &'static str {
        match self {
            Claim::Email => "email",
            Claim::UserName => "user_name",
            Claim::ChannelName => "channel_name",
            Claim::UniqueJob => "job_unique_key",
        }
    }

    /// The type of the aggregate that holds the claim.
    fn holder_type(self) -> &'static str {
        match self {
            Claim::Email | Claim::UserName => "user",
            Claim::ChannelName => "channel",
            Claim::UniqueJob => "job",
        }
    }

    /// The types of the events after which a holder never holds the claim again, for holders that can
    /// end (a deleted channel, a final job); users never end.
    fn holder_endings(self) -> &'static [&'static str] {
        match self {
            Claim::Email | Claim::UserName => &[],
            Claim::ChannelName => &[ChannelEvent::DELETED],
            Claim::UniqueJob => &JobEvent::ENDINGS,
        }
    }

    /// The request field the claim comes from.
    pub fn field(self) -> &'static str {
        match self {
            Claim::Email => "email",
            Claim::UserName => "userName",
            Claim::ChannelName => "name",
            Claim::UniqueJob => "uniqueKey",
        }
    }
}

/// Why claims were not taken.
#[derive(Debug, thiserror::Error)]
pub enum ClaimError {
    /// Someone else holds it.
    #[error("{} is taken", .0.field())]
    Taken(Claim),
    /// Postgres failed.
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

impl From<ClaimError> for Failure {
    /// 409 naming the field whose value is taken; a database failure as any other.
    fn from(error: ClaimError) -> Self {
        match error {
            ClaimError::Taken(claim) => {
                ApiError::Conflict(format!("that {} is already taken", claim.field())).into()
            }
            ClaimError::Database(error) => error.into(),
        }
    }
}

/// Claims every `(claim, value)` for `holder` (a user or channel id), all or none, in one transaction.
/// A claim the holder already has is kept (an idempotent replay); a claim held by an aggregate that
/// never came into being for over a minute is taken over.
pub async fn claim_all(pool: &PgPool, holder: &str, claims: &[(Claim, &str)]) -> Result<(), ClaimError> {
    let mut transaction = pool.begin().await?;
    for &(claim, value) in claims {
        let taken: Option<String> = sqlx::query_scalar(
            "INSERT INTO unique_claims (kind, value, user_id) VALUES ($1, $2, $3)
             ON CONFLICT (kind, value) DO UPDATE SET user_id = EXCLUDED.user_id, claimed_at = now()
               WHERE unique_claims.user_id = EXCLUDED.user_id
                  OR (unique_claims.claimed_at < now() - interval '1 minute'
                      AND NOT EXISTS (SELECT 1 FROM events e
                                      WHERE e.aggregate_type = $4 AND e.aggregate_id = unique_claims.user_id))
             RETURNING user_id",
        )
        .bind(claim.kind())
        .bind(value)
        .bind(holder)
        .bind(claim.holder_type())
        .fetch_optional(&mut *transaction)
        .await?;
        if taken.is_none() {
            return Err(ClaimError::Taken(claim));
        }
    }
    transaction.commit().await?;
    Ok(())
}

/// Takes the claim on `value` over for `to` when its holder has ended (a deleted channel), decided in
/// one statement from what the log holds. An ending is final, so once it is committed no commit of the
/// holder can need the claim again; a holder with no ending, or none yet, keeps it, whatever else its
/// events say or do not say yet.
pub async fn take_over_from_ended(
    pool: &PgPool,
    claim: Claim,
    value: &str,
    to: &str,
) -> Result<bool, sqlx::Error> {
    let endings = claim.holder_endings();
    if endings.is_empty() {
        return Ok(false);
    }
    let moved = sqlx::query(
        "UPDATE unique_claims c SET user_id = $3, claimed_at = now()
         WHERE c.kind = $1 AND c.value = $2
           AND EXISTS (SELECT 1 FROM events e
                       WHERE e.aggregate_type = $4 AND e.aggregate_id = c.user_id AND e.event_type = ANY($5))",
    )
    .bind(claim.kind())
    .bind(value)
    .bind(to)
    .bind(claim.holder_type())
    .bind(endings)
    .execute(pool)
    .await?;
    Ok(moved.rows_affected() == 1)
}

/// Claims `value` for `holder` inside the caller's transaction, to commit with `holder`'s first events,
/// and answers who holds it then: `holder` when the claim was free, `holder`'s already, lapsed
/// (`expires_at` passed by `now`) or held, without an expiry, by an aggregate the log shows ended (a
/// final job); its holder otherwise. Decided in one statement from what the log holds, so no release
/// needs to run when a holder ends, and no crash can keep a claim past its holder's end. The claim's
/// row stays locked until the transaction ends: a racing claimant waits, then sees the outcome.
/// Claim and events commit together, so no claim outlives a holder that never came into being.
pub async fn claim_or_find_holder(
    connection: &mut PgConnection,
    claim: Claim,
    value: &str,
    holder: &str,
    expires_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<String, sqlx::Error> {
    let claimed: Option<String> = sqlx::query_scalar(
        "INSERT INTO unique_claims (kind, value, user_id, expires_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (kind, value) DO UPDATE
           SET user_id = EXCLUDED.user_id, claimed_at = now(), expires_at = EXCLUDED.expires_at
           WHERE unique_claims.user_id = EXCLUDED.user_id
              OR unique_claims.expires_at <= $5
              OR (unique_claims.expires_at IS NULL
                  AND EXISTS (SELECT 1 FROM events e
                              WHERE e.aggregate_type = $6 AND e.aggregate_id = unique_claims.user_id
                                AND e.event_type = ANY($7)))
         RETURNING user_id",
    )
    .bind(claim.kind())
    .bind(value)
    .bind(holder)
    .bind(expires_at)
    .bind(now)
    .bind(claim.holder_type())
    .bind(claim.holder_endings())
    .fetch_optional(&mut *connection)
    .await?;
    if let Some(claimed) = claimed {
        return Ok(claimed);
    }
    sqlx::query_scalar("SELECT user_id FROM unique_claims WHERE kind = $1 AND value = $2")
        .bind(claim.kind())
        .bind(value)
        .fetch_one(connection)
        .await
}

/// Moves the claim on `value` from `from` to `to` when `from` still holds it and claimed it over a
/// minute ago, long enough for `from`'s own command to have committed: for a holder the caller saw
/// under another name (a release that never happened). `false` otherwise.
pub async fn take_over(
    pool: &PgPool,
    claim: Claim,
    value: &str,
    from: &str,
    to: &str,
) -> Result<bool, sqlx::Error> {
    let moved = sqlx::query(
        "UPDATE unique_claims SET user_id = $4, claimed_at = now()
         WHERE kind = $1 AND value = $2 AND user_id = $3 AND claimed_at < now() - interval '1 minute'",
    )
    .bind(claim.kind())
    .bind(value)
    .bind(from)
    .bind(to)
    .execute(pool)
    .await?;
    Ok(moved.rows_affected() == 1)
}

/// Gives up `holder`'s claim on `value` (a renamed or deleted channel's old name).
pub async fn release(pool: &PgPool, claim: Claim, value: &str, holder: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM unique_claims WHERE kind = $1 AND value = $2 AND user_id = $3")
        .bind(claim.kind())
        .bind(value)
        .bind(holder)
        .execute(pool)
        .await?;
    Ok(())
}

/// The user who holds `value`, if anyone does.
pub async fn holder(pool: &PgPool, claim: Claim, value: &str) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT user_id FROM unique_claims WHERE kind = $1 AND value = $2")
        .bind(claim.kind())
        .bind(value)
        .fetch_optional(pool)
        .await
}
