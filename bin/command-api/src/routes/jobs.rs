//! `POST /v1/jobs` queues a job for the worker; `DELETE /v1/jobs/{id}` cancels one that has not run.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, SubsecRound, Utc};
use domain::errors::FieldErrors;
use domain::jobs::{JobCommand, JobRefusal, JobSpec, JobStatus};
use http_kit::auth::AuthenticatedUser;
use http_kit::{ApiError, JsonBody};
use read_model::boards::timestamp;
use read_model::documents::JobDocument;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::accepted::{Accepted, AcceptedLinks, IdempotencyKey, NewJob, accepted_as};
use crate::failure::Failure;
use crate::state::JobsState;

/// The priority of a job that does not say.
const DEFAULT_PRIORITY: u8 = 5;
/// The runs a job gets when it does not say.
const DEFAULT_MAX_ATTEMPTS: u32 = 3;
/// The most runs a job may ask for.
const MOST_ATTEMPTS: u32 = 25;

/// A job, as sent.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct JobRequest {
    /// What the job is about: not blank, at most 65,536 characters (`jobs.max_message_chars`).
    #[schema(
        example = "resize the avatar of user 42",
        required = true,
        nullable = false,
        max_length = 65536,
        pattern = r"[^\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
    )]
    message: Option<String>,
    /// `message` (default) or `webhook`.
    #[schema(value_type = Option<JobKindName>)]
    kind: Option<String>,
    /// 0–9, default 5; 9 runs first.
    #[schema(minimum = 0, maximum = 9)]
    priority: Option<i64>,
    /// Not before this time (RFC 3339).
    #[schema(format = DateTime,
        pattern = r"^([0-9]{4}-((0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])|(0[469]|11)-(0[1-9]|[12][0-9]|30)|02-(0[1-9]|1[0-9]|2[0-8]))|([0-9]{2}(0[48]|[2468][048]|[13579][26])|([02468][048]|[13579][26])00)-02-29)T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,9})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$")]
    run_at: Option<String>,
    /// 1–25, default 3: how many runs before the job fails for good.
    #[schema(minimum = 1, maximum = 25)]
    max_attempts: Option<i64>,
    /// The kind's input. A `webhook` needs `{ "url": … }` with a host on the settings' allow-list
    /// (`jobs.webhook_allowed_hosts`, loopback by default).
    #[schema(value_type = Option<Object>)]
    payload: Option<serde_json::Value>,
}

/// The kinds of job `POST /v1/jobs` queues.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)] // describes `kind` in the document
enum JobKindName {
    /// Records its message.
    Message,
    /// POSTs `payload` to `payload.url`, signed.
    Webhook,
}

/// Queues a job; a worker runs it, newest first within its priority.
#[utoipa::path(
    post, path = "/v1/jobs", tag = "jobs",
    request_body = JobRequest,
    security(("bearer" = [])),
    params(IdempotencyKey),
    responses(
        (status = 202, description = "Accepted; poll the job", body = Accepted,
            headers(("Location" = String, description = "/v1/jobs/{id}"))),
        (status = 400, description = "Malformed JSON", body = http_kit::problem::Problem),
        (status = 401, description = "No valid token", body = http_kit::problem::Problem),
        (status = 413, description = "Body too large", body = http_kit::problem::Problem),
        (status = 415, description = "Not JSON", body = http_kit::problem::Problem),
        (status = 422, description = "Invalid fields", body = http_kit::problem::Problem),
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
    let spec = parse(&state, request, &caller.user_id, job.request_hash.clone())?;
    let document = first_document(&job.id.to_string(), &spec, now);
    let outcome =
        state.new_jobs.create(&job.id.to_string(), JobCommand::Queue { spec, at: now }, &job.metadata).await;
    job.settle(outcome, |refusal| match refusal {
        JobRefusal::AlreadyQueued { request_hash } => request_hash,
        _ => "",
    })?;
    metrics::counter!("jobs_queued_total", "kind" => document.kind.clone()).increment(1);
    Ok(accepted_as(&state.shared, &job, &caller, &document).await)
}

/// Cancels a job that is queued, scheduled or waiting for a retry.
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

fn first_document(id: &str, spec: &JobSpec, now: DateTime<Utc>) -> JobDocument {
    let mut document = JobDocument::queued(id, domain::jobs::JobKind::ScoreSubmit, now);
    document.kind = spec.kind.clone();
    document.priority = spec.priority;
    document.max_attempts = spec.max_attempts;
    document.run_at = spec.run_at.map(timestamp);
    if spec.run_at.is_some_and(|run_at| run_at > now) {
        document.status = JobStatus::Scheduled;
    }
    document
}

fn parse(
    state: &JobsState,
    request: JobRequest,
    owner: &str,
    request_hash: String,
) -> Result<JobSpec, Vec<domain::FieldError>> {
    let mut errors = FieldErrors::default();
    let message = errors.check(
        "message",
        match request.message {
            None => Err("is required".to_owned()),
            Some(message) if message.trim().is_empty() => Err("must not be empty".to_owned()),
            Some(message) if message.chars().count() > state.max_job_message_chars => {
                Err(format!("must be at most {} characters", state.max_job_message_chars))
            }
            Some(message) => Ok(message),
        },
    );
    let kind = request.kind.unwrap_or_else(|| "message".to_owned());
    let handler = state.job_kinds.get(&kind);
    if handler.is_none() {
        errors.push("kind", format!("must be one of {}", state.job_kinds.kinds().join(", ")));
    }
    let priority = errors.check(
        "priority",
        match request.priority {
            None => Ok(DEFAULT_PRIORITY),
            Some(p @ 0..=9) => Ok(p as u8),
            Some(_) => Err("must be an integer from 0 to 9".to_owned()),
        },
    );
    let max_attempts = errors.check(
        "maxAttempts",
        match request.max_attempts {
            None => Ok(DEFAULT_MAX_ATTEMPTS),
            Some(n) if (1..=i64::from(MOST_ATTEMPTS)).contains(&n) => Ok(n as u32),
            Some(_) => Err(format!("must be an integer from 1 to {MOST_ATTEMPTS}")),
        },
    );
    let run_at = match request.run_at {
        None => Some(None),
        Some(text) => errors
            .check(
                "runAt",
                DateTime::parse_from_rfc3339(&text)
                    .map(|at| at.with_timezone(&Utc).trunc_subsecs(6))
                    .map_err(|_| "must be an RFC 3339 time, e.g. 2026-11-23T10:00:00Z".to_owned()),
            )
            .map(Some),
    };
    if request.payload.as_ref().is_some_and(|payload| !payload.is_object()) {
        errors.push("payload", "must be an object");
    } else if let (Some(handler), Some(message)) = (&handler, &message) {
        for error in handler.validate(message, request.payload.as_ref()).err().unwrap_or_default() {
            errors.push(&error.field, error.message);
        }
    }
    errors.finish()?;
    match (message, priority, max_attempts, run_at) {
        (Some(message), Some(priority), Some(max_attempts), Some(run_at)) => Ok(JobSpec {
            kind,
            message,
            priority,
            run_at,
            max_attempts,
            payload: request.payload,
            owner: owner.to_owned(),
            request_hash,
        }),
        _ => Err(vec![]),
    }
}
