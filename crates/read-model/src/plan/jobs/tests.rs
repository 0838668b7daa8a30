use std::borrow::Cow;

use chrono::TimeZone;

use super::*;

const A: &str = "0193a0b3-0a1b-7c2d-8e3f-00000000000a";

fn at(second: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 6, 12, 0, second).unwrap()
}

/// What the plan makes of `event` on job `j1`.
pub(crate) fn planned(event: JobEvent) -> Vec<Op> {
    let entry = LogEntry {
        aggregate_type: Cow::Borrowed("job"),
        aggregate_id: Cow::Borrowed("j1"),
        sequence: 1,
        event_type: Cow::Borrowed(""),
        payload: Cow::Owned(serde_json::to_value(&event).unwrap()),
        metadata: Cow::Owned(serde_json::json!({})),
        recorded_at: at(0),
    };
    let mut ops = Vec::new();
    plan_job(&entry, event, &mut ops);
    ops
}

/// Job `j1` queued: a `message` of `u1`'s, priority 5, waiting for `depends_on`.
pub(crate) fn queued(depends_on: &[&str]) -> JobEvent {
    let spec = JobSpec {
        kind: "message".into(),
        message: "m".into(),
        priority: 5,
        run_at: None,
        max_attempts: 3,
        payload: None,
        owner: "u1".into(),
        request_hash: "h".into(),
        unique: None,
        depends_on: depends_on.iter().map(|id| (*id).to_owned()).collect(),
    };
    JobEvent::JobQueued { spec, queued_at: at(0) }
}

fn field<'a>(ops: &'a [Op], name: &str) -> Option<&'a str> {
    ops.iter().find_map(|op| match op {
        Op::JobFields { fields, .. } => {
            fields.iter().find(|(field, _)| *field == name).map(|(_, value)| value.as_str())
        }
        _ => None,
    })
}

fn queue_ops(ops: &[Op]) -> Vec<&Op> {
    ops.iter().filter(|op| matches!(op, Op::Enqueue { .. } | Op::Delay { .. })).collect()
}

#[test]
fn a_job_with_dependencies_is_shown_waiting_with_them_and_not_queued() {
    let ops = planned(queued(&[A]));
    assert_eq!(field(&ops, "status"), Some("\"waiting\""));
    assert_eq!(field(&ops, "dependsOn"), Some(format!("[\"{A}\"]").as_str()));
    assert_eq!(queue_ops(&ops), Vec::<&Op>::new());
}

#[test]
fn a_job_without_dependencies_shows_none_and_is_queued() {
    let ops = planned(queued(&[]));
    assert_eq!(field(&ops, "dependsOn"), Some("null"));
    assert_eq!(queue_ops(&ops), [&Op::Enqueue { id: "j1".into() }]);
}

#[test]
fn a_released_job_is_queued_or_delayed_until_its_run_at() {
    let ops = planned(JobEvent::JobReleased { released_at: at(5), run_at: None });
    assert_eq!(field(&ops, "status"), Some("\"queued\""));
    assert_eq!(queue_ops(&ops), [&Op::Enqueue { id: "j1".into() }]);
    let ops = planned(JobEvent::JobReleased { released_at: at(5), run_at: Some(at(30)) });
    assert_eq!(field(&ops, "status"), Some("\"scheduled\""));
    assert_eq!(queue_ops(&ops), [&Op::Delay { id: "j1".into(), due_millis: at(30).timestamp_millis() }]);
}

#[test]
fn a_job_cancelled_by_a_dependency_shows_the_reason_as_its_error() {
    let reason = format!("its dependency {A} failed");
    let ops = planned(JobEvent::JobCancelled { cancelled_at: at(5), reason: Some(reason.clone()) });
    assert_eq!(field(&ops, "status"), Some("\"cancelled\""));
    let error: serde_json::Value = serde_json::from_str(field(&ops, "error").unwrap()).unwrap();
    assert_eq!(error, serde_json::json!({ "message": reason, "retryable": false }));
}

#[test]
fn a_job_cancelled_by_its_owner_shows_no_error() {
    let ops = planned(JobEvent::JobCancelled { cancelled_at: at(5), reason: None });
    assert_eq!(field(&ops, "error"), None);
}

#[test]
fn a_dependency_that_succeeded_while_others_are_awaited_keeps_the_job_waiting() {
    let ops = planned(JobEvent::JobDependencySucceeded { dependency: A.into(), at: at(5) });
    assert_eq!(field(&ops, "status"), Some("\"waiting\""));
    assert_eq!(queue_ops(&ops), Vec::<&Op>::new());
}
