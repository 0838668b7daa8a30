//! `POST /v1/scores`: accept a score; the projector ranks it.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::{DateTime, SubsecRound, Utc};
use domain::errors::FieldErrors;
use domain::jobs::JobKind;
use domain::names::{GameName, PlayerName, RegionName};
use domain::scores::{GameCommand, NewScore, Record, ScoreValue};
use http_kit::JsonBody;
use http_kit::auth::AuthenticatedUser;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::accepted::{Accepted, IdempotencyKey, NewJob, accepted};
use crate::failure::Failure;
use crate::state::ScoresState;

/// A score, as sent.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScoreRequest {
    /// The game: 1–64 characters of `[A-Za-z0-9_.-]`.
    #[schema(example = "tetris", required = true, nullable = false, pattern = "^[A-Za-z0-9_.-]{1,64}$")]
    game: Option<String>,
    /// The player: 1–64 characters of `[A-Za-z0-9_.-]`.
    #[schema(example = "ada", required = true, nullable = false, pattern = "^[A-Za-z0-9_.-]{1,64}$")]
    player: Option<String>,
    /// An integer within ±2^53.
    #[schema(example = 4200, required = true, nullable = false,
        minimum = -9_007_199_254_740_992_i64, maximum = 9_007_199_254_740_992_i64)]
    score: Option<i64>,
    /// A region whose board the score also counts on: 1–64 characters of `[A-Za-z0-9_.-]`.
    #[schema(pattern = "^[A-Za-z0-9_.-]{1,64}$")]
    region: Option<String>,
    /// When the score was achieved (RFC 3339, from 1970 on, not in the future). Default: when it is
    /// accepted.
    #[schema(format = DateTime,
        pattern = r"^([0-9]{4}-((0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])|(0[469]|11)-(0[1-9]|[12][0-9]|30)|02-(0[1-9]|1[0-9]|2[0-8]))|([0-9]{2}(0[48]|[2468][048]|[13579][26])|([02468][048]|[13579][26])00)-02-29)T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,9})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$")]
    achieved_at: Option<String>,
}

/// Accepts a score for every board it belongs to; answers with the job that tracks it.
#[utoipa::path(
    post, path = "/v1/scores", tag = "scores",
    request_body = ScoreRequest,
    security(("bearer" = [])),
    params(IdempotencyKey),
    responses(
        (status = 202, description = "Accepted; poll the job", body = Accepted,
            headers(("Location" = String, description = "/v1/jobs/{id}"))),
        (status = 401, description = "No valid token", body = http_kit::problem::Problem),
        (status = 400, description = "Malformed JSON", body = http_kit::problem::Problem),
        (status = 413, description = "Body too large", body = http_kit::problem::Problem),
        (status = 415, description = "Not JSON", body = http_kit::problem::Problem),
        (status = 422, description = "Invalid fields", body = http_kit::problem::Problem),
        (status = 503, description = "The event log is unavailable", body = http_kit::problem::Problem),
    )
)]
pub async fn submit(
    State(state): State<ScoresState>,
    caller: AuthenticatedUser,
    headers: HeaderMap,
    JsonBody(request): JsonBody<ScoreRequest>,
) -> Result<Response, Failure> {
    // Microseconds are what ranks ties; finer digits would show in documents yet decide nothing.
    let now = state.shared.clock.now().trunc_subsecs(6);
    let job = NewJob::mint(&headers, &caller.user_id, "POST /v1/scores", &request)?;
    let score = parse(request, now, now + state.clock_skew, job.request_hash.clone())?;
    start_scoring(&state, &score.game).await?;
    let outcome = state.submissions.create(&job.id.to_string(), Record(score), &job.metadata).await;
    job.settle(outcome, |existing| &existing.request_hash)?;
    metrics::counter!("scores_accepted_total").increment(1);
    Ok(accepted(&state.shared, &job, &caller, JobKind::ScoreSubmit, now).await)
}

/// Creates the game with default settings if it is new, and freezes its ranking, once per process.
async fn start_scoring(state: &ScoresState, game: &GameName) -> Result<(), Failure> {
    let known = state.scoring_games.read().map(|games| games.contains(game)).unwrap_or(false);
    if known {
        return Ok(());
    }
    let metadata = eventlog::Metadata::new();
    state.games.execute(game.as_str(), GameCommand::StartScoring, &metadata).await?;
    if let Ok(mut games) = state.scoring_games.write() {
        games.insert(game.clone());
    }
    Ok(())
}

fn parse(
    request: ScoreRequest,
    now: DateTime<Utc>,
    latest_allowed: DateTime<Utc>,
    request_hash: String,
) -> Result<NewScore, Vec<domain::FieldError>> {
    let mut errors = FieldErrors::default();
    let required = |value: Option<String>| value.ok_or_else(|| "is required".to_owned());
    let game = errors.check("game", required(request.game).and_then(|g| GameName::parse(&g)));
    let player = errors.check("player", required(request.player).and_then(|p| PlayerName::parse(&p)));
    let score = errors
        .check("score", request.score.ok_or_else(|| "is required".to_owned()).and_then(ScoreValue::new));
    let region = match request.region {
        Some(region) => errors.check("region", RegionName::parse(&region)).map(Some),
        None => Some(None),
    };
    let achieved_at = match request.achieved_at {
        Some(text) => errors.check("achievedAt", achieved_at(&text, latest_allowed)),
        None => Some(now),
    };
    errors.finish()?;
    match (game, player, score, region, achieved_at) {
        (Some(game), Some(player), Some(score), Some(region), Some(achieved_at)) => {
            Ok(NewScore { game, player, score, region, achieved_at, request_hash })
        }
        _ => Err(vec![]),
    }
}

fn achieved_at(text: &str, latest_allowed: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let at = DateTime::parse_from_rfc3339(text)
        .map_err(|_| "must be an RFC 3339 time, e.g. 2026-11-23T10:00:00Z".to_owned())?
        .with_timezone(&Utc)
        .trunc_subsecs(6);
    if at > latest_allowed {
        return Err("must not be in the future".to_owned());
    }
    if at < DateTime::UNIX_EPOCH {
        return Err("must not be before 1970".to_owned());
    }
    Ok(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-23T12:00:00Z").unwrap().with_timezone(&Utc)
    }

    fn request(achieved_at: Option<&str>) -> ScoreRequest {
        ScoreRequest {
            game: Some("tetris".into()),
            player: Some("ada".into()),
            score: Some(1),
            region: None,
            achieved_at: achieved_at.map(str::to_owned),
        }
    }

    #[test]
    fn a_score_without_achieved_at_was_achieved_when_accepted() {
        assert_eq!(parse(request(None), now(), now(), "h".into()).unwrap().achieved_at, now());
    }

    #[test]
    fn an_achieved_at_in_the_future_is_rejected_naming_the_field() {
        let errors = parse(request(Some("2026-11-23T12:00:01Z")), now(), now(), "h".into()).unwrap_err();
        assert_eq!(errors[0].field, "achievedAt");
    }

    #[test]
    fn every_invalid_field_is_reported_at_once() {
        let request = ScoreRequest {
            game: Some("a b".into()),
            player: None,
            score: Some(1 << 54),
            region: Some("".into()),
            achieved_at: None,
        };
        let fields: Vec<String> =
            parse(request, now(), now(), "h".into()).unwrap_err().into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["game", "player", "score", "region"]);
    }
}
