//! The identity context: users, their sessions and the tokens that carry them.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use domain::identity::{Email, Session, User};
use eventlog::EventStore;
use http_kit::ApiError;
use http_kit::auth::{SessionStatus, Tokens};

use super::Shared;
use crate::failure::Failure;

/// What sign-up, sign-in, sign-out and profile changes use.
#[derive(Clone)]
pub struct IdentityState {
    /// Users, with their sessions.
    pub users: EventStore<User>,
    /// Signs session tokens.
    pub tokens: Tokens,
    /// E-mails whose sessions get the `admin` scope.
    pub admins: Arc<Vec<String>>,
    /// Failed sign-ins allowed per e-mail and per address per minute.
    pub sign_in_failures_per_minute: u32,
    /// What every context uses.
    pub shared: Shared,
}

impl IdentityState {
    /// A new session for the user with `email`, expiring after the token lifetime.
    pub fn new_session(&self, email: &Email, now: DateTime<Utc>) -> Session {
        let scopes = if self.admins.iter().any(|admin| admin == email.as_str()) {
            vec![http_kit::auth::ADMIN.to_owned()]
        } else {
            vec![]
        };
        Session { id: uuid::Uuid::now_v7().to_string(), expires_at: now + self.tokens.ttl(), scopes }
    }

    /// Open or closed as the projected session records say; while they are rebuilt, as the user's
    /// aggregate in the event log says, so writes go on during a rebuild and a revocation still holds.
    pub async fn session_status(&self, user_id: &str, session_id: &str) -> Result<SessionStatus, Failure> {
        use redis_store::sessions::{SessionLookup, look_up_session};
        match look_up_session(&self.shared.redis, &self.shared.generation, session_id).await {
            Ok(SessionLookup::Open) => Ok(SessionStatus::Open),
            Ok(SessionLookup::Closed) => Ok(SessionStatus::Closed),
            Ok(SessionLookup::Rebuilding) => {
                let user = self.users.load(user_id).await?;
                Ok(if user.has_session(session_id) { SessionStatus::Open } else { SessionStatus::Closed })
            }
            Err(error) => {
                tracing::warn!(%error, "session store unavailable");
                Err(ApiError::unavailable("the session store").into())
            }
        }
    }
}
