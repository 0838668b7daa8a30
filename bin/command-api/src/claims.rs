//! Unique claims: an e-mail or user name belongs to one user, even when sign-ups race.

use sqlx::PgPool;

/// What can be claimed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// A normalized e-mail address.
    Email,
    /// A user name.
    UserName,
}

impl Claim {
    fn kind(self) -> &'static str {
        match self {
            Claim::Email => "email",
            Claim::UserName => "user_name",
        }
    }

    /// The request field the claim comes from.
    pub fn field(self) -> &'static str {
        match self {
            Claim::Email => "email",
            Claim::UserName => "userName",
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

/// Claims every `(claim, value)` for `user_id`, all or none, in one transaction. A claim held by a
/// user that never came into being for over a minute is taken over.
pub async fn claim_all(pool: &PgPool, user_id: &str, claims: &[(Claim, &str)]) -> Result<(), ClaimError> {
    let mut transaction = pool.begin().await?;
    for &(claim, value) in claims {
        let taken: Option<String> = sqlx::query_scalar(
            "INSERT INTO unique_claims (kind, value, user_id) VALUES ($1, $2, $3)
             ON CONFLICT (kind, value) DO UPDATE SET user_id = EXCLUDED.user_id, claimed_at = now()
               WHERE unique_claims.claimed_at < now() - interval '1 minute'
                 AND NOT EXISTS (SELECT 1 FROM events e
                                 WHERE e.aggregate_type = 'user' AND e.aggregate_id = unique_claims.user_id)
             RETURNING user_id",
        )
        .bind(claim.kind())
        .bind(value)
        .bind(user_id)
        .fetch_optional(&mut *transaction)
        .await?;
        if taken.is_none() {
            return Err(ClaimError::Taken(claim));
        }
    }
    transaction.commit().await?;
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
