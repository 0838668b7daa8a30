//! Sign-in rate limits, kept in Redis so they hold across every command-api: attempts per e-mail and
//! per client address in the current minute, counted before the password is checked and taken back
//! when it matched, so only failures use up the limit and a busy address whose users know their
//! passwords is not starved.

use std::time::Duration;

use axum::http::HeaderMap;
use chrono::{DateTime, Utc};
use fred::prelude::*;
use http_kit::ApiError;

use crate::AppState;

/// The limits of one sign-in attempt.
pub struct SignInLimit<'a> {
    state: &'a AppState,
    keys: [String; 2],
    retry_after: Duration,
}

impl<'a> SignInLimit<'a> {
    /// The counters of this minute for `email` and `address`.
    pub fn new(state: &'a AppState, email: &str, address: &str, now: DateTime<Utc>) -> Self {
        let minute = now.timestamp() / 60;
        let email = email.trim().to_lowercase();
        let keys = [
            state.keys.full(&format!("ratelimit:signin:email:{email}:{minute}")),
            state.keys.full(&format!("ratelimit:signin:address:{address}:{minute}")),
        ];
        let retry_after = Duration::from_secs((60 - now.timestamp() % 60).max(1) as u64);
        Self { state, keys, retry_after }
    }

    /// Counts this attempt against the e-mail and the address before the password is checked, so
    /// parallel guesses cannot all slip under the limit; 429 when either counter is past it.
    pub async fn count_attempt(&self) -> Result<(), ApiError> {
        let mut over = false;
        for key in &self.keys {
            let counted: Result<u32, Error> = self.state.redis.incr(key).await;
            match counted {
                Ok(count) => {
                    let _: Result<bool, Error> = self.state.redis.expire(key, 120, None).await;
                    over |= count > self.state.sign_in_failures_per_minute;
                }
                // Failing open keeps sign-in working while Redis is away; the hash still costs ~50 ms.
                Err(error) => tracing::warn!(%error, "sign-in limits unavailable"),
            }
        }
        if over { Err(ApiError::TooManyRequests(self.retry_after)) } else { Ok(()) }
    }

    /// Takes back the count of an attempt that succeeded: only failures use up the limit.
    pub async fn forgive(&self) {
        for key in &self.keys {
            let _: Result<i64, Error> = self.state.redis.decr(key).await;
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
