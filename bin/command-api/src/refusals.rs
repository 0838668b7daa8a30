//! How each aggregate's refusals are answered. Most say why the aggregate's state forbids the
//! command (409); a channel or message refuses callers who may not change it (403) and ids it does not
//! know (404).

use std::convert::Infallible;

use domain::conversions::ConversionRefusal;
use domain::identity::UserError;
use domain::jobs::JobRefusal;
use domain::meetups::membership::MembershipRefusal;
use domain::meetups::{ChannelRefusal, MeetupRefusal, MessageRefusal};
use domain::scores::{AlreadyAccepted, GameError};
use http_kit::ApiError;

use crate::failure::Refusal;

impl Refusal for AlreadyAccepted {}
impl Refusal for GameError {}
impl Refusal for UserError {}
impl Refusal for JobRefusal {}
impl Refusal for ConversionRefusal {}
impl Refusal for MeetupRefusal {}
impl Refusal for MembershipRefusal {}

impl Refusal for ChannelRefusal {
    fn answer(&self) -> ApiError {
        match self {
            ChannelRefusal::NotCreator => ApiError::Forbidden(self.to_string()),
            ChannelRefusal::Unknown => ApiError::NotFound(self.to_string()),
            ChannelRefusal::AlreadyCreated { .. } => ApiError::Conflict(self.to_string()),
        }
    }
}

impl Refusal for MessageRefusal {
    fn answer(&self) -> ApiError {
        match self {
            MessageRefusal::NotAuthor => ApiError::Forbidden(self.to_string()),
            MessageRefusal::Unknown => ApiError::NotFound(self.to_string()),
            MessageRefusal::AlreadyPosted { .. } => ApiError::Conflict(self.to_string()),
        }
    }
}

/// Appending decided events refuses nothing.
impl Refusal for Infallible {
    fn answer(&self) -> ApiError {
        match *self {}
    }
}
