//! The `Channel` aggregate: a chat channel's name, privacy and members.
//!
//! A public channel is readable and writable by every user; a private one only by its members. Only its
//! creator may rename it, delete it, or add and remove members. A meetup's channel is public and people
//! join it by joining the meetup.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};

use super::ChannelName;

/// A channel as it was created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChannelInfo {
    /// Its name (unique among channels that are not a meetup's).
    pub name: ChannelName,
    /// What it is for (up to 1000 characters).
    pub description: String,
    /// Whether only members may read and write it.
    pub private: bool,
    /// The user who created it.
    pub creator: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// The meetup whose channel it is, if any.
    pub meetup_id: Option<String>,
    /// A hash of the creating request, to tell an idempotent replay from a different request.
    pub request_hash: String,
}

/// What can be asked of a channel.
#[derive(Debug, Clone, PartialEq)]
pub enum ChannelCommand {
    /// Create it with its first members (the creator among them).
    Create {
        /// The channel as created.
        channel: ChannelInfo,
        /// The first members' user ids.
        members: Vec<String>,
    },
    /// Change its name or description; `by` must be the creator.
    Update {
        /// The user asking.
        by: String,
        /// The new name, if it changes.
        name: Option<ChannelName>,
        /// The new description, if it changes.
        description: Option<String>,
        /// When it was asked.
        at: DateTime<Utc>,
    },
    /// Delete it; `by` must be the creator.
    Delete {
        /// The user asking.
        by: String,
        /// When it was asked.
        at: DateTime<Utc>,
    },
    /// Add a member: by the creator (`by`), or by joining the channel's meetup (`by` is `None`).
    AddMember {
        /// The user adding them, or `None` when they join through the meetup.
        by: Option<String>,
        /// The user who becomes a member.
        user_id: String,
        /// When it was asked.
        at: DateTime<Utc>,
    },
    /// Remove a member; `by` must be the creator.
    RemoveMember {
        /// The user asking.
        by: String,
        /// The member to remove.
        user_id: String,
        /// When it was asked.
        at: DateTime<Utc>,
    },
}

/// What happened to a channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ChannelEvent {
    /// The channel exists, with its first members.
    ChannelCreated {
        /// The channel as created.
        channel: ChannelInfo,
        /// The first members' user ids.
        members: Vec<String>,
    },
    /// Its name or description changed; `channel` is the whole channel as it now is.
    ChannelUpdated {
        /// The whole channel as it now is.
        channel: ChannelInfo,
        /// When it changed.
        edited_at: DateTime<Utc>,
    },
    /// It is gone; `members` were its members then, `private` whether it was private.
    ChannelDeleted {
        /// The user ids of its members when it was deleted.
        members: Vec<String>,
        /// Whether it was private.
        private: bool,
        /// When it was deleted.
        deleted_at: DateTime<Utc>,
    },
    /// A member joined or was added.
    ChannelMemberAdded {
        /// The new member.
        user_id: String,
        /// When they became a member.
        added_at: DateTime<Utc>,
    },
    /// A member was removed.
    ChannelMemberRemoved {
        /// The member removed.
        user_id: String,
        /// When they were removed.
        removed_at: DateTime<Utc>,
    },
}

impl ChannelEvent {
    /// The stored type of [`ChannelEvent::ChannelDeleted`]: a channel's last event, after which it
    /// never holds a name again.
    pub const DELETED: &'static str = "ChannelDeleted";
}

impl DomainEvent for ChannelEvent {
    fn event_type(&self) -> String {
        match self {
            ChannelEvent::ChannelCreated { .. } => "ChannelCreated",
            ChannelEvent::ChannelUpdated { .. } => "ChannelUpdated",
            ChannelEvent::ChannelDeleted { .. } => Self::DELETED,
            ChannelEvent::ChannelMemberAdded { .. } => "ChannelMemberAdded",
            ChannelEvent::ChannelMemberRemoved { .. } => "ChannelMemberRemoved",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        "1".to_owned()
    }
}

/// Why a channel refused a command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChannelRefusal {
    /// This id was already created (an idempotent replay, or a different request).
    #[error("the channel already exists")]
    AlreadyCreated {
        /// The hash of the request that created it.
        request_hash: String,
    },
    /// No channel has this id, or it was deleted.
    #[error("no such channel")]
    Unknown,
    /// Only the channel's creator may do this.
    #[error("only the channel's creator may do this")]
    NotCreator,
}

