//! Reading the events `live` acts on out of the relay's envelopes.

use domain::meetups::{Channel, ChannelEvent, Message, MessageEvent};
use messaging::Envelope;

/// An event of the log that `live` acts on.
#[derive(Debug, Clone, PartialEq)]
pub enum ChatEvent {
    /// Something happened to a channel.
    Channel {
        /// The channel's id.
        channel_id: String,
        /// What happened.
        event: ChannelEvent,
    },
    /// Something happened to a message.
    Message {
        /// The message's id.
        message_id: String,
        /// What happened.
        event: MessageEvent,
    },
    /// A session ended: its sockets must close.
    SessionRevoked {
        /// Whose session.
        user_id: String,
        /// The session, the token's `sid`.
        session_id: String,
    },
    /// Anything else (another user event that a broad binding let through).
    Ignored,
}

/// The payload of an envelope `live` acts on did not have the shape of its event type.
#[derive(Debug, thiserror::Error)]
#[error("event {id} of type {event_type} cannot be read")]
pub struct UnreadableEvent {
    id: String,
    event_type: String,
    #[source]
    source: serde_json::Error,
}

impl ChatEvent {
    /// The event an envelope carries.
    pub fn read(envelope: &Envelope) -> Result<Self, UnreadableEvent> {
        use cqrs_es::Aggregate as _;
        let unreadable = |source| UnreadableEvent {
            id: envelope.id.clone(),
            event_type: envelope.event_type.clone(),
            source,
        };
        let payload = envelope.payload.clone();
        Ok(match envelope.aggregate_type.as_str() {
            Channel::TYPE => Self::Channel {
                channel_id: envelope.aggregate_id.clone(),
                event: serde_json::from_value(payload).map_err(unreadable)?,
            },
            Message::TYPE => Self::Message {
                message_id: envelope.aggregate_id.clone(),
                event: serde_json::from_value(payload).map_err(unreadable)?,
            },
            "user" if envelope.event_type == "UserSessionRevoked" => {
                #[derive(serde::Deserialize)]
                enum Revoked {
                    UserSessionRevoked { session_id: String },
                }
                let Revoked::UserSessionRevoked { session_id } =
                    serde_json::from_value(payload).map_err(unreadable)?;
                Self::SessionRevoked { user_id: envelope.aggregate_id.clone(), session_id }
            }
            _ => Self::Ignored,
        })
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use serde_json::{Value, json};

    use super::*;

    fn envelope(aggregate_type: &str, aggregate_id: &str, event_type: &str, payload: Value) -> Envelope {
        Envelope {
            id: format!("{aggregate_type}:{aggregate_id}:1"),
            position: 1,
            aggregate_type: aggregate_type.to_owned(),
            aggregate_id: aggregate_id.to_owned(),
            sequence: 1,
            event_type: event_type.to_owned(),
            version: "1".to_owned(),
            recorded_at: Utc::now(),
            metadata: json!({}),
            payload,
        }
    }

    #[test]
    fn a_revoked_session_names_its_user_and_session() {
        let payload = json!({ "UserSessionRevoked": { "session_id": "s1" } });
        let event = ChatEvent::read(&envelope("user", "u1", "UserSessionRevoked", payload)).unwrap();
        assert_eq!(event, ChatEvent::SessionRevoked { user_id: "u1".into(), session_id: "s1".into() });
    }

    #[test]
    fn a_message_deletion_is_read_with_its_message_id() {
        let payload =
            json!({ "MessageDeleted": { "channel_id": "c1", "deleted_at": "2026-11-23T10:00:00Z" } });
        let event = ChatEvent::read(&envelope("message", "m1", "MessageDeleted", payload)).unwrap();
        let ChatEvent::Message { message_id, event: MessageEvent::MessageDeleted { channel_id, .. } } = event
        else {
            panic!("not a message deletion: {event:?}");
        };
        assert_eq!((message_id.as_str(), channel_id.as_str()), ("m1", "c1"));
    }

    #[test]
    fn a_channel_member_event_is_read_with_its_channel_id() {
        let payload =
            json!({ "ChannelMemberAdded": { "user_id": "bob", "added_at": "2026-11-23T10:00:00Z" } });
        let event = ChatEvent::read(&envelope("channel", "c1", "ChannelMemberAdded", payload)).unwrap();
        assert!(matches!(event, ChatEvent::Channel { ref channel_id, .. } if channel_id == "c1"));
    }

    #[test]
    fn other_user_events_are_ignored() {
        let payload = json!({ "UserProfileUpdated": { "profile": {} } });
        let event = ChatEvent::read(&envelope("user", "u1", "UserProfileUpdated", payload)).unwrap();
        assert_eq!(event, ChatEvent::Ignored);
    }

    #[test]
    fn a_payload_of_the_wrong_shape_is_an_error() {
        let payload = json!({ "MessagePosted": { "nonsense": true } });
        assert!(ChatEvent::read(&envelope("message", "m1", "MessagePosted", payload)).is_err());
    }
}
