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
    Create { channel: ChannelInfo, members: Vec<String> },
    /// Change its name or description; `by` must be the creator.
    Update { by: String, name: Option<ChannelName>, description: Option<String>, at: DateTime<Utc> },
    /// Delete it; `by` must be the creator.
    Delete { by: String, at: DateTime<Utc> },
    /// Add a member: by the creator (`by`), or by joining the channel's meetup (`by` is `None`).
    AddMember { by: Option<String>, user_id: String, at: DateTime<Utc> },
    /// Remove a member; `by` must be the creator.
    RemoveMember { by: String, user_id: String, at: DateTime<Utc> },
}

/// What happened to a channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ChannelEvent {
    /// The channel exists, with its first members.
    ChannelCreated { channel: ChannelInfo, members: Vec<String> },
    /// Its name or description changed; `channel` is the whole channel as it now is.
    ChannelUpdated { channel: ChannelInfo, edited_at: DateTime<Utc> },
    /// It is gone; `members` were its members then, `private` whether it was private.
    ChannelDeleted { members: Vec<String>, private: bool, deleted_at: DateTime<Utc> },
    /// A member joined or was added.
    ChannelMemberAdded { user_id: String, added_at: DateTime<Utc> },
    /// A member was removed.
    ChannelMemberRemoved { user_id: String, removed_at: DateTime<Utc> },
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
    AlreadyCreated { request_hash: String },
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
mod tests {
    use cqrs_es::test::TestFramework;

    use super::*;

    const AT: DateTime<Utc> = DateTime::UNIX_EPOCH;

    fn info(private: bool) -> ChannelInfo {
        ChannelInfo {
            name: ChannelName::parse("synths").unwrap(),
            description: "modular talk".into(),
            private,
            creator: "ada".into(),
            created_at: AT,
            meetup_id: None,
            request_hash: "h1".into(),
        }
    }

    fn created(private: bool) -> Vec<ChannelEvent> {
        vec![ChannelEvent::ChannelCreated { channel: info(private), members: vec!["ada".into()] }]
    }

    fn channel_after(events: Vec<ChannelEvent>) -> Channel {
        let mut channel = Channel::default();
        events.into_iter().for_each(|event| channel.apply(event));
        channel
    }

    #[test]
    fn a_public_channel_admits_everyone_and_a_private_one_only_its_members() {
        assert!(channel_after(created(false)).admits("bob"));
        let private = channel_after(created(true));
        assert!(private.admits("ada"));
        assert!(!private.admits("bob"));
        let mut events = created(true);
        events.push(ChannelEvent::ChannelMemberAdded { user_id: "bob".into(), added_at: AT });
        assert!(channel_after(events).admits("bob"));
    }

    #[test]
    fn only_the_creator_may_update_delete_or_manage_members() {
        let not_creator = [
            ChannelCommand::Update { by: "bob".into(), name: None, description: Some("x".into()), at: AT },
            ChannelCommand::Delete { by: "bob".into(), at: AT },
            ChannelCommand::AddMember { by: Some("bob".into()), user_id: "eve".into(), at: AT },
            ChannelCommand::RemoveMember { by: "bob".into(), user_id: "ada".into(), at: AT },
        ];
        for command in not_creator {
            TestFramework::<Channel>::with(())
                .given(created(true))
                .when(command)
                .then_expect_error(ChannelRefusal::NotCreator);
        }
    }

    #[test]
    fn joining_through_a_meetup_needs_no_creator_and_joining_twice_changes_nothing() {
        TestFramework::<Channel>::with(())
            .given(created(false))
            .when(ChannelCommand::AddMember { by: None, user_id: "bob".into(), at: AT })
            .then_expect_events(vec![ChannelEvent::ChannelMemberAdded {
                user_id: "bob".into(),
                added_at: AT,
            }]);
        TestFramework::<Channel>::with(())
            .given(created(false))
            .when(ChannelCommand::AddMember { by: None, user_id: "ada".into(), at: AT })
            .then_expect_events(vec![]);
    }

    #[test]
    fn an_update_keeps_what_it_does_not_mention_and_an_unchanged_one_records_nothing() {
        let renamed = ChannelName::parse("modular").unwrap();
        TestFramework::<Channel>::with(())
            .given(created(false))
            .when(ChannelCommand::Update {
                by: "ada".into(),
                name: Some(renamed.clone()),
                description: None,
                at: AT,
            })
            .then_expect_events(vec![ChannelEvent::ChannelUpdated {
                channel: ChannelInfo { name: renamed, ..info(false) },
                edited_at: AT,
            }]);
        TestFramework::<Channel>::with(())
            .given(created(false))
            .when(ChannelCommand::Update { by: "ada".into(), name: None, description: None, at: AT })
            .then_expect_events(vec![]);
    }

    #[test]
    fn a_deleted_channel_tells_its_last_members_and_then_is_unknown() {
        TestFramework::<Channel>::with(())
            .given(created(true))
            .when(ChannelCommand::Delete { by: "ada".into(), at: AT })
            .then_expect_events(vec![ChannelEvent::ChannelDeleted {
                members: vec!["ada".into()],
                private: true,
                deleted_at: AT,
            }]);
        let mut events = created(false);
        events.push(ChannelEvent::ChannelDeleted { members: vec![], private: false, deleted_at: AT });
        assert!(!channel_after(events.clone()).admits("ada"));
        TestFramework::<Channel>::with(())
            .given(events)
            .when(ChannelCommand::Delete { by: "ada".into(), at: AT })
            .then_expect_error(ChannelRefusal::Unknown);
    }

    #[test]
    fn a_deleted_channel_is_never_created_again_so_its_deletion_is_its_last_event() {
        let mut events = created(false);
        events.push(ChannelEvent::ChannelDeleted { members: vec![], private: false, deleted_at: AT });
        TestFramework::<Channel>::with(())
            .given(events.clone())
            .when(ChannelCommand::Create { channel: info(false), members: vec!["ada".into()] })
            .then_expect_error(ChannelRefusal::AlreadyCreated { request_hash: "h1".into() });
        let changes = [
            ChannelCommand::Update { by: "ada".into(), name: None, description: Some("x".into()), at: AT },
            ChannelCommand::AddMember { by: None, user_id: "bob".into(), at: AT },
            ChannelCommand::RemoveMember { by: "ada".into(), user_id: "ada".into(), at: AT },
        ];
        for command in changes {
            TestFramework::<Channel>::with(())
                .given(events.clone())
                .when(command)
                .then_expect_error(ChannelRefusal::Unknown);
        }
        assert_eq!(events[1].event_type(), ChannelEvent::DELETED);
    }
}
