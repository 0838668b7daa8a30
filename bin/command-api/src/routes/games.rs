//! `PUT /v1/games/{game}`: create a game or change its leaderboard settings.

use axum::Json;
use axum::extract::{Path, State};
use domain::errors::FieldErrors;
use domain::names::GameName;
use domain::scores::settings::MAX_TITLE_CHARS;
use domain::scores::{GameCommand, GameSettings, KeptWindows, OnWindowClose, Operator, Period, SortOrder};
use eventlog::Metadata;
use http_kit::JsonBody;
use http_kit::auth::AuthenticatedUser;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::failure::Failure;
use crate::state::ScoresState;

mod window_close;

/// A game's settings, as sent.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GameRequest {
    /// A human title (at most 200 characters).
    #[schema(max_length = 200)]
    title: Option<String>,
    /// `desc` (highest first) or `asc`.
    #[schema(value_type = SortOrderName, required = true, nullable = false)]
    sort_order: Option<SortOrder>,
    /// `best`, `latest` or `sum`.
    #[schema(value_type = OperatorName, required = true, nullable = false)]
    operator: Option<Operator>,
    /// The periods whose boards are kept: one or more of `all`, `day`, `week`, `month`.
    #[schema(value_type = Vec<PeriodName>, required = true, nullable = false, min_items = 1,
        example = json!(["all", "week"]))]
    periods: Option<Vec<Period>>,
    /// How many closed day, week and month windows stay readable (`window=` and
    /// `/v1/leaderboards/{game}/windows`): 0–366; absent or null: 12.
    #[schema(value_type = Option<u16>, minimum = 0, maximum = 366, example = 12)]
    keep_windows: Option<serde_json::Number>,
    /// When a day, week or month window closes, a `webhook` job of the caller's posts the window's
    /// top entries to `url`; absent or null: no callbacks.
    #[schema(value_type = Option<WindowCloseCallback>, nullable = true)]
    on_window_close: Option<serde_json::Value>,
}

/// `onWindowClose`: where each closed window is posted, and how many of its entries. The post is
/// `{ url, game, period, region, window, start, end, entries }`, signed as every webhook.
#[derive(ToSchema)]
#[allow(dead_code)] // describes `OnWindowClose` in the document
pub struct WindowCloseCallback {
    /// An absolute http(s) URL of at most 2048 characters, whose host is on the webhook allow-list
    /// (`jobs.webhook_allowed_hosts`, loopback by default).
    #[schema(pattern = r"^https?://\S+$", max_length = 2048, example = "http://127.0.0.1:9000/closed")]
    url: String,
    /// How many entries from the top each post carries: 1–1000.
    #[schema(minimum = 1, maximum = 1000, example = 10)]
    top: u16,
}

/// How a board ranks.
#[derive(ToSchema)]
#[schema(example = "desc")]
#[allow(dead_code)] // describes `SortOrder` in the document
#[schema(rename_all = "lowercase")]
enum SortOrderName {
    /// Highest first.
    Desc,
    /// Lowest first.
    Asc,
}

/// How a player's scores make one entry.
#[derive(ToSchema)]
#[schema(example = "best")]
#[allow(dead_code)] // describes `Operator` in the document
#[schema(rename_all = "lowercase")]
enum OperatorName {
    /// The best score.
    Best,
    /// The score with the latest `achievedAt`.
    Latest,
    /// The sum of the scores.
    Sum,
}

/// A leaderboard period.
#[derive(ToSchema)]
#[allow(dead_code)] // describes `Period` in the document
#[schema(rename_all = "lowercase")]
pub enum PeriodName {
    /// All time.
    All,
    /// A UTC calendar day.
    Day,
    /// An ISO week, from Monday.
    Week,
    /// A calendar month.
    Month,
}

/// A game's settings, as answered.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GameResponse {
    /// The game's name.
    game: String,
    /// Its title, if any.
    title: Option<String>,
    /// `desc` or `asc`.
    #[schema(value_type = SortOrderName)]
    sort_order: SortOrder,
    /// `best`, `latest` or `sum`.
    #[schema(value_type = OperatorName)]
    operator: Operator,
    /// The periods whose boards are kept.
    #[schema(value_type = Vec<PeriodName>)]
    periods: Vec<Period>,
    /// How many closed windows of each period stay readable.
    #[schema(value_type = u16, minimum = 0, maximum = 366)]
    keep_windows: KeptWindows,
    /// Where closed windows are posted, or null.
    #[schema(value_type = Option<WindowCloseCallback>)]
    on_window_close: Option<OnWindowClose>,
}