/// A channel's state.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct Channel {
    info: Option<ChannelInfo>,
    members: BTreeSet<String>,
    edited_at: Option<DateTime<Utc>>,
    deleted: bool,
}

impl Channel {
    /// The channel as it now is (name and description as last updated), unless unknown or deleted.
    pub fn info(&self) -> Option<&ChannelInfo> {
        self.info.as_ref().filter(|_| !self.deleted)
    }

    /// Its members, in id order.
    pub fn members(&self) -> impl Iterator<Item = &str> {
        self.members.iter().map(String::as_str)
    }

    /// When its name or description last changed.
    pub fn edited_at(&self) -> Option<DateTime<Utc>> {
        self.edited_at
    }

    /// Whether `user_id` may read and post in it: anyone in a public channel, members in a private one.
    pub fn admits(&self, user_id: &str) -> bool {
        self.info().is_some_and(|info| !info.private || self.members.contains(user_id))
    }
}

/// Decides what a command does to a channel.
pub fn decide(channel: &Channel, command: ChannelCommand) -> Result<Vec<ChannelEvent>, ChannelRefusal> {
    if let ChannelCommand::Create { channel: info, members } = command {
        return match &channel.info {
            None => Ok(vec![ChannelEvent::ChannelCreated { channel: info, members }]),
            Some(existing) => {
                Err(ChannelRefusal::AlreadyCreated { request_hash: existing.request_hash.clone() })
            }
        };
    }
    let info = channel.info().ok_or(ChannelRefusal::Unknown)?;
    let by_creator = |by: &str| if by == info.creator { Ok(()) } else { Err(ChannelRefusal::NotCreator) };
    match command {
        ChannelCommand::Create { .. } => unreachable!("handled above"),
        ChannelCommand::Update { by, name, description, at } => {
            by_creator(&by)?;
            let updated = ChannelInfo {
                name: name.unwrap_or_else(|| info.name.clone()),
                description: description.unwrap_or_else(|| info.description.clone()),
                ..info.clone()
            };
            if &updated == info {
                return Ok(vec![]);
            }
            Ok(vec![ChannelEvent::ChannelUpdated { channel: updated, edited_at: at }])
        }
        ChannelCommand::Delete { by, at } => {
            by_creator(&by)?;
            Ok(vec![ChannelEvent::ChannelDeleted {
                members: channel.members.iter().cloned().collect(),
                private: info.private,
                deleted_at: at,
            }])
        }
        ChannelCommand::AddMember { by, user_id, at } => {
            if let Some(by) = by {
                by_creator(&by)?;
            }
            Ok(if channel.members.contains(&user_id) {
                vec![]
            } else {
                vec![ChannelEvent::ChannelMemberAdded { user_id, added_at: at }]
            })
        }
        ChannelCommand::RemoveMember { by, user_id, at } => {
            by_creator(&by)?;
            Ok(if channel.members.contains(&user_id) {
                vec![ChannelEvent::ChannelMemberRemoved { user_id, removed_at: at }]
            } else {
                vec![]
            })
        }
    }
}

impl Aggregate for Channel {
    const TYPE: &'static str = "channel";
    type Command = ChannelCommand;
    type Event = ChannelEvent;
    type Error = ChannelRefusal;
    type Services = ();

    async fn handle(
        &mut self,
        command: ChannelCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), ChannelRefusal> {
        for event in decide(self, command)? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: ChannelEvent) {
        match event {
            ChannelEvent::ChannelCreated { channel, members } => {
                self.members = members.into_iter().collect();
                self.info = Some(channel);
            }
            ChannelEvent::ChannelUpdated { channel, edited_at } => {
                self.info = Some(channel);
                self.edited_at = Some(edited_at);
            }
            ChannelEvent::ChannelDeleted { .. } => self.deleted = true,
            ChannelEvent::ChannelMemberAdded { user_id, .. } => {
                self.members.insert(user_id);
            }
            ChannelEvent::ChannelMemberRemoved { user_id, .. } => {
                self.members.remove(&user_id);
            }
        }
    }
}

#[cfg(test)]
mod tests;
