//! The `Job` aggregate: one job queued through `POST /v1/jobs`, run by a worker.
//!
//! Its id is the job id. Workers speak to it in three commands: `Start` when a run will take a while,
//! `Finish` with the outcome (the start folded in when it was short), and `Rescue` when a cleaner finds
//! the job in the in-flight set of a worker whose heartbeat stopped. A job queued with dependencies
//! waits, and hears from the dependency follower how each ended ([`waiting`]). Everything that needs
//! the outside world (the clock, the jitter of a retry) arrives in the command.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use cqrs_es::Aggregate;
use cqrs_es::event_sink::EventSink;
use serde::{Deserialize, Serialize};

use super::JobStatus;
use super::commands::{JobCommand, JobEvent, JobRefusal, JobSpec};
use super::retry::{RunOutcome, retry_delay};

/// A job's state.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    spec: Option<JobSpec>,
    queued_at: Option<DateTime<Utc>>,
    status: Option<JobStatus>,
    attempts: u32,
    worker: Option<String>,
    rescued_from: BTreeSet<String>,
    /// While waiting: the dependencies that have not succeeded yet.
    #[serde(default)]
    awaited: BTreeSet<String>,
}

impl Job {
    /// What was asked for, once the job exists.
    pub fn spec(&self) -> Option<&JobSpec> {
        self.spec.as_ref()
    }

    /// When the job was queued, once it exists.
    pub fn queued_at(&self) -> Option<DateTime<Utc>> {
        self.queued_at
    }

    /// Where the job stands, once it exists.
    pub fn status(&self) -> Option<JobStatus> {
        self.status
    }

    /// Whether a worker may start it: queued, scheduled or retrying.
    fn runnable(&self) -> bool {
        matches!(self.status, Some(JobStatus::Queued | JobStatus::Scheduled | JobStatus::Retrying))
    }

    /// Whether its owner may still cancel it: it has not started, and is not final.
    fn cancellable(&self) -> bool {
        self.runnable() || self.status == Some(JobStatus::Waiting)
    }

    fn status_name(&self) -> &'static str {
        self.status.map_or("unknown", JobStatus::as_str)
    }
}

/// Decides what a command does to a job.
pub fn decide(job: &Job, command: JobCommand) -> Result<Vec<JobEvent>, JobRefusal> {
    let Some(spec) = &job.spec else {
        return match command {
            JobCommand::Queue { spec, at } => Ok(vec![JobEvent::JobQueued { spec, queued_at: at }]),
            _ => Err(JobRefusal::Unknown),
        };
    };
    match command {
        JobCommand::Queue { .. } => {
            Err(JobRefusal::AlreadyQueued { request_hash: spec.request_hash.clone() })
        }
        JobCommand::Start { worker, at } => {
            if job.status == Some(JobStatus::Running) && job.worker.as_ref() == Some(&worker) {
                return Ok(vec![]);
            }
            if !job.runnable() {
                return Err(JobRefusal::NotRunnable(job.status_name()));
            }
            Ok(vec![JobEvent::JobStarted { worker, attempt: job.attempts + 1, started_at: at }])
        }
        JobCommand::Finish { worker, started_at, at, outcome } => {
            let attempt = if job.status == Some(JobStatus::Running) && job.worker.as_ref() == Some(&worker) {
                job.attempts
            } else if job.runnable() {
                job.attempts + 1
            } else {
                return Err(JobRefusal::NotRunnable(job.status_name()));
            };
            Ok(vec![finish(spec, attempt, started_at, at, outcome)])
        }
        JobCommand::ReportProgress { worker, percent, at } => {
            if job.status == Some(JobStatus::Running) && job.worker.as_ref() == Some(&worker) {
                Ok(vec![JobEvent::JobProgressed { percent: percent.min(100), at }])
            } else {
                Err(JobRefusal::NotRunnable(job.status_name()))
            }
        }
        JobCommand::Cancel { at } if job.cancellable() => {
            Ok(vec![JobEvent::JobCancelled { cancelled_at: at, reason: None }])
        }
        JobCommand::Cancel { .. } => Err(JobRefusal::NotCancellable(job.status_name())),
        JobCommand::Rescue { worker, at } => Ok(rescue(job, spec, worker, at)),
        JobCommand::DependencyEnded { dependency, outcome, at } => {
            Ok(waiting::dependency_ended(job, spec, dependency, outcome, at))
        }
    }
}

