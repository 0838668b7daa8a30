//! Rate limits, kept in Redis so they hold across every command-api, as counters of the current
//! minute.
//!
//! Sign-in: attempts per e-mail and per client address, counted before the password is checked and
//! taken back when it matched, so only failures use up the limit and a busy address whose users know
//! their passwords is not starved. Chat: messages posted per user.

use std::time::Duration;

use axum::http::HeaderMap;
use chrono::{DateTime, Utc};
use fred::prelude::*;
use http_kit::ApiError;

use crate::state::{IdentityState, MeetupsState, Shared};

/// The limits of one sign-in attempt.
pub struct SignInLimit<'a> {
    state: &'a IdentityState,
    keys: [String; 2],
    retry_after: Duration,
}

impl<'a> SignInLimit<'a> {
    /// The counters of this minute for `email` and `address`.
    pub fn new(state: &'a IdentityState, email: &str, address: &str, now: DateTime<Utc>) -> Self {
        let minute = now.timestamp() / 60;
        let email = email.trim().to_lowercase();
        let keys = [
            state.shared.generation.control().full(&format!("ratelimit:signin:email:{email}:{minute}")),
            state.shared.generation.control().full(&format!("ratelimit:signin:address:{address}:{minute}")),
        ];
        let retry_after = Duration::from_secs((60 - now.timestamp() % 60).max(1) as u64);
        Self { state, keys, retry_after }
    }

    /// Counts this attempt against the e-mail and the address before the password is checked, so
    /// parallel guesses cannot all slip under the limit; 429 when either counter is past it.
    pub async fn count_attempt(&self) -> Result<(), ApiError> {
        let mut over = false;
        for key in &self.keys {
            // Failing open keeps sign-in working while Redis is away; the hash still costs ~50 ms.
            let count = count_in_minute(&self.state.shared, key).await.unwrap_or(0);
            over |= count > self.state.sign_in_failures_per_minute;
        }
        if over { Err(ApiError::TooManyRequests(self.retry_after)) } else { Ok(()) }
    }

    /// Takes back the count of an attempt that succeeded: only failures use up the limit.
    pub async fn forgive(&self) {
        for key in &self.keys {
            let _: Result<i64, Error> = self.state.shared.redis.decr(key).await;
        }
    }
}

/// Counts a message `user` posts against their limit for this minute: 429 past it. While Redis is
/// away, messages are not limited.
pub async fn count_message(state: &MeetupsState, user: &str, now: DateTime<Utc>) -> Result<(), ApiError> {
    let minute = now.timestamp() / 60;
    let key = state.shared.generation.control().full(&format!("ratelimit:messages:{user}:{minute}"));
    match count_in_minute(&state.shared, &key).await {
        Some(count) if count > state.messages_per_minute => {
            Err(ApiError::TooManyRequests(Duration::from_secs((60 - now.timestamp() % 60).max(1) as u64)))
        }
        _ => Ok(()),
    }
}

/// Adds one to the counter `key` of the current minute (kept two minutes); `None` when Redis failed.
async fn count_in_minute(state: &Shared, key: &str) -> Option<u32> {
    let counted: Result<u32, Error> = state.redis.incr(key).await;
    match counted {
        Ok(count) => {
            let _: Result<bool, Error> = state.redis.expire(key, 120, None).await;
            Some(count)
        }
        Err(error) => {
            tracing::warn!(%error, "rate limits unavailable");
            None
        }
    }
}

/// The client's address as nginx saw it (the last `X-Forwarded-For` hop, which nginx appended).
pub fn client_address(headers: &HeaderMap) -> String {
    headers
        .get("x-forwarded-for")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.rsplit(',').next())
        .map(|address| address.trim().to_owned())
        .filter(|address| !address.is_empty())
        .unwrap_or_else(|| "direct".to_owned())
}
