//! The `Meetup` aggregate: a meetup event and who joined it.
//!
//! (Named `Meetup`, not `Event`, so it is never confused with the event log's events.) Creating one
//! also creates its public chat channel, whose id the meetup carries; the creator joins both.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};

/// A meetup as it was announced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MeetupInfo {
    /// What it is called (1–200 characters).
    pub title: String,
    /// When it takes place.
    pub date_time: DateTime<Utc>,
    /// Where (1–200 characters).
    pub location: String,
    /// What it is about (up to 4000 characters).
    pub description: String,
    /// Its public chat channel.
    pub channel_id: String,
    /// The user who created it.
    pub creator: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// A hash of the creating request, to tell an idempotent replay from a different request.
    pub request_hash: String,
}

/// What can be asked of a meetup.
#[derive(Debug, Clone, PartialEq)]
pub enum MeetupCommand {
    /// Announce it; the creator is its first member.
    Create(MeetupInfo),
    /// A user joins (again: nothing happens).
    Join { user_id: String, at: DateTime<Utc> },
}

/// What happened to a meetup.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum MeetupEvent {
    /// It was announced; its creator is its first member.
    MeetupCreated { meetup: MeetupInfo },
    /// A user joined; `member_count` counts the members after them.
    MeetupJoined { user_id: String, member_count: u64, joined_at: DateTime<Utc> },
}

impl DomainEvent for MeetupEvent {
    fn event_type(&self) -> String {
        match self {
            MeetupEvent::MeetupCreated { .. } => "MeetupCreated",
            MeetupEvent::MeetupJoined { .. } => "MeetupJoined",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        "1".to_owned()
    }
}

/// Why a meetup refused a command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MeetupRefusal {
    /// This id was already created (an idempotent replay, or a different request).
    #[error("the meetup already exists")]
    AlreadyCreated { request_hash: String },
    /// No meetup has this id.
    #[error("no such meetup")]
    Unknown,
}

/// A meetup's state.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct Meetup {
    info: Option<MeetupInfo>,
    members: BTreeSet<String>,
}

impl Meetup {
    /// The meetup as announced, once created.
    pub fn info(&self) -> Option<&MeetupInfo> {
        self.info.as_ref()
    }

    /// How many users joined, the creator included.
    pub fn member_count(&self) -> u64 {
        self.members.len() as u64
    }

    /// Whether `user_id` joined.
    pub fn has_member(&self, user_id: &str) -> bool {
        self.members.contains(user_id)
    }
}

/// Decides what a command does to a meetup.
pub fn decide(meetup: &Meetup, command: MeetupCommand) -> Result<Vec<MeetupEvent>, MeetupRefusal> {
    match (command, &meetup.info) {
        (MeetupCommand::Create(info), None) => Ok(vec![MeetupEvent::MeetupCreated { meetup: info }]),
        (MeetupCommand::Create(_), Some(info)) => {
            Err(MeetupRefusal::AlreadyCreated { request_hash: info.request_hash.clone() })
        }
        (MeetupCommand::Join { .. }, None) => Err(MeetupRefusal::Unknown),
        (MeetupCommand::Join { user_id, .. }, Some(_)) if meetup.has_member(&user_id) => Ok(vec![]),
        (MeetupCommand::Join { user_id, at }, Some(_)) => Ok(vec![MeetupEvent::MeetupJoined {
            user_id,
            member_count: meetup.member_count() + 1,
            joined_at: at,
        }]),
    }
}

impl Aggregate for Meetup {
    const TYPE: &'static str = "meetup";
    type Command = MeetupCommand;
    type Event = MeetupEvent;
    type Error = MeetupRefusal;
    type Services = ();

    async fn handle(
        &mut self,
        command: MeetupCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), MeetupRefusal> {
        for event in decide(self, command)? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: MeetupEvent) {
        match event {
            MeetupEvent::MeetupCreated { meetup } => {
                self.members.insert(meetup.creator.clone());
                self.info = Some(meetup);
            }
            MeetupEvent::MeetupJoined { user_id, .. } => {
                self.members.insert(user_id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use cqrs_es::test::TestFramework;

    use super::*;

    fn info() -> MeetupInfo {
        MeetupInfo {
            title: "Jam night".into(),
            date_time: DateTime::UNIX_EPOCH,
            location: "The cellar".into(),
            description: String::new(),
            channel_id: "c1".into(),
            creator: "ada".into(),
            created_at: DateTime::UNIX_EPOCH,
            request_hash: "h1".into(),
        }
    }

    fn join(user_id: &str) -> MeetupCommand {
        MeetupCommand::Join { user_id: user_id.into(), at: DateTime::UNIX_EPOCH }
    }

    #[test]
    fn creating_a_meetup_makes_its_creator_the_first_member() {
        let mut meetup = Meetup::default();
        meetup.apply(MeetupEvent::MeetupCreated { meetup: info() });
        assert_eq!(meetup.member_count(), 1);
        assert!(meetup.has_member("ada"));
    }

    #[test]
    fn joining_counts_the_new_member_and_joining_again_changes_nothing() {
        TestFramework::<Meetup>::with(())
            .given(vec![MeetupEvent::MeetupCreated { meetup: info() }])
            .when(join("bob"))
            .then_expect_events(vec![MeetupEvent::MeetupJoined {
                user_id: "bob".into(),
                member_count: 2,
                joined_at: DateTime::UNIX_EPOCH,
            }]);
        TestFramework::<Meetup>::with(())
            .given(vec![MeetupEvent::MeetupCreated { meetup: info() }])
            .when(join("ada"))
            .then_expect_events(vec![]);
    }

    #[test]
    fn joining_an_unknown_meetup_is_refused() {
        TestFramework::<Meetup>::with(())
            .given_no_previous_events()
            .when(join("bob"))
            .then_expect_error(MeetupRefusal::Unknown);
    }

    #[test]
    fn creating_twice_tells_the_first_request_s_hash() {
        TestFramework::<Meetup>::with(())
            .given(vec![MeetupEvent::MeetupCreated { meetup: info() }])
            .when(MeetupCommand::Create(MeetupInfo { request_hash: "h2".into(), ..info() }))
            .then_expect_error(MeetupRefusal::AlreadyCreated { request_hash: "h1".into() });
    }
}
