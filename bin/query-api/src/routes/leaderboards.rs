//! `GET /v1/leaderboards/{game}` and `GET /v1/leaderboards/{game}/players/{player}`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use domain::names::{GameName, PlayerName};
use fred::prelude::*;
use http_kit::{ApiError, QueryParams};
use projections::boards::{Board, TOP, cursor_at, parse_entry, player_of, timestamp};
use projections::documents::{LeaderboardDocument, LeaderboardEntry, PlayerStanding, WindowDocument};

use super::board_query::{BoardQuery, Page, StandingQuery, parse, parse_standing};
use super::conditional::{etag_of, unless_unchanged};
use super::stored_json;
use crate::AppState;
use crate::state::redis_failed;

/// A board of the current window of a period, best first.
#[utoipa::path(
    get, path = "/v1/leaderboards/{game}", tag = "scores",
    params(
        ("game" = String, Path, description = "The game (a name that is not 1–64 characters of `[A-Za-z0-9_.-]` is no game: 404)"),
        BoardQuery,
        ("If-None-Match" = Option<String>, Header, description = "The `ETag` of the board the client holds: 304 while it is unchanged"),
    ),
    responses(
        (status = 200, description = "The board", body = LeaderboardDocument,
            headers(("ETag" = String, description = "A weak validator of the standings; send it back as `If-None-Match`"))),
        (status = 304, description = "Unchanged since the `If-None-Match` the client sent",
            headers(("ETag" = String, description = "The board's validator"))),
        (status = 404, description = "Unknown game, or `around` a player not on the board", body = http_kit::problem::Problem),
        (status = 422, description = "Invalid query", body = http_kit::problem::Problem),
        (status = 503, description = "The query side is unavailable or rebuilding", body = http_kit::problem::Problem),
    )
)]
pub async fn board(
    State(state): State<AppState>,
    request: HeaderMap,
    Path(game): Path<String>,
    QueryParams(query): QueryParams<BoardQuery>,
) -> Result<Response, ApiError> {
    let game = GameName::parse(&game).map_err(|_| unknown_game(&game))?;
    let (period, region, limit, page) = parse(query).map_err(ApiError::Invalid)?;
    let board = Board::containing(&game, period, state.clock.now(), region.as_ref());
    let id = board.id();
    if matches!(page, Page::Top) && limit == TOP {
        let key = state.keys.board_document(&id);
        if let Some(cached) = state.documents.get(&key) {
            metrics::counter!("leaderboard_reads_total", "source" => "memory").increment(1);
            return Ok(unless_unchanged(&request, &etag_of(&cached), || stored_json(cached)));
        }
        let ticket = state.documents.ticket();
        let stored: Option<Bytes> = state.redis.get(&key).await.map_err(redis_failed)?;
        if let Some(stored) = stored {
            metrics::counter!("leaderboard_reads_total", "source" => "stored").increment(1);
            state.documents.keep(ticket, key, stored.clone());
            return Ok(unless_unchanged(&request, &etag_of(&stored), || stored_json(stored)));
        }
    }
    ensure_game_exists(&state, &game).await?;
    let total: u64 = state.redis.zcard(state.keys.board_ranking(&id)).await.map_err(redis_failed)?;
    let start = match page {
        Page::Top => 0,
        Page::At(offset) => offset,
        Page::Around(player) => {
            let rank = rank_of(&state, &id, &player).await?.ok_or_else(|| not_on_board(&player))?;
            rank.saturating_sub(limit / 2)
        }
    };
    let entries = entries(&state, &id, start, limit).await?;
    let end = start + entries.len();
    metrics::counter!("leaderboard_reads_total", "source" => "rendered").increment(1);
    let mut document = LeaderboardDocument {
        game: game.to_string(),
        period: period.to_string(),
        window: WindowDocument {
            start: board.window.start.map(timestamp),
            end: board.window.end.map(timestamp),
        },
        region: region.map(|r| r.to_string()),
        entries,
        total,
        generated_at: String::new(),
        next_cursor: (end < total as usize).then(|| cursor_at(end)),
    };
    // A page is rendered for each read: its validator covers what it says, not when it was rendered.
    let etag = etag_of(&serde_json::to_vec(&document).map_err(ApiError::internal)?);
    Ok(unless_unchanged(&request, &etag, move || {
        document.generated_at = timestamp(state.clock.now());
        Json(document).into_response()
    }))
}

/// One player's rank and score on a board of the current window.
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
    ensure_game_exists(&state, &game).await?;
    let id = Board::containing(&game, period, state.clock.now(), region.as_ref()).id();
    let stored: Option<String> =
        state.redis.hget(state.keys.board_entries(&id), player.as_str()).await.map_err(redis_failed)?;
    let entry = stored.as_deref().and_then(parse_entry).ok_or_else(|| not_on_board(&player))?;
    let rank: Option<u64> =
        state.redis.zrank(state.keys.board_ranking(&id), entry.member, false).await.map_err(redis_failed)?;
    let rank = rank.ok_or_else(|| not_on_board(&player))?;
    Ok(Json(PlayerStanding { rank: rank + 1, score: entry.score, achieved_at: entry.achieved_at }))
}

/// 404 for a game the projector never saw (503 while it rebuilds).
async fn ensure_game_exists(state: &AppState, game: &GameName) -> Result<(), ApiError> {
    let known: bool = state.redis.hexists(state.keys.games(), game.as_str()).await.map_err(redis_failed)?;
    if known { Ok(()) } else { Err(state.missing(unknown_game(game.as_str())).await) }
}

async fn rank_of(state: &AppState, board: &str, player: &PlayerName) -> Result<Option<usize>, ApiError> {
    let stored: Option<String> =
        state.redis.hget(state.keys.board_entries(board), player.as_str()).await.map_err(redis_failed)?;
    let Some(entry) = stored.as_deref().and_then(parse_entry) else { return Ok(None) };
    let rank: Option<u64> = state
        .redis
        .zrank(state.keys.board_ranking(board), entry.member, false)
        .await
        .map_err(redis_failed)?;
    Ok(rank.map(|r| r as usize))
}

async fn entries(
    state: &AppState,
    board: &str,
    start: usize,
    limit: usize,
) -> Result<Vec<LeaderboardEntry>, ApiError> {
    let members: Vec<String> = state
        .redis
        .zrange(
            state.keys.board_ranking(board),
            start as i64,
            (start + limit) as i64 - 1,
            None,
            false,
            None,
            false,
        )
        .await
        .map_err(redis_failed)?;
    let players: Vec<&str> = members.iter().filter_map(|m| player_of(m)).collect();
    if players.is_empty() {
        return Ok(vec![]);
    }
    let stored: Vec<Option<String>> =
        state.redis.hmget(state.keys.board_entries(board), players.clone()).await.map_err(redis_failed)?;
    Ok(players
        .into_iter()
        .zip(stored)
        .enumerate()
        .filter_map(|(i, (player, entry))| {
            let entry = parse_entry(entry.as_deref()?)?;
            Some(LeaderboardEntry {
                rank: (start + i + 1) as u64,
                player: player.to_owned(),
                score: entry.score,
                achieved_at: entry.achieved_at,
            })
        })
        .collect())
}

fn unknown_game(game: &str) -> ApiError {
    ApiError::NotFound(format!("no game is called {game}"))
}

fn not_on_board(player: &PlayerName) -> ApiError {
    ApiError::NotFound(format!("{player} has no score on this board"))
}
