//! `GET /v1/queues`: every job kind's queue, with the counts of the caller's jobs (every job's with the
//! `admin` scope), from what the projector keeps.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use domain::jobs::JobStatus;
use http_kit::ApiError;
use http_kit::auth::AuthenticatedUser;
use redis_store::queue_overview::{QueueState, read_queues};
use serde::Serialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::state::redis_failed;

/// Every kind's queue.
#[derive(Debug, Serialize, ToSchema)]
pub struct Queues {
    /// One per kind the workers run, by name.
    items: Vec<QueueOverview>,
}

/// One kind's queue.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct QueueOverview {
    /// The job kind.
    kind: String,
    /// Whether new runs are held back.
    paused: bool,
    /// The most runs at once across every worker, or null for no limit.
    #[schema(minimum = 1, maximum = 10000)]
    concurrency: Option<u32>,
    /// The most starts per second across every worker, or null for no limit.
    #[schema(exclusive_minimum = 0)]
    rate_per_second: Option<f64>,
    /// How many jobs (the caller's; every job with `admin`) are in each status.
    counts: Counts,
    /// How long the kind's oldest queued job (of anyone's) has been queued, in seconds; null when none is.
    #[schema(minimum = 0)]
    oldest_queued_age_seconds: Option<f64>,
    /// Runs of the kind (anyone's) that finished in the last 60 seconds.
    #[schema(minimum = 0)]
    throughput_per_minute: u64,
}

/// Jobs by status (`waiting`: jobs whose dependencies have not all succeeded yet).
#[derive(Debug, Serialize, ToSchema)]
pub struct Counts {
    #[schema(minimum = 0)]
    waiting: i64,
    #[schema(minimum = 0)]
    queued: i64,
    #[schema(minimum = 0)]
    scheduled: i64,
    #[schema(minimum = 0)]
    running: i64,
    #[schema(minimum = 0)]
    retrying: i64,
    #[schema(minimum = 0)]
    succeeded: i64,
    #[schema(minimum = 0)]
    failed: i64,
    #[schema(minimum = 0)]
    cancelled: i64,
}

impl Counts {
    fn of(counted: &BTreeMap<String, i64>) -> Self {
        let count = |status: JobStatus| counted.get(status.as_str()).copied().unwrap_or_default().max(0);
        Self {
            waiting: count(JobStatus::Waiting),
            queued: count(JobStatus::Queued),
            scheduled: count(JobStatus::Scheduled),
            running: count(JobStatus::Running),
            retrying: count(JobStatus::Retrying),
            succeeded: count(JobStatus::Succeeded),
            failed: count(JobStatus::Failed),
            cancelled: count(JobStatus::Cancelled),
        }
    }
}

/// Every job kind's queue: settings, counts by status, oldest queued age and throughput.
#[utoipa::path(
    get, path = "/v1/queues", tag = "jobs",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Every kind the workers run, by name", body = Queues),
        (status = 401, description = "No valid token", body = http_kit::problem::Problem),
        (status = 503, description = "The query side is unavailable", body = http_kit::problem::Problem),
    )
)]
pub async fn queues(
    State(state): State<AppState>,
    caller: AuthenticatedUser,
) -> Result<Json<Queues>, ApiError> {
    let owner = (!caller.is_admin()).then_some(caller.user_id.as_str());
    let now = state.clock.now();
    let read =
        read_queues(&state.redis, &state.keys(), &state.job_kinds, owner, now).await.map_err(redis_failed)?;
    Ok(Json(Queues { items: read.into_iter().map(|queue| overview(queue, now)).collect() }))
}

fn overview(queue: QueueState, now: chrono::DateTime<chrono::Utc>) -> QueueOverview {
    let age = queue.oldest_queued_at.map(|at| ((now - at).num_milliseconds().max(0) as f64) / 1000.0);
    QueueOverview {
        counts: Counts::of(&queue.counts),
        kind: queue.kind,
        paused: queue.paused,
        concurrency: queue.concurrency,
        rate_per_second: queue.rate_per_second,
        oldest_queued_age_seconds: age,
        throughput_per_minute: queue.finished_last_minute,
    }
}
