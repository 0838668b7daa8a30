//! `GET /v1/jobs`: the caller's jobs (every job with the `admin` scope), newest first, filtered by
//! status and kind, a page at a time.

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use domain::jobs::JobStatus;
use fred::prelude::*;
use fred::types::sorted_sets::{ZRange, ZRangeBound, ZRangeKind, ZSort};
use http_kit::auth::AuthenticatedUser;
use http_kit::{ApiError, QueryParams};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::AppState;
use crate::state::redis_failed;

/// The page size when the client does not say.
const DEFAULT_LIMIT: usize = 20;
/// How many index entries one request reads at most while filtering: a sparse filter answers a short
/// page with a cursor rather than scanning a whole history.
const SCAN_BUDGET: usize = 1_000;

/// The list's filters and paging.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct JobFilter {
    /// Only jobs in this status (`waiting`, `queued`, `scheduled`, `running`, `retrying`, `succeeded`,
    /// `failed`, `cancelled`; also the Job Processing API's `created`, `published`, `unacked`, `rejected`,
    /// `processed`).
    #[param(inline, value_type = Option<StatusName>, nullable = false)]
    status: Option<String>,
    /// Only jobs of this kind (`message`, `webhook`, `score.submit`, …).
    #[param(nullable = false)]
    kind: Option<String>,
    /// 1–100, default 20.
    #[param(value_type = Option<u8>, nullable = false, minimum = 1, maximum = 100)]
    limit: Option<String>,
    /// `nextCursor` of the previous page.
    #[param(nullable = false, pattern = "^[0-9]{15}:[0-9a-f-]{1,36}$")]
    cursor: Option<String>,
}

/// A job status, or one of its aliases.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)] // describes `status` in the document
enum StatusName {
    Waiting,
    Queued,
    Scheduled,
    Running,
    Retrying,
    Succeeded,
    Failed,
    Cancelled,
    Created,
    Published,
    Unacked,
    Rejected,
    Processed,
}

/// A page of the caller's jobs, newest first.
#[utoipa::path(
    get, path = "/v1/jobs", tag = "jobs",
    security(("bearer" = [])),
    params(JobFilter),
    responses(
        (status = 200, description = "`{ items: [job], nextCursor }`", body = Object),
        (status = 401, description = "No valid token", body = http_kit::problem::Problem),
        (status = 422, description = "Unknown status, bad limit or cursor", body = http_kit::problem::Problem),
        (status = 503, description = "The query side is unavailable", body = http_kit::problem::Problem),
    )
)]
pub async fn jobs(
    State(state): State<AppState>,
    caller: AuthenticatedUser,
    QueryParams(filter): QueryParams<JobFilter>,
) -> Result<Response, ApiError> {
    let wanted = Wanted::parse(&filter)?;
    let index =
        if caller.is_admin() { state.keys().all_jobs() } else { state.keys().jobs_of(&caller.user_id) };
    let mut items: Vec<Bytes> = Vec::new();
    let mut after = wanted.after.clone();
    let mut scanned = 0;
    let mut exhausted = false;
    while items.len() < wanted.limit && scanned < SCAN_BUDGET {
        let page = (wanted.limit - items.len()).max(20).min(SCAN_BUDGET - scanned);
        let members = newest_first(&state, &index, after.as_deref(), page).await?;
        if members.is_empty() {
            exhausted = true;
            break;
        }
        scanned += members.len();
        let ids: Vec<String> = members.iter().map(|m| state.keys().job(id_of(m))).collect();
        let documents: Vec<Option<Bytes>> = state.redis.mget(ids).await.map_err(redis_failed)?;
        for (member, document) in members.iter().zip(documents) {
            after = Some(member.clone());
            if let Some(document) = document.filter(|d| wanted.admits(d)) {
                items.push(document);
                if items.len() == wanted.limit {
                    break;
                }
            }
        }
        exhausted = members.len() < page && items.len() < wanted.limit;
    }
    let next = if exhausted { None } else { after.map(|member| encode_cursor(&member)) };
    Ok(page_body(&items, next))
}

/// The parsed filters.
struct Wanted {
    status: Option<JobStatus>,
    kind: Option<String>,
    limit: usize,
    after: Option<String>,
}

