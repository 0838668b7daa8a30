//! What a message from the notifier's queue asks for, and the e-mail it becomes: pure, so every rule
//! is tested without RabbitMQ or SMTP.

use domain::conversions::ConversionEvent;
use messaging::Envelope;

/// The domain every `Message-ID` the notifier writes belongs to.
const MESSAGE_ID_DOMAIN: &str = "reprise.local";

/// One e-mail to send, for one conversion outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// The outcome's event id (`conversion:{id}:{sequence}`): the e-mail is sent once per event id.
    pub event_id: String,
    /// The conversion's id.
    pub conversion_id: String,
    /// The owner's e-mail address.
    pub to: String,
    /// `Your MP3 is ready` or `Your conversion failed`.
    pub subject: &'static str,
    /// The plain-text body.
    pub body: String,
}

impl Notice {
    /// `<{event id with ':' → '.'}@reprise.local>`: the same for every attempt at the same outcome,
    /// so a receiver drops the copy a resend after a crash may deliver.
    pub fn message_id(&self) -> String {
        format!("<{}@{MESSAGE_ID_DOMAIN}>", self.event_id.replace(':', "."))
    }
}

/// What a message on the notifier's queue turns out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reading {
    /// A conversion outcome: its owner gets this e-mail.
    Notice(Notice),
    /// A well-formed event that is not an outcome (bound by mistake): nothing to send.
    NotAnOutcome {
        /// The event's id.
        event_id: String,
        /// The event's type.
        event_type: String,
    },
}

