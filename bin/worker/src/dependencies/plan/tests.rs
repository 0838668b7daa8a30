use chrono::Utc;
use eventlog::Checkpoint;
use serde_json::json;

use super::*;

fn logged(aggregate_type: &str, id: &str, event_type: &str, payload: serde_json::Value) -> LoggedEvent {
    LoggedEvent {
        checkpoint: Checkpoint::START,
        aggregate_type: aggregate_type.into(),
        aggregate_id: id.into(),
        sequence: 1,
        event_type: event_type.into(),
        event_version: "1".into(),
        payload,
        metadata: json!({}),
        recorded_at: Utc::now(),
    }
}

fn queued(id: &str, depends_on: &[&str]) -> LoggedEvent {
    let spec = json!({ "kind": "message", "message": "m", "dependsOn": depends_on });
    logged("job", id, "JobQueued", json!({ "JobQueued": { "spec": spec } }))
}

fn ended(id: &str, event_type: &str) -> LoggedEvent {
    logged("job", id, event_type, json!({ event_type: {} }))
}

fn tell(dependent: &str, dependency: &str, outcome: DependencyOutcome) -> Tell {
    Tell { dependent: dependent.into(), dependency: dependency.into(), outcome }
}

fn pair(dependency: &str, dependent: &str) -> (String, String) {
    (dependency.into(), dependent.into())
}

#[test]
fn a_batch_yields_the_jobs_queued_with_dependencies_and_the_jobs_that_ended() {
    let plan = BatchPlan::of(&[
        queued("b", &["a"]),
        queued("plain", &[]),
        ended("a", "JobSucceeded"),
        ended("c", "JobCancelled"),
        logged("job", "d", "JobStarted", json!({})),
        logged("score", "e", "JobSucceeded", json!({})),
    ]);
    assert_eq!(plan.waiting, [("b".to_owned(), vec!["a".to_owned()])]);
    assert_eq!(
        plan.endings,
        [("a".to_owned(), DependencyOutcome::Succeeded), ("c".to_owned(), DependencyOutcome::Cancelled)]
    );
}

#[test]
fn a_batch_of_other_events_concerns_no_dependency() {
    assert!(
        BatchPlan::of(&[queued("plain", &[]), logged("user", "u", "UserRegistered", json!({}))]).is_empty()
    );
}

#[test]
fn a_job_waiting_for_jobs_that_have_not_ended_is_remembered_and_told_nothing() {
    let plan = BatchPlan::of(&[queued("c", &["a", "b"])]);
    let handling = plan.decide(&HashMap::new(), &[]);
    assert_eq!(handling.tells, []);
    assert_eq!(handling.remember, [pair("a", "c"), pair("b", "c")]);
}

#[test]
fn a_job_waiting_for_a_job_that_ended_already_is_told_at_once_and_not_remembered_for_it() {
    let plan = BatchPlan::of(&[queued("c", &["a", "b"])]);
    let before = HashMap::from([("a".to_owned(), DependencyOutcome::Succeeded)]);
    let handling = plan.decide(&before, &[]);
    assert_eq!(handling.tells, [tell("c", "a", DependencyOutcome::Succeeded)]);
    assert_eq!(handling.remember, [pair("b", "c")]);
}

#[test]
fn an_ending_tells_every_remembered_dependent_and_forgets_them() {
    let plan = BatchPlan::of(&[ended("a", "JobFailed")]);
    let handling = plan.decide(&HashMap::new(), &[pair("a", "b"), pair("a", "c")]);
    assert_eq!(
        handling.tells,
        [tell("b", "a", DependencyOutcome::Failed), tell("c", "a", DependencyOutcome::Failed)]
    );
    assert_eq!(handling.forget, ["a"]);
}

#[test]
fn a_dependent_queued_and_its_dependency_ended_in_one_batch_is_told_once() {
    let plan = BatchPlan::of(&[queued("b", &["a"]), ended("a", "JobSucceeded")]);
    // Postgres, asked after the batch was read, shows the ending too.
    let before = HashMap::from([("a".to_owned(), DependencyOutcome::Succeeded)]);
    let handling = plan.decide(&before, &[]);
    assert_eq!(handling.tells, [tell("b", "a", DependencyOutcome::Succeeded)]);
    assert_eq!(handling.remember, []);
}

#[test]
fn an_ending_that_no_job_waits_for_forgets_nothing() {
    let plan = BatchPlan::of(&[ended("a", "JobSucceeded"), ended("b", "JobFailed")]);
    let handling = plan.decide(&HashMap::new(), &[pair("b", "c")]);
    assert_eq!(handling.tells, [tell("c", "b", DependencyOutcome::Failed)]);
    assert_eq!(handling.forget, ["b"]);
}
