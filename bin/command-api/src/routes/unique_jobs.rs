//! Unique jobs: a job with a `uniqueKey` claims `{user}\n{key}` in Postgres in the transaction that
//! appends its first event, so of any number of racing requests exactly one job comes into being, and
//! the others are answered with it.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use domain::jobs::{Job, JobCommand, JobRefusal, Uniqueness};
use eventlog::CommandError;
use read_model::documents::JobDocument;
use serde::Serialize;
use utoipa::ToSchema;

use super::job_request::first_document;
use crate::accepted::NewJob;
use crate::claims::{Claim, claim_or_find_holder};
use crate::consistency::wait_until_projected;
use crate::failure::Failure;
use crate::state::JobsState;

/// What became of a unique job's request.
pub enum UniqueOutcome {
    /// The job was queued (or, under the same `Idempotency-Key`, had been): the outcome of its command.
    Queued(Result<(), CommandError<JobRefusal>>),
    /// Another job of the caller's holds the key: nothing was queued.
    DuplicateOf(String),
}

/// The existing job a duplicate is answered with (200).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeduplicatedJob {
    /// The job that holds the `uniqueKey`, as `GET /v1/jobs/{id}` answers it.
    #[serde(flatten)]
    job: JobDocument,
    /// Always `true`: this request queued nothing.
    deduplicated: bool,
}

/// What a unique job claims: its key, which is each user's own.
pub fn claim_value(owner: &str, unique: &Uniqueness) -> String {
    format!("{owner}\n{}", unique.key)
}

/// Queues `job` with `command` unless another job of `owner`'s holds `unique.key`: the claim and the
/// job's first event commit in one transaction, or neither does.
pub async fn queue_unique(
    state: &JobsState,
    owner: &str,
    job: &NewJob,
    command: JobCommand,
    unique: &Uniqueness,
    queued_at: DateTime<Utc>,
) -> Result<UniqueOutcome, Failure> {
    let id = job.id.to_string();
    let value = claim_value(owner, unique);
    let new = state.jobs.decide_new(&id, command.clone(), &job.metadata).await?;
    let mut transaction = state.shared.pool.begin().await?;
    let holder = claim_or_find_holder(
        &mut transaction,
        Claim::UniqueJob,
        &value,
        &id,
        unique.expires_at(queued_at),
        queued_at,
    )
    .await?;
    if holder != id {
        transaction.rollback().await?;
        return Ok(UniqueOutcome::DuplicateOf(holder));
    }
    if eventlog::append_new_in(&mut transaction, &[new]).await? {
        transaction.commit().await?;
        return Ok(UniqueOutcome::Queued(Ok(())));
    }
    // The id exists: a request with the same Idempotency-Key committed first. Its first event tells
    // a replay (the same job) from a different request (422).
    transaction.rollback().await?;
    Ok(UniqueOutcome::Queued(state.jobs.execute(&id, command, &job.metadata).await))
}

/// Answers 200 with job `holder` and `"deduplicated": true`: the document the query side serves, or,
/// before the projector has written it, one made from the log.
pub async fn deduplicated(state: &JobsState, holder: &str) -> Result<Response, Failure> {
    let mut document = stored_document(state, holder).await;
    if document.is_none() {
        wait_until_projected(&state.shared, "job", holder).await;
        document = stored_document(state, holder).await;
    }
    let mut document = match document {
        Some(document) => document,
        None => serde_json::to_value(document_from_the_log(state, holder).await?)
            .map_err(http_kit::ApiError::internal)?,
    };
    if let Some(fields) = document.as_object_mut() {
        fields.insert("deduplicated".to_owned(), serde_json::Value::Bool(true));
    }
    Ok((StatusCode::OK, Json(document)).into_response())
}

async fn stored_document(state: &JobsState, id: &str) -> Option<serde_json::Value> {
    let stored = state.shared.generation.get(&state.shared.redis, |keys| keys.job(id)).await;
    match stored {
        Ok(stored) => stored.and_then(|json| serde_json::from_slice(&json).ok()),
        Err(error) => {
            tracing::warn!(%error, job = %id, "could not read a job document");
            None
        }
    }
}

/// The job's status and settings from its events, without what only the projector records (history,
/// attempts' times).
async fn document_from_the_log(state: &JobsState, id: &str) -> Result<JobDocument, Failure> {
    let job: Job = state.jobs.load(id).await?;
    let (Some(spec), Some(queued_at), Some(status)) = (job.spec(), job.queued_at(), job.status()) else {
        return Err(
            http_kit::ApiError::internal(format!("unique job {id} holds its key but has no events")).into()
        );
    };
    let mut document = first_document(id, spec, queued_at);
    document.status = status;
    Ok(document)
}
