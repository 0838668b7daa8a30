//! A channel as the event log has it now, and whether the caller may change it.

use domain::meetups::{Channel, ChannelInfo, ChannelRefusal};
use http_kit::ApiError;
use http_kit::auth::AuthenticatedUser;
use read_model::meetups::ChannelDocument;

use crate::AppState;
use crate::accepted::command_failed;

/// The answer to each refusal of a channel.
pub fn channel_refusal(refusal: &ChannelRefusal) -> ApiError {
    match refusal {
        ChannelRefusal::NotCreator => ApiError::Forbidden(refusal.to_string()),
        ChannelRefusal::Unknown => ApiError::NotFound(refusal.to_string()),
        ChannelRefusal::AlreadyCreated { .. } => ApiError::Conflict(refusal.to_string()),
    }
}

/// The channel `id` as the event log has it now: 404 when unknown or deleted.
pub async fn load(state: &AppState, id: &str) -> Result<Channel, ApiError> {
    let channel = state.channels.load(id).await.map_err(command_failed)?;
    if channel.info().is_none() {
        return Err(ApiError::NotFound("no such channel".to_owned()));
    }
    Ok(channel)
}

/// The channel's document as the query side would show it, from the log.
pub async fn document(state: &AppState, id: &str) -> Result<ChannelDocument, ApiError> {
    ChannelDocument::of(id, &load(state, id).await?)
        .ok_or_else(|| ApiError::NotFound("no such channel".to_owned()))
}

/// The channel, when the caller created it: 404 when unknown, 403 when someone else's.
pub async fn creators_channel(
    state: &AppState,
    id: &str,
    caller: &AuthenticatedUser,
) -> Result<ChannelInfo, ApiError> {
    let channel = load(state, id).await?;
    let info = channel.info().cloned().ok_or_else(|| ApiError::NotFound("no such channel".to_owned()))?;
    if info.creator != caller.user_id {
        return Err(channel_refusal(&ChannelRefusal::NotCreator));
    }
    Ok(info)
}
