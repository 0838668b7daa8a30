//! `GET /v1/leaderboards/{game}/windows`: the kept windows of a game's period, newest first.

use axum::Json;
use axum::extract::{Path, State};
use domain::errors::FieldErrors;
use domain::names::{GameName, RegionName};
use domain::scores::{Period, Window};
use http_kit::{ApiError, QueryParams};
use read_model::boards::{Board, timestamp, windows_index_id};
use redis_store::BoardReader;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::board_query::window_starting;
use super::job_list::parse_limit;
use super::leaderboards::{ensure_game_exists, unknown_game};
use crate::AppState;
use crate::state::redis_failed;

/// Which windows.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WindowsQuery {
    /// `day`, `week` or `month`: the period whose windows are listed (required; `all` has none).
    #[param(inline, value_type = WindowPeriodName, required = true, nullable = false)]
    period: Option<String>,
    /// A region's boards instead of the global ones: 1–64 characters of `[A-Za-z0-9_.-]`.
    #[param(nullable = false, pattern = "^[A-Za-z0-9_.-]{1,64}$")]
    region: Option<String>,
    /// 1–100 windows (default 20).
    #[param(value_type = Option<u8>, nullable = false, minimum = 1, maximum = 100)]
    limit: Option<String>,
    /// Continue where a previous page's `nextCursor` left off.
    #[param(nullable = false, pattern = "^w[0-9]{1,6}$")]
    cursor: Option<String>,
}

/// A period that has windows.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)] // describes `period` in the document
enum WindowPeriodName {
    /// UTC calendar days.
    Day,
    /// ISO weeks, from Monday.
    Week,
    /// Calendar months.
    Month,
}

/// A page of kept windows, newest first.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WindowList {
    /// The windows.
    items: Vec<KeptWindow>,
    /// Pass as `cursor` for older windows; `null` after the oldest.
    next_cursor: Option<String>,
}

/// One kept window of a period.
#[derive(Debug, Serialize, ToSchema)]
pub struct KeptWindow {
    /// The window's start date, as `GET /v1/leaderboards/{game}?window=` takes it.
    #[schema(example = "2026-11-23")]
    window: String,
    /// The window's first instant (RFC 3339).
    start: String,
    /// The first instant after the window (RFC 3339).
    end: String,
    /// How many players the window's board ranks.
    total: u64,
    /// Whether the window has ended: its board shows its final standings (but for scores still
    /// accepted within a day of grace).
    closed: bool,
}

/// The kept windows of a game's period (global, or a region's), newest first.
#[utoipa::path(
    get, path = "/v1/leaderboards/{game}/windows", tag = "scores",
    params(
        ("game" = String, Path, description = "The game (a name that is not 1–64 characters of `[A-Za-z0-9_.-]` is no game: 404)"),
        WindowsQuery,
    ),
    responses(
        (status = 200, description = "The kept windows, newest first", body = WindowList),
        (status = 404, description = "Unknown game", body = http_kit::problem::Problem),
        (status = 422, description = "Invalid query", body = http_kit::problem::Problem),
        (status = 503, description = "The query side is unavailable or rebuilding", body = http_kit::problem::Problem),
    )
)]
pub async fn windows(
    State(state): State<AppState>,
    Path(game): Path<String>,
    QueryParams(query): QueryParams<WindowsQuery>,
) -> Result<Json<WindowList>, ApiError> {
    let game = GameName::parse(&game).map_err(|_| unknown_game(&game))?;
    let WindowsRead { period, region, limit, before } = parse(query).map_err(ApiError::Invalid)?;
    let keys = state.keys();
    let boards = BoardReader::new(&state.redis, &keys);
    ensure_game_exists(&state, &boards, &game).await?;
    let index = windows_index_id(&game, period, region.as_ref());
    let mut listed = boards.windows(&index, before, limit + 1).await.map_err(redis_failed)?;
    let more = listed.len() > limit;
    listed.truncate(limit);
    let next_cursor = more.then(|| listed.last().map(|&(_, start)| cursor_before(start))).flatten();
    let windows: Vec<Window> =
        listed.iter().filter_map(|(window, _)| window_starting(period, window).ok()).collect();
    let ids: Vec<String> =
        windows.iter().map(|&window| Board::of_window(&game, period, window, region.as_ref()).id()).collect();
    let totals = boards.totals(&ids).await.map_err(redis_failed)?;
    let now = state.clock.now();
    let items = windows
        .into_iter()
        .zip(totals)
        // A window listed whose board has expired since (no write has trimmed it yet) is not kept.
        .filter(|&(_, total)| total > 0)
        .filter_map(|(window, total)| {
            let (start, end) = (window.start?, window.end?);
            Some(KeptWindow {
                window: window.key(),
                start: timestamp(start),
                end: timestamp(end),
                total,
                closed: end <= now,
            })
        })
        .collect();
    Ok(Json(WindowList { items, next_cursor }))
}

