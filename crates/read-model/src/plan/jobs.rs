//! Plans for jobs run by workers: their documents, patched by each event (see [`crate::job_write`]), and the
//! queue, which is a projection too — a job is pushed when the log says it was queued, rescued or is
//! due again, inside the same atomic apply as the checkpoint, so it is queued exactly once.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use domain::jobs::{JobEvent, JobSpec, JobStatus, QueueEvent, WorkOrder};
use serde::Serialize;
use serde_json::Value;

use super::Op;
use crate::boards::timestamp;
use crate::documents::{JobFailure, JobHistoryEntry, JobLinks};
use crate::log_entry::LogEntry;

/// A change to a document kept as fields (a job's, a conversion's): fields to set as JSON fragments
/// (JSON `null` removes one) and, with [`Patch::status`], a history entry.
#[derive(Debug, Default)]
pub(super) struct Patch {
    pub(super) fields: Vec<(&'static str, String)>,
}

impl Patch {
    pub(super) fn set(mut self, field: &'static str, value: impl Serialize) -> Self {
        self.fields.push((field, serde_json::to_string(&value).unwrap_or_else(|_| "null".to_owned())));
        self
    }

    /// Sets the status with its history entry, and (hidden) when it changed in milliseconds, which the
    /// Function's per-kind counts read (the oldest queued job's age, runs finished per minute).
    pub(super) fn status(self, status: JobStatus, at: DateTime<Utc>, note: Option<String>) -> Self {
        let entry = JobHistoryEntry { at: timestamp(at), status: status.as_str().to_owned(), note };
        self.set("status", status)
            .set("updatedAt", timestamp(at))
            .set("+history", entry)
            .set("statusAt", at.timestamp_millis())
    }

    pub(super) fn into_op(self, id: &str) -> Op {
        Op::JobFields { id: id.to_owned(), fields: self.fields, created: false }
    }

