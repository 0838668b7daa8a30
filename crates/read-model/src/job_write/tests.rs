use chrono::{DateTime, TimeZone, Utc};
use domain::jobs::JobEvent;

use super::*;
use crate::documents::{JOB_FIELDS, JobDocument};
use crate::plan::Op;
use crate::plan::jobs::tests::{planned, queued as queued_after};

fn at(second: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 6, 12, 0, second).unwrap()
}

/// The patch the plan makes of `event` on job `j1`.
fn patch_of(event: JobEvent) -> Vec<(&'static str, String)> {
    planned(event)
        .into_iter()
        .find_map(|op| match op {
            Op::JobFields { fields, .. } => Some(fields),
            _ => None,
        })
        .expect("the event patches the job")
}

fn queued() -> JobEvent {
    queued_after(&[])
}

fn succeeded() -> JobEvent {
    JobEvent::JobSucceeded {
        attempt: 1,
        started_at: at(2),
        finished_at: at(3),
        result: serde_json::json!({ "z": 1, "a": [1.50, "x"] }),
    }
}

fn document(write: &JobWrite) -> JobDocument {
    serde_json::from_str(&write.document).unwrap()
}

#[test]
fn a_new_job_s_document_shows_its_fields_in_the_served_order_without_the_hidden_ones() {
    let write = JobState::default().apply("j1", &patch_of(queued()));
    let shown: Vec<&str> =
        JOB_FIELDS.iter().copied().filter(|name| write.document.contains(&format!("\"{name}\":"))).collect();
    let positions: Vec<usize> =
        shown.iter().map(|name| write.document.find(&format!("\"{name}\":")).unwrap()).collect();
    assert!(positions.is_sorted(), "{}", write.document);
    assert_eq!(
        shown,
        [
            "id",
            "kind",
            "status",
            "priority",
            "attempts",
            "maxAttempts",
            "createdAt",
            "updatedAt",
            "history",
            "links"
        ]
    );
    for hidden in ["spec", "owner", "statusAt", "counted"] {
        assert!(!write.document.contains(&format!("\"{hidden}\":")), "{}", write.document);
    }
    let shown = document(&write);
    assert_eq!((shown.kind.as_str(), shown.priority, shown.attempts), ("message", 5, 0));
    assert_eq!((write.kind.as_str(), write.priority, write.owner.as_str()), ("message", 5, "u1"));
}

#[test]
fn a_new_job_is_counted_from_nothing_to_its_status_at_the_event_s_time() {
    let write = JobState::default().apply("j1", &patch_of(queued()));
    let change = CountedChange { from: None, to: "queued".into(), at: at(0).timestamp_millis().to_string() };
    assert_eq!(write.counted, Some(change));
}

#[test]
fn the_hash_keeps_only_what_the_queue_reads_of_the_patch() {
    let write = JobState::default().apply("j1", &patch_of(queued()));
    let names: Vec<&str> = write.hash_fields.iter().map(|(name, _)| *name).collect();
    assert_eq!(names, ["kind", "status", "priority", "attempts", "spec"]);
    let spec: serde_json::Value = serde_json::from_str(&write.hash_fields[4].1).unwrap();
    assert_eq!(spec["message"], "m");
}

#[test]
fn a_later_event_renders_from_the_stored_document_and_appends_to_its_history() {
    let first = JobState::default().apply("j1", &patch_of(queued()));
    let mut stored = JobState::stored(Some(&first.document), Some("u1".into())).unwrap();
    let write = stored.apply("j1", &patch_of(succeeded()));
    let shown = document(&write);
    assert_eq!(shown.status.as_str(), "succeeded");
    assert_eq!(
        (shown.priority, shown.max_attempts, shown.created_at.as_str()),
        (5, 3, "2026-12-06T12:00:00Z")
    );
    let history: Vec<&str> = shown.history.iter().flatten().map(|entry| entry.status.as_str()).collect();
    assert_eq!(history, ["queued", "succeeded"]);
    let change = CountedChange {
        from: Some("queued".into()),
        to: "succeeded".into(),
        at: at(3).timestamp_millis().to_string(),
    };
    assert_eq!(write.counted, Some(change));
    assert_eq!(write.owner, "u1");
}

#[test]
fn stored_fragments_keep_their_bytes() {
    let mut state = JobState::default();
    state.apply("j1", &patch_of(queued()));
    let done = state.apply("j1", &patch_of(succeeded()));
    assert!(
        done.document.contains(r#""result":{"a":[1.5,"x"],"z":1}"#)
            || done.document.contains(r#""result":{"z":1,"a":[1.5,"x"]}"#)
    );
    let again = JobState::stored(Some(&done.document), None).unwrap();
    assert_eq!(again.render(), done.document);
}

#[test]
fn the_same_status_again_is_not_counted_twice() {
    let mut state = JobState::default();
    state.apply("j1", &patch_of(queued()));
    let again = state.apply("j1", &patch_of(JobEvent::JobReleased { released_at: at(4), run_at: None }));
    assert_eq!(again.counted, None);
}

#[test]
fn a_null_clears_a_field_and_a_job_without_a_stored_document_is_not_counted() {
    let mut state = JobState::stored(None, None).unwrap();
    let write = state.apply("j1", &[("status", "\"failed\"".into()), ("error", "null".into())]);
    assert_eq!(write.document, r#"{"status":"failed"}"#);
    assert_eq!((write.kind.as_str(), write.counted.clone()), ("", None));
    let mut state = JobState::default();
    state.apply("j1", &patch_of(queued()));
    let write = state.apply("j1", &[("kind", "null".into())]);
    assert!(!write.document.contains("\"kind\""), "{}", write.document);
}

#[test]
fn a_document_that_is_no_object_does_not_parse() {
    assert!(JobState::stored(Some("[1, 2]"), None).is_err());
    assert!(JobState::stored(Some("{\"id\":"), None).is_err());
}
