//! The committed fixture, read as the log's readers would meet it: upcast first.

use chrono::{DateTime, Utc};
use cqrs_es::persist::{EventUpcaster, SerializedEvent};
use read_model::LogEntry;
use serde::Deserialize;
use serde_json::Value;
use std::borrow::Cow;

/// One row of the `events` table, as stored.
#[derive(Debug, Clone, Deserialize)]
pub struct StoredEvent {
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub sequence: i64,
    pub event_type: String,
    pub event_version: String,
    pub payload: Value,
    pub metadata: Value,
    pub recorded_at: DateTime<Utc>,
}

impl StoredEvent {
    /// The event's id, to name it in a failure.
    pub fn id(&self) -> String {
        format!("{}:{}:{} ({})", self.aggregate_type, self.aggregate_id, self.sequence, self.event_type)
    }

    /// The event as the projector hands it to the plans.
    pub fn log_entry(&self) -> LogEntry<'_> {
        LogEntry {
            aggregate_type: Cow::Borrowed(&self.aggregate_type),
            aggregate_id: Cow::Borrowed(&self.aggregate_id),
            sequence: self.sequence,
            event_type: Cow::Borrowed(&self.event_type),
            payload: Cow::Borrowed(&self.payload),
            metadata: Cow::Borrowed(&self.metadata),
            recorded_at: self.recorded_at,
        }
    }
}

/// The upcasters the log's readers run, in order: none yet. The first event to change shape adds
/// its upcaster to one list that the event store (`with_upcasters`), the projector and the relay run,
/// and this function returns that list.
fn upcasters() -> Vec<Box<dyn EventUpcaster>> {
    Vec::new()
}

/// Every event of the fixture exactly as committed.
pub fn recorded() -> Vec<StoredEvent> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/stored_events/events.json");
    let text = std::fs::read_to_string(path).unwrap_or_else(|error| panic!("reading {path}: {error}"));
    serde_json::from_str(&text).unwrap_or_else(|error| panic!("{path} is not a list of events: {error}"))
}

/// Every event of the fixture, upcast to the shape the code reads today.
pub fn stored_events() -> Vec<StoredEvent> {
    let upcasters = upcasters();
    recorded().into_iter().map(|event| upcast(event, &upcasters)).collect()
}

fn upcast(event: StoredEvent, upcasters: &[Box<dyn EventUpcaster>]) -> StoredEvent {
    let StoredEvent {
        aggregate_type,
        aggregate_id,
        sequence,
        event_type,
        event_version,
        payload,
        metadata,
        recorded_at,
    } = event;
    let sequence = usize::try_from(sequence).expect("a sequence from 1");
    let serialized = SerializedEvent::new(
        aggregate_id,
        sequence,
        aggregate_type,
        event_type,
        event_version,
        payload,
        metadata,
    );
    let upcast = upcasters.iter().fold(serialized, |event, upcaster| {
        if upcaster.can_upcast(&event.event_type, &event.event_version) {
            upcaster.upcast(event)
        } else {
            event
        }
    });
    StoredEvent {
        aggregate_type: upcast.aggregate_type,
        aggregate_id: upcast.aggregate_id,
        sequence: upcast.sequence as i64,
        event_type: upcast.event_type,
        event_version: upcast.event_version,
        payload: upcast.payload,
        metadata: upcast.metadata,
        recorded_at,
    }
}
