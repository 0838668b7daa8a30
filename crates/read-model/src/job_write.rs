//! A worker job's document, rendered by the projector from the one stored and the event's patch, so that
//! Redis only stores it.
//!
//! The Redis Function used to read every field of the job back, match the patch out of its text and
//! concatenate the document, which cost it about as much as every command of the job's projection did;
//! here the same rules run in Rust, on what one MGET read for the whole batch (or on what the batch
//! before it writes, when that one has not landed yet).

use serde_json::value::RawValue;

use crate::board_write::FastMap;
use crate::documents::JOB_FIELDS;

/// The fields kept in a job's field hash: those the queue reads (the claim: status, spec, attempts,
/// snoozedAt; the delayed jobs' and pushes' queue: kind, priority).
pub const HASH_FIELDS: [&str; 6] = ["status", "spec", "attempts", "snoozedAt", "kind", "priority"];

/// A job's document as stored: each of [`JOB_FIELDS`] as a JSON fragment (none for null), and the
/// job's owner.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct JobState {
    values: [Option<String>; JOB_FIELDS.len()],
    owner: Option<String>,
}

/// What one event's patch writes for a job: its document, the fields the queue reads, and the change
/// of status the per-kind counts take.
#[derive(Debug, Clone, PartialEq)]
pub struct JobWrite {
    /// The job's id.
    pub id: String,
    /// The document after the patch.
    pub document: String,
    /// The job's kind; empty if unknown (no document was found for an event after the first).
    pub kind: String,
    /// The job's priority.
    pub priority: i64,
    /// The job's owner; empty if unknown.
    pub owner: String,
    /// The status counted before and after, with when it changed (ms), if the patch changed it.
    pub counted: Option<CountedChange>,
    /// The patch's [`HASH_FIELDS`], as JSON.
    pub hash_fields: Vec<(&'static str, String)>,
}

/// A change of a job's counted status.
#[derive(Debug, Clone, PartialEq)]
pub struct CountedChange {
    /// The status before; none for a new job.
    pub from: Option<String>,
    /// The status after.
    pub to: String,
    /// When it changed, in ms since the epoch, as the patch's `statusAt` says ("0" without one).
    pub at: String,
}

impl JobState {
    /// The state of a stored document (none: nothing stored) and owner; an error if the document does
    /// not parse as an object.
    pub fn stored(document: Option<&str>, owner: Option<String>) -> Result<Self, serde_json::Error> {
        let mut state = JobState::owned_by(owner);
        let Some(text) = document else { return Ok(state) };
        for (name, value) in serde_json::from_str::<FastMap<String, &RawValue>>(text)? {
            if let Some(at) = field_index(&name) {
                state.values[at] = Some(value.get().to_owned());
            }
        }
        Ok(state)
    }

    /// A job of which nothing but the owner is known.
    pub fn owned_by(owner: Option<String>) -> Self {
        JobState { owner, ..JobState::default() }
    }

    /// Applies `patch` (each field's name and JSON; `+history` appends an entry to the history, JSON
    /// `null` clears a field) to job `id`, and says what to write.
    pub fn apply(&mut self, id: &str, patch: &[(&'static str, String)]) -> JobWrite {
        let counted_before = self.plain("status");
        let (mut status, mut status_at, mut hash_fields) = (None, None, Vec::new());
        for (name, value) in patch {
            match *name {
                "+history" => {
                    let history = self.slot("history");
                    *history = Some(with_entry(history.as_deref(), value));
                }
                "owner" => self.owner = plain_string(value),
                "statusAt" => status_at = Some(value.clone()),
                "status" => status = plain_string(value),
                _ => {}
            }
            if let Some(at) = field_index(name) {
                self.values[at] = (value != "null").then(|| value.clone());
            }
            if HASH_FIELDS.contains(name) {
                hash_fields.push((*name, value.clone()));
            }
        }
        let kind = self.plain("kind").unwrap_or_default();
        let counted = match status {
            Some(to) if !kind.is_empty() && Some(&to) != counted_before.as_ref() => Some(CountedChange {
                from: counted_before,
                to,
                at: status_at.unwrap_or_else(|| "0".to_owned()),
            }),
            _ => None,
        };
        JobWrite {
            id: id.to_owned(),
            document: self.render(),
            priority: self.value("priority").and_then(|text| text.parse().ok()).unwrap_or(5),
            kind,
            owner: self.owner.clone().unwrap_or_default(),
            counted,
            hash_fields,
        }
    }

    /// The document: each field that holds a value, in the order of [`JOB_FIELDS`].
    pub fn render(&self) -> String {
        let mut document = String::with_capacity(512);
        document.push('{');
        for (name, value) in JOB_FIELDS.iter().zip(&self.values) {
            let Some(value) = value else { continue };
            if document.len() > 1 {
                document.push(',');
            }
            document.push('"');
            document.push_str(name);
            document.push_str("\":");
            document.push_str(value);
        }
        document.push('}');
        document
    }

    fn slot(&mut self, name: &str) -> &mut Option<String> {
        &mut self.values[field_index(name).expect("a document field")]
    }

    fn value(&self, name: &str) -> Option<&str> {
        self.values[field_index(name)?].as_deref()
    }

    fn plain(&self, name: &str) -> Option<String> {
        self.value(name).and_then(plain_string)
    }
}

/// The jobs a batch writes, by id, in the state its last event left them: what a batch whose jobs are
/// read before this one landed takes instead of what Redis still stores.
pub type JobStates = FastMap<String, JobState>;

/// Where field `name` stands in [`JOB_FIELDS`] (and in a [`JobState`]'s values); none for a field
/// the document does not show.
fn field_index(name: &str) -> Option<usize> {
    JOB_FIELDS.iter().position(|field| *field == name)
}

/// A history array (JSON; none yet) with `entry` appended.
fn with_entry(history: Option<&str>, entry: &str) -> String {
    match history.and_then(|history| history.strip_suffix(']')) {
        Some("[") => format!("[{entry}]"),
        Some(head) => format!("{head},{entry}]"),
        None => format!("[{entry}]"),
    }
}

/// The text of a JSON string fragment (`"queued"` → `queued`); none for anything else.
fn plain_string(fragment: &str) -> Option<String> {
    serde_json::from_str(fragment).ok()
}

#[cfg(test)]
mod tests;
