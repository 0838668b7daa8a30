//! Who opens a socket: a token from `Authorization: Bearer` or `?auth=`, signed by us, of a session the
//! shared session store says is open. Checked before the upgrade, so a refusal is a plain 401.

use axum::http::HeaderMap;
use chrono::{DateTime, Utc};
use fred::prelude::Client;
use http_kit::ApiError;
use http_kit::auth::{Tokens, bearer_token};
use redis_store::CurrentGeneration;
use redis_store::sessions::{SessionLookup, look_up_session};

/// The user behind a socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The user's id.
    pub user_id: String,
    /// The session's id (the token's `sid`): revoking it closes the socket.
    pub session_id: String,
    /// When the token stops being accepted: the socket closes then.
    pub expires_at: DateTime<Utc>,
}

/// Checks tokens and sessions.
#[derive(Clone)]
pub struct Gate {
    tokens: Tokens,
    redis: Client,
    generation: CurrentGeneration,
}

impl Gate {
    /// Verifies tokens with `tokens` and looks sessions up in `redis`, in the current `generation`.
    pub fn new(tokens: Tokens, redis: Client, generation: CurrentGeneration) -> Self {
        Self { tokens, redis, generation }
    }

    /// The caller of a request with `headers` and the `auth` query parameter `query_token`.
    pub async fn admit(&self, headers: &HeaderMap, query_token: Option<&str>) -> Result<Caller, ApiError> {
        let token = bearer_token(headers)
            .or(query_token.filter(|token| !token.is_empty()))
            .ok_or_else(|| unauthorized("a token is required (Authorization: Bearer or ?auth=)"))?;
        let claims =
            self.tokens.verify(token).ok_or_else(|| unauthorized("the token is invalid or expired"))?;
        let expires_at = DateTime::from_timestamp(claims.exp, 0).unwrap_or(DateTime::<Utc>::MIN_UTC);
        match look_up_session(&self.redis, &self.generation, &claims.sid).await {
            Ok(SessionLookup::Open) => Ok(Caller { user_id: claims.sub, session_id: claims.sid, expires_at }),
            Ok(SessionLookup::Closed) => Err(unauthorized("the session has ended; sign in again")),
            Ok(SessionLookup::Rebuilding) => Err(ApiError::Unavailable {
                what: "the session store, being rebuilt from the event log,",
                retry_after: std::time::Duration::from_secs(2),
            }),
            Err(error) => {
                tracing::warn!(%error, "redis unavailable for a session check");
                Err(ApiError::unavailable("the session store"))
            }
        }
    }

    /// Whether session `id` is closed (revoked or expired): `false` while it is open, and also while
    /// the session store cannot tell (being rebuilt, or away).
    pub async fn is_closed(&self, session_id: &str) -> bool {
        matches!(look_up_session(&self.redis, &self.generation, session_id).await, Ok(SessionLookup::Closed))
    }

    /// Redis, for readiness.
    pub fn redis(&self) -> &Client {
        &self.redis
    }
}

fn unauthorized(detail: &str) -> ApiError {
    ApiError::Unauthorized(detail.to_owned())
}
