use std::time::Duration;

use chrono::TimeZone;
use cqrs_es::test::TestFramework;
use serde_json::json;

use super::*;
use crate::jobs::Backoff;

fn at(second: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, second).unwrap()
}

fn spec(max_attempts: u32) -> JobSpec {
    JobSpec {
        kind: "message".into(),
        message: "hello".into(),
        priority: 5,
        run_at: None,
        max_attempts,
        payload: None,
        owner: "u1".into(),
        request_hash: "h1".into(),
        unique: None,
        depends_on: vec![],
    }
}

fn queued(max_attempts: u32) -> JobEvent {
    JobEvent::JobQueued { spec: spec(max_attempts), queued_at: at(0) }
}

fn failure(retryable: bool) -> RunOutcome {
    let backoff = Backoff { base: Duration::from_secs(28), cap: Duration::from_secs(60), jitter: 0.5 };
    RunOutcome::Failed { message: "boom".into(), retryable, backoff }
}

fn finish(worker: &str, outcome: RunOutcome) -> JobCommand {
    JobCommand::Finish { worker: worker.into(), started_at: at(1), at: at(2), outcome }
}

fn jobs() -> TestFramework<Job> {
    TestFramework::<Job>::with(())
}

#[test]
fn a_short_run_records_its_start_and_its_end_in_one_event() {
    jobs()
        .given(vec![queued(3)])
        .when(finish("w1", RunOutcome::Succeeded(json!({"ok": true}))))
        .then_expect_events(vec![JobEvent::JobSucceeded {
            attempt: 1,
            started_at: at(1),
            finished_at: at(2),
            result: json!({"ok": true}),
        }]);
}

#[test]
fn a_long_run_is_started_then_finished_by_the_same_worker_as_one_attempt() {
    jobs()
        .given(vec![queued(3), JobEvent::JobStarted { worker: "w1".into(), attempt: 1, started_at: at(1) }])
        .when(finish("w1", RunOutcome::Succeeded(json!(null))))
        .then_expect_events(vec![JobEvent::JobSucceeded {
            attempt: 1,
            started_at: at(1),
            finished_at: at(2),
            result: json!(null),
        }]);
}

#[test]
fn another_worker_cannot_finish_a_run_it_does_not_hold() {
    jobs()
        .given(vec![queued(3), JobEvent::JobStarted { worker: "w1".into(), attempt: 1, started_at: at(1) }])
        .when(finish("w2", RunOutcome::Succeeded(json!(null))))
        .then_expect_error(JobRefusal::NotRunnable("running"));
}

#[test]
fn a_retryable_failure_with_attempts_left_is_retried_and_the_last_one_fails_for_good() {
    jobs().given(vec![queued(2)]).when(finish("w1", failure(true))).then_expect_events(vec![
        JobEvent::JobRetryScheduled {
            attempt: 1,
            started_at: at(1),
            failed_at: at(2),
            error: "boom".into(),
            retry_at: at(30),
        },
    ]);
    let retried = JobEvent::JobRetryScheduled {
        attempt: 1,
        started_at: at(1),
        failed_at: at(2),
        error: "boom".into(),
        retry_at: at(30),
    };
    jobs().given(vec![queued(2), retried]).when(finish("w1", failure(true))).then_expect_events(vec![
        JobEvent::JobFailed {
            attempt: 2,
            started_at: Some(at(1)),
            failed_at: at(2),
            error: "boom".into(),
            retryable: true,
        },
    ]);
}

#[test]
fn a_failure_that_cannot_be_retried_fails_at_once() {
    jobs().given(vec![queued(5)]).when(finish("w1", failure(false))).then_expect_events(vec![
        JobEvent::JobFailed {
            attempt: 1,
            started_at: Some(at(1)),
            failed_at: at(2),
            error: "boom".into(),
            retryable: false,
        },
    ]);
}

#[test]
fn only_waiting_jobs_can_be_cancelled() {
    jobs()
        .given(vec![queued(3)])
        .when(JobCommand::Cancel { at: at(1) })
        .then_expect_events(vec![JobEvent::JobCancelled { cancelled_at: at(1), reason: None }]);
    jobs()
        .given(vec![queued(3), JobEvent::JobStarted { worker: "w1".into(), attempt: 1, started_at: at(1) }])
        .when(JobCommand::Cancel { at: at(2) })
        .then_expect_error(JobRefusal::NotCancellable("running"));
    jobs()
        .given(vec![queued(3), JobEvent::JobCancelled { cancelled_at: at(1), reason: None }])
        .when(finish("w1", RunOutcome::Succeeded(json!(null))))
        .then_expect_error(JobRefusal::NotRunnable("cancelled"));
}

#[test]
fn a_job_rescued_from_a_dead_worker_is_queued_again_once() {
    let started = JobEvent::JobStarted { worker: "w1".into(), attempt: 1, started_at: at(1) };
    let rescued = JobEvent::JobRescued { worker: "w1".into(), attempt: 1, rescued_at: at(9) };
    jobs()
        .given(vec![queued(3), started.clone()])
        .when(JobCommand::Rescue { worker: "w1".into(), at: at(9) })
        .then_expect_events(vec![rescued.clone()]);
    jobs()
        .given(vec![queued(3), started, rescued])
        .when(JobCommand::Rescue { worker: "w1".into(), at: at(10) })
        .then_expect_events(vec![]);
}

#[test]
fn a_job_claimed_but_never_reported_counts_the_lost_run_when_rescued() {
    jobs()
        .given(vec![queued(3)])
        .when(JobCommand::Rescue { worker: "w1".into(), at: at(9) })
        .then_expect_events(vec![JobEvent::JobRescued {
            worker: "w1".into(),
            attempt: 1,
            rescued_at: at(9),
        }]);
}

