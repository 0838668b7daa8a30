//! Who receives what: pure functions of an event and the view of its channel, without any I/O.
//!
//! The view is the channel as `live` knows it once the event is applied (see [`crate::channels`]), or
//! `None` when it could not be loaded; then only what the event itself says is pushed.

use std::collections::BTreeSet;

use domain::meetups::{Channel, ChannelEvent, MessageEvent};
use read_model::meetups::{ChannelDocument, MessageDocument};

use crate::frames::{Frame, FrameKind};

/// Who receives a push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    /// Every connected user (a public channel).
    Everyone,
    /// These users only (members of a private channel).
    Users(BTreeSet<String>),
}

impl Audience {
    /// Whether `user_id` is in the audience.
    pub fn includes(&self, user_id: &str) -> bool {
        match self {
            Self::Everyone => true,
            Self::Users(users) => users.contains(user_id),
        }
    }

    fn members(members: impl IntoIterator<Item = impl Into<String>>) -> Self {
        Self::Users(members.into_iter().map(Into::into).collect())
    }

    /// Everyone for a public channel, its members for a private one.
    fn of(channel: &ChannelDocument) -> Self {
        if channel.private { Self::members(channel.members.iter().cloned()) } else { Self::Everyone }
    }

    fn is_nobody(&self) -> bool {
        matches!(self, Self::Users(users) if users.is_empty())
    }
}

/// One frame and who receives it.
#[derive(Debug, Clone, PartialEq)]
pub struct Push {
    /// Who receives it.
    pub audience: Audience,
    /// What they receive.
    pub frame: Frame,
}

/// The pushes a channel event causes. `view` is the channel with the event applied.
///
/// - created: `channel-new` to those who may see it;
/// - updated: `channel-update` to those who may see it;
/// - deleted: `channel-delete` to those who could see it (a private one's last members, from the event);
/// - member added: in a private channel `channel-new` to the new member and `channel-update` to the
///   others; in a public one `channel-update` to everyone;
/// - member removed: in a private channel `channel-delete` to the removed member (they lost it) and
///   `channel-update` to the remaining members; in a public one `channel-update` to everyone.
pub fn channel_pushes(channel_id: &str, event: &ChannelEvent, view: Option<&Channel>) -> Vec<Push> {
    let document = view.and_then(|channel| ChannelDocument::of(channel_id, channel));
    let pushes = match event {
        ChannelEvent::ChannelCreated { channel, members } => {
            let document =
                document.unwrap_or_else(|| ChannelDocument::new(channel_id, channel, members.clone(), None));
            vec![Push {
                audience: Audience::of(&document),
                frame: Frame::channel(FrameKind::ChannelNew, document),
            }]
        }
        ChannelEvent::ChannelDeleted { members, private, .. } => {
            let audience =
                if *private { Audience::members(members.iter().cloned()) } else { Audience::Everyone };
            vec![Push { audience, frame: Frame::channel_deleted(channel_id) }]
        }
        ChannelEvent::ChannelUpdated { .. } => document.map_or_else(Vec::new, |document| {
            vec![Push {
                audience: Audience::of(&document),
                frame: Frame::channel(FrameKind::ChannelUpdate, document),
            }]
        }),
        ChannelEvent::ChannelMemberAdded { user_id, .. } => {
            document.map_or_else(Vec::new, |document| member_added(user_id, document))
        }
        ChannelEvent::ChannelMemberRemoved { user_id, .. } => {
            document.map_or_else(Vec::new, |document| member_removed(channel_id, user_id, document))
        }
    };
    pushes.into_iter().filter(|push| !push.audience.is_nobody()).collect()
}

fn member_added(user_id: &str, document: ChannelDocument) -> Vec<Push> {
    if !document.private {
        return vec![Push {
            audience: Audience::Everyone,
            frame: Frame::channel(FrameKind::ChannelUpdate, document),
        }];
    }
    let others = document.members.iter().filter(|member| *member != user_id).cloned();
    vec![
        Push {
            audience: Audience::members(others),
            frame: Frame::channel(FrameKind::ChannelUpdate, document.clone()),
        },
        Push {
            audience: Audience::members([user_id]),
            frame: Frame::channel(FrameKind::ChannelNew, document),
        },
    ]
}

fn member_removed(channel_id: &str, user_id: &str, document: ChannelDocument) -> Vec<Push> {
    if !document.private {
        return vec![Push {
            audience: Audience::Everyone,
            frame: Frame::channel(FrameKind::ChannelUpdate, document),
        }];
    }
    let remaining = document.members.iter().filter(|member| *member != user_id).cloned();
    vec![
        Push {
            audience: Audience::members(remaining),
            frame: Frame::channel(FrameKind::ChannelUpdate, document),
        },
        Push { audience: Audience::members([user_id]), frame: Frame::channel_deleted(channel_id) },
    ]
}

/// The channel a message event belongs to.
pub fn channel_of(event: &MessageEvent) -> &str {
    match event {
        MessageEvent::MessagePosted { message } | MessageEvent::MessageEdited { message, .. } => {
            &message.channel_id
        }
        MessageEvent::MessageDeleted { channel_id, .. } => channel_id,
    }
}

/// The push a message event causes: to everyone the channel admits (everyone for a public channel, its
/// members for a private one), and to nobody when the channel is unknown, deleted or could not be loaded.
pub fn message_pushes(message_id: &str, event: &MessageEvent, channel: Option<&Channel>) -> Vec<Push> {
    let Some(channel) = channel else { return vec![] };
    let Some(info) = channel.info() else { return vec![] };
    let audience = if info.private { Audience::members(channel.members()) } else { Audience::Everyone };
    let frame = match event {
        MessageEvent::MessagePosted { message } => {
            Frame::message(FrameKind::MessageNew, MessageDocument::new(message_id, message, None))
        }
        MessageEvent::MessageEdited { message, edited_at } => Frame::message(
            FrameKind::MessageUpdate,
            MessageDocument::new(message_id, message, Some(*edited_at)),
        ),
        MessageEvent::MessageDeleted { channel_id, .. } => Frame::message_deleted(message_id, channel_id),
    };
    if audience.is_nobody() { vec![] } else { vec![Push { audience, frame }] }
}

#[cfg(test)]
#[path = "routing_tests.rs"]
mod tests;
