//! What a socket receives: one JSON text frame per push, as `API.md` describes it.

use read_model::meetups::{ChannelDocument, MessageDocument};
use serde::Serialize;

/// What happened, as the `type` of a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FrameKind {
    /// A channel the user may now see (created, or they were added to a private one).
    ChannelNew,
    /// A channel the user sees changed: its name, description or members.
    ChannelUpdate,
    /// A channel the user saw is gone for them (deleted, or they were removed from a private one).
    ChannelDelete,
    /// A message was posted in a channel the user sees.
    MessageNew,
    /// A message the user sees was edited.
    MessageUpdate,
    /// A message the user saw was deleted.
    MessageDelete,
}

impl FrameKind {
    /// The `type` as it is written, also the label of the pushes metric.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ChannelNew => "channel-new",
            Self::ChannelUpdate => "channel-update",
            Self::ChannelDelete => "channel-delete",
            Self::MessageNew => "message-new",
            Self::MessageUpdate => "message-update",
            Self::MessageDelete => "message-delete",
        }
    }
}

/// One push: `{ "type", "channel"?, "message"?, "channelId"?, "messageId"? }`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Frame {
    /// What happened.
    #[serde(rename = "type")]
    pub kind: FrameKind,
    /// The channel as it now is (`channel-new`, `channel-update`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<ChannelDocument>,
    /// The message as it now reads (`message-new`, `message-update`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<MessageDocument>,
    /// The channel concerned (`channel-delete` and every message frame).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel_id: Option<String>,
    /// The deleted message (`message-delete`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
}

impl Frame {
    /// A `channel-new` or `channel-update` carrying the whole channel.
    pub fn channel(kind: FrameKind, channel: ChannelDocument) -> Self {
        Self { kind, channel: Some(channel), message: None, channel_id: None, message_id: None }
    }

    /// A `channel-delete` of `channel_id`.
    pub fn channel_deleted(channel_id: &str) -> Self {
        Self {
            kind: FrameKind::ChannelDelete,
            channel: None,
            message: None,
            channel_id: Some(channel_id.to_owned()),
            message_id: None,
        }
    }

    /// A `message-new` or `message-update` carrying the whole message and its channel's id.
    pub fn message(kind: FrameKind, message: MessageDocument) -> Self {
        let channel_id = Some(message.channel_id.clone());
        Self { kind, channel: None, message: Some(message), channel_id, message_id: None }
    }

    /// A `message-delete` of `message_id` in `channel_id`.
    pub fn message_deleted(message_id: &str, channel_id: &str) -> Self {
        Self {
            kind: FrameKind::MessageDelete,
            channel: None,
            message: None,
            channel_id: Some(channel_id.to_owned()),
            message_id: Some(message_id.to_owned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_message_delete_frame_names_the_message_and_its_channel_and_nothing_else() {
        let frame = serde_json::to_value(Frame::message_deleted("m1", "c1")).unwrap();
        assert_eq!(frame, json!({ "type": "message-delete", "messageId": "m1", "channelId": "c1" }));
    }

    #[test]
    fn a_message_frame_carries_the_message_and_its_channel_id() {
        let message = MessageDocument {
            id: "m1".into(),
            channel_id: "c1".into(),
            body: "hello".into(),
            created_at: "2026-11-23T10:00:00Z".into(),
            creator: "ada".into(),
            edited_at: None,
        };
        let frame = serde_json::to_value(Frame::message(FrameKind::MessageNew, message)).unwrap();
        assert_eq!(frame["type"], "message-new");
        assert_eq!(frame["channelId"], "c1");
        assert_eq!(frame["message"]["body"], "hello");
        assert!(frame.get("messageId").is_none() && frame.get("channel").is_none());
    }

    #[test]
    fn every_kind_is_written_as_the_contract_spells_it() {
        for kind in [
            FrameKind::ChannelNew,
            FrameKind::ChannelUpdate,
            FrameKind::ChannelDelete,
            FrameKind::MessageNew,
            FrameKind::MessageUpdate,
            FrameKind::MessageDelete,
        ] {
            assert_eq!(serde_json::to_value(kind).unwrap(), json!(kind.as_str()));
        }
    }
}