/// A cursor continuing with the windows that start before `start` (seconds since the Unix epoch):
/// `w` and the day `start` falls on, counted from 1970-01-01, so that every cursor of the documented
/// form continues somewhere.
fn cursor_before(start: i64) -> String {
    format!("w{}", start.div_euclid(SECONDS_PER_DAY))
}

/// Where a cursor continues: before the start of its day, in seconds since the Unix epoch.
fn start_of_cursor(cursor: &str) -> Result<i64, String> {
    let days = cursor.strip_prefix('w').unwrap_or_default();
    let well_formed = (1..=6).contains(&days.len()) && days.bytes().all(|b| b.is_ascii_digit());
    well_formed
        .then(|| days.parse::<i64>().ok())
        .flatten()
        .map(|days| days * SECONDS_PER_DAY)
        .ok_or_else(|| "is not a cursor this server gave".to_owned())
}

const SECONDS_PER_DAY: i64 = 86_400;

/// A listing's query, parsed.
#[derive(Debug, PartialEq)]
struct WindowsRead {
    period: Period,
    region: Option<RegionName>,
    limit: usize,
    /// The start (seconds since the Unix epoch) the page continues before.
    before: Option<i64>,
}

/// What the listing asks for, or the fields that are wrong.
fn parse(query: WindowsQuery) -> Result<WindowsRead, Vec<domain::FieldError>> {
    let mut errors = FieldErrors::default();
    let period = errors.check(
        "period",
        match query.period.as_deref().map(str::parse::<Period>) {
            Some(Ok(Period::All)) => {
                Err("must be day, week or month: the all-time board has no windows".into())
            }
            Some(Ok(period)) => Ok(period),
            Some(Err(_)) => Err("must be one of day, week, month".into()),
            None => Err("is required: day, week or month".into()),
        },
    );
    let region = errors.check("region", query.region.as_deref().map(RegionName::parse).transpose());
    let limit = errors.check("limit", parse_limit(query.limit.as_deref()));
    let before = query.cursor.as_deref().map(|cursor| errors.check("cursor", start_of_cursor(cursor)));
    let before = before.map_or(Some(None), |before| before.map(Some));
    errors.finish()?;
    match (period, region, limit, before) {
        (Some(period), Some(region), Some(limit), Some(before)) => {
            Ok(WindowsRead { period, region, limit, before })
        }
        _ => Err(vec![]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(period: Option<&str>, cursor: Option<&str>) -> WindowsQuery {
        WindowsQuery {
            period: period.map(Into::into),
            region: None,
            limit: None,
            cursor: cursor.map(Into::into),
        }
    }

    fn fields(errors: Vec<domain::FieldError>) -> Vec<String> {
        errors.into_iter().map(|error| error.field.to_string()).collect()
    }

    #[test]
    fn the_period_is_required_and_cannot_be_all_time() {
        for period in [None, Some("all"), Some("year")] {
            assert_eq!(fields(parse(query(period, None)).unwrap_err()), ["period"], "{period:?}");
        }
        let read = parse(query(Some("week"), None)).unwrap();
        assert_eq!(read, WindowsRead { period: Period::Week, region: None, limit: 20, before: None });
    }

    #[test]
    fn a_cursor_continues_before_the_start_of_the_window_a_page_ended_with() {
        let start = chrono::DateTime::parse_from_rfc3339("2026-11-23T00:00:00Z").unwrap().timestamp();
        let cursor = cursor_before(start);
        assert_eq!(parse(query(Some("week"), Some(&cursor))).unwrap().before, Some(start));
        for cursor in ["w2026-11-23", "20415", "w", "w1234567", "wnonsense"] {
            assert_eq!(fields(parse(query(Some("week"), Some(cursor))).unwrap_err()), ["cursor"], "{cursor}");
        }
    }
}
