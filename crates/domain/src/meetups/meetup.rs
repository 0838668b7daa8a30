//! The `Meetup` aggregate: a meetup event and who joined it.
//!
//! (Named `Meetup`, not `Event`, so it is never confused with the event log's events.) Creating one
//! also creates its public chat channel, whose id the meetup carries; the creator is its first member.
//! Later members join through a [`super::Membership`] each, so a popular meetup never grows hot.

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
}

/// What happened to a meetup.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum MeetupEvent {
    /// It was announced; its creator is its first member.
    MeetupCreated {
        /// The meetup as announced.
        meetup: MeetupInfo,
    },
}

impl DomainEvent for MeetupEvent {
    fn event_type(&self) -> String {
        match self {
            MeetupEvent::MeetupCreated { .. } => "MeetupCreated",
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
    AlreadyCreated {
        /// The hash of the request that created it.
        request_hash: String,
    },
}

/// A meetup's state.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct Meetup {
    info: Option<MeetupInfo>,
}

impl Meetup {
    /// The meetup as announced, once created.
    pub fn info(&self) -> Option<&MeetupInfo> {
        self.info.as_ref()
    }
}

/// Decides what a command does to a meetup.
pub fn decide(meetup: &Meetup, command: MeetupCommand) -> Result<Vec<MeetupEvent>, MeetupRefusal> {
    let MeetupCommand::Create(info) = command;
    match &meetup.info {
        None => Ok(vec![MeetupEvent::MeetupCreated { meetup: info }]),
        Some(existing) => Err(MeetupRefusal::AlreadyCreated { request_hash: existing.request_hash.clone() }),
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
        let MeetupEvent::MeetupCreated { meetup } = event;
        self.info = Some(meetup);
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

    #[test]
    fn creating_twice_tells_the_first_request_s_hash() {
        TestFramework::<Meetup>::with(())
            .given(vec![MeetupEvent::MeetupCreated { meetup: info() }])
            .when(MeetupCommand::Create(MeetupInfo { request_hash: "h2".into(), ..info() }))
            .then_expect_error(MeetupRefusal::AlreadyCreated { request_hash: "h1".into() });
    }
}
