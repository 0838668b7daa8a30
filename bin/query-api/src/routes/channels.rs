//! `GET /v1/channels` (the channels the caller may see) and `GET /v1/channels/{id}` (a channel's most
//! recent messages).

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use fred::prelude::*;
use http_kit::ApiError;
use http_kit::auth::AuthenticatedUser;
use serde::Deserialize;
use utoipa::IntoParams;

use super::job_list::page_body;
use super::meetups::{Paging, documents_page};
use super::timeline::{merge, newest_first};
use crate::AppState;
use crate::state::redis_failed;

/// The most messages one page shows.
const MESSAGES_PER_PAGE: i64 = 100;

/// Public channels and the private ones the caller belongs to, newest first.
#[utoipa::path(
    get, path = "/v1/channels", tag = "meetups",
    params(Paging),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "`{ items: [channel], nextCursor }`", body = Object),
        (status = 401, description = "No valid token", body = http_kit::problem::Problem),
        (status = 422, description = "Bad limit or cursor", body = http_kit::problem::Problem),
    )
)]
pub async fn channels(
    State(state): State<AppState>,
    caller: AuthenticatedUser,
    Query(paging): Query<Paging>,
) -> Result<Response, ApiError> {
    let (limit, after) = paging.parse()?;
    let public = newest_first(&state, &state.keys.public_channels(), after.as_ref(), limit + 1).await?;
    let own =
        newest_first(&state, &state.keys.channels_of(&caller.user_id), after.as_ref(), limit + 1).await?;
    let mut entries = merge(public, own);
    entries.truncate(limit + 1);
    let keys: Vec<String> = entries.iter().take(limit).map(|entry| state.keys.channel(&entry.id)).collect();
    documents_page(&state, keys, &entries, limit).await
}

/// Which messages to show.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Before {
    /// Only messages older than this one (the `nextCursor` of the previous page).
    before: Option<String>,
}

/// A channel's 100 most recent messages, newest first; older ones with `before`.
#[utoipa::path(
    get, path = "/v1/channels/{id}", tag = "meetups",
    params(("id" = String, Path, description = "The channel"), Before),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "`{ items: [message], nextCursor }`; `nextCursor` is a message id for `before`", body = Object),
        (status = 401, description = "No valid token", body = http_kit::problem::Problem),
        (status = 403, description = "A private channel the caller is not a member of", body = http_kit::problem::Problem),
        (status = 404, description = "Unknown channel", body = http_kit::problem::Problem),
        (status = 422, description = "`before` is not a message of this channel", body = http_kit::problem::Problem),
    )
)]
pub async fn messages(
    State(state): State<AppState>,
    caller: AuthenticatedUser,
    Path(id): Path<String>,
    Query(before): Query<Before>,
) -> Result<Response, ApiError> {
    let pipeline = state.redis.pipeline();
    let () = pipeline.get(state.keys.channel(&id)).await.map_err(redis_failed)?;
    let () =
        pipeline.sismember(state.keys.channel_members(&id), &caller.user_id).await.map_err(redis_failed)?;
    let (document, member): (Option<Bytes>, bool) = pipeline.all().await.map_err(redis_failed)?;
    let Some(document) = document else {
        return Err(state.missing(ApiError::NotFound("no such channel".to_owned())).await);
    };
    if !is_public(&document) && !member {
        // While the log is replayed, a member's joining may not be back yet: 503, not a wrong 403.
        let forbidden = ApiError::Forbidden("this private channel is for its members only".to_owned());
        return Err(state.missing(forbidden).await);
    }
    let index = state.keys.channel_messages(&id);
    let start = match &before.before {
        None => 0,
        Some(message) => {
            let rank: Option<i64> =
                state.redis.zrevrank(&index, message, false).await.map_err(redis_failed)?;
            rank.ok_or_else(|| ApiError::invalid("before", "is not a message of this channel"))? + 1
        }
    };
    let ids: Vec<String> = state
        .redis
        .zrange(&index, start, start + MESSAGES_PER_PAGE, None, true, None, false)
        .await
        .map_err(redis_failed)?;
    let shown = &ids[..ids.len().min(MESSAGES_PER_PAGE as usize)];
    let keys: Vec<String> = shown.iter().map(|id| state.keys.message(id)).collect();
    let documents: Vec<Option<Bytes>> =
        if keys.is_empty() { vec![] } else { state.redis.mget(keys).await.map_err(redis_failed)? };
    let next = (ids.len() > shown.len()).then(|| shown[shown.len() - 1].clone());
    Ok(page_body(&documents.into_iter().flatten().collect::<Vec<_>>(), next))
}

/// Whether the channel document says it is public; one it cannot read counts as private.
fn is_public(document: &[u8]) -> bool {
    #[derive(Deserialize)]
    struct Privacy {
        private: bool,
    }
    serde_json::from_slice::<Privacy>(document).is_ok_and(|channel| !channel.private)
}
