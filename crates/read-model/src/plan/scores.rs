//! Plans for games and scores: a game's settings, each score folded into the boards it counts on, and
//! the jobs the projector finishes itself (a submitted score, a board refresh).

use chrono::{DateTime, Utc};
use domain::jobs::JobKind;
use domain::names::{GameName, PlayerName, RegionName};
use domain::scores::refresh::RefreshScope;
use domain::scores::{GameEvent, GameSettings, NewScore, Operator, SortOrder};

use super::{GameBook, Op, job_id};
use crate::board_write::FastMap;
use crate::boards::{Board, timestamp};
use crate::documents::JobDocument;
use crate::entry::{Entry, combine};
use crate::keys::relative;
use crate::log_entry::LogEntry;

/// Records a game's settings, for the scores that follow it and for the query side.
pub(super) fn plan_game(
    event: &LogEntry<'_>,
    game_event: GameEvent,
    games: &mut GameBook,
    ops: &mut Vec<Op>,
) {
    let GameEvent::GameConfigured { settings } = game_event else { return };
    let Ok(game) = GameName::parse(&event.aggregate_id) else { return };
    ops.push(Op::HashSet {
        key: relative::GAMES.to_owned(),
        field: game.to_string(),
        value: serde_json::to_string(&settings).unwrap_or_default(),
    });
    games.insert(game, settings);
}

