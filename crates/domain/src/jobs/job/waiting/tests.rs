use chrono::TimeZone;
use cqrs_es::test::TestFramework;

use super::*;
use crate::jobs::{JobCommand, JobRefusal};

const A: &str = "0193a0b3-0a1b-7c2d-8e3f-00000000000a";
const B: &str = "0193a0b3-0a1b-7c2d-8e3f-00000000000b";

fn at(second: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 6, 12, 0, second).unwrap()
}

fn spec(depends_on: &[&str], run_at: Option<DateTime<Utc>>) -> JobSpec {
    JobSpec {
        kind: "message".into(),
        message: "after the others".into(),
        priority: 5,
        run_at,
        max_attempts: 3,
        payload: None,
        owner: "u1".into(),
        request_hash: "h1".into(),
        unique: None,
        depends_on: depends_on.iter().map(|id| (*id).to_owned()).collect(),
    }
}

fn waiting_for(depends_on: &[&str]) -> JobEvent {
    JobEvent::JobQueued { spec: spec(depends_on, None), queued_at: at(0) }
}

fn ended(dependency: &str, outcome: DependencyOutcome, second: u32) -> JobCommand {
    JobCommand::DependencyEnded { dependency: dependency.into(), outcome, at: at(second) }
}

fn jobs() -> TestFramework<Job> {
    TestFramework::<Job>::with(())
}

fn status_after(events: Vec<JobEvent>) -> Option<JobStatus> {
    let mut job = Job::default();
    for event in events {
        cqrs_es::Aggregate::apply(&mut job, event);
    }
    job.status()
}

#[test]
fn a_job_queued_with_dependencies_waits() {
    assert_eq!(status_after(vec![waiting_for(&[A])]), Some(JobStatus::Waiting));
}

#[test]
fn the_success_of_its_only_dependency_releases_it_to_the_queue() {
    jobs()
        .given(vec![waiting_for(&[A])])
        .when(ended(A, DependencyOutcome::Succeeded, 5))
        .then_expect_events(vec![JobEvent::JobReleased { released_at: at(5), run_at: None }]);
    let released = vec![waiting_for(&[A]), JobEvent::JobReleased { released_at: at(5), run_at: None }];
    assert_eq!(status_after(released), Some(JobStatus::Queued));
}

#[test]
fn a_job_released_before_its_run_at_is_scheduled_for_it() {
    let queued = JobEvent::JobQueued { spec: spec(&[A], Some(at(30))), queued_at: at(0) };
    jobs()
        .given(vec![queued.clone()])
        .when(ended(A, DependencyOutcome::Succeeded, 5))
        .then_expect_events(vec![JobEvent::JobReleased { released_at: at(5), run_at: Some(at(30)) }]);
    let released = JobEvent::JobReleased { released_at: at(5), run_at: Some(at(30)) };
    assert_eq!(status_after(vec![queued, released]), Some(JobStatus::Scheduled));
}

#[test]
fn a_job_released_after_its_run_at_is_queued() {
    let queued = JobEvent::JobQueued { spec: spec(&[A], Some(at(3))), queued_at: at(0) };
    jobs()
        .given(vec![queued])
        .when(ended(A, DependencyOutcome::Succeeded, 5))
        .then_expect_events(vec![JobEvent::JobReleased { released_at: at(5), run_at: None }]);
}

#[test]
fn each_success_but_the_last_is_recorded_and_the_last_releases_it() {
    jobs()
        .given(vec![waiting_for(&[A, B])])
        .when(ended(B, DependencyOutcome::Succeeded, 5))
        .then_expect_events(vec![JobEvent::JobDependencySucceeded { dependency: B.into(), at: at(5) }]);
    let one_left =
        vec![waiting_for(&[A, B]), JobEvent::JobDependencySucceeded { dependency: B.into(), at: at(5) }];
    jobs()
        .given(one_left.clone())
        .when(ended(A, DependencyOutcome::Succeeded, 6))
        .then_expect_events(vec![JobEvent::JobReleased { released_at: at(6), run_at: None }]);
    assert_eq!(status_after(one_left), Some(JobStatus::Waiting));
}

#[test]
fn hearing_of_the_same_success_again_changes_nothing() {
    jobs()
        .given(vec![
            waiting_for(&[A, B]),
            JobEvent::JobDependencySucceeded { dependency: B.into(), at: at(5) },
        ])
        .when(ended(B, DependencyOutcome::Succeeded, 7))
        .then_expect_events(vec![]);
    jobs()
        .given(vec![waiting_for(&[A]), JobEvent::JobReleased { released_at: at(5), run_at: None }])
        .when(ended(A, DependencyOutcome::Succeeded, 7))
        .then_expect_events(vec![]);
}

#[test]
fn a_failed_dependency_cancels_it_with_a_reason_naming_the_dependency() {
    jobs().given(vec![waiting_for(&[A, B])]).when(ended(B, DependencyOutcome::Failed, 5)).then_expect_events(
        vec![JobEvent::JobCancelled {
            cancelled_at: at(5),
            reason: Some(format!("its dependency {B} failed")),
        }],
    );
}

#[test]
fn a_cancelled_dependency_cancels_it_and_hearing_of_it_again_changes_nothing() {
    let cancelled = JobEvent::JobCancelled {
        cancelled_at: at(5),
        reason: Some(format!("its dependency {A} was cancelled")),
    };
    jobs()
        .given(vec![waiting_for(&[A])])
        .when(ended(A, DependencyOutcome::Cancelled, 5))
        .then_expect_events(vec![cancelled.clone()]);
    jobs()
        .given(vec![waiting_for(&[A]), cancelled])
        .when(ended(A, DependencyOutcome::Cancelled, 6))
        .then_expect_events(vec![]);
}

#[test]
fn an_outcome_of_a_job_it_does_not_depend_on_changes_nothing() {
    jobs()
        .given(vec![waiting_for(&[A])])
        .when(ended(B, DependencyOutcome::Failed, 5))
        .then_expect_events(vec![]);
}

#[test]
fn a_job_without_dependencies_ignores_outcomes() {
    jobs()
        .given(vec![waiting_for(&[])])
        .when(ended(A, DependencyOutcome::Succeeded, 5))
        .then_expect_events(vec![]);
}

#[test]
fn a_waiting_job_can_be_cancelled_by_its_owner_but_not_started() {
    jobs()
        .given(vec![waiting_for(&[A])])
        .when(JobCommand::Cancel { at: at(2) })
        .then_expect_events(vec![JobEvent::JobCancelled { cancelled_at: at(2), reason: None }]);
    jobs()
        .given(vec![waiting_for(&[A])])
        .when(JobCommand::Start { worker: "w1".into(), at: at(2) })
        .then_expect_error(JobRefusal::NotRunnable("waiting"));
}

#[test]
fn a_rescue_of_a_waiting_job_changes_nothing() {
    jobs()
        .given(vec![waiting_for(&[A])])
        .when(JobCommand::Rescue { worker: "w1".into(), at: at(2) })
        .then_expect_events(vec![]);
}

#[test]
fn a_dependency_outcome_for_a_job_never_queued_is_refused() {
    jobs()
        .given_no_previous_events()
        .when(ended(A, DependencyOutcome::Succeeded, 1))
        .then_expect_error(JobRefusal::Unknown);
}
