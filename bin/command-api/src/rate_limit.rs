//! Sign-in rate limits, kept in Redis so they hold across every command-api: failed attempts per
//! e-mail and per client address in the current minute. Successful sign-ins do not count, so a busy
//! address whose users know their passwords is never starved.

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

    /// 429 when either counter has reached the limit.
    pub async fn check(&self) -> Result<(), ApiError> {
        let counts: Vec<Option<u32>> = match self.state.redis.mget(self.keys.to_vec()).await {
            Ok(counts) => counts,
            Err(error) => {
                // Failing open keeps sign-in working while Redis is away; the hash still costs ~50 ms.
                tracing::warn!(%error, "sign-in limits unavailable");
                return Ok(());
            }
        };
        if counts.into_iter().flatten().any(|count| count >= self.state.sign_in_failures_per_minute) {
            return Err(ApiError::TooManyRequests(self.retry_after));
        }
        Ok(())
    }

    /// Counts a failed attempt against the e-mail and the address.
    pub async fn record_failure(&self) {
        for key in &self.keys {
            let counted: Result<i64, Error> = self.state.redis.incr(key).await;
            if counted.is_ok() {
                let _: Result<bool, Error> = self.state.redis.expire(key, 120, None).await;
            }
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