impl Wanted {
    fn parse(filter: &JobFilter) -> Result<Self, ApiError> {
        let mut errors = domain::errors::FieldErrors::default();
        let status = match &filter.status {
            Some(status) => errors.check("status", status.parse::<JobStatus>()).map(Some),
            None => Some(None),
        };
        let limit = match &filter.limit {
            Some(limit) => errors.check("limit", parse_limit(Some(limit))),
            None => Some(DEFAULT_LIMIT),
        };
        let after = match &filter.cursor {
            Some(cursor) => errors.check("cursor", decode_cursor(cursor)).map(Some),
            None => Some(None),
        };
        errors.finish().map_err(ApiError::Invalid)?;
        Ok(Self {
            status: status.flatten(),
            kind: filter.kind.clone(),
            limit: limit.unwrap_or(DEFAULT_LIMIT),
            after: after.flatten(),
        })
    }

    fn admits(&self, document: &[u8]) -> bool {
        if self.status.is_none() && self.kind.is_none() {
            return true;
        }
        #[derive(Deserialize)]
        struct Filtered {
            status: JobStatus,
            kind: String,
        }
        serde_json::from_slice::<Filtered>(document).is_ok_and(|job| {
            self.status.is_none_or(|status| status == job.status)
                && self.kind.as_ref().is_none_or(|kind| *kind == job.kind)
        })
    }
}

/// Up to `count` members of a time-ordered index, newest first, after the member `after`.
pub(crate) async fn newest_first(
    state: &AppState,
    index: &str,
    after: Option<&str>,
    count: usize,
) -> Result<Vec<String>, ApiError> {
    state
        .redis
        .zrange(index, upper_bound(after), lowest(), Some(ZSort::ByLex), true, Some((0, count as i64)), false)
        .await
        .map_err(redis_failed)
}

/// A page size: 1–100, 20 when not given.
pub(crate) fn parse_limit(limit: Option<&str>) -> Result<usize, String> {
    match limit {
        None => Ok(DEFAULT_LIMIT),
        Some(limit) => limit
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=100).contains(n))
            .ok_or_else(|| "must be 1–100".to_owned()),
    }
}

/// The cursor handed out after an index member: the member itself, `<15 digits>:<id>`. Any text of
/// that shape (the pattern the document states) is a place in the index, so every cursor the
/// document allows is one the server takes.
pub(crate) fn encode_cursor(member: &str) -> String {
    member.to_owned()
}

/// The index member a cursor continues after.
pub(crate) fn decode_cursor(cursor: &str) -> Result<String, String> {
    let well_formed = cursor.split_once(':').is_some_and(|(millis, id)| {
        millis.len() == 15
            && millis.bytes().all(|b| b.is_ascii_digit())
            && (1..=36).contains(&id.len())
            && id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b) || b == b'-')
    });
    well_formed.then(|| cursor.to_owned()).ok_or_else(|| "is not a cursor this server handed out".to_owned())
}

fn upper_bound(after: Option<&str>) -> ZRange {
    match after {
        Some(member) => ZRange { kind: ZRangeKind::Exclusive, range: ZRangeBound::Lex(member.to_owned()) },
        None => ZRange { kind: ZRangeKind::Inclusive, range: ZRangeBound::InfiniteLex },
    }
}

fn lowest() -> ZRange {
    ZRange { kind: ZRangeKind::Inclusive, range: ZRangeBound::NegInfinityLex }
}

fn id_of(member: &str) -> &str {
    member.split_once(':').map_or(member, |(_, id)| id)
}

/// `{"items":[…],"nextCursor":…}` around the stored documents, which are not parsed again.
pub(crate) fn page_body(items: &[Bytes], next: Option<String>) -> Response {
    let mut body = Vec::with_capacity(items.iter().map(Bytes::len).sum::<usize>() + 64);
    body.extend_from_slice(b"{\"items\":[");
    for (n, item) in items.iter().enumerate() {
        if n > 0 {
            body.push(b',');
        }
        body.extend_from_slice(item);
    }
    body.extend_from_slice(b"],\"nextCursor\":");
    body.extend_from_slice(serde_json::to_string(&next).unwrap_or_else(|_| "null".to_owned()).as_bytes());
    body.push(b'}');
    ([(header::CONTENT_TYPE, "application/json")], Body::from(body)).into_response()
}
