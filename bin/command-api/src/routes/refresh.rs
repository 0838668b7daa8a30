//! `POST /v1/leaderboards/{game}/refresh`: ask the projector to regenerate a game's board documents.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use axum::response::Response;
use domain::errors::FieldErrors;
use domain::jobs::JobKind;
use domain::names::{GameName, RegionName};
use domain::scores::refresh::RefreshScope;
use domain::scores::{Game, Period, Record};
use http_kit::ApiError;
use http_kit::auth::AuthenticatedUser;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::accepted::{Accepted, IdempotencyKey, NewJob, accepted};
use crate::failure::Failure;
use crate::state::ScoresState;

/// What to regenerate; an empty body means every board of the game.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RefreshRequest {
    /// Only boards of this period: `all`, `day`, `week` or `month`.
    #[schema(value_type = Option<super::games::PeriodName>)]
    period: Option<String>,
    /// Only boards of this region: 1–64 characters of `[A-Za-z0-9_.-]`.
    #[schema(pattern = "^[A-Za-z0-9_.-]{1,64}$")]
    region: Option<String>,
}

/// Regenerates the cached documents of a game's boards; the projector carries it out from the log.
#[utoipa::path(
    post, path = "/v1/leaderboards/{game}/refresh", tag = "scores",
    params(
        ("game" = String, Path, description = "The game: 1–64 characters of [A-Za-z0-9_.-]", pattern = "^[A-Za-z0-9_.-]{1,64}$"),
        IdempotencyKey,
    ),
    security(("bearer" = [])),
    request_body(content = Option<RefreshRequest>, description = "Optional: no body (or an empty one) refreshes every board of the game"),
    responses(
        (status = 202, description = "Accepted; poll the job", body = Accepted,
            headers(("Location" = String, description = "/v1/jobs/{id}"))),
        (status = 404, description = "Unknown game", body = http_kit::problem::Problem),
        (status = 422, description = "Invalid fields", body = http_kit::problem::Problem),
    )
)]
pub async fn request(
    State(state): State<ScoresState>,
    Path(game): Path<String>,
    caller: AuthenticatedUser,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Failure> {
    // No body, an empty one and JSON's `null` all mean "every board": the body is optional.
    let absent = body.iter().all(u8::is_ascii_whitespace)
        || (is_json(&headers)
            && serde_json::from_slice::<serde_json::Value>(&body).is_ok_and(|v| v.is_null()));
    let request: RefreshRequest = if absent {
        RefreshRequest::default()
    } else if is_json(&headers) {
        http_kit::json::parse(&body)?
    } else {
        return Err(ApiError::UnsupportedMediaType("the body must be JSON".to_owned()).into());
    };
    let now = state.shared.clock.now();
    let job =
        NewJob::mint(&headers, &caller.user_id, &format!("POST /v1/leaderboards/{game}/refresh"), &request)?;
    let scope = parse(&game, request, job.request_hash.clone())?;
    let exists = eventlog::aggregate_exists::<Game>(&state.shared.pool, scope.game.as_str()).await?;
    if !exists {
        return Err(ApiError::NotFound(format!("no game is called {}", scope.game)).into());
    }
    let outcome = state.refreshes.create(&job.id.to_string(), Record(scope), &job.metadata).await;
    job.settle(outcome, |existing| &existing.request_hash)?;
    Ok(accepted(&state.shared, &job, &caller, JobKind::LeaderboardRefresh, now).await)
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(';').next().unwrap_or("").trim().eq_ignore_ascii_case("application/json"))
}

fn parse(
    game: &str,
    request: RefreshRequest,
    request_hash: String,
) -> Result<RefreshScope, Vec<domain::FieldError>> {
    let mut errors = FieldErrors::default();
    let game = errors.check("game", GameName::parse(game));
    let period = match request.period {
        Some(period) => errors.check("period", period.parse::<Period>()).map(Some),
        None => Some(None),
    };
    let region = match request.region {
        Some(region) => errors.check("region", RegionName::parse(&region)).map(Some),
        None => Some(None),
    };
    errors.finish()?;
    match (game, period, region) {
        (Some(game), Some(period), Some(region)) => Ok(RefreshScope { game, period, region, request_hash }),
        _ => Err(vec![]),
    }
}
