//! Chat channels: create, rename or describe, delete, and manage members.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::SubsecRound;
use domain::errors::FieldErrors;
use domain::identity::User;
use domain::meetups::{Channel, ChannelCommand, ChannelInfo, ChannelRefusal};
use eventlog::{CommandError, Metadata};
use http_kit::auth::AuthenticatedUser;
use http_kit::{ApiError, JsonBody};
use read_model::meetups::ChannelDocument;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::channel_lookup::{creators_channel, document};
use super::channel_names::claim_name;
use crate::accepted::IdempotencyKey;
use crate::claims::{Claim, release};
use crate::consistency::wait_until_projected;
use crate::created::mint;
use crate::failure::Failure;
use crate::fields;
use crate::state::MeetupsState;

/// The longest channel description accepted, in characters.
const MAX_DESCRIPTION_CHARS: usize = 1000;

/// A channel to create.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct NewChannel {
    /// 1–80 characters, not blank (trimmed); unique (compared without case).
    #[schema(
        required = true,
        nullable = false,
        max_length = 80,
        pattern = r"[^\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]",
        example = "synths"
    )]
    name: Option<String>,
    /// Up to 1000 characters (trimmed).
    #[schema(max_length = 1000)]
    description: Option<String>,
    /// Only members may read and write it; default false.
    private: Option<bool>,
}

/// Creates a channel with the caller as its creator and first member.
#[utoipa::path(
    post, path = "/v1/channels", tag = "meetups",
    request_body = NewChannel,
    params(IdempotencyKey),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The channel", body = ChannelDocument),
        (status = 409, description = "The name is taken", body = http_kit::problem::Problem),
        (status = 422, description = "Invalid fields, or an Idempotency-Key used for another request", body = http_kit::problem::Problem),
    )
)]
pub async fn create(
    State(state): State<MeetupsState>,
    caller: AuthenticatedUser,
    headers: HeaderMap,
    JsonBody(request): JsonBody<NewChannel>,
) -> Result<Response, Failure> {
    let now = state.shared.clock.now().trunc_subsecs(6);
    let new = mint(&headers, &caller.user_id, "POST /v1/channels", &request)?;
    let id = new.id.to_string();
    let mut errors = FieldErrors::default();
    let name = errors.check("name", request.name.ok_or_else(|| "is required".to_owned()));
    let name = name.and_then(|name| errors.check("name", fields::channel_name(&name)));
    let description = errors.check(
        "description",
        fields::bounded_text(request.description.as_deref().unwrap_or_default(), MAX_DESCRIPTION_CHARS),
    );
    errors.finish()?;
    let (Some(name), Some(description)) = (name, description) else {
        return Err(ApiError::Invalid(vec![]).into());
    };
    // A replay of a created channel keeps the name the channel has now, whatever it was called then.
    let replay = new.replays::<Channel>(&state.shared.pool).await?;
    if !replay {
        claim_name(&state, &id, &name).await?;
    }
    let channel = ChannelInfo {
        name,
        description,
        private: request.private.unwrap_or(false),
        creator: caller.user_id.clone(),
        created_at: now,
        meetup_id: None,
        request_hash: new.request_hash.clone(),
    };
    let members = vec![caller.user_id.clone()];
    let created = ChannelDocument::new(&id, &channel, members.clone(), None);
    let outcome =
        state.channels.create(&id, ChannelCommand::Create { channel, members }, &new.metadata).await;
    new.settle(outcome, |refusal| match refusal {
        ChannelRefusal::AlreadyCreated { request_hash } => request_hash,
        _ => "",
    })?;
    wait_until_projected(&state.shared, "channel", &id).await;
    // A replay answers with the channel as it now is (renamed, say).
    let created = if new.keyed() { document(&state, &id).await? } else { created };
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

/// Changes to a channel; absent fields stay.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ChannelChange {
    /// A new name: 1–80 characters, not blank (trimmed); unique.
    #[schema(
        max_length = 80,
        pattern = r"[^\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
    )]
    name: Option<String>,
    /// A new description: up to 1000 characters (trimmed).
    #[schema(max_length = 1000)]
    description: Option<String>,
}

/// Renames a channel or changes its description; only its creator may.
#[utoipa::path(
    patch, path = "/v1/channels/{id}", tag = "meetups",
    params(("id" = String, Path, description = "The channel")),
    request_body = ChannelChange,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The channel now", body = ChannelDocument),
        (status = 403, description = "Not the channel's creator", body = http_kit::problem::Problem),
        (status = 404, description = "Unknown channel", body = http_kit::problem::Problem),
        (status = 409, description = "The name is taken", body = http_kit::problem::Problem),
        (status = 422, description = "Invalid fields", body = http_kit::problem::Problem),
    )
)]
pub async fn update(
    State(state): State<MeetupsState>,
    Path(id): Path<String>,
    caller: AuthenticatedUser,
    JsonBody(change): JsonBody<ChannelChange>,
) -> Result<Json<ChannelDocument>, Failure> {
    let mut errors = FieldErrors::default();
    let name = change.name.and_then(|name| errors.check("name", fields::channel_name(&name)));
    let description = change
        .description
        .and_then(|text| errors.check("description", fields::bounded_text(&text, MAX_DESCRIPTION_CHARS)));
    errors.finish()?;
    let info = creators_channel(&state, &id, &caller).await?;
    let renamed = name.clone().filter(|name| name.folded() != info.name.folded() && info.meetup_id.is_none());
    if let Some(name) = &renamed {
        claim_name(&state, &id, name).await?;
    }
    let command = ChannelCommand::Update {
        by: caller.user_id.clone(),
        name,
        description,
        at: state.shared.clock.now().trunc_subsecs(6),
    };
    let outcome = state.channels.execute(&id, command, &metadata(&caller)).await;
    if let Err(error) = outcome {
        // Only a rename that certainly did not commit gives the new name back. One whose commit was
        // cut off may have renamed the channel; its claim stays, and is taken over after a minute if
        // the channel is not called so.
        let certainly_not = matches!(error, CommandError::Rejected(_) | CommandError::Conflict);
        if let Some(name) = renamed.as_ref().filter(|_| certainly_not) {
            release(&state.shared.pool, Claim::ChannelName, &name.folded(), &id).await?;
        }
        return Err(error.into());
    }
    if renamed.is_some() {
        release(&state.shared.pool, Claim::ChannelName, &info.name.folded(), &id).await?;
    }
    wait_until_projected(&state.shared, "channel", &id).await;
    Ok(Json(document(&state, &id).await?))
}

