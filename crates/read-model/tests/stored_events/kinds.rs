//! Every aggregate, with what the tests need of it whatever its type: its event enum's variants and a
//! way to replay stored events through it.

use std::collections::HashMap;

use cqrs_es::{Aggregate, DomainEvent};
use domain::conversions::Conversion;
use domain::identity::User;
use domain::jobs::{Job, Queue};
use domain::meetups::{Channel, Meetup, Membership, Message};
use domain::scores::{Game, LeaderboardRefresh, ScoreSubmission};
use serde::Deserializer;
use serde::de::{self, DeserializeOwned, Visitor};

use crate::fixture::StoredEvent;

/// One aggregate type, erased.
pub struct Kind {
    /// `Aggregate::TYPE`, as the log's `aggregate_type` holds it.
    pub aggregate_type: &'static str,
    /// The variants of its event enum, which are its events' types.
    pub variants: &'static [&'static str],
    /// Deserialises each event (all of this aggregate type, in log order) into the aggregate's event
    /// type and applies it to its aggregate, which the events before it on the same id brought to a
    /// plausible state: the type and version the code gives each event, or why one did not load.
    pub replay: fn(&[&StoredEvent]) -> Result<Vec<Loaded>, String>,
}

/// What the code makes of a stored event once loaded.
pub struct Loaded {
    /// `DomainEvent::event_type`.
    pub event_type: String,
    /// `DomainEvent::event_version`: the version the code writes this type at today.
    pub event_version: String,
}

/// Every aggregate of the domain; a test checks it against the aggregate types the domain's sources
/// declare. A new aggregate joins this list, and its events then need entries in the fixture.
pub fn kinds() -> Vec<Kind> {
    vec![
        kind::<User>(),
        kind::<Game>(),
        kind::<ScoreSubmission>(),
        kind::<LeaderboardRefresh>(),
        kind::<Job>(),
        kind::<Queue>(),
        kind::<Conversion>(),
        kind::<Meetup>(),
        kind::<Membership>(),
        kind::<Channel>(),
        kind::<Message>(),
    ]
}

fn kind<A: Aggregate>() -> Kind {
    Kind { aggregate_type: A::TYPE, variants: variants::<A::Event>(), replay: replay::<A> }
}

fn replay<A: Aggregate>(events: &[&StoredEvent]) -> Result<Vec<Loaded>, String> {
    let mut aggregates: HashMap<&str, A> = HashMap::new();
    let mut replayed = Vec::new();
    for stored in events {
        let event: A::Event = serde_json::from_value(stored.payload.clone())
            .map_err(|error| format!("{} does not load: {error}", stored.id()))?;
        replayed.push(Loaded { event_type: event.event_type(), event_version: event.event_version() });
        aggregates.entry(&stored.aggregate_id).or_default().apply(event);
    }
    Ok(replayed)
}

/// The names of an enum's variants, as its `Deserialize` declares them to the deserializer: a variant
/// added to an event enum shows up here without anyone listing it.
fn variants<T: DeserializeOwned>() -> &'static [&'static str] {
    let mut declared = None;
    let _ = T::deserialize(VariantNames(&mut declared));
    declared.unwrap_or_else(|| panic!("{} is not an enum", std::any::type_name::<T>()))
}

/// A deserializer that answers nothing, but notes the variants an enum asks it for.
struct VariantNames<'a>(&'a mut Option<&'static [&'static str]>);

impl<'de> Deserializer<'de> for VariantNames<'_> {
    type Error = de::value::Error;

    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Self::Error> {
        Err(de::Error::custom("only an enum's variant names are read"))
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        variants: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Self::Error> {
        *self.0 = Some(variants);
        Err(de::Error::custom("only an enum's variant names are read"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option unit
        unit_struct newtype_struct seq tuple tuple_struct map struct identifier ignored_any
    }
}

/// The values of `const TYPE: &'static str = "…";` (and of a one-shot record's `AGGREGATE_TYPE`) in
/// the `.rs` files under `dir`.
pub fn aggregate_types_declared_in(dir: &std::path::Path) -> Vec<String> {
    let mut types = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            types.extend(aggregate_types_declared_in(&path));
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            let source = std::fs::read_to_string(&path).unwrap();
            types.extend(source.lines().filter_map(|line| {
                let line = line.trim();
                let declared = line
                    .strip_prefix("const TYPE: &")
                    .or_else(|| line.strip_prefix("const AGGREGATE_TYPE: &"))?;
                Some(declared.split('"').nth(1)?.to_owned())
            }));
        }
    }
    types
}
