//! A job's document, as `GET /v1/jobs/{id}` answers it and the projector writes it.

use chrono::{DateTime, Utc};
use domain::jobs::{JobKind, JobStatus};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::boards::timestamp;

/// A job, as `GET /v1/jobs/{id}` answers it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct JobDocument {
    /// The job's id (also the id of the aggregate it tracks, where there is one).
    pub id: String,
    /// What the job does: `score.submit`, `leaderboard.refresh`, …
    pub kind: String,
    /// `waiting`, `queued`, `scheduled`, `running`, `retrying`, `succeeded`, `failed` or `cancelled`.
    #[schema(value_type = String, example = "succeeded")]
    pub status: JobStatus,
    /// 0–9; 9 runs first.
    pub priority: u8,
    /// How many times the job was started.
    pub attempts: u32,
    /// How many starts it gets before it fails for good.
    pub max_attempts: u32,
    /// When the job was accepted.
    pub created_at: String,
    /// When the document last changed.
    pub updated_at: String,
    /// When the job runs, if it was scheduled for later.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_at: Option<String>,
    /// The jobs that must succeed before it runs (`waiting` until they have), when it has any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub depends_on: Option<Vec<String>>,
    /// When its current or last attempt started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    /// When it reached a final status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
    /// 0–100, for jobs that report it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub progress: Option<u8>,
    /// What the job produced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<serde_json::Value>,
    /// Why it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<JobFailure>,
    /// What happened to it, oldest first (jobs run by workers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history: Option<Vec<JobHistoryEntry>>,
    /// Where to find the job and its result.
    pub links: JobLinks,
}

/// Why a job failed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct JobFailure {
    /// What went wrong, for a person.
    pub message: String,
    /// Whether another attempt may succeed.
    pub retryable: bool,
}

/// One step in a job's life.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct JobHistoryEntry {
    /// When it happened.
    pub at: String,
    /// The status the job reached.
    pub status: String,
    /// What happened, for a person: the worker that started it, why it failed, a rescue.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The fields of a job document in the order they are served; the projector renders a worker job's
/// document from its fields in this order ([`crate::job_write`]), so it reads like one serialized here.
pub const JOB_FIELDS: [&str; 17] = [
    "id",
    "kind",
    "status",
    "priority",
    "attempts",
    "maxAttempts",
    "createdAt",
    "updatedAt",
    "runAt",
    "dependsOn",
    "startedAt",
    "finishedAt",
    "progress",
    "result",
    "error",
    "history",
    "links",
];

/// Links from a job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct JobLinks {
    /// The job itself.
    #[serde(rename = "self")]
    pub this: String,
    /// Its result, once there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<String>,
}

impl JobDocument {
    /// A job the command side just accepted, before anything ran.
    pub fn queued(id: &str, kind: JobKind, accepted_at: DateTime<Utc>) -> Self {
        Self {
            id: id.to_owned(),
            kind: kind.as_str().to_owned(),
            status: JobStatus::Queued,
            priority: 5,
            attempts: 0,
            max_attempts: 1,
            created_at: timestamp(accepted_at),
            updated_at: timestamp(accepted_at),
            run_at: None,
            depends_on: None,
            started_at: None,
            finished_at: None,
            progress: None,
            result: None,
            error: None,
            history: None,
            links: JobLinks { this: format!("/v1/jobs/{id}"), result: None },
        }
    }

    /// A job the projector carried out in one step: accepted at `accepted_at`, done at `done_at`.
    pub fn done_by_projector(
        id: &str,
        kind: JobKind,
        accepted_at: DateTime<Utc>,
        done_at: DateTime<Utc>,
        result: serde_json::Value,
        result_link: String,
    ) -> Self {
        let mut job = Self::queued(id, kind, accepted_at);
        job.status = JobStatus::Succeeded;
        job.attempts = 1;
        job.updated_at = timestamp(done_at);
        job.started_at = Some(timestamp(accepted_at));
        job.finished_at = Some(timestamp(done_at));
        job.progress = Some(100);
        job.result = Some(result);
        job.links.result = Some(result_link);
        job
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_job_fields_are_the_documents_fields_in_order() {
        let mut job = JobDocument::queued("j", JobKind::ScoreSubmit, DateTime::UNIX_EPOCH);
        job.run_at = Some("r".into());
        job.depends_on = Some(vec!["d".into()]);
        job.started_at = Some("s".into());
        job.finished_at = Some("f".into());
        job.progress = Some(1);
        job.result = Some(serde_json::json!({}));
        job.error = Some(JobFailure { message: "m".into(), retryable: false });
        job.history = Some(vec![]);
        let text = serde_json::to_string(&job).unwrap();
        let field_count = serde_json::to_value(&job).unwrap().as_object().unwrap().len();
        let positions: Vec<usize> =
            JOB_FIELDS.iter().map(|name| text.find(&format!("\"{name}\":")).unwrap()).collect();
        assert_eq!(field_count, JOB_FIELDS.len());
        assert!(positions.is_sorted(), "the fields are serialized in another order than {JOB_FIELDS:?}");
    }
}
