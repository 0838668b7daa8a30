//! `POST /v1/jobs` queues a job for the worker (once per `uniqueKey`); `DELETE /v1/jobs/{id}` cancels
//! one that has not run.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::SubsecRound;
use domain::jobs::{Job, JobCommand, JobRefusal, JobStatus};
use http_kit::auth::AuthenticatedUser;
use http_kit::{ApiError, JsonBody};

use super::job_dependencies;
use super::job_request::{JobRequest, first_document, parse};
use super::unique_jobs::{DeduplicatedJob, UniqueOutcome, deduplicated, queue_unique};
use crate::accepted::{Accepted, AcceptedLinks, IdempotencyKey, NewJob, accepted_as};
use crate::failure::Failure;
use crate::state::JobsState;

/// Queues a job; a worker runs it, newest first within its priority. With a `uniqueKey` another job of
/// the caller's holds, queues nothing and answers 200 with that job. With `dependsOn`, the job waits
/// until every job it names has succeeded, and is cancelled if one of them fails or is cancelled.
#[utoipa::path(
    post, path = "/v1/jobs", tag = "jobs",
    request_body = JobRequest,
    security(("bearer" = [])),
    params(IdempotencyKey),
    responses(
        (status = 200, description = "Deduplicated: a job of yours with this `uniqueKey` is not final \
            (or is within its `uniqueFor`); nothing was queued", body = DeduplicatedJob),
        (status = 202, description = "Accepted; poll the job", body = Accepted,
            headers(("Location" = String, description = "/v1/jobs/{id}"))),
        (status = 400, description = "Malformed JSON", body = http_kit::problem::Problem),
        (status = 401, description = "No valid token", body = http_kit::problem::Problem),
        (status = 413, description = "Body too large", body = http_kit::problem::Problem),
        (status = 415, description = "Not JSON", body = http_kit::problem::Problem),
        (status = 422, description = "Invalid fields; a `dependsOn` naming no job of yours, or more than \
            100", body = http_kit::problem::Problem),
        (status = 503, description = "The event log is unavailable", body = http_kit::problem::Problem),
    )
)]
pub async fn queue(
    State(state): State<JobsState>,
    caller: AuthenticatedUser,
    headers: HeaderMap,
    JsonBody(request): JsonBody<JobRequest>,
) -> Result<Response, Failure> {
    let now = state.shared.clock.now().trunc_subsecs(6);
    let job = NewJob::mint(&headers, &caller.user_id, "POST /v1/jobs", &request)?;
    let parsed = parse(&state, request, &caller.user_id, job.request_hash.clone(), None)?;
    let mut spec = parsed.spec;
    spec.depends_on =
        job_dependencies::of_one_job(&state.shared.pool, &caller.user_id, parsed.dependencies).await?;
    let document = first_document(&job.id.to_string(), &spec, now);
    let unique = spec.unique.clone();
    let command = JobCommand::Queue { spec, at: now };
    let outcome = match unique {
        // A replay under the same Idempotency-Key answers as the first request did, whoever holds the
        // key now.
        Some(unique) if !job.replays::<Job>(&state.shared.pool).await? => {
            match queue_unique(&state, &caller.user_id, &job, command, &unique, now).await? {
                UniqueOutcome::Queued(outcome) => outcome,
                UniqueOutcome::DuplicateOf(holder) => {
                    metrics::counter!("jobs_deduplicated_total", "kind" => document.kind.clone())
                        .increment(1);
                    return deduplicated(&state, &holder).await;
                }
            }
        }
        _ => state.new_jobs.create(&job.id.to_string(), command, &job.metadata).await,
    };
    job.settle(outcome, |refusal| match refusal {
        JobRefusal::AlreadyQueued { request_hash } => request_hash,
        _ => "",
    })?;
    metrics::counter!("jobs_queued_total", "kind" => document.kind.clone()).increment(1);
    Ok(accepted_as(&state.shared, &job, &caller, &document).await)
}

/// Cancels a job that is waiting for its dependencies, queued, scheduled or waiting for a retry.
#[utoipa::path(
    delete, path = "/v1/jobs/{id}", tag = "jobs",
    params(("id" = String, Path, description = "The job id")),
    security(("bearer" = [])),
    responses(
        (status = 202, description = "Cancelled", body = Accepted),
        (status = 401, description = "No valid token", body = http_kit::problem::Problem),
        (status = 404, description = "No such job of yours", body = http_kit::problem::Problem),
        (status = 409, description = "Running, finished, or not a cancellable kind", body = http_kit::problem::Problem),
        (status = 503, description = "The event log is unavailable", body = http_kit::problem::Problem),
    )
)]
pub async fn cancel(
    State(state): State<JobsState>,
    Path(id): Path<String>,
    caller: AuthenticatedUser,
) -> Result<Response, Failure> {
    let not_found = || Failure(ApiError::NotFound(format!("you have no job {id}")));
    let job = state.jobs.load(&id).await?;
    let Some(spec) = job.spec() else {
        return match owner_of_other_job(&state, &id).await? {
            Some(owner) if owner == caller.user_id || caller.is_admin() => {
                Err(ApiError::Conflict("only jobs queued through POST /v1/jobs can be cancelled".to_owned())
                    .into())
            }
            _ => Err(not_found()),
        };
    };
    if spec.owner != caller.user_id && !caller.is_admin() {
        return Err(not_found());
    }
    let metadata = eventlog::Metadata::from([("user_id".to_owned(), caller.user_id.clone())]);
    state.jobs.execute(&id, JobCommand::Cancel { at: state.shared.clock.now() }, &metadata).await?;
    let location = format!("/v1/jobs/{id}");
    let body = Accepted {
        job_id: id,
        status: JobStatus::Cancelled.as_str(),
        links: AcceptedLinks { job: location },
    };
    Ok((StatusCode::ACCEPTED, Json(body)).into_response())
}

/// The owner of a job that is not a worker job (a score submission, a refresh), from the log.
async fn owner_of_other_job(state: &JobsState, id: &str) -> Result<Option<String>, Failure> {
    // Those jobs share their aggregate's id; naming the types lets the primary key find it.
    let types = ["score", "leaderboard_refresh"];
    let owner: Option<Option<String>> = sqlx::query_scalar(
        "SELECT metadata->>'user_id' FROM events WHERE aggregate_type = ANY($1) AND aggregate_id = $2 LIMIT 1",
    )
    .bind(&types[..])
    .bind(id)
    .fetch_optional(&state.shared.pool)
    .await?;
    Ok(owner.flatten())
}
