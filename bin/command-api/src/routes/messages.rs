//! Chat messages: post in a channel (`POST /v1/channels/{id}`), edit and delete one's own.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::SubsecRound;
use domain::meetups::{Message, MessageBody, MessageCommand, MessageInfo, MessageRefusal};
use eventlog::Metadata;
use http_kit::auth::AuthenticatedUser;
use http_kit::{ApiError, JsonBody};
use read_model::meetups::MessageDocument;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::channel_lookup::load;
use crate::accepted::IdempotencyKey;
use crate::consistency::wait_until_projected;
use crate::created::mint;
use crate::failure::Failure;
use crate::state::MeetupsState;

/// A message to post, or a message's new text.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct MessageText {
    /// 1–4000 characters, not blank.
    #[schema(
        required = true,
        nullable = false,
        max_length = 4000,
        pattern = r"[^\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]",
        example = "patch cables?"
    )]
    body: Option<String>,
}

/// Posts a message in a channel: anyone in a public channel, members in a private one.
#[utoipa::path(
    post, path = "/v1/channels/{id}", tag = "meetups",
    params(("id" = String, Path, description = "The channel")),
    request_body = MessageText,
    params(IdempotencyKey),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The message", body = MessageDocument),
        (status = 403, description = "A private channel the caller is not a member of", body = http_kit::problem::Problem),
        (status = 404, description = "Unknown channel", body = http_kit::problem::Problem),
        (status = 422, description = "Invalid body", body = http_kit::problem::Problem),
        (status = 429, description = "Too many messages this minute (`meetups.messages_per_minute`)", body = http_kit::problem::Problem),
    )
)]
pub async fn post(
    State(state): State<MeetupsState>,
    Path(channel_id): Path<String>,
    caller: AuthenticatedUser,
    headers: HeaderMap,
    JsonBody(request): JsonBody<MessageText>,
) -> Result<Response, Failure> {
    let body = parse_body(request.body.as_deref())?;
    let channel = load(&state, &channel_id).await?;
    if !channel.admits(&caller.user_id) {
        return Err(ApiError::Forbidden("this private channel is for its members only".to_owned()).into());
    }
    let now = state.shared.clock.now().trunc_subsecs(6);
    let new = mint(&headers, &caller.user_id, &format!("POST /v1/channels/{channel_id}"), &request)?;
    let id = new.id.to_string();
    // A replay of a message already posted adds none, so it does not count against the limit.
    let replay = new.replays::<Message>(&state.shared.pool).await?;
    if !replay {
        crate::rate_limit::count_message(&state, &caller.user_id, now).await?;
    }
    let message = MessageInfo {
        channel_id,
        body,
        creator: caller.user_id.clone(),
        created_at: now,
        request_hash: new.request_hash.clone(),
    };
    let posted = MessageDocument::new(&id, &message, None);
    let outcome = state.messages.create(&id, MessageCommand::Post(message), &new.metadata).await;
    new.settle(outcome, |refusal| match refusal {
        MessageRefusal::AlreadyPosted { request_hash } => request_hash,
        _ => "",
    })?;
    wait_until_projected(&state.shared, "message", &id).await;
    // A replay answers with the message as it now reads (it may have been edited since).
    let posted = if new.keyed() { document(&state, &id).await? } else { posted };
    Ok((StatusCode::CREATED, Json(posted)).into_response())
}

/// Changes what a message says; only its author may.
#[utoipa::path(
    patch, path = "/v1/messages/{id}", tag = "meetups",
    params(("id" = String, Path, description = "The message")),
    request_body = MessageText,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The message now", body = MessageDocument),
        (status = 403, description = "Not the message's author", body = http_kit::problem::Problem),
        (status = 404, description = "Unknown message", body = http_kit::problem::Problem),
        (status = 422, description = "Invalid body", body = http_kit::problem::Problem),
    )
)]
pub async fn edit(
    State(state): State<MeetupsState>,
    Path(id): Path<String>,
    caller: AuthenticatedUser,
    JsonBody(request): JsonBody<MessageText>,
) -> Result<Json<MessageDocument>, Failure> {
    let body = parse_body(request.body.as_deref())?;
    let command = MessageCommand::Edit {
        by: caller.user_id.clone(),
        body,
        at: state.shared.clock.now().trunc_subsecs(6),
    };
    state.messages.execute(&id, command, &metadata(&caller)).await?;
    wait_until_projected(&state.shared, "message", &id).await;
    Ok(Json(document(&state, &id).await?))
}

/// Deletes a message; only its author may. Answers with the message as it was.
#[utoipa::path(
    delete, path = "/v1/messages/{id}", tag = "meetups",
    params(("id" = String, Path, description = "The message")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Deleted; the message as it was", body = MessageDocument),
        (status = 403, description = "Not the message's author", body = http_kit::problem::Problem),
        (status = 404, description = "Unknown message", body = http_kit::problem::Problem),
    )
)]
pub async fn delete(
    State(state): State<MeetupsState>,
    Path(id): Path<String>,
    caller: AuthenticatedUser,
) -> Result<Json<MessageDocument>, Failure> {
    let last = document(&state, &id).await?;
    let command =
        MessageCommand::Delete { by: caller.user_id.clone(), at: state.shared.clock.now().trunc_subsecs(6) };
    state.messages.execute(&id, command, &metadata(&caller)).await?;
    wait_until_projected(&state.shared, "message", &id).await;
    Ok(Json(last))
}

fn parse_body(body: Option<&str>) -> Result<MessageBody, ApiError> {
    let body = body.ok_or_else(|| ApiError::invalid("body", "is required"))?;
    MessageBody::parse(body).map_err(|message| ApiError::invalid("body", message))
}

async fn document(state: &MeetupsState, id: &str) -> Result<MessageDocument, Failure> {
    let message = state.messages.load(id).await?;
    MessageDocument::of(id, &message).ok_or_else(|| ApiError::NotFound("no such message".to_owned()).into())
}

fn metadata(caller: &AuthenticatedUser) -> Metadata {
    Metadata::from([("user_id".to_owned(), caller.user_id.clone())])
}
