//! `GET /v1/channels` (the channels the caller may see) and `GET /v1/channels/{id}` (a channel's most
//! recent messages).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::Response;
use fred::prelude::*;
use http_kit::auth::AuthenticatedUser;
use http_kit::{ApiError, QueryParams};
use serde::Deserialize;
use utoipa::IntoParams;

use super::meetups::{Paging, documents_page};
use super::timeline::{Entry, merge, newest_first};
use crate::AppState;
use crate::state::redis_failed;

/// The most messages one page shows.
const MESSAGES_PER_PAGE: usize = 100;

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
    QueryParams(paging): QueryParams<Paging>,
) -> Result<Response, ApiError> {
    let (limit, after) = paging.parse()?;
    let public = newest_first(&state, &state.keys().public_channels(), after.as_ref(), limit + 1).await?;
    let own =
        newest_first(&state, &state.keys().channels_of(&caller.user_id), after.as_ref(), limit + 1).await?;
    let mut entries = merge(public, own);
    entries.truncate(limit + 1);
    let keys: Vec<String> = entries.iter().take(limit).map(|entry| state.keys().channel(&entry.id)).collect();
    documents_page(&state, keys, &entries, limit).await
}

/// Which messages to show.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Before {
    /// Only messages older than this one (a message of the channel, by its id: a lowercase UUID).
    #[param(nullable = false, pattern = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")]
    before: Option<String>,
    /// Only messages older than the previous page's (its `nextCursor`; unlike `before`, it still
    /// works when that message was deleted meanwhile). Takes precedence over `before`.
    #[param(nullable = false, pattern = "^[0-9]{1,18}:[0-9a-f-]{1,36}$")]
    cursor: Option<String>,
}

/// A channel's 100 most recent messages, newest first; older ones with `before`.
#[utoipa::path(
    get, path = "/v1/channels/{id}", tag = "meetups",
    params(("id" = String, Path, description = "The channel"), Before),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "`{ items: [message], nextCursor }`: pass `nextCursor` as `cursor` for older ones", body = Object),
        (status = 401, description = "No valid token", body = http_kit::problem::Problem),
        (status = 403, description = "A private channel the caller is not a member of", body = http_kit::problem::Problem),
        (status = 404, description = "Unknown channel, or `before` names no message of this channel", body = http_kit::problem::Problem),
        (status = 422, description = "`before` is not a message id, or `cursor` is not a cursor", body = http_kit::problem::Problem),
    )
)]
pub async fn messages(
    State(state): State<AppState>,
    caller: AuthenticatedUser,
    Path(id): Path<String>,
    QueryParams(before): QueryParams<Before>,
) -> Result<Response, ApiError> {
    let pipeline = state.redis.pipeline();
    let () = pipeline.get(state.keys().channel(&id)).await.map_err(redis_failed)?;
    let () =
        pipeline.sismember(state.keys().channel_members(&id), &caller.user_id).await.map_err(redis_failed)?;
    let (document, member): (Option<Bytes>, bool) = pipeline.all().await.map_err(redis_failed)?;
    let Some(document) = document else {
        return Err(state.missing(ApiError::NotFound("no such channel".to_owned())).await);
    };
    if !is_public(&document) && !member {
        // While the log is replayed, a member's joining may not be back yet: 503, not a wrong 403.
        let forbidden = ApiError::Forbidden("this private channel is for its members only".to_owned());
        return Err(state.missing(forbidden).await);
    }
    let index = state.keys().channel_messages(&id);
    let after = match (&before.cursor, &before.before) {
        (Some(cursor), _) => {
            Some(Entry::from_cursor(cursor).map_err(|message| ApiError::invalid("cursor", message))?)
        }
        (None, Some(message)) => {
            if !is_message_id(message) {
                return Err(ApiError::invalid("before", "is not a message id"));
            }
            let score: Option<f64> = state.redis.zscore(&index, message).await.map_err(redis_failed)?;
            let score =
                score.ok_or_else(|| ApiError::NotFound(format!("this channel has no message {message}")))?;
            Some(Entry { score: score as i64, id: message.clone() })
        }
        (None, None) => None,
    };
    let entries = newest_first(&state, &index, after.as_ref(), MESSAGES_PER_PAGE + 1).await?;
    let keys: Vec<String> =
        entries.iter().take(MESSAGES_PER_PAGE).map(|entry| state.keys().message(&entry.id)).collect();
    documents_page(&state, keys, &entries, MESSAGES_PER_PAGE).await
}

/// Whether `id` has the shape of the ids the server gives messages: a lowercase UUID.
fn is_message_id(id: &str) -> bool {
    id.len() == 36
        && id.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_digit() || (b'a'..=b'f').contains(&b),
        })
}

/// Whether the channel document says it is public; one it cannot read counts as private.
fn is_public(document: &[u8]) -> bool {
    #[derive(Deserialize)]
    struct Privacy {
        private: bool,
    }
    serde_json::from_slice::<Privacy>(document).is_ok_and(|channel| !channel.private)
}