/// A message whose body the notifier cannot read.
#[derive(Debug, thiserror::Error)]
pub enum Unreadable {
    /// The body is not an envelope.
    #[error("the message body is not an event envelope")]
    Envelope(#[source] serde_json::Error),
    /// The envelope's payload is not a conversion event of a known shape.
    #[error("the payload of event {event_id} is not a conversion event")]
    Payload {
        /// The event's id.
        event_id: String,
        /// What did not fit.
        #[source]
        source: serde_json::Error,
    },
}

/// Reads a message body: an envelope carrying a serialized [`ConversionEvent`].
pub fn read(body: &[u8]) -> Result<Reading, Unreadable> {
    let envelope: Envelope = serde_json::from_slice(body).map_err(Unreadable::Envelope)?;
    let not_an_outcome =
        |envelope: Envelope| Reading::NotAnOutcome { event_id: envelope.id, event_type: envelope.event_type };
    if envelope.aggregate_type != "conversion" {
        return Ok(not_an_outcome(envelope));
    }
    let event = match serde_json::from_value::<ConversionEvent>(envelope.payload.clone()) {
        Ok(event) => event,
        Err(source) => return Err(Unreadable::Payload { event_id: envelope.id, source }),
    };
    Ok(match compose(&envelope, event) {
        Some(notice) => Reading::Notice(notice),
        None => not_an_outcome(envelope),
    })
}

/// The e-mail for an outcome; `None` for any other conversion event.
fn compose(envelope: &Envelope, event: ConversionEvent) -> Option<Notice> {
    let conversion_id = envelope.aggregate_id.clone();
    let (to, subject, body) = match event {
        ConversionEvent::ConversionSucceeded { filename, owner_email, .. } => (
            owner_email,
            "Your MP3 is ready",
            format!(
                "Hello,\n\n\
                 the MP3 of \"{filename}\" is ready.\n\n\
                 Conversion id: {conversion_id}\n\
                 Download it, signed in, from:\n\
                 /v1/conversions/{conversion_id}/mp3\n\n\
                 Reprise\n"
            ),
        ),
        ConversionEvent::ConversionFailed { reason, filename, owner_email, .. } => (
            owner_email,
            "Your conversion failed",
            format!(
                "Hello,\n\n\
                 \"{filename}\" could not be converted to MP3.\n\n\
                 Conversion id: {conversion_id}\n\
                 Reason: {reason}\n\n\
                 Reprise\n"
            ),
        ),
        _ => return None,
    };
    Some(Notice { event_id: envelope.id.clone(), conversion_id, to, subject, body })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{Reading, Unreadable, read};

    fn envelope(event_type: &str, payload: serde_json::Value) -> Vec<u8> {
        serde_json::to_vec(&json!({
            "id": "conversion:0193:5",
            "position": 42,
            "aggregateType": "conversion",
            "aggregateId": "0193",
            "sequence": 5,
            "type": event_type,
            "version": "1",
            "recordedAt": "2026-11-23T10:00:00Z",
            "metadata": {},
            "payload": payload,
        }))
        .unwrap()
    }

    fn succeeded() -> Vec<u8> {
        envelope(
            "ConversionSucceeded",
            json!({ "ConversionSucceeded": {
                "mp3": { "key": "mp3/0193", "bytes": 10, "sha256": "ab", "durationSeconds": 1.5 },
                "finished_at": "2026-11-23T10:00:00Z",
                "filename": "talk.mp4",
                "owner_email": "ada@example.com",
            }}),
        )
    }

    fn notice(body: &[u8]) -> super::Notice {
        match read(body).unwrap() {
            Reading::Notice(notice) => notice,
            other => panic!("expected a notice, got {other:?}"),
        }
    }

    #[test]
    fn a_succeeded_conversion_tells_its_owner_where_to_download_the_mp3() {
        let notice = notice(&succeeded());
        assert_eq!(notice.to, "ada@example.com");
        assert_eq!(notice.subject, "Your MP3 is ready");
        assert_eq!(notice.conversion_id, "0193");
        assert!(notice.body.contains("\"talk.mp4\""), "{}", notice.body);
        assert!(notice.body.contains("Conversion id: 0193"), "{}", notice.body);
        assert!(notice.body.contains("/v1/conversions/0193/mp3"), "{}", notice.body);
    }

    #[test]
    fn a_failed_conversion_tells_its_owner_why() {
        let notice = notice(&envelope(
            "ConversionFailed",
            json!({ "ConversionFailed": {
                "reason": "no audio stream",
                "failed_at": "2026-11-23T10:00:00Z",
                "filename": "talk.mp4",
                "owner_email": "ada@example.com",
            }}),
        ));
        assert_eq!(notice.subject, "Your conversion failed");
        assert!(notice.body.contains("Reason: no audio stream"), "{}", notice.body);
        assert!(notice.body.contains("Conversion id: 0193"), "{}", notice.body);
        assert!(!notice.body.contains("/mp3"), "{}", notice.body);
    }

    #[test]
    fn the_message_id_is_derived_from_the_event_id() {
        assert_eq!(notice(&succeeded()).message_id(), "<conversion.0193.5@reprise.local>");
    }

    #[test]
    fn a_conversion_event_that_is_not_an_outcome_sends_nothing() {
        let started = envelope(
            "ConversionStarted",
            json!({ "ConversionStarted": { "converter": "c-1", "started_at": "2026-11-23T10:00:00Z" } }),
        );
        assert_eq!(
            read(&started).unwrap(),
            Reading::NotAnOutcome {
                event_id: "conversion:0193:5".to_owned(),
                event_type: "ConversionStarted".to_owned()
            }
        );
    }

    #[test]
    fn an_event_of_another_aggregate_sends_nothing() {
        let mut posted: serde_json::Value = serde_json::from_slice(&succeeded()).unwrap();
        posted["aggregateType"] = json!("message");
        let reading = read(&serde_json::to_vec(&posted).unwrap()).unwrap();
        assert!(matches!(reading, Reading::NotAnOutcome { .. }), "{reading:?}");
    }

    #[test]
    fn a_body_that_is_not_an_envelope_is_unreadable() {
        assert!(matches!(read(b"not json"), Err(Unreadable::Envelope(_))));
    }

    #[test]
    fn an_outcome_of_an_unknown_shape_is_unreadable() {
        let odd = envelope("ConversionSucceeded", json!({ "ConversionSucceeded": { "mp3": 3 } }));
        assert!(matches!(read(&odd), Err(Unreadable::Payload { .. })));
    }
}
