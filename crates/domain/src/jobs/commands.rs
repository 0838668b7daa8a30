//! What is asked of a job (its commands), what it records (its events) and why it refuses: the words
//! the command side, the worker and the projector share with the `Job` aggregate.

use chrono::{DateTime, Utc};
use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};

use super::dependencies::DependencyOutcome;
use super::retry::RunOutcome;
use super::uniqueness::Uniqueness;

/// What was asked for, as validated by the command side.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobSpec {
    /// The handler that runs it: `message`, `webhook`, …
    pub kind: String,
    /// The job's message.
    pub message: String,
    /// 0–9; 9 runs first.
    pub priority: u8,
    /// Not before this time, when given.
    pub run_at: Option<DateTime<Utc>>,
    /// How many runs it gets before it fails for good.
    pub max_attempts: u32,
    /// The kind's input.
    pub payload: Option<serde_json::Value>,
    /// The user who queued it.
    pub owner: String,
    /// A hash of the request, to tell an idempotent replay from a different request.
    pub request_hash: String,
    /// The `uniqueKey` (and `uniqueFor`) that kept duplicates of it out, when it had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unique: Option<Uniqueness>,
    /// The ids of the jobs that must succeed before it runs (none: it runs when due).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<String>,
}

/// What can be asked of a job.
#[derive(Debug, Clone, PartialEq)]
pub enum JobCommand {
    /// Accept a new job.
    Queue {
        /// What was asked for.
        spec: JobSpec,
        /// When the job was queued.
        at: DateTime<Utc>,
    },
    /// A worker starts a run it expects to take a while (short runs only `Finish`).
    Start {
        /// The name of the worker starting the run.
        worker: String,
        /// When the run started.
        at: DateTime<Utc>,
    },
    /// A worker reports how its run ended.
    Finish {
        /// The name of the worker that ran it.
        worker: String,
        /// When the run started.
        started_at: DateTime<Utc>,
        /// When the run ended.
        at: DateTime<Utc>,
        /// How the run ended.
        outcome: RunOutcome,
    },
    /// A worker reports how far its run is.
    ReportProgress {
        /// The name of the worker running it.
        worker: String,
        /// 0–100.
        percent: u8,
        /// When it was reported.
        at: DateTime<Utc>,
    },
    /// The owner cancels a job that has not started.
    Cancel {
        /// When the owner cancelled it.
        at: DateTime<Utc>,
    },
    /// A cleaner returns the job from a worker that stopped answering.
    Rescue {
        /// The name of the worker that stopped answering.
        worker: String,
        /// When the cleaner found the job.
        at: DateTime<Utc>,
    },
    /// The dependency follower reports that one of the job's dependencies reached a final status;
    /// sent at least once per dependency and dependent, so repeating it changes nothing.
    DependencyEnded {
        /// The id of the dependency.
        dependency: String,
        /// How it ended.
        outcome: DependencyOutcome,
        /// When the follower saw it.
        at: DateTime<Utc>,
    },
}

