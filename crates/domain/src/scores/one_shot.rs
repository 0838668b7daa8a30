//! One-shot aggregates: a request recorded once, under an id its idempotency key derives. A second
//! command on that id records nothing and answers with the hash of the request already recorded, so
//! a replay is told from a different request.
//!
//! A score submission and a leaderboard refresh request are both this: [`OneShot`] is parameterised
//! by what it records, and each record names the aggregate type and the event it is stored under.

use std::fmt;
use std::marker::PhantomData;

use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use serde::de::{self, DeserializeOwned, DeserializeSeed, EnumAccess, VariantAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::AlreadyAccepted;

/// What a one-shot aggregate records, and the names the log stores it under.
pub trait OneShotRecord:
    fmt::Debug + Clone + PartialEq + Serialize + DeserializeOwned + Send + Sync + 'static
{
    /// The aggregate's type in the log (`aggregate_type`).
    const AGGREGATE_TYPE: &'static str;
    /// The name of its one event: the event's `event_type`, and the one key of its payload.
    const EVENT_TYPE: &'static str;
    /// The hash of the request that asked for it, to tell a replay from a different request.
    fn request_hash(&self) -> &str;
}

/// The one command: record this, unless something is recorded already.
#[derive(Debug, Clone, PartialEq)]
pub struct Record<R>(pub R);

/// The one event: it was recorded. Stored as `{ "<EVENT_TYPE>": <record> }`, the shape serde gives a
/// one-variant enum, which is what these events were before they shared this type.
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded<R>(pub R);

/// A one-shot aggregate's state: the hash of the request it recorded, if any.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct OneShot<R> {
    accepted_request_hash: Option<String>,
    #[serde(skip)]
    record: PhantomData<R>,
}

impl<R> Default for OneShot<R> {
    fn default() -> Self {
        Self { accepted_request_hash: None, record: PhantomData }
    }
}

/// Decides what a command does: a new aggregate records it, one that recorded something refuses.
pub fn decide<R: OneShotRecord>(
    state: &OneShot<R>,
    Record(record): Record<R>,
) -> Result<Vec<Recorded<R>>, AlreadyAccepted> {
    match &state.accepted_request_hash {
        Some(request_hash) => Err(AlreadyAccepted { request_hash: request_hash.clone() }),
        None => Ok(vec![Recorded(record)]),
    }
}

impl<R: OneShotRecord> Aggregate for OneShot<R> {
    const TYPE: &'static str = R::AGGREGATE_TYPE;
    type Command = Record<R>;
    type Event = Recorded<R>;
    type Error = AlreadyAccepted;
    type Services = ();

    async fn handle(
        &mut self,
        command: Record<R>,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), AlreadyAccepted> {
        for event in decide(self, command)? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, Recorded(record): Recorded<R>) {
        self.accepted_request_hash = Some(record.request_hash().to_owned());
    }
}

impl<R: OneShotRecord> DomainEvent for Recorded<R> {
    fn event_type(&self) -> String {
        R::EVENT_TYPE.to_owned()
    }

    fn event_version(&self) -> String {
        "1".to_owned()
    }
}

impl<R: OneShotRecord> Serialize for Recorded<R> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_newtype_variant("Recorded", 0, R::EVENT_TYPE, &self.0)
    }
}

impl<'de, R: OneShotRecord> Deserialize<'de> for Recorded<R> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_enum("Recorded", const { &[R::EVENT_TYPE] }, RecordedVisitor(PhantomData))
    }
}

struct RecordedVisitor<R>(PhantomData<R>);

impl<'de, R: OneShotRecord> Visitor<'de> for RecordedVisitor<R> {
    type Value = Recorded<R>;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        write!(formatter, "a {} event", R::EVENT_TYPE)
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Recorded<R>, A::Error> {
        let ((), variant) = data.variant_seed(EventName(R::EVENT_TYPE))?;
        variant.newtype_variant().map(Recorded)
    }
}

/// The payload's key, which must be the event's name; compared without allocating.
struct EventName(&'static str);

impl<'de> DeserializeSeed<'de> for EventName {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_identifier(self)
    }
}

impl Visitor<'_> for EventName {
    type Value = ();

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        write!(formatter, "the event name {}", self.0)
    }

    fn visit_str<E: de::Error>(self, name: &str) -> Result<(), E> {
        if name == self.0 { Ok(()) } else { Err(E::invalid_value(de::Unexpected::Str(name), &self)) }
    }
}

#[cfg(test)]
mod tests {
    use chrono::DateTime;
    use cqrs_es::test::TestFramework;

    use super::*;
    use crate::names::{GameName, PlayerName};
    use crate::scores::{NewScore, ScoreSubmission, ScoreValue};

    fn ada_scores(hash: &str) -> NewScore {
        NewScore {
            game: GameName::parse("tetris").unwrap(),
            player: PlayerName::parse("ada").unwrap(),
            score: ScoreValue::new(4200).unwrap(),
            region: None,
            achieved_at: DateTime::UNIX_EPOCH,
            request_hash: hash.to_owned(),
        }
    }

    #[test]
    fn a_new_one_shot_aggregate_records_what_it_is_given() {
        TestFramework::<ScoreSubmission>::with(())
            .given_no_previous_events()
            .when(Record(ada_scores("h1")))
            .then_expect_events(vec![Recorded(ada_scores("h1"))]);
    }

    #[test]
    fn a_replay_meets_what_was_recorded_and_learns_its_request_hash() {
        TestFramework::<ScoreSubmission>::with(())
            .given(vec![Recorded(ada_scores("h1"))])
            .when(Record(ada_scores("h2")))
            .then_expect_error(AlreadyAccepted { request_hash: "h1".into() });
    }
}
