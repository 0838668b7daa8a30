//! A channel as the event log has it now, and whether the caller may change it.

use domain::meetups::{Channel, ChannelInfo, ChannelRefusal};
use http_kit::ApiError;
use http_kit::auth::AuthenticatedUser;
use read_model::meetups::ChannelDocument;

use crate::failure::{Failure, Refusal};
use crate::state::MeetupsState;

/// The channel `id` as the event log has it now: 404 when unknown or deleted.
pub async fn load(state: &MeetupsState, id: &str) -> Result<Channel, Failure> {
    let channel = state.channels.load(id).await?;
    if channel.info().is_none() {
        return Err(ApiError::NotFound("no such channel".to_owned()).into());
    }
    Ok(channel)
}

/// The channel's document as the query side would show it, from the log.
pub async fn document(state: &MeetupsState, id: &str) -> Result<ChannelDocument, Failure> {
    ChannelDocument::of(id, &load(state, id).await?)
        .ok_or_else(|| ApiError::NotFound("no such channel".to_owned()).into())
}

/// The channel, when the caller created it: 404 when unknown, 403 when someone else's.
pub async fn creators_channel(
    state: &MeetupsState,
    id: &str,
    caller: &AuthenticatedUser,
) -> Result<ChannelInfo, Failure> {
    let channel = load(state, id).await?;
    let info = channel.info().cloned().ok_or_else(|| ApiError::NotFound("no such channel".to_owned()))?;
    if info.creator != caller.user_id {
        return Err(ChannelRefusal::NotCreator.answer().into());
    }
    Ok(info)
}
