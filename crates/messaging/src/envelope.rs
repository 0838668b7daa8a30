//! The JSON body every message carries: one event of the log, as consumers see it.

use chrono::{DateTime, Utc};
use eventlog::LoggedEvent;
use serde::{Deserialize, Serialize};

/// One event of the log, as published: `{ id, position, aggregateType, aggregateId, sequence, type,
/// version, recordedAt, metadata, payload }`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Envelope {
    /// `"{aggregate_type}:{aggregate_id}:{sequence}"`, also the message's `message_id`: consumers drop
    /// duplicates by it.
    pub id: String,
    /// The event's position in the log.
    pub position: i64,
    /// The aggregate type (`conversion`, `message`, ...).
    pub aggregate_type: String,
    /// The aggregate's id.
    pub aggregate_id: String,
    /// The event's sequence number within its aggregate, from 1.
    pub sequence: i64,
    /// The event's type (`ConversionRequested`).
    #[serde(rename = "type")]
    pub event_type: String,
    /// The version of the payload's shape.
    pub version: String,
    /// When the event was committed.
    pub recorded_at: DateTime<Utc>,
    /// The command's metadata: `job_id`, `request_id`, `user_id`, `idempotency_key`.
    pub metadata: serde_json::Value,
    /// The event as the event store serialized it: `{ "VariantName": { ... } }`.
    pub payload: serde_json::Value,
}

impl Envelope {
    /// The routing key the event is published under.
    pub fn routing_key(&self) -> String {
        crate::routing_key(&self.aggregate_type, &self.event_type)
    }

    /// A metadata entry, if the command set it.
    pub fn metadata_value(&self, key: &str) -> Option<&str> {
        self.metadata.get(key).and_then(serde_json::Value::as_str)
    }
}

impl From<&LoggedEvent> for Envelope {
    fn from(event: &LoggedEvent) -> Self {
        Self {
            id: event.id(),
            position: event.checkpoint.position,
            aggregate_type: event.aggregate_type.clone(),
            aggregate_id: event.aggregate_id.clone(),
            sequence: event.sequence,
            event_type: event.event_type.clone(),
            version: event.event_version.clone(),
            recorded_at: event.recorded_at,
            metadata: event.metadata.clone(),
            payload: event.payload.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use eventlog::{Checkpoint, LoggedEvent};
    use serde_json::json;

    use super::Envelope;

    fn requested() -> LoggedEvent {
        LoggedEvent {
            checkpoint: Checkpoint { transaction_id: 812, position: 42 },
            aggregate_type: "conversion".to_owned(),
            aggregate_id: "c-1".to_owned(),
            sequence: 1,
            event_type: "ConversionRequested".to_owned(),
            event_version: "1".to_owned(),
            payload: json!({ "ConversionRequested": { "filename": "talk.mp4" } }),
            metadata: json!({ "job_id": "j-1" }),
            recorded_at: "2026-11-23T10:00:00Z".parse().unwrap(),
        }
    }

    #[test]
    fn an_envelope_carries_the_event_s_id_position_and_type_under_camel_case_names() {
        let envelope = Envelope::from(&requested());
        assert_eq!(
            serde_json::to_value(&envelope).unwrap(),
            json!({
                "id": "conversion:c-1:1",
                "position": 42,
                "aggregateType": "conversion",
                "aggregateId": "c-1",
                "sequence": 1,
                "type": "ConversionRequested",
                "version": "1",
                "recordedAt": "2026-11-23T10:00:00Z",
                "metadata": { "job_id": "j-1" },
                "payload": { "ConversionRequested": { "filename": "talk.mp4" } },
            })
        );
    }

    #[test]
    fn an_envelope_reads_back_what_it_wrote() {
        let envelope = Envelope::from(&requested());
        let bytes = serde_json::to_vec(&envelope).unwrap();
        assert_eq!(serde_json::from_slice::<Envelope>(&bytes).unwrap(), envelope);
        assert_eq!(envelope.routing_key(), "conversion.requested");
        assert_eq!(envelope.metadata_value("job_id"), Some("j-1"));
    }
}
