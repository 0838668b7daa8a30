//! Asynchronous commands: minting job ids (durably idempotent), and the 202 answer.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use domain::jobs::{JobKind, JobStatus};
use eventlog::{CommandError, Metadata};
use http_kit::ApiError;
use http_kit::auth::AuthenticatedUser;
use read_model::documents::JobDocument;
use read_model::keys::relative;
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::failure::{Failure, Refusal};
use crate::state::Shared;

/// The longest idempotency key accepted.
const MAX_IDEMPOTENCY_KEY: usize = 255;

/// Namespace of job ids derived from idempotency keys.
const IDEMPOTENT_JOBS: Uuid = Uuid::from_u128(0x6f0c_1d7e_52a4_4b0e_9f7b_1c83_e1d0_7a11);

/// A new asynchronous command's identity: its job id, the request's hash and the event metadata.
pub struct NewJob {
    /// The job id, which is also the new aggregate's id.
    pub id: Uuid,
    /// The request's hash, stored in the first event to tell a replay from a different request.
    pub request_hash: String,
    /// The metadata copied onto every event of the command.
    pub metadata: Metadata,
}

impl NewJob {
    /// Mints the job of a request: with an `Idempotency-Key`, a UUIDv5 of (user, key), so a replay or a
    /// racing duplicate lands on the same aggregate; without one, a fresh UUIDv7.
    /// The route is part of a derived id's name: one key on two routes is two requests, not one job id
    /// shared by two aggregates.
    pub fn mint(
        headers: &HeaderMap,
        user: &str,
        route: &str,
        request: &impl Serialize,
    ) -> Result<Self, ApiError> {
        let key = idempotency_key(headers)?;
        let id = match &key {
            Some(key) => Uuid::new_v5(&IDEMPOTENT_JOBS, format!("{user}\n{route}\n{key}").as_bytes()),
            None => Uuid::now_v7(),
        };
        let mut hasher = Sha256::new();
        hasher.update(route.as_bytes());
        hasher.update(serde_json::to_vec(request).map_err(ApiError::internal)?);
        let mut metadata =
            Metadata::from([("job_id".to_owned(), id.to_string()), ("user_id".to_owned(), user.to_owned())]);
        if let Some(request_id) = headers.get("x-request-id").and_then(|v| v.to_str().ok()) {
            metadata.insert("request_id".to_owned(), request_id.to_owned());
        }
        if let Some(key) = key {
            metadata.insert("idempotency_key".to_owned(), key);
        }
        Ok(Self { id, request_hash: hex::encode(hasher.finalize()), metadata })
    }

    /// Whether an `Idempotency-Key` named the id, so the aggregate may exist already (a replay); a
    /// fresh UUIDv7 is new for certain.
    pub fn keyed(&self) -> bool {
        self.metadata.contains_key("idempotency_key")
    }

    /// Whether this request replays one already committed: keyed, and its aggregate `A` exists. A
    /// fresh id is never looked up.
    pub async fn replays<A: cqrs_es::Aggregate>(&self, pool: &sqlx::PgPool) -> Result<bool, Failure> {
        if !self.keyed() {
            return Ok(false);
        }
        Ok(eventlog::aggregate_exists::<A>(pool, &self.id.to_string()).await?)
    }

    /// Maps the outcome of the job's command: committed, or already accepted under the same key (same
    /// request → the same job; a different request → 422).
    pub fn settle<E>(
        &self,
        outcome: Result<(), CommandError<E>>,
        accepted_hash: impl Fn(&E) -> &str,
    ) -> Result<(), Failure>
    where
        E: Refusal,
    {
        match outcome {
            Ok(()) => Ok(()),
            Err(CommandError::Rejected(existing)) if accepted_hash(&existing) == self.request_hash => Ok(()),
            Err(CommandError::Rejected(_)) => Err(ApiError::Unprocessable(
                "this Idempotency-Key was already used for a different request".to_owned(),
            )
            .into()),
            Err(error) => Err(error.into()),
        }
    }
}

/// Adds `Authorization: Bearer <token>` to a response, as sign-up and sign-in answer.
pub fn with_bearer(mut response: Response, token: &str) -> Response {
    if let Ok(value) = HeaderValue::from_str(&format!("Bearer {token}")) {
        response.headers_mut().insert(header::AUTHORIZATION, value);
    }
    response
}

fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get("idempotency-key") else { return Ok(None) };
    let key = value.to_str().map_err(|_| ApiError::invalid("Idempotency-Key", "must be visible ASCII"))?;
    if key.is_empty() || key.len() > MAX_IDEMPOTENCY_KEY {
        return Err(ApiError::invalid("Idempotency-Key", "must be 1–255 characters"));
    }
    Ok(Some(key.to_owned()))
}

/// The `Idempotency-Key` header, as the document describes it.
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)] // describes the header in the document; `NewJob::mint` reads it
pub struct IdempotencyKey {
    /// A replay with the same key from the same user gets the first answer (the same job or
    /// resource) without running the command again; the same key with another request is a 422.
    /// 1–255 visible ASCII characters (spaces and tabs inside).
    #[param(
        rename = "Idempotency-Key",
        min_length = 1,
        max_length = 255,
        pattern = r"^[\x21-\x7e]([\t\x20-\x7e]*[\x21-\x7e])?$"
    )]
    key: Option<String>,
}

/// The body of a 202.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Accepted {
    /// The job tracking the command.
    pub job_id: String,
    /// `queued`; `waiting` for a job with `dependsOn`.
    pub status: &'static str,
    /// Where to poll.
    pub links: AcceptedLinks,
}

/// Links of a 202.
#[derive(Debug, Serialize, ToSchema)]
pub struct AcceptedLinks {
    /// The job.
    pub job: String,
}

/// Writes the job's first document (unless the projector already wrote a later one) and answers 202.
pub async fn accepted(
    state: &Shared,
    job: &NewJob,
    owner: &AuthenticatedUser,
    kind: JobKind,
    accepted_at: DateTime<Utc>,
) -> Response {
    let document = JobDocument::queued(&job.id.to_string(), kind, accepted_at);
    accepted_as(state, job, owner, &document).await
}

/// [`accepted`] with the job's first document as given.
pub async fn accepted_as(
    state: &Shared,
    job: &NewJob,
    owner: &AuthenticatedUser,
    document: &JobDocument,
) -> Response {
    let id = job.id.to_string();
    let status = if document.status == JobStatus::Waiting { "waiting" } else { "queued" };
    let document = serde_json::to_string(document).unwrap_or_default();
    // The projector writes document and owner together in one Function call, so both exist or
    // neither does: MSETNX writes both first versions, or nothing over the projector's.
    let pairs = vec![relative::job(&id), document, relative::job_owner(&id), owner.user_id.clone()];
    if let Err(error) = state.generation.write(&state.redis, "MSETNX", pairs).await {
        // The projector writes them from the log soon anyway; the command is committed.
        tracing::warn!(%error, job = %id, "could not write the first job document");
    }
    let location = format!("/v1/jobs/{id}");
    let body = Accepted { job_id: id, status, links: AcceptedLinks { job: location.clone() } };
    let mut response = (StatusCode::ACCEPTED, axum::Json(body)).into_response();
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}