#[test]
fn a_job_that_keeps_taking_its_workers_down_ends_failed() {
    let started = JobEvent::JobStarted { worker: "w1".into(), attempt: 1, started_at: at(1) };
    jobs()
        .given(vec![queued(1), started])
        .when(JobCommand::Rescue { worker: "w1".into(), at: at(9) })
        .then_expect_events(vec![JobEvent::JobFailed {
            attempt: 1,
            started_at: None,
            failed_at: at(9),
            error: "its worker w1 stopped answering, and no attempts are left".into(),
            retryable: false,
        }]);
}

#[test]
fn a_finished_job_is_not_rescued() {
    let done =
        JobEvent::JobSucceeded { attempt: 1, started_at: at(1), finished_at: at(2), result: json!(null) };
    jobs()
        .given(vec![queued(3), done])
        .when(JobCommand::Rescue { worker: "w1".into(), at: at(9) })
        .then_expect_events(vec![]);
}

#[test]
fn queueing_again_answers_with_the_first_requests_hash() {
    jobs()
        .given(vec![queued(3)])
        .when(JobCommand::Queue { spec: spec(3), at: at(1) })
        .then_expect_error(JobRefusal::AlreadyQueued { request_hash: "h1".into() });
    jobs()
        .given_no_previous_events()
        .when(JobCommand::Cancel { at: at(1) })
        .then_expect_error(JobRefusal::Unknown);
}

#[test]
fn a_job_to_run_later_is_scheduled() {
    let mut job = Job::default();
    let later = JobSpec { run_at: Some(at(30)), ..spec(3) };
    job.apply(JobEvent::JobQueued { spec: later, queued_at: at(0) });
    assert_eq!(job.status(), Some(JobStatus::Scheduled));
}

#[test]
fn retries_back_off_exponentially_up_to_the_cap_with_jitter_around_the_delay() {
    let (base, cap) = (Duration::from_secs(1), Duration::from_secs(60));
    assert_eq!(retry_delay(1, base, cap, 0.5), Duration::from_secs(1));
    assert_eq!(retry_delay(4, base, cap, 0.5), Duration::from_secs(8));
    assert_eq!(retry_delay(25, base, cap, 0.5), cap);
    assert_eq!(retry_delay(1, base, cap, 0.0), Duration::from_millis(500));
    assert!(retry_delay(1, base, cap, 0.999) < Duration::from_millis(1500));
}

#[test]
fn the_endings_are_exactly_the_events_that_leave_a_job_final() {
    use cqrs_es::DomainEvent;
    let events = [
        JobEvent::JobStarted { worker: "w1".into(), attempt: 1, started_at: at(1) },
        JobEvent::JobSucceeded { attempt: 1, started_at: at(1), finished_at: at(2), result: json!(null) },
        JobEvent::JobRetryScheduled {
            attempt: 1,
            started_at: at(1),
            failed_at: at(2),
            error: "boom".into(),
            retry_at: at(9),
        },
        JobEvent::JobFailed {
            attempt: 1,
            started_at: None,
            failed_at: at(2),
            error: "boom".into(),
            retryable: false,
        },
        JobEvent::JobCancelled { cancelled_at: at(2), reason: None },
        JobEvent::JobRescued { worker: "w1".into(), attempt: 1, rescued_at: at(2) },
    ];
    for event in events {
        let mut job = Job::default();
        job.apply(queued(3));
        let ending = JobEvent::ENDINGS.contains(&event.event_type().as_str());
        job.apply(event);
        assert_eq!(job.status().is_some_and(JobStatus::is_final), ending, "{job:?}");
    }
}

#[test]
fn a_job_remembers_when_it_was_queued() {
    let mut job = Job::default();
    job.apply(queued(3));
    assert_eq!(job.queued_at(), Some(at(0)));
}

fn started_by(worker: &str) -> JobEvent {
    JobEvent::JobStarted { worker: worker.into(), attempt: 1, started_at: at(1) }
}

#[test]
fn a_long_run_that_snoozes_gives_its_attempt_back_and_is_scheduled() {
    let until = at(40);
    jobs()
        .given(vec![queued(3), started_by("w1")])
        .when(finish("w1", RunOutcome::Snoozed { until }))
        .then_expect_events(vec![JobEvent::JobSnoozed { attempts: 0, snoozed_at: at(2), run_at: until }]);
    let mut job = Job::default();
    for event in
        [queued(3), started_by("w1"), JobEvent::JobSnoozed { attempts: 0, snoozed_at: at(2), run_at: until }]
    {
        job.apply(event);
    }
    assert_eq!(job.status(), Some(JobStatus::Scheduled));
}

#[test]
fn a_short_run_that_snoozes_counts_no_attempt() {
    jobs()
        .given(vec![queued(3)])
        .when(finish("w1", RunOutcome::Snoozed { until: at(40) }))
        .then_expect_events(vec![JobEvent::JobSnoozed { attempts: 0, snoozed_at: at(2), run_at: at(40) }]);
}

#[test]
fn progress_is_recorded_from_the_worker_running_the_job_only() {
    let report = |worker: &str| JobCommand::ReportProgress { worker: worker.into(), percent: 140, at: at(3) };
    jobs()
        .given(vec![queued(3), started_by("w1")])
        .when(report("w1"))
        .then_expect_events(vec![JobEvent::JobProgressed { percent: 100, at: at(3) }]);
    jobs()
        .given(vec![queued(3), started_by("w1")])
        .when(report("w2"))
        .then_expect_error(JobRefusal::NotRunnable("running"));
    jobs().given(vec![queued(3)]).when(report("w1")).then_expect_error(JobRefusal::NotRunnable("queued"));
}