/// The boards a score counts on: each kept period's window that contains it, for the global board and
/// the score's region; but only the windows that still took scores when the score was accepted (a late
/// score counts on the all-time board only), and that are still kept at `now` (a board already past
/// keeping is not written at all). Deciding by the time of acceptance, which the log records, makes a
/// rebuild keep exactly the closed windows the live projection kept.
fn boards_of(
    score: &NewScore,
    settings: &GameSettings,
    accepted_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Vec<Board> {
    let regions: Vec<Option<&RegionName>> =
        std::iter::once(None).chain(score.region.as_ref().map(Some)).collect();
    settings
        .periods
        .iter()
        .flat_map(|&period| {
            regions
                .iter()
                .map(move |region| Board::containing(&score.game, period, score.achieved_at, *region))
        })
        .filter(|board| board.window.takes_score_accepted_at(accepted_at))
        .filter(|board| kept_until(board, settings).is_none_or(|until| until > now))
        .collect()
}

/// When a board's keys expire under its game's settings; `None` for an all-time board.
fn kept_until(board: &Board, settings: &GameSettings) -> Option<DateTime<Utc>> {
    board.period.kept_until(&board.window, settings.keep_windows)
}

/// The finished job of a submitted score: its id and document, for [`Op::Jobs`].
pub(super) fn score_job(event: &LogEntry<'_>, score: &NewScore, now: DateTime<Utc>) -> (String, String) {
    let id = job_id(event);
    let result = serde_json::json!({
        "game": score.game,
        "player": score.player,
        "score": score.score.get(),
        "leaderboard": format!("/v1/leaderboards/{}", score.game),
    });
    let link = format!("/v1/leaderboards/{}/players/{}", score.game, score.player);
    job_document(JobDocument::done_by_projector(
        &id,
        JobKind::ScoreSubmit,
        event.recorded_at,
        now,
        result,
        link,
    ))
}

/// The finished job of a board refresh: its id and document, for [`Op::Jobs`].
pub(super) fn refresh_job(
    event: &LogEntry<'_>,
    scope: &RefreshScope,
    now: DateTime<Utc>,
) -> (String, String) {
    let id = job_id(event);
    let link = format!("/v1/leaderboards/{}", scope.game);
    let result = serde_json::json!({ "game": scope.game, "leaderboard": link });
    job_document(JobDocument::done_by_projector(
        &id,
        JobKind::LeaderboardRefresh,
        event.recorded_at,
        now,
        result,
        link,
    ))
}

/// A finished job's id and document, for [`Op::Jobs`].
fn job_document(document: JobDocument) -> (String, String) {
    let json = serde_json::to_string(&document).unwrap_or_default();
    (document.id, json)
}

/// Folds a batch's scores per board and player before they reach Redis: a backlog of a million
/// submissions to a few boards costs a few Redis updates per batch, not a million.
#[derive(Default)]
pub(super) struct ScoreFold {
    /// The boards, in the order the batch first touched them.
    boards: Vec<BoardFold>,
    positions: FastMap<String, usize>,
}

/// One board's share of a batch: each player once, with their entries combined.
struct BoardFold {
    board: Board,
    id: String,
    /// When the board's keys expire, or `None` when they never do.
    kept_until: Option<DateTime<Utc>>,
    /// The start of the oldest window of the board's period still kept, for trimming its index.
    oldest_kept: Option<DateTime<Utc>>,
    operator: Operator,
    order: SortOrder,
    entries: Vec<(String, Entry)>,
    positions: FastMap<String, usize>,
}

impl ScoreFold {
    /// Adds a score accepted at `accepted_at` to every board it counts on at `now`, ranked and kept by
    /// its game's settings so far.
    pub(super) fn add_score(
        &mut self,
        score: &NewScore,
        accepted_at: DateTime<Utc>,
        games: &GameBook,
        now: DateTime<Utc>,
    ) {
        let settings = games.get(&score.game).cloned().unwrap_or_default();
        let entry = Entry {
            score: score.score.get().into(),
            achieved_micros: score.achieved_at.timestamp_micros(),
            achieved_at: timestamp(score.achieved_at),
        };
        for board in boards_of(score, &settings, accepted_at, now) {
            self.add(board, &score.player, &entry, &settings, now);
        }
    }

    fn add(
        &mut self,
        board: Board,
        player: &PlayerName,
        entry: &Entry,
        settings: &GameSettings,
        now: DateTime<Utc>,
    ) {
        let id = board.id();
        let at = match self.positions.get(&id) {
            Some(&at) => at,
            None => {
                self.positions.insert(id.clone(), self.boards.len());
                let kept_until = kept_until(&board, settings);
                let oldest_kept = board.period.oldest_kept_start(now, settings.keep_windows);
                self.boards.push(BoardFold {
                    board,
                    id,
                    kept_until,
                    oldest_kept,
                    operator: settings.operator,
                    order: settings.sort_order,
                    entries: Vec::new(),
                    positions: FastMap::default(),
                });
                self.boards.len() - 1
            }
        };
        let fold = &mut self.boards[at];
        match fold.positions.get(player.as_str()) {
            Some(&position) => {
                let kept = &mut fold.entries[position].1;
                *kept = combine(kept, entry.clone(), fold.operator, fold.order);
            }
            None => {
                fold.positions.insert(player.to_string(), fold.entries.len());
                fold.entries.push((player.to_string(), entry.clone()));
            }
        }
    }

    /// One update per board, in the order the boards were first touched, with its players in the order
    /// they first scored on it; then each board's render, once its entries are all in, the listing
    /// of a window board in its index of windows, and each region in its game's regions (which the
    /// window-close callbacks go through).
    pub(super) fn into_ops(self, ops: &mut Vec<Op>) {
        let mut renders = Vec::with_capacity(self.boards.len());
        let mut regions_listed = std::collections::HashSet::new();
        for fold in self.boards {
            if let Some(region) = &fold.board.region
                && regions_listed.insert((fold.board.game.clone(), region.clone()))
            {
                let key = relative::game_regions(fold.board.game.as_str());
                renders.push(Op::SAdd { key, member: region.to_string() });
            }
            if let (Some(start), Some(kept_until), Some(oldest_kept)) =
                (fold.board.window.start, fold.kept_until, fold.oldest_kept)
            {
                renders.push(Op::ListWindow {
                    index: relative::board_windows(&fold.board.windows_index_id()),
                    window: fold.board.window.key(),
                    start: start.timestamp(),
                    oldest_kept: oldest_kept.timestamp(),
                    kept_until,
                });
            }
            renders.push(Op::Render { board: fold.board, expires_at: fold.kept_until });
            ops.push(Op::Board {
                board: fold.id,
                operator: fold.operator,
                order: fold.order,
                entries: fold.entries,
            });
        }
        ops.extend(renders);
    }
}
