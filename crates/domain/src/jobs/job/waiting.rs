//! A waiting job hears how each of its dependencies ended. The follower that tells it delivers at
//! least once, so every rule here changes nothing when told again: a job that is no longer waiting,
//! or a dependency already counted, records nothing.

use chrono::{DateTime, Utc};

use super::Job;
use crate::jobs::commands::{JobEvent, JobSpec};
use crate::jobs::{DependencyOutcome, JobStatus};

/// What `dependency` ending with `outcome` does to `job`: the last awaited success releases it (to
/// the queue, or to its `runAt` when that is later), an earlier one is recorded, and a failure or
/// cancellation cancels it with a reason naming the dependency.
pub(super) fn dependency_ended(
    job: &Job,
    spec: &JobSpec,
    dependency: String,
    outcome: DependencyOutcome,
    at: DateTime<Utc>,
) -> Vec<JobEvent> {
    if job.status != Some(JobStatus::Waiting) || !job.awaited.contains(&dependency) {
        return vec![];
    }
    if let Some(reason) = outcome.cancels(&dependency) {
        return vec![JobEvent::JobCancelled { cancelled_at: at, reason: Some(reason) }];
    }
    if job.awaited.len() > 1 {
        return vec![JobEvent::JobDependencySucceeded { dependency, at }];
    }
    let run_at = spec.run_at.filter(|run_at| *run_at > at);
    vec![JobEvent::JobReleased { released_at: at, run_at }]
}

#[cfg(test)]
mod tests;
