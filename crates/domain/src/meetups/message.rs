//! The `Message` aggregate: one post in a channel, which only its author may edit or delete.
//!
//! Whether the author may post in the channel is the channel's rule ([`super::Channel::admits`]); the
//! command side checks it before posting. An edit carries the whole message and a deletion its channel,
//! so that the projector and the live push need nothing but the event.

use chrono::{DateTime, Utc};
use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};

use super::MessageBody;

/// A message as it was posted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageInfo {
    /// The channel it was posted in.
    pub channel_id: String,
    /// What it says.
    pub body: MessageBody,
    /// Its author.
    pub creator: String,
    /// When it was posted.
    pub created_at: DateTime<Utc>,
    /// A hash of the posting request, to tell an idempotent replay from a different request.
    pub request_hash: String,
}

/// What can be asked of a message.
#[derive(Debug, Clone, PartialEq)]
pub enum MessageCommand {
    /// Post it.
    Post(MessageInfo),
    /// Change what it says; `by` must be its author.
    Edit {
        /// The user asking.
        by: String,
        /// What it now says.
        body: MessageBody,
        /// When it was asked.
        at: DateTime<Utc>,
    },
    /// Delete it; `by` must be its author.
    Delete {
        /// The user asking.
        by: String,
        /// When it was asked.
        at: DateTime<Utc>,
    },
}

/// What happened to a message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum MessageEvent {
    /// It was posted.
    MessagePosted {
        /// The message as posted.
        message: MessageInfo,
    },
    /// It was edited; `message` is the whole message as it now reads.
    MessageEdited {
        /// The whole message as it now reads.
        message: MessageInfo,
        /// When it was edited.
        edited_at: DateTime<Utc>,
    },
    /// It is gone.
    MessageDeleted {
        /// The channel it was posted in.
        channel_id: String,
        /// When it was deleted.
        deleted_at: DateTime<Utc>,
    },
}

impl DomainEvent for MessageEvent {
    fn event_type(&self) -> String {
        match self {
            MessageEvent::MessagePosted { .. } => "MessagePosted",
            MessageEvent::MessageEdited { .. } => "MessageEdited",
            MessageEvent::MessageDeleted { .. } => "MessageDeleted",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        "1".to_owned()
    }
}

/// Why a message refused a command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MessageRefusal {
    /// This id was already posted (an idempotent replay, or a different request).
    #[error("the message already exists")]
    AlreadyPosted {
        /// The hash of the request that posted it.
        request_hash: String,
    },
    /// No message has this id, or it was deleted.
    #[error("no such message")]
    Unknown,
    /// Only the message's author may do this.
    #[error("only the message's author may do this")]
    NotAuthor,
}

/// A message's state.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    info: Option<MessageInfo>,
    edited_at: Option<DateTime<Utc>>,
    deleted: bool,
}

impl Message {
    /// The message as it now reads, unless unknown or deleted.
    pub fn info(&self) -> Option<&MessageInfo> {
        self.info.as_ref().filter(|_| !self.deleted)
    }

    /// When it was last edited.
    pub fn edited_at(&self) -> Option<DateTime<Utc>> {
        self.edited_at
    }
}

/// Decides what a command does to a message.
pub fn decide(message: &Message, command: MessageCommand) -> Result<Vec<MessageEvent>, MessageRefusal> {
    if let MessageCommand::Post(info) = command {
        return match &message.info {
            None => Ok(vec![MessageEvent::MessagePosted { message: info }]),
            Some(existing) => {
                Err(MessageRefusal::AlreadyPosted { request_hash: existing.request_hash.clone() })
            }
        };
    }
    let info = message.info().ok_or(MessageRefusal::Unknown)?;
    let by_author = |by: &str| if by == info.creator { Ok(()) } else { Err(MessageRefusal::NotAuthor) };
    match command {
        MessageCommand::Post(_) => unreachable!("handled above"),
        MessageCommand::Edit { by, body, at } => {
            by_author(&by)?;
            if body == info.body {
                return Ok(vec![]);
            }
            let message = MessageInfo { body, ..info.clone() };
            Ok(vec![MessageEvent::MessageEdited { message, edited_at: at }])
        }
        MessageCommand::Delete { by, at } => {
            by_author(&by)?;
            Ok(vec![MessageEvent::MessageDeleted { channel_id: info.channel_id.clone(), deleted_at: at }])
        }
    }
}

impl Aggregate for Message {
    const TYPE: &'static str = "message";
    type Command = MessageCommand;
    type Event = MessageEvent;
    type Error = MessageRefusal;
    type Services = ();

    async fn handle(
        &mut self,
        command: MessageCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), MessageRefusal> {
        for event in decide(self, command)? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: MessageEvent) {
        match event {
            MessageEvent::MessagePosted { message } => self.info = Some(message),
            MessageEvent::MessageEdited { message, edited_at } => {
                self.info = Some(message);
                self.edited_at = Some(edited_at);
            }
            MessageEvent::MessageDeleted { .. } => self.deleted = true,
        }
    }
}

#[cfg(test)]
mod tests {
    use cqrs_es::test::TestFramework;

    use super::*;

    const AT: DateTime<Utc> = DateTime::UNIX_EPOCH;

    fn body(text: &str) -> MessageBody {
        MessageBody::parse(text).unwrap()
    }

    fn info() -> MessageInfo {
        MessageInfo {
            channel_id: "c1".into(),
            body: body("hello"),
            creator: "ada".into(),
            created_at: AT,
            request_hash: "h1".into(),
        }
    }

    fn posted() -> Vec<MessageEvent> {
        vec![MessageEvent::MessagePosted { message: info() }]
    }

    #[test]
    fn the_author_edits_and_the_edit_carries_the_whole_message() {
        TestFramework::<Message>::with(())
            .given(posted())
            .when(MessageCommand::Edit { by: "ada".into(), body: body("hello all"), at: AT })
            .then_expect_events(vec![MessageEvent::MessageEdited {
                message: MessageInfo { body: body("hello all"), ..info() },
                edited_at: AT,
            }]);
    }

    #[test]
    fn someone_else_may_neither_edit_nor_delete() {
        TestFramework::<Message>::with(())
            .given(posted())
            .when(MessageCommand::Edit { by: "bob".into(), body: body("x"), at: AT })
            .then_expect_error(MessageRefusal::NotAuthor);
        TestFramework::<Message>::with(())
            .given(posted())
            .when(MessageCommand::Delete { by: "bob".into(), at: AT })
            .then_expect_error(MessageRefusal::NotAuthor);
    }

    #[test]
    fn a_deleted_message_is_unknown() {
        let mut events = posted();
        events.push(MessageEvent::MessageDeleted { channel_id: "c1".into(), deleted_at: AT });
        TestFramework::<Message>::with(())
            .given(events)
            .when(MessageCommand::Edit { by: "ada".into(), body: body("x"), at: AT })
            .then_expect_error(MessageRefusal::Unknown);
    }
}
