//! `GET /v1/jobs/{id}`, with an optional long poll.

use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use domain::jobs::JobStatus;
use http_kit::ApiError;
use http_kit::auth::AuthenticatedUser;
use read_model::documents::JobDocument;

use super::stored_json;
use crate::AppState;
use crate::state::redis_failed;

/// The longest long poll.
const MAX_WAIT: Duration = Duration::from_secs(30);

/// A job; with `Prefer: wait=N`, answers as soon as it reaches a final status or after N seconds.
#[utoipa::path(
    get, path = "/v1/jobs/{id}", tag = "jobs",
    security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "The job's id"),
        ("Prefer" = Option<String>, Header, description = "wait=N (N ≤ 30): wait for a final status"),
    ),
    responses(
        (status = 200, description = "The job", body = JobDocument),
        (status = 401, description = "No valid token", body = http_kit::problem::Problem),
        (status = 404, description = "No such job (or someone else's)", body = http_kit::problem::Problem),
        (status = 503, description = "The query side is unavailable or rebuilding", body = http_kit::problem::Problem),
    )
)]
pub async fn job(
    State(state): State<AppState>,
    caller: AuthenticatedUser,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    ensure_visible(&state, &caller, &id).await?;
    let deadline = tokio::time::Instant::now() + requested_wait(&headers);
    loop {
        let mut watch = state.job_updates.watch(&id);
        // With the pointer: a job just accepted must be found even across a switch of generations.
        let stored = state.generation.get(&state.redis, |keys| keys.job(&id)).await.map_err(redis_failed)?;
        let Some(stored) = stored else {
            return Err(state.missing(ApiError::NotFound(format!("no job has the id {id}"))).await);
        };
        let remaining = deadline.saturating_duration_since(tokio::time::Instant::now());
        if remaining.is_zero() || is_final(&stored) {
            return Ok(stored_json(stored));
        }
        watch.changed(remaining).await;
    }
}

/// The one field a long poll needs from a stored job document.
#[derive(serde::Deserialize)]
struct StatusOnly {
    status: JobStatus,
}

fn is_final(stored: &[u8]) -> bool {
    serde_json::from_slice::<StatusOnly>(stored).is_ok_and(|job| job.status.is_final())
}

/// Someone else's job is answered like a job that does not exist.
async fn ensure_visible(state: &AppState, caller: &AuthenticatedUser, id: &str) -> Result<(), ApiError> {
    if caller.is_admin() {
        return Ok(());
    }
    let owner = state.generation.get(&state.redis, |keys| keys.job_owner(id)).await.map_err(redis_failed)?;
    match owner {
        Some(owner) if owner == caller.user_id.as_bytes() => Ok(()),
        Some(_) => Err(ApiError::NotFound(format!("no job has the id {id}"))),
        None => Err(state.missing(ApiError::NotFound(format!("no job has the id {id}"))).await),
    }
}

fn requested_wait(headers: &HeaderMap) -> Duration {
    headers
        .get_all("prefer")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .filter_map(|preference| preference.trim().strip_prefix("wait="))
        .filter_map(|seconds| seconds.trim().parse::<u64>().ok())
        .map(|seconds| Duration::from_secs(seconds).min(MAX_WAIT))
        .next()
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prefer(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("prefer", value.parse().unwrap());
        headers
    }

    #[test]
    fn a_wait_above_thirty_seconds_is_treated_as_thirty() {
        assert_eq!(requested_wait(&prefer("wait=120")), MAX_WAIT);
    }

    #[test]
    fn the_wait_is_found_among_other_preferences() {
        assert_eq!(requested_wait(&prefer("return=minimal, wait=7")), Duration::from_secs(7));
        assert_eq!(requested_wait(&HeaderMap::new()), Duration::ZERO);
    }
}
