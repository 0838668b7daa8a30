//! `POST /v1/jobs/batch`: up to 1,000 jobs, all validated first, then appended in one INSERT and one
//! commit, so that enqueuing many jobs costs one round trip, one transaction and one wakeup of the
//! log's readers instead of one of each per job.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::SubsecRound;
use domain::FieldError;
use domain::jobs::{Dependency, JobCommand};
use http_kit::auth::AuthenticatedUser;
use http_kit::{ApiError, JsonBody};
use read_model::documents::JobDocument;
use read_model::keys::relative;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::job_dependencies;
use super::job_request::{JobRequest, ParsedJob, first_document, parse};
use super::unique_batch::{self, Placement};
use crate::accepted::{Accepted, AcceptedLinks, IdempotencyKey, NewJob};
use crate::failure::Failure;
use crate::state::JobsState;

/// The most jobs one batch may hold.
pub const MOST_JOBS: usize = 1_000;

/// Jobs to queue together.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct JobBatch {
    /// 1–1,000 jobs, each as `POST /v1/jobs` takes it. In `dependsOn`, `"$N"` names the batch's job at
    /// place N, so `[{…}, { "dependsOn": ["$0"] }]` runs the second job once the first has succeeded. A
    /// job whose `uniqueKey` a job of yours holds, or an earlier job of the batch has, is not queued:
    /// its item names that job, with `"deduplicated": true`.
    #[schema(required = true, nullable = false, min_items = 1, max_items = 1000)]
    jobs: Option<Vec<JobRequest>>,
}

/// Each job's 202 body, in the order of the request.
#[derive(Debug, Serialize, ToSchema)]
pub struct AcceptedBatch {
    /// One per job sent, in the same order.
    items: Vec<BatchItem>,
}

/// What became of one job of a batch.
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchItem {
    /// The job queued, or the job this one was collapsed into (see `deduplicated`), with its status.
    #[serde(flatten)]
    accepted: Accepted,
    /// `true` when nothing was queued for this place: another job of yours held its `uniqueKey`
    /// (`jobId` and `status` are that job's), or an earlier job of the batch had the same key.
    deduplicated: bool,
}

/// Queues up to 1,000 jobs at once: all or none. An `Idempotency-Key` names the whole batch. A job may
/// depend on another of the batch by place (`"$N"` in `dependsOn`): a flow is queued in one request.
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
        (status = 422, description = "Invalid fields, named like `jobs[3].priority`, or jobs whose \
            `dependsOn` form a cycle (`jobs[3].dependsOn`); nothing was queued",
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
    let jobs = parse_all(&state, request, &caller.user_id, &batch.request_hash)?;
    let dependencies: Vec<&[Dependency]> = jobs.iter().map(|job| job.dependencies.as_slice()).collect();
    job_dependencies::check_batch(&state.shared.pool, &caller.user_id, &dependencies).await?;
    let ids = job_ids(&batch, jobs.len());
    let mut transaction = state.shared.pool.begin().await?;
    let placements = unique_batch::claim_keys(&mut transaction, &caller.user_id, &jobs, &ids, now).await?;
    let standing = unique_batch::standing_for(&placements, &ids);
    let mut aggregates = Vec::with_capacity(jobs.len());
    let mut documents = Vec::with_capacity(jobs.len());
    for (place, (ParsedJob { mut spec, dependencies }, placement)) in
        jobs.into_iter().zip(&placements).enumerate()
    {
        if *placement != Placement::New {
            metrics::counter!("jobs_deduplicated_total", "kind" => spec.kind).increment(1);
            continue;
        }
        let id = &ids[place];
        spec.depends_on = job_dependencies::resolve(dependencies, &standing);
        documents.push(first_document(id, &spec, now));
        let mut metadata = batch.metadata.clone();
        metadata.insert("job_id".to_owned(), id.clone());
        aggregates.push(state.jobs.decide_new(id, JobCommand::Queue { spec, at: now }, &metadata).await?);
    }
    if eventlog::append_new_in(&mut transaction, &aggregates).await? {
        transaction.commit().await?;
        for document in &documents {
            metrics::counter!("jobs_queued_total", "kind" => document.kind.clone()).increment(1);
        }
    } else {
        transaction.rollback().await?;
        ensure_replay(&state, &batch, &documents[0].id).await?;
    }
    write_first_documents(&state, &caller.user_id, &documents).await;
    let items = answer(&state, &placements, standing, &documents).await?;
    Ok((StatusCode::ACCEPTED, Json(AcceptedBatch { items })).into_response())
}