    /// The patch of the event that created the job.
    fn into_first_op(self, id: &str) -> Op {
        Op::JobFields { id: id.to_owned(), fields: self.fields, created: true }
    }
}

/// Plans one event of a worker job.
pub fn plan_job(event: &LogEntry<'_>, job_event: JobEvent, ops: &mut Vec<Op>) {
    let id = event.aggregate_id.to_string();
    match job_event {
        JobEvent::JobQueued { spec, queued_at } => queue(&id, spec, queued_at, ops),
        JobEvent::JobStarted { worker, attempt, started_at } => ops.push(
            Patch::default()
                .status(JobStatus::Running, started_at, Some(format!("run {attempt} on worker {worker}")))
                .set("attempts", attempt)
                .set("startedAt", timestamp(started_at))
                .into_op(&id),
        ),
        JobEvent::JobSucceeded { attempt, started_at, finished_at, result } => ops.push(
            Patch::default()
                .status(JobStatus::Succeeded, finished_at, None)
                .set("attempts", attempt)
                .set("startedAt", timestamp(started_at))
                .set("finishedAt", timestamp(finished_at))
                .set("progress", 100)
                .set("result", result)
                .set("error", Value::Null)
                .into_op(&id),
        ),
        JobEvent::JobRetryScheduled { attempt, started_at, failed_at, error, retry_at } => {
            ops.push(
                Patch::default()
                    .status(JobStatus::Retrying, failed_at, Some(error.clone()))
                    .set("attempts", attempt)
                    .set("startedAt", timestamp(started_at))
                    .set("runAt", timestamp(retry_at))
                    .set("error", JobFailure { message: error, retryable: true })
                    .into_op(&id),
            );
            ops.push(Op::Delay { id, due_millis: retry_at.timestamp_millis() });
        }
        JobEvent::JobFailed { attempt, started_at, failed_at, error, retryable } => {
            let mut patch = Patch::default()
                .status(JobStatus::Failed, failed_at, Some(error.clone()))
                .set("attempts", attempt)
                .set("finishedAt", timestamp(failed_at))
                .set("error", JobFailure { message: error, retryable });
            if let Some(started_at) = started_at {
                patch = patch.set("startedAt", timestamp(started_at));
            }
            ops.push(patch.into_op(&id));
            ops.push(Op::Undelay { id });
        }
        JobEvent::JobCancelled { cancelled_at, reason } => {
            let mut patch = Patch::default()
                .status(JobStatus::Cancelled, cancelled_at, reason.clone())
                .set("finishedAt", timestamp(cancelled_at));
            if let Some(message) = reason {
                patch = patch.set("error", JobFailure { message, retryable: false });
            }
            ops.push(patch.into_op(&id));
            ops.push(Op::Undelay { id });
        }
        JobEvent::JobRescued { worker, attempt, rescued_at } => {
            let note = format!("rescued from worker {worker}, which stopped answering");
            ops.push(
                Patch::default()
                    .status(JobStatus::Queued, rescued_at, Some(note))
                    .set("attempts", attempt)
                    .into_op(&id),
            );
            ops.push(Op::Enqueue { id });
        }
        JobEvent::JobProgressed { percent, at } => {
            ops.push(Patch::default().set("progress", percent).set("updatedAt", timestamp(at)).into_op(&id));
        }
        JobEvent::JobSnoozed { attempts, snoozed_at, run_at } => {
            let note = format!("snoozed until {}", timestamp(run_at));
            ops.push(
                Patch::default()
                    .status(JobStatus::Scheduled, snoozed_at, Some(note))
                    .set("attempts", attempts)
                    .set("runAt", timestamp(run_at))
                    // Not shown: it tells the claim of the next run from the claim of this one.
                    .set("snoozedAt", timestamp(snoozed_at))
                    .into_op(&id),
            );
            ops.push(Op::Delay { id, due_millis: run_at.timestamp_millis() });
        }
        JobEvent::JobDependencySucceeded { dependency, at } => {
            let note = format!("its dependency {dependency} succeeded");
            ops.push(Patch::default().status(JobStatus::Waiting, at, Some(note)).into_op(&id));
        }
        JobEvent::JobReleased { released_at, run_at } => {
            let status = if run_at.is_some() { JobStatus::Scheduled } else { JobStatus::Queued };
            let note = "its dependencies succeeded".to_owned();
            ops.push(Patch::default().status(status, released_at, Some(note)).into_op(&id));
            ops.push(queue_op(&id, run_at));
        }
    }
}

/// A new job's document; the job goes in the queue, or in the delayed set until `runAt`, unless it
/// waits for dependencies: then `JobReleased` queues it, if it comes.
fn queue(id: &str, spec: JobSpec, queued_at: DateTime<Utc>, ops: &mut Vec<Op>) {
    let due = spec.run_at.filter(|run_at| *run_at > queued_at);
    let waits = !spec.depends_on.is_empty();
    let status = match (waits, due) {
        (true, _) => JobStatus::Waiting,
        (false, Some(_)) => JobStatus::Scheduled,
        (false, None) => JobStatus::Queued,
    };
    let order = WorkOrder {
        id: id.to_owned(),
        kind: spec.kind.clone(),
        message: spec.message.clone(),
        payload: spec.payload.clone(),
        priority: spec.priority,
    };
    let patch = Patch::default()
        .set("id", id)
        .set("kind", &spec.kind)
        .status(status, queued_at, None)
        .set("priority", spec.priority)
        .set("attempts", 0)
        .set("maxAttempts", spec.max_attempts)
        .set("createdAt", timestamp(queued_at))
        .set("runAt", spec.run_at.map(timestamp))
        .set("dependsOn", waits.then_some(&spec.depends_on))
        .set("links", JobLinks { this: format!("/v1/jobs/{id}"), result: None })
        .set("spec", order)
        .set("owner", &spec.owner);
    ops.push(patch.into_first_op(id));
    if !waits {
        ops.push(queue_op(id, due));
    }
}

/// Into the queue now, or into the delayed set until `due`.
fn queue_op(id: &str, due: Option<DateTime<Utc>>) -> Op {
    match due {
        Some(run_at) => Op::Delay { id: id.to_owned(), due_millis: run_at.timestamp_millis() },
        None => Op::Enqueue { id: id.to_owned() },
    }
}

/// Drops the queue pushes of jobs that end within the same batch: a backlog replayed by a rebuild
/// leaves no finished job in the queue for workers to skip.
pub fn drop_pushes_of_finished(ops: &mut Vec<Op>) {
    let finished: HashSet<String> = ops
        .iter()
        .filter_map(|op| match op {
            Op::JobFields { id, fields, .. }
                if fields.iter().any(|(name, value)| is_final_status(name, value)) =>
            {
                Some(id.clone())
            }
            _ => None,
        })
        .collect();
    if finished.is_empty() {
        return;
    }
    ops.retain(|op| match op {
        Op::Enqueue { id } | Op::Delay { id, .. } => !finished.contains(id),
        _ => true,
    });
}

fn is_final_status(name: &str, value: &str) -> bool {
    name == "status" && serde_json::from_str::<JobStatus>(value).is_ok_and(JobStatus::is_final)
}

/// Plans a queue's new settings: the hash the claim reads (and the overview shows), with waiting
/// workers told to look again.
pub fn plan_queue(event: &LogEntry<'_>, queue_event: QueueEvent, ops: &mut Vec<Op>) {
    let QueueEvent::QueueConfigured { settings, .. } = queue_event;
    ops.push(Op::QueueSettings { kind: event.aggregate_id.to_string(), settings });
}

#[cfg(test)]
pub(crate) mod tests;
