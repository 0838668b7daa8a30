//! `POST /v1/jobs/batch`: up to 1,000 jobs, all validated first, then appended in one INSERT and one
//! commit, so that enqueuing many jobs costs one round trip, one transaction and one wakeup of the
//! log's readers instead of one of each per job.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::SubsecRound;
use domain::FieldError;
use domain::jobs::{JobCommand, JobSpec};
use http_kit::auth::AuthenticatedUser;
use http_kit::{ApiError, JsonBody};
use read_model::documents::JobDocument;
use read_model::keys::relative;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::job_request::{JobRequest, first_document, parse};
use crate::accepted::{Accepted, AcceptedLinks, IdempotencyKey, NewJob};
use crate::failure::Failure;
use crate::state::JobsState;

/// The most jobs one batch may hold.
pub const MOST_JOBS: usize = 1_000;

/// Jobs to queue together.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct JobBatch {
    /// 1–1,000 jobs, each as `POST /v1/jobs` takes it, but for `uniqueKey` and `uniqueFor` (a 422 in a
    /// batch: queue unique jobs one by one).
    #[schema(required = true, nullable = false, min_items = 1, max_items = 1000)]
    jobs: Option<Vec<JobRequest>>,
}

/// Each job's 202 body, in the order of the request.
#[derive(Debug, Serialize, ToSchema)]
pub struct AcceptedBatch {
    /// One per job sent, in the same order.
    items: Vec<Accepted>,
}

/// Queues up to 1,000 jobs at once: all or none. An `Idempotency-Key` names the whole batch.
#[utoipa::path(
    post, path = "/v1/jobs/batch", tag = "jobs",
    request_body = JobBatch,
    security(("bearer" = [])),
    params(IdempotencyKey),
    responses(
        (status = 202, description = "Every job accepted; poll each", body = AcceptedBatch),
        (status = 400, description = "Malformed JSON", body = http_kit::problem::Problem),
        (status = 401, description = "No valid token", body = http_kit::problem::Problem),
        (status = 413, description = "Body larger than `jobs.max_batch_body_bytes` (8 MiB by default)",
            body = http_kit::problem::Problem),
        (status = 415, description = "Not JSON", body = http_kit::problem::Problem),
        (status = 422, description = "Invalid fields, named like `jobs[3].priority`; nothing was queued",
            body = http_kit::problem::Problem),
        (status = 503, description = "The event log is unavailable", body = http_kit::problem::Problem),
    )
)]
pub async fn queue_batch(
    State(state): State<JobsState>,
    caller: AuthenticatedUser,
    headers: HeaderMap,
    JsonBody(request): JsonBody<JobBatch>,
) -> Result<Response, Failure> {
    let now = state.shared.clock.now().trunc_subsecs(6);
    let batch = NewJob::mint(&headers, &caller.user_id, "POST /v1/jobs/batch", &request)?;
    let specs = parse_all(&state, request, &caller.user_id, &batch.request_hash)?;
    let ids = job_ids(&batch, specs.len());
    let mut aggregates = Vec::with_capacity(specs.len());
    let mut documents = Vec::with_capacity(specs.len());
    for (id, spec) in ids.iter().zip(specs) {
        documents.push(first_document(id, &spec, now));
        let mut metadata = batch.metadata.clone();
        metadata.insert("job_id".to_owned(), id.clone());
        aggregates.push(state.jobs.decide_new(id, JobCommand::Queue { spec, at: now }, &metadata).await?);
    }
    if eventlog::append_new(&state.shared.pool, &aggregates).await? {
        for document in &documents {
            metrics::counter!("jobs_queued_total", "kind" => document.kind.clone()).increment(1);
        }
    } else {
        ensure_replay(&state, &batch, &ids[0]).await?;
    }
    write_first_documents(&state, &caller.user_id, &documents).await;
    let items = ids
        .into_iter()
        .map(|id| Accepted {
            links: AcceptedLinks { job: format!("/v1/jobs/{id}") },
            job_id: id,
            status: "queued",
        })
        .collect();
    Ok((StatusCode::ACCEPTED, Json(AcceptedBatch { items })).into_response())
}