/// Each job's answer, in the order of the request: a queued job's own, or that of the job it was
/// collapsed into.
async fn answer(
    state: &JobsState,
    placements: &[Placement],
    standing: Vec<String>,
    documents: &[JobDocument],
) -> Result<Vec<BatchItem>, Failure> {
    let existing = unique_batch::existing_statuses(state, placements).await?;
    let mut queued = documents.iter();
    let mut items: Vec<BatchItem> = Vec::with_capacity(placements.len());
    for (placement, id) in placements.iter().zip(standing) {
        let (status, deduplicated) = match placement {
            Placement::New => {
                let waits = queued.next().is_some_and(|document| document.depends_on.is_some());
                (if waits { "waiting" } else { "queued" }, false)
            }
            Placement::SameAs(first) => (items[*first].accepted.status, true),
            Placement::Existing(holder) => (existing.get(holder).copied().unwrap_or("queued"), true),
        };
        let links = AcceptedLinks { job: format!("/v1/jobs/{id}") };
        items.push(BatchItem { accepted: Accepted { job_id: id, status, links }, deduplicated });
    }
    Ok(items)
}

/// Every job, parsed, or every error of every job, named `jobs[i].field`.
fn parse_all(
    state: &JobsState,
    request: JobBatch,
    owner: &str,
    request_hash: &str,
) -> Result<Vec<ParsedJob>, Vec<FieldError>> {
    let jobs = request.jobs.unwrap_or_default();
    if jobs.is_empty() || jobs.len() > MOST_JOBS {
        return Err(vec![FieldError::new("jobs", format!("must hold 1 to {MOST_JOBS} jobs"))]);
    }
    let count = jobs.len();
    let mut parsed_jobs = Vec::with_capacity(count);
    let mut dependencies = Vec::with_capacity(count);
    let mut keys = Vec::with_capacity(count);
    let mut errors = Vec::new();
    for (index, job) in jobs.into_iter().enumerate() {
        let field = |name: &str| format!("jobs[{index}].{name}");
        match parse(state, job, owner, request_hash.to_owned(), Some(count)) {
            Ok(parsed) => {
                dependencies.push(parsed.dependencies.clone());
                keys.push(parsed.spec.unique.as_ref().map(|unique| unique.key.clone()));
                parsed_jobs.push(parsed);
            }
            Err(refused) => {
                dependencies.push(Vec::new());
                keys.push(None);
                if refused.is_empty() {
                    errors.push(FieldError::new(format!("jobs[{index}]"), "is invalid"));
                }
                errors.extend(
                    refused.into_iter().map(|error| FieldError::new(field(&error.field), error.message)),
                );
            }
        }
    }
    let firsts = unique_batch::first_with_same_key(&keys.iter().map(Option::as_deref).collect::<Vec<_>>());
    errors.extend(job_dependencies::cycle_errors(&unique_batch::merged_dependencies(&dependencies, &firsts)));
    if errors.is_empty() { Ok(parsed_jobs) } else { Err(errors) }
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

/// Writes each job's first document (and its owner) unless the projector has written a later one, in one
/// call; the projector writes them from the log soon anyway, so a failure is only logged.
async fn write_first_documents(state: &JobsState, owner: &str, documents: &[JobDocument]) {
    let mut pairs = Vec::with_capacity(documents.len() * 4);
    for document in documents {
        pairs.push(relative::job(&document.id));
        pairs.push(serde_json::to_string(document).unwrap_or_default());
        pairs.push(relative::job_owner(&document.id));
        pairs.push(owner.to_owned());
    }
    let written = state.shared.generation.write(&state.shared.redis, "SETNX", pairs).await;
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
