//! `GET /v1/events` (every meetup, no token needed) and `GET /v1/events/join` (the caller's).

use axum::body::Bytes;
use axum::extract::State;
use axum::response::Response;
use fred::prelude::*;
use http_kit::auth::AuthenticatedUser;
use http_kit::{ApiError, QueryParams};
use serde::Deserialize;
use utoipa::IntoParams;

use super::job_list::{page_body, parse_limit};
use super::timeline::{Entry, newest_first};
use crate::AppState;
use crate::state::redis_failed;

/// Paging of a list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Paging {
    /// 1–100, default 20.
    #[param(value_type = Option<u8>, nullable = false, minimum = 1, maximum = 100)]
    limit: Option<String>,
    /// `nextCursor` of the previous page.
    #[param(nullable = false, pattern = "^[0-9]{1,18}:[0-9a-f-]{1,36}$")]
    cursor: Option<String>,
}

impl Paging {
    /// The page size and the entry to continue after.
    pub fn parse(&self) -> Result<(usize, Option<Entry>), ApiError> {
        let mut errors = domain::errors::FieldErrors::default();
        let limit = errors.check("limit", parse_limit(self.limit.as_deref()));
        let after = match &self.cursor {
            Some(cursor) => errors.check("cursor", Entry::from_cursor(cursor)).map(Some),
            None => Some(None),
        };
        errors.finish().map_err(ApiError::Invalid)?;
        Ok((limit.unwrap_or(20), after.flatten()))
    }
}

/// Every meetup, newest first.
#[utoipa::path(
    get, path = "/v1/events", tag = "meetups",
    params(Paging),
    responses(
        (status = 200, description = "`{ items: [meetup], nextCursor }`", body = Object),
        (status = 422, description = "Bad limit or cursor", body = http_kit::problem::Problem),
    )
)]
pub async fn meetups(
    State(state): State<AppState>,
    QueryParams(paging): QueryParams<Paging>,
) -> Result<Response, ApiError> {
    page_of(&state, &state.keys().all_meetups(), &paging).await
}

/// The meetups the caller joined, most recently joined first.
#[utoipa::path(
    get, path = "/v1/events/join", tag = "meetups",
    params(Paging),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "`{ items: [meetup], nextCursor }`", body = Object),
        (status = 401, description = "No valid token", body = http_kit::problem::Problem),
        (status = 422, description = "Bad limit or cursor", body = http_kit::problem::Problem),
    )
)]
pub async fn joined(
    State(state): State<AppState>,
    caller: AuthenticatedUser,
    QueryParams(paging): QueryParams<Paging>,
) -> Result<Response, ApiError> {
    page_of(&state, &state.keys().meetups_of(&caller.user_id), &paging).await
}

async fn page_of(state: &AppState, index: &str, paging: &Paging) -> Result<Response, ApiError> {
    let (limit, after) = paging.parse()?;
    let entries = newest_first(state, index, after.as_ref(), limit + 1).await?;
    let keys: Vec<String> = entries.iter().take(limit).map(|entry| state.keys().meetup(&entry.id)).collect();
    documents_page(state, keys, &entries, limit).await
}

/// The page of `entries` (one more than `limit` when there is a next page) as stored documents.
pub async fn documents_page(
    state: &AppState,
    keys: Vec<String>,
    entries: &[Entry],
    limit: usize,
) -> Result<Response, ApiError> {
    let documents: Vec<Option<Bytes>> =
        if keys.is_empty() { vec![] } else { state.redis.mget(keys).await.map_err(redis_failed)? };
    let items: Vec<Bytes> = documents.into_iter().flatten().collect();
    let next = (entries.len() > limit).then(|| entries[limit - 1].cursor());
    Ok(page_body(&items, next))
}