/// What happened to a job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum JobEvent {
    /// Accepted; the projector puts it in the queue (or the delayed set until `runAt`).
    JobQueued {
        /// What was asked for.
        spec: JobSpec,
        /// When the job was queued.
        queued_at: DateTime<Utc>,
    },
    /// A worker started run number `attempt`.
    JobStarted {
        /// The name of the worker running it.
        worker: String,
        /// The run's number, from 1.
        attempt: u32,
        /// When the run started.
        started_at: DateTime<Utc>,
    },
    /// Run `attempt` finished the job.
    JobSucceeded {
        /// The run's number, from 1.
        attempt: u32,
        /// When the run started.
        started_at: DateTime<Utc>,
        /// When the run finished.
        finished_at: DateTime<Utc>,
        /// What the handler returned.
        result: serde_json::Value,
    },
    /// Run `attempt` failed; the job runs again at `retry_at`.
    JobRetryScheduled {
        /// The run's number, from 1.
        attempt: u32,
        /// When the run started.
        started_at: DateTime<Utc>,
        /// When the run failed.
        failed_at: DateTime<Utc>,
        /// Why the run failed, as the handler said.
        error: String,
        /// When the job runs again.
        retry_at: DateTime<Utc>,
    },
    /// The job failed for good.
    JobFailed {
        /// The last run's number, from 1.
        attempt: u32,
        /// When the last run started; `None` when a rescue ended the job.
        started_at: Option<DateTime<Utc>>,
        /// When the job failed.
        failed_at: DateTime<Utc>,
        /// Why the job failed.
        error: String,
        /// Whether the handler called the failure retryable; when it did, the job ran out of attempts.
        retryable: bool,
    },
    /// Cancelled before it ran: by its owner, or because a dependency failed or was cancelled.
    JobCancelled {
        /// When it was cancelled.
        cancelled_at: DateTime<Utc>,
        /// Why, when its owner did not cancel it: which dependency did not succeed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// Taken back from `worker`, which stopped answering during run `attempt`; queued again.
    JobRescued {
        /// The name of the worker that stopped answering.
        worker: String,
        /// The number of the run that worker did not finish, from 1.
        attempt: u32,
        /// When the job was taken back.
        rescued_at: DateTime<Utc>,
    },
    /// The running job's handler reported how far it is.
    JobProgressed {
        /// 0–100.
        percent: u8,
        /// When it was reported.
        at: DateTime<Utc>,
    },
    /// The handler asked to run again later: the job is scheduled, and the run counts no attempt.
    JobSnoozed {
        /// The runs counted after this one was given back.
        attempts: u32,
        /// When the handler answered.
        snoozed_at: DateTime<Utc>,
        /// When the job runs again.
        run_at: DateTime<Utc>,
    },
    /// One of a waiting job's dependencies succeeded; others are still awaited.
    JobDependencySucceeded {
        /// The id of the dependency.
        dependency: String,
        /// When the follower saw it.
        at: DateTime<Utc>,
    },
    /// Every dependency of a waiting job succeeded: it is queued, or scheduled until `run_at`.
    JobReleased {
        /// When the last dependency's success was seen.
        released_at: DateTime<Utc>,
        /// When it runs, if that is later than its release.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        run_at: Option<DateTime<Utc>>,
    },
}

impl JobEvent {
    /// The types of the events after which a job never changes again (succeeded, failed, cancelled):
    /// what Postgres looks for to tell that a unique job no longer keeps its key.
    pub const ENDINGS: [&'static str; 3] = ["JobSucceeded", "JobFailed", "JobCancelled"];
}

impl DomainEvent for JobEvent {
    fn event_type(&self) -> String {
        match self {
            JobEvent::JobQueued { .. } => "JobQueued",
            JobEvent::JobStarted { .. } => "JobStarted",
            JobEvent::JobSucceeded { .. } => "JobSucceeded",
            JobEvent::JobRetryScheduled { .. } => "JobRetryScheduled",
            JobEvent::JobFailed { .. } => "JobFailed",
            JobEvent::JobCancelled { .. } => "JobCancelled",
            JobEvent::JobRescued { .. } => "JobRescued",
            JobEvent::JobProgressed { .. } => "JobProgressed",
            JobEvent::JobSnoozed { .. } => "JobSnoozed",
            JobEvent::JobDependencySucceeded { .. } => "JobDependencySucceeded",
            JobEvent::JobReleased { .. } => "JobReleased",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        "1".to_owned()
    }
}

/// Why a job refused a command.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum JobRefusal {
    /// A job with this id was already queued (an idempotent replay, or a different request).
    #[error("the job was already queued")]
    AlreadyQueued {
        /// The hash of the request that queued it.
        request_hash: String,
    },
    /// No job has this id.
    #[error("no such job")]
    Unknown,
    /// Only waiting, queued, scheduled or retrying jobs can be cancelled.
    #[error("a {0} job cannot be cancelled")]
    NotCancellable(&'static str),
    /// The job is not this worker's to run (finished, cancelled, or run by another worker).
    #[error("the job is {0}; this worker may not run it")]
    NotRunnable(&'static str),
}