/// Creates a game or changes its settings; sort order and operator are frozen once it has scores.
#[utoipa::path(
    put, path = "/v1/games/{game}", tag = "scores",
    params(("game" = String, Path, description = "1–64 characters of [A-Za-z0-9_.-]", pattern = "^[A-Za-z0-9_.-]{1,64}$")),
    request_body = GameRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The game's settings now", body = GameResponse),
        (status = 409, description = "The game has scores, so sortOrder and operator cannot change", body = http_kit::problem::Problem),
        (status = 422, description = "Invalid settings", body = http_kit::problem::Problem),
    )
)]
pub async fn configure(
    State(state): State<ScoresState>,
    caller: AuthenticatedUser,
    Path(game): Path<String>,
    JsonBody(request): JsonBody<GameRequest>,
) -> Result<Json<GameResponse>, Failure> {
    let (game, settings) = parse(&game, request, &state.webhook)?;
    // Whoever sets `onWindowClose` owns its callback jobs: the log names them on the event.
    let metadata = Metadata::from([("user_id".to_owned(), caller.user_id)]);
    // A game with scores refuses a new sort order or operator: 409, saying which.
    state.games.execute(game.as_str(), GameCommand::Configure(settings.clone()), &metadata).await?;
    Ok(Json(GameResponse {
        game: game.to_string(),
        title: settings.title,
        sort_order: settings.sort_order,
        operator: settings.operator,
        periods: settings.periods,
        keep_windows: settings.keep_windows,
        on_window_close: settings.on_window_close,
    }))
}

fn parse(
    game: &str,
    request: GameRequest,
    webhook: &job_kinds::Webhook,
) -> Result<(GameName, GameSettings), Vec<domain::FieldError>> {
    let mut errors = FieldErrors::default();
    let game = errors.check("game", GameName::parse(game));
    if request.title.as_ref().is_some_and(|title| title.chars().count() > MAX_TITLE_CHARS) {
        errors.push("title", format!("must be at most {MAX_TITLE_CHARS} characters"));
    }
    let sort_order = errors.check("sortOrder", request.sort_order.ok_or_else(|| "is required".to_owned()));
    let operator = errors.check("operator", request.operator.ok_or_else(|| "is required".to_owned()));
    let periods = errors.check(
        "periods",
        match request.periods {
            None => Err("is required".to_owned()),
            Some(periods) if periods.is_empty() => Err("must name at least one period".to_owned()),
            Some(periods) => Ok(Period::EVERY.into_iter().filter(|p| periods.contains(p)).collect()),
        },
    );
    let keep_windows = errors.check(
        "keepWindows",
        request
            .keep_windows
            .map_or(Ok(KeptWindows::default()), |count| KeptWindows::new(whole_number(&count).unwrap_or(-1))),
    );
    let on_window_close = match request.on_window_close {
        None => Some(None),
        Some(callback) => window_close::parse(&callback, webhook, &mut errors).map(Some),
    };
    errors.finish()?;
    match (game, sort_order, operator, periods, keep_windows, on_window_close) {
        (
            Some(game),
            Some(sort_order),
            Some(operator),
            Some(periods),
            Some(keep_windows),
            Some(on_window_close),
        ) => {
            let title = request.title;
            Ok((game, GameSettings { title, sort_order, operator, periods, keep_windows, on_window_close }))
        }
        _ => Err(vec![]),
    }
}

/// A JSON number that is a whole number, also when written with a fraction of zero (`12.0`), as JSON
/// Schema's `integer` allows.
pub(super) fn whole_number(number: &serde_json::Number) -> Option<i64> {
    number.as_i64().or_else(|| {
        let float = number.as_f64()?;
        (float.fract() == 0.0 && float.abs() <= 9_007_199_254_740_992.0).then_some(float as i64)
    })
}