fn finish(
    spec: &JobSpec,
    attempt: u32,
    started_at: DateTime<Utc>,
    at: DateTime<Utc>,
    outcome: RunOutcome,
) -> JobEvent {
    match outcome {
        RunOutcome::Succeeded(result) => {
            JobEvent::JobSucceeded { attempt, started_at, finished_at: at, result }
        }
        RunOutcome::Failed { message, retryable: true, backoff } if attempt < spec.max_attempts => {
            let delay = retry_delay(attempt, backoff.base, backoff.cap, backoff.jitter);
            let retry_at = at + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::MAX);
            JobEvent::JobRetryScheduled { attempt, started_at, failed_at: at, error: message, retry_at }
        }
        // The attempt this run counted (when its start was recorded) is given back.
        RunOutcome::Snoozed { until } => {
            JobEvent::JobSnoozed { attempts: attempt - 1, snoozed_at: at, run_at: until }
        }
        RunOutcome::Failed { message, retryable, .. } => JobEvent::JobFailed {
            attempt,
            started_at: Some(started_at),
            failed_at: at,
            error: message,
            retryable,
        },
    }
}

/// A rescue counts as a run: a job that keeps taking its workers down ends `failed`, not in a loop.
/// Rescuing twice from one worker, or from a worker that no longer runs the job, changes nothing.
fn rescue(job: &Job, spec: &JobSpec, worker: String, at: DateTime<Utc>) -> Vec<JobEvent> {
    let attempt = if job.status == Some(JobStatus::Running) && job.worker.as_ref() == Some(&worker) {
        job.attempts
    } else if job.runnable() && !job.rescued_from.contains(&worker) {
        job.attempts + 1
    } else {
        return vec![];
    };
    if attempt >= spec.max_attempts {
        return vec![JobEvent::JobFailed {
            attempt,
            started_at: None,
            failed_at: at,
            error: format!("its worker {worker} stopped answering, and no attempts are left"),
            retryable: false,
        }];
    }
    vec![JobEvent::JobRescued { worker, attempt, rescued_at: at }]
}

impl Aggregate for Job {
    const TYPE: &'static str = "job";
    type Command = JobCommand;
    type Event = JobEvent;
    type Error = JobRefusal;
    type Services = ();

    async fn handle(
        &mut self,
        command: JobCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), JobRefusal> {
        for event in decide(self, command)? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: JobEvent) {
        match event {
            JobEvent::JobQueued { spec, queued_at } => {
                let later = spec.run_at.is_some_and(|run_at| run_at > queued_at);
                self.status = Some(if !spec.depends_on.is_empty() {
                    JobStatus::Waiting
                } else if later {
                    JobStatus::Scheduled
                } else {
                    JobStatus::Queued
                });
                self.awaited = spec.depends_on.iter().cloned().collect();
                self.spec = Some(spec);
                self.queued_at = Some(queued_at);
            }
            JobEvent::JobStarted { worker, attempt, .. } => {
                self.status = Some(JobStatus::Running);
                self.attempts = attempt;
                self.worker = Some(worker);
            }
            JobEvent::JobSucceeded { attempt, .. } => self.end(JobStatus::Succeeded, attempt),
            JobEvent::JobRetryScheduled { attempt, .. } => self.end(JobStatus::Retrying, attempt),
            JobEvent::JobFailed { attempt, .. } => self.end(JobStatus::Failed, attempt),
            JobEvent::JobCancelled { .. } => self.end(JobStatus::Cancelled, self.attempts),
            JobEvent::JobRescued { worker, attempt, .. } => {
                self.end(JobStatus::Queued, attempt);
                self.rescued_from.insert(worker);
            }
            JobEvent::JobProgressed { .. } => {}
            JobEvent::JobSnoozed { attempts, .. } => self.end(JobStatus::Scheduled, attempts),
            JobEvent::JobDependencySucceeded { dependency, .. } => {
                self.awaited.remove(&dependency);
            }
            JobEvent::JobReleased { run_at, .. } => {
                self.awaited.clear();
                self.status = Some(if run_at.is_some() { JobStatus::Scheduled } else { JobStatus::Queued });
            }
        }
    }
}

impl Job {
    fn end(&mut self, status: JobStatus, attempts: u32) {
        self.status = Some(status);
        self.attempts = attempts;
        self.worker = None;
    }
}

mod waiting;

#[cfg(test)]
mod tests;
