//! `GET /v1/leaderboards/{game}` and `GET /v1/leaderboards/{game}/players/{player}`.

use axum::Json;
use axum::extract::{Path, State};
use axum::response::Response;
use domain::names::{GameName, PlayerName};
use http_kit::{ApiError, QueryParams};
use read_model::boards::{Board, TOP, timestamp};
use read_model::documents::{LeaderboardDocument, PlayerStanding};
use redis_store::BoardReader;

use super::board_query::{BoardQuery, Page, StandingQuery, parse, parse_standing};
use super::conditional::{IfNoneMatch, Tagged, etag_of, unless_unchanged};
use super::stored_json;
use crate::AppState;
use crate::state::redis_failed;

/// A board of the current window of a period, or of a kept window, best first; or only the named
/// players on it.
#[utoipa::path(
    get, path = "/v1/leaderboards/{game}", tag = "scores",
    params(
        ("game" = String, Path, description = "The game (a name that is not 1–64 characters of `[A-Za-z0-9_.-]` is no game: 404)"),
        BoardQuery,
        ("If-None-Match" = Option<String>, Header, description = "The `ETag` of the board the client holds: 304 while it is unchanged"),
    ),
    responses(
        (status = 200, description = "The board, or the named players' entries on it", body = LeaderboardDocument,
            headers(("ETag" = String, description = "A weak validator of the standings; send it back as `If-None-Match`"))),
        (status = 304, description = "Unchanged since the `If-None-Match` the client sent",
            headers(("ETag" = String, description = "The board's validator"))),
        (status = 404, description = "Unknown game, a `window` not kept, or `around` a player not on the board", body = http_kit::problem::Problem),
        (status = 422, description = "Invalid query, or `players` with `around` or `cursor`", body = http_kit::problem::Problem),
        (status = 503, description = "The query side is unavailable or rebuilding", body = http_kit::problem::Problem),
    )
)]
pub async fn board(
    State(state): State<AppState>,
    request: IfNoneMatch,
    Path(game): Path<String>,
    QueryParams(query): QueryParams<BoardQuery>,
) -> Result<Response, ApiError> {
    let game = GameName::parse(&game).map_err(|_| unknown_game(&game))?;
    let ((period, window), region, limit, page) = parse(query).map_err(ApiError::Invalid)?;
    let board = match window {
        Some(window) => Board::of_window(&game, period, window, region.as_ref()),
        None => Board::containing(&game, period, state.clock.now(), region.as_ref()),
    };
    let id = board.id();
    let keys = state.keys();
    let boards = BoardReader::new(&state.redis, &keys);
    if matches!(page, Page::Top) && limit == TOP {
        let key = keys.board_document(&id);
        if let Some(cached) = state.documents.get(&key) {
            metrics::counter!("leaderboard_reads_total", "source" => "memory").increment(1);
            return Ok(unless_unchanged(&request, &cached.etag, || stored_json(cached.body)));
        }
        let ticket = state.documents.ticket();
        if let Some(stored) = boards.document(&id).await.map_err(redis_failed)? {
            metrics::counter!("leaderboard_reads_total", "source" => "stored").increment(1);
            let stored = Tagged::new(stored);
            state.documents.keep(ticket, key, stored.clone());
            return Ok(unless_unchanged(&request, &stored.etag, || stored_json(stored.body)));
        }
    }
    ensure_game_exists(&state, &boards, &game).await?;
    if window.is_some() && !boards.exists(&id).await.map_err(redis_failed)? {
        let not_kept =
            ApiError::NotFound(format!("no {period} window starting {} is kept", board.window.key()));
        return Err(state.missing(not_kept).await);
    }
    let now = timestamp(state.clock.now());
    let rendered = match page {
        Page::Top => boards.page(&board, &now, 0, limit).await,
        Page::At(offset) => boards.page(&board, &now, offset, limit).await,
        Page::Around(player) => {
            let standing = boards.standing(&id, player.as_str()).await.map_err(redis_failed)?;
            let standing = standing.ok_or_else(|| not_on_board(&player))?;
            let start = (standing.rank as usize - 1).saturating_sub(limit / 2);
            boards.page(&board, &now, start, limit).await
        }
        Page::Players(players) => boards.players(&board, &now, players.as_slice()).await,
    }
    .map_err(redis_failed)?;
    metrics::counter!("leaderboard_reads_total", "source" => "rendered").increment(1);
    // A page (or a list of players) is rendered for each read: its validator covers what it says, not
    // when it was rendered.
    let etag = etag_of(&without_generated_at(&rendered));
    Ok(unless_unchanged(&request, &etag, move || stored_json(rendered)))
}

/// A rendered board without the value of its `generatedAt`, which changes with every rendering.
fn without_generated_at(document: &[u8]) -> Vec<u8> {
    const FIELD: &[u8] = b"\"generatedAt\":\"";
    let Some(at) = document.windows(FIELD.len()).position(|window| window == FIELD) else {
        return document.to_vec();
    };
    let value = at + FIELD.len();
    let end = document[value..].iter().position(|&byte| byte == b'"').map_or(document.len(), |n| value + n);
    [&document[..value], &document[end..]].concat()
}

/// One player's rank, score and percentile on a board of the current window.
#[utoipa::path(
    get, path = "/v1/leaderboards/{game}/players/{player}", tag = "scores",
    params(
        ("game" = String, Path, description = "The game"),
        ("player" = String, Path, description = "The player"),
        StandingQuery,
    ),
    responses(
        (status = 200, description = "The player's standing", body = PlayerStanding),
        (status = 404, description = "Unknown game, or the player is not on the board", body = http_kit::problem::Problem),
        (status = 422, description = "Invalid query", body = http_kit::problem::Problem),
        (status = 503, description = "The query side is unavailable or rebuilding", body = http_kit::problem::Problem),
    )
)]
pub async fn standing(
    State(state): State<AppState>,
    Path((game, player)): Path<(String, String)>,
    QueryParams(query): QueryParams<StandingQuery>,
) -> Result<Json<PlayerStanding>, ApiError> {
    let game = GameName::parse(&game).map_err(|_| unknown_game(&game))?;
    let player = PlayerName::parse(&player)
        .map_err(|_| ApiError::NotFound(format!("no player is called {player}")))?;
    let (period, region) = parse_standing(query).map_err(ApiError::Invalid)?;
    let keys = state.keys();
    let boards = BoardReader::new(&state.redis, &keys);
    ensure_game_exists(&state, &boards, &game).await?;
    let id = Board::containing(&game, period, state.clock.now(), region.as_ref()).id();
    let standing = boards.standing(&id, player.as_str()).await.map_err(redis_failed)?;
    Ok(Json(standing.ok_or_else(|| not_on_board(&player))?))
}

/// 404 for a game the projector never saw (503 while it rebuilds).
pub(super) async fn ensure_game_exists(
    state: &AppState,
    boards: &BoardReader<'_>,
    game: &GameName,
) -> Result<(), ApiError> {
    let known = boards.knows_game(game).await.map_err(redis_failed)?;
    if known { Ok(()) } else { Err(state.missing(unknown_game(game.as_str())).await) }
}

pub(super) fn unknown_game(game: &str) -> ApiError {
    ApiError::NotFound(format!("no game is called {game}"))
}

fn not_on_board(player: &PlayerName) -> ApiError {
    ApiError::NotFound(format!("{player} has no score on this board"))
}