/// Deletes a channel; only its creator may. Answers with the channel as it was.
#[utoipa::path(
    delete, path = "/v1/channels/{id}", tag = "meetups",
    params(("id" = String, Path, description = "The channel")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Deleted; the channel as it was", body = ChannelDocument),
        (status = 403, description = "Not the channel's creator", body = http_kit::problem::Problem),
        (status = 404, description = "Unknown channel", body = http_kit::problem::Problem),
    )
)]
pub async fn delete(
    State(state): State<MeetupsState>,
    Path(id): Path<String>,
    caller: AuthenticatedUser,
) -> Result<Json<ChannelDocument>, Failure> {
    let last = document(&state, &id).await?;
    let info = creators_channel(&state, &id, &caller).await?;
    let command =
        ChannelCommand::Delete { by: caller.user_id.clone(), at: state.shared.clock.now().trunc_subsecs(6) };
    state.channels.execute(&id, command, &metadata(&caller)).await?;
    if info.meetup_id.is_none() {
        release(&state.shared.pool, Claim::ChannelName, &info.name.folded(), &id).await?;
    }
    wait_until_projected(&state.shared, "channel", &id).await;
    Ok(Json(last))
}

/// A member to add or remove.
#[derive(Debug, Deserialize, ToSchema)]
pub struct MemberChange {
    /// The user's id.
    #[schema(
        required = true,
        nullable = false,
        pattern = r"[^\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
    )]
    id: Option<String>,
}

/// Adds a member; only the channel's creator may.
#[utoipa::path(
    post, path = "/v1/channels/{id}/members", tag = "meetups",
    params(("id" = String, Path, description = "The channel")),
    request_body = MemberChange,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Added; the channel now", body = ChannelDocument),
        (status = 403, description = "Not the channel's creator", body = http_kit::problem::Problem),
        (status = 404, description = "Unknown channel or user", body = http_kit::problem::Problem),
        (status = 422, description = "No id", body = http_kit::problem::Problem),
    )
)]
pub async fn add_member(
    State(state): State<MeetupsState>,
    Path(id): Path<String>,
    caller: AuthenticatedUser,
    JsonBody(change): JsonBody<MemberChange>,
) -> Result<Response, Failure> {
    let user_id = member_of(change)?;
    creators_channel(&state, &id, &caller).await?;
    if !eventlog::aggregate_exists::<User>(&state.shared.pool, &user_id).await? {
        return Err(ApiError::NotFound("no such user".to_owned()).into());
    }
    let at = state.shared.clock.now().trunc_subsecs(6);
    let command = ChannelCommand::AddMember { by: Some(caller.user_id.clone()), user_id, at };
    state.channels.execute(&id, command, &metadata(&caller)).await?;
    wait_until_projected(&state.shared, "channel", &id).await;
    Ok((StatusCode::CREATED, Json(document(&state, &id).await?)).into_response())
}

/// Removes a member; only the channel's creator may.
#[utoipa::path(
    delete, path = "/v1/channels/{id}/members", tag = "meetups",
    params(("id" = String, Path, description = "The channel")),
    request_body = MemberChange,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Removed; the channel now", body = ChannelDocument),
        (status = 403, description = "Not the channel's creator", body = http_kit::problem::Problem),
        (status = 404, description = "Unknown channel", body = http_kit::problem::Problem),
        (status = 422, description = "No id", body = http_kit::problem::Problem),
    )
)]
pub async fn remove_member(
    State(state): State<MeetupsState>,
    Path(id): Path<String>,
    caller: AuthenticatedUser,
    JsonBody(change): JsonBody<MemberChange>,
) -> Result<Json<ChannelDocument>, Failure> {
    let user_id = member_of(change)?;
    creators_channel(&state, &id, &caller).await?;
    let at = state.shared.clock.now().trunc_subsecs(6);
    let command = ChannelCommand::RemoveMember { by: caller.user_id.clone(), user_id, at };
    state.channels.execute(&id, command, &metadata(&caller)).await?;
    wait_until_projected(&state.shared, "channel", &id).await;
    Ok(Json(document(&state, &id).await?))
}

fn member_of(change: MemberChange) -> Result<String, ApiError> {
    change.id.filter(|id| !id.trim().is_empty()).ok_or_else(|| ApiError::invalid("id", "is required"))
}

fn metadata(caller: &AuthenticatedUser) -> Metadata {
    Metadata::from([("user_id".to_owned(), caller.user_id.clone())])
}
