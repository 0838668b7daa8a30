//! An event of the log, as the read model reads it.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use serde_json::Value;

/// One event of the log: what the plans need of it, nothing of where it was read from. The projector
/// lends its rows (a batch is planned without copying its payloads); tests and tools own theirs.
#[derive(Debug, Clone, PartialEq)]
pub struct LogEntry<'a> {
    /// The aggregate type (`Aggregate::TYPE`).
    pub aggregate_type: Cow<'a, str>,
    /// The aggregate's id.
    pub aggregate_id: Cow<'a, str>,
    /// The event's sequence number within its aggregate, from 1.
    pub sequence: i64,
    /// The event's type (`DomainEvent::event_type`).
    pub event_type: Cow<'a, str>,
    /// The event as serialized by cqrs-es: `{ "VariantName": { ... } }`.
    pub payload: Cow<'a, Value>,
    /// The command's metadata: `job_id`, `request_id`, `user_id`, `idempotency_key`.
    pub metadata: Cow<'a, Value>,
    /// When the event was committed.
    pub recorded_at: DateTime<Utc>,
}

impl LogEntry<'_> {
    /// The event's stable id, `{aggregate_type}:{aggregate_id}:{sequence}`.
    pub fn id(&self) -> String {
        format!("{}:{}:{}", self.aggregate_type, self.aggregate_id, self.sequence)
    }

    /// A metadata entry, if the command set it.
    pub fn metadata_value(&self, key: &str) -> Option<&str> {
        self.metadata.get(key).and_then(Value::as_str)
    }
}
