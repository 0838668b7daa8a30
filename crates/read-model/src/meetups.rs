//! Meetups, channels and messages as the query side serves them and the live service pushes them.

use domain::meetups::{Channel, ChannelInfo, MeetupInfo, Message, MessageInfo};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::boards::timestamp;

/// A meetup event, as `GET /v1/events` lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MeetupDocument {
    /// Its id.
    pub id: String,
    /// What it is called.
    pub title: String,
    /// When it takes place (RFC 3339).
    pub date_time: String,
    /// Where.
    pub location: String,
    /// What it is about.
    pub description: String,
    /// Its public chat channel.
    pub channel_id: String,
    /// The id of the user who created it.
    pub creator: String,
    /// How many users joined, the creator included.
    pub member_count: u64,
}

impl MeetupDocument {
    /// The document of meetup `id` as announced, with `member_count` members.
    pub fn new(id: &str, info: &MeetupInfo, member_count: u64) -> Self {
        Self {
            id: id.to_owned(),
            title: info.title.clone(),
            date_time: timestamp(info.date_time),
            location: info.location.clone(),
            description: info.description.clone(),
            channel_id: info.channel_id.clone(),
            creator: info.creator.clone(),
            member_count,
        }
    }
}

/// A chat channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChannelDocument {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// What it is for.
    pub description: String,
    /// Whether only members may read and write it.
    pub private: bool,
    /// The ids of its members.
    pub members: Vec<String>,
    /// When it was created.
    pub created_at: String,
    /// The id of the user who created it.
    pub creator: String,
    /// When its name or description last changed, or null.
    pub edited_at: Option<String>,
}

impl ChannelDocument {
    /// The document of channel `id` as it now is, unless unknown or deleted.
    pub fn of(id: &str, channel: &Channel) -> Option<Self> {
        let info = channel.info()?;
        let members = channel.members().map(str::to_owned).collect();
        Some(Self::new(id, info, members, channel.edited_at()))
    }

    /// The document of channel `id` with `info`, `members` and the time of its last edit.
    pub fn new(
        id: &str,
        info: &ChannelInfo,
        members: Vec<String>,
        edited_at: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Self {
        Self {
            id: id.to_owned(),
            name: info.name.to_string(),
            description: info.description.clone(),
            private: info.private,
            members,
            created_at: timestamp(info.created_at),
            creator: info.creator.clone(),
            edited_at: edited_at.map(timestamp),
        }
    }
}

/// A chat message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MessageDocument {
    /// Its id.
    pub id: String,
    /// The channel it was posted in.
    pub channel_id: String,
    /// What it says.
    pub body: String,
    /// When it was posted.
    pub created_at: String,
    /// The id of its author.
    pub creator: String,
    /// When it was last edited, or null.
    pub edited_at: Option<String>,
}

impl MessageDocument {
    /// The document of message `id` as it now reads, unless unknown or deleted.
    pub fn of(id: &str, message: &Message) -> Option<Self> {
        Some(Self::new(id, message.info()?, message.edited_at()))
    }

    /// The document of message `id` with `info`, last edited at `edited_at`.
    pub fn new(id: &str, info: &MessageInfo, edited_at: Option<chrono::DateTime<chrono::Utc>>) -> Self {
        Self {
            id: id.to_owned(),
            channel_id: info.channel_id.clone(),
            body: info.body.as_str().to_owned(),
            created_at: timestamp(info.created_at),
            creator: info.creator.clone(),
            edited_at: edited_at.map(timestamp),
        }
    }
}

/// The fields of a meetup's document, in the order the document shows them.
pub const MEETUP_FIELDS: [&str; 8] =
    ["id", "title", "dateTime", "location", "description", "channelId", "creator", "memberCount"];
