//! The `Membership` aggregate: one user having joined one meetup.
//!
//! A meetup's members are not kept in the meetup: every join would load and append to that one
//! aggregate, so a popular meetup would be slower to join the more people joined, and a burst of joins
//! would collide. Each join is an aggregate of its own, created once; joining again finds it and
//! changes nothing. The projector counts them into the meetup's `memberCount`.

use chrono::{DateTime, Utc};
use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};

/// The id of `user_id`'s membership of meetup `meetup_id`.
pub fn membership_id(meetup_id: &str, user_id: &str) -> String {
    format!("{meetup_id}/{user_id}")
}

/// What can be asked of a membership.
#[derive(Debug, Clone, PartialEq)]
pub enum MembershipCommand {
    /// Join (again: nothing happens).
    Join {
        /// The meetup joined.
        meetup_id: String,
        /// The user joining.
        user_id: String,
        /// When they asked to join.
        at: DateTime<Utc>,
    },
}

/// What happened to a membership.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum MembershipEvent {
    /// A user who had not joined the meetup joined it.
    MeetupMemberJoined {
        /// The meetup joined.
        meetup_id: String,
        /// The user who joined.
        user_id: String,
        /// When they joined.
        joined_at: DateTime<Utc>,
    },
}

impl DomainEvent for MembershipEvent {
    fn event_type(&self) -> String {
        match self {
            MembershipEvent::MeetupMemberJoined { .. } => "MeetupMemberJoined",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        "1".to_owned()
    }
}

/// A membership never refuses: joining twice is joining once.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a membership refuses nothing")]
pub struct MembershipRefusal;

/// A membership's state: whether the user joined.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct Membership {
    joined: bool,
}

impl Aggregate for Membership {
    const TYPE: &'static str = "meetup_member";
    type Command = MembershipCommand;
    type Event = MembershipEvent;
    type Error = MembershipRefusal;
    type Services = ();

    async fn handle(
        &mut self,
        command: MembershipCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), MembershipRefusal> {
        let MembershipCommand::Join { meetup_id, user_id, at } = command;
        if !self.joined {
            sink.write(MembershipEvent::MeetupMemberJoined { meetup_id, user_id, joined_at: at }, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: MembershipEvent) {
        let MembershipEvent::MeetupMemberJoined { .. } = event;
        self.joined = true;
    }
}

#[cfg(test)]
mod tests {
    use cqrs_es::test::TestFramework;

    use super::*;

    fn join() -> MembershipCommand {
        MembershipCommand::Join { meetup_id: "m1".into(), user_id: "bob".into(), at: DateTime::UNIX_EPOCH }
    }

    #[test]
    fn joining_records_the_member_once() {
        let joined = MembershipEvent::MeetupMemberJoined {
            meetup_id: "m1".into(),
            user_id: "bob".into(),
            joined_at: DateTime::UNIX_EPOCH,
        };
        TestFramework::<Membership>::with(())
            .given_no_previous_events()
            .when(join())
            .then_expect_events(vec![joined.clone()]);
        TestFramework::<Membership>::with(()).given(vec![joined]).when(join()).then_expect_events(vec![]);
    }
}