/// Every job's spec, or every error of every job, named `jobs[i].field`.
fn parse_all(
    state: &JobsState,
    request: JobBatch,
    owner: &str,
    request_hash: &str,
) -> Result<Vec<JobSpec>, Vec<FieldError>> {
    let jobs = request.jobs.unwrap_or_default();
    if jobs.is_empty() || jobs.len() > MOST_JOBS {
        return Err(vec![FieldError::new("jobs", format!("must hold 1 to {MOST_JOBS} jobs"))]);
    }
    let mut specs = Vec::with_capacity(jobs.len());
    let mut errors = Vec::new();
    for (index, job) in jobs.into_iter().enumerate() {
        let field = |name: &str| format!("jobs[{index}].{name}");
        let unique = [("uniqueKey", job.unique_key.is_some()), ("uniqueFor", job.unique_for.is_some())];
        for (name, _) in unique.into_iter().filter(|(_, given)| *given) {
            errors.push(FieldError::new(
                field(name),
                "is not accepted in a batch; queue unique jobs through POST /v1/jobs",
            ));
        }
        match parse(state, job, owner, request_hash.to_owned()) {
            Ok(spec) => specs.push(spec),
            Err(refused) if refused.is_empty() => {
                errors.push(FieldError::new(format!("jobs[{index}]"), "is invalid"))
            }
            Err(refused) => errors
                .extend(refused.into_iter().map(|error| FieldError::new(field(&error.field), error.message))),
        }
    }
    if errors.is_empty() { Ok(specs) } else { Err(errors) }
}

/// The batch's job ids: with an `Idempotency-Key`, derived from the batch's own (a UUIDv5 of it and the
/// job's place), so a replay or a racing duplicate lands on the same aggregates; otherwise fresh
/// UUIDv7s.
fn job_ids(batch: &NewJob, count: usize) -> Vec<String> {
    let id_of = |index: usize| {
        if batch.keyed() { Uuid::new_v5(&batch.id, index.to_string().as_bytes()) } else { Uuid::now_v7() }
    };
    (0..count).map(|index| id_of(index).to_string()).collect()
}

/// A batch whose first job exists already was committed before under the same `Idempotency-Key`
/// (the INSERT is all or none): the same request answers as it did; another one is a 422.
async fn ensure_replay(state: &JobsState, batch: &NewJob, first: &str) -> Result<(), Failure> {
    let stored = state.jobs.load(first).await?;
    match stored.spec() {
        Some(spec) if batch.keyed() && spec.request_hash == batch.request_hash => Ok(()),
        Some(_) if batch.keyed() => Err(ApiError::Unprocessable(
            "this Idempotency-Key was already used for a different request".to_owned(),
        )
        .into()),
        _ => Err(ApiError::Conflict("the jobs' ids were taken meanwhile; try again".to_owned()).into()),
    }
}

/// Writes each job's first document unless the projector has written a later one, in one round trip;
/// the projector writes them from the log soon anyway, so a failure is only logged.
async fn write_first_documents(state: &JobsState, owner: &str, documents: &[JobDocument]) {
    let each = documents
        .iter()
        .map(|document| {
            let json = serde_json::to_string(document).unwrap_or_default();
            vec![relative::job(&document.id), json, relative::job_owner(&document.id), owner.to_owned()]
        })
        .collect();
    let written = state.shared.generation.write_each(&state.shared.redis, "MSETNX", each).await;
    if let Err(error) = written {
        tracing::warn!(%error, jobs = documents.len(), "could not write the first job documents");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn minted(key: Option<&str>) -> NewJob {
        let mut headers = HeaderMap::new();
        if let Some(key) = key {
            headers.insert("idempotency-key", key.parse().unwrap());
        }
        NewJob::mint(&headers, "u1", "POST /v1/jobs/batch", &serde_json::json!({ "jobs": [] })).unwrap()
    }

    #[test]
    fn a_batch_with_an_idempotency_key_gets_the_same_distinct_job_ids_every_time() {
        let ids = job_ids(&minted(Some("k")), 3);
        assert_eq!(ids, job_ids(&minted(Some("k")), 3));
        assert_ne!(ids, job_ids(&minted(Some("other")), 3));
        assert_eq!(ids.iter().collect::<std::collections::HashSet<_>>().len(), 3);
    }

    #[test]
    fn a_batch_without_a_key_gets_fresh_job_ids() {
        assert_ne!(job_ids(&minted(None), 2), job_ids(&minted(None), 2));
    }
}
