//! The vocabulary of jobs: every command whose visible effect comes later is tracked as one.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

mod commands;
mod dependencies;
mod job;
pub mod queue;
mod retry;
mod uniqueness;
mod work_order;

pub use commands::{JobCommand, JobEvent, JobRefusal, JobSpec};
pub use dependencies::{
    Dependency, DependencyOutcome, MAX_DEPENDENCIES, cycles as dependency_cycles, parse_dependencies,
};
pub use job::{Job, decide};
pub use queue::{Concurrency, Queue, QueueChange, QueueCommand, QueueEvent, QueueSettings, StartRate};
pub use retry::{Backoff, RunOutcome, retry_delay};
pub use uniqueness::{MAX_UNIQUE_FOR_SECONDS, MAX_UNIQUE_KEY_CHARS, Uniqueness};
pub use work_order::WorkOrder;

/// What a job does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum JobKind {
    /// A submitted score reaching every board it belongs to.
    #[serde(rename = "score.submit")]
    ScoreSubmit,
    /// The projector regenerating a game's board documents.
    #[serde(rename = "leaderboard.refresh")]
    LeaderboardRefresh,
}

impl JobKind {
    /// The kind's name as clients see it.
    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::ScoreSubmit => "score.submit",
            JobKind::LeaderboardRefresh => "leaderboard.refresh",
        }
    }
}

impl fmt::Display for JobKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobStatus {
    /// Accepted, waiting for the jobs it depends on to succeed.
    Waiting,
    /// Accepted, waiting to run.
    Queued,
    /// Accepted, to run at a later time.
    Scheduled,
    /// Being carried out.
    Running,
    /// Failed once and waiting for its next attempt.
    Retrying,
    /// Done.
    Succeeded,
    /// Failed for good.
    Failed,
    /// Cancelled before it ran.
    Cancelled,
}

impl JobStatus {
    /// Every status, in the order a job can pass through them.
    pub const ALL: [JobStatus; 8] = [
        JobStatus::Waiting,
        JobStatus::Queued,
        JobStatus::Scheduled,
        JobStatus::Running,
        JobStatus::Retrying,
        JobStatus::Succeeded,
        JobStatus::Failed,
        JobStatus::Cancelled,
    ];

    /// Whether the job will never change again.
    pub fn is_final(self) -> bool {
        matches!(self, JobStatus::Succeeded | JobStatus::Failed | JobStatus::Cancelled)
    }

    /// The status's name as clients see it.
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Waiting => "waiting",
            JobStatus::Queued => "queued",
            JobStatus::Scheduled => "scheduled",
            JobStatus::Running => "running",
            JobStatus::Retrying => "retrying",
            JobStatus::Succeeded => "succeeded",
            JobStatus::Failed => "failed",
            JobStatus::Cancelled => "cancelled",
        }
    }
}

impl FromStr for JobStatus {
    type Err = String;

    /// Parses a status, accepting the Job Processing API's names as aliases.
    fn from_str(raw: &str) -> Result<Self, String> {
        Ok(match raw {
            "waiting" => JobStatus::Waiting,
            "queued" | "created" | "published" => JobStatus::Queued,
            "scheduled" => JobStatus::Scheduled,
            "running" | "unacked" => JobStatus::Running,
            "retrying" => JobStatus::Retrying,
            "succeeded" | "processed" => JobStatus::Succeeded,
            "failed" | "rejected" => JobStatus::Failed,
            "cancelled" => JobStatus::Cancelled,
            _ => return Err(format!("unknown status {raw:?}")),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_job_processing_api_status_names_are_aliases() {
        assert_eq!("published".parse(), Ok(JobStatus::Queued));
        assert_eq!("unacked".parse(), Ok(JobStatus::Running));
        assert_eq!("rejected".parse(), Ok(JobStatus::Failed));
        assert_eq!("processed".parse(), Ok(JobStatus::Succeeded));
        assert!("done".parse::<JobStatus>().is_err());
    }

    #[test]
    fn only_succeeded_failed_and_cancelled_are_final() {
        assert!(JobStatus::Succeeded.is_final());
        assert!(!JobStatus::Retrying.is_final());
        assert!(!JobStatus::Waiting.is_final());
    }
}
