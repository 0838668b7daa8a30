//! Pure plans: what a batch of events does to the query side, as a list of Redis operations.
//!
//! Nothing here touches Redis; [`crate::store`] applies the plan atomically with the checkpoint.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use domain::identity::UserEvent;
use domain::jobs::{JobEvent, JobKind};
use domain::names::{GameName, PlayerName, RegionName};
use domain::scores::refresh::RefreshScope;
use domain::scores::{
    GameEvent, GameSettings, NewScore, Operator, Period, Recorded, RefreshEvent, SortOrder, SubmissionEvent,
};
use eventlog::LoggedEvent;

use crate::board_write::FastMap;
use crate::boards::{Board, timestamp};
use crate::documents::JobDocument;
use crate::keys::{job_index_member, relative};
use crate::users::{SessionRecord, UserDocument};

/// Every game's settings, as the log has set them so far. The projector keeps it beside its
/// checkpoint: a score is ranked by the settings its game had when the score was accepted.
pub type GameBook = HashMap<GameName, GameSettings>;

/// One Redis operation, with keys relative to the prefix.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// Store a string.
    Set { key: String, value: String },
    /// Store a string that disappears at a given time, unless the key exists (a revoked session's
    /// tombstone must win over a late replay of its start).
    SetUntil { key: String, value: String, until: DateTime<Utc> },
    /// Mark a session revoked, keeping its expiry (a week when it has none).
    Revoke { key: String },
    /// Remove a key.
    Del { key: String },
    /// Store one field of a hash.
    HashSet { key: String, field: String, value: String },
    /// Store finished jobs' documents (id, JSON) and announce the changes on the job channel.
    Jobs { documents: Vec<(String, String)> },
    /// Set fields of a worker job (JSON fragments; `+history` appends an entry), render its document
    /// from them and announce the change.
    JobFields { id: String, fields: Vec<(&'static str, String)> },
    /// Push a worker job onto the ready queue of its priority, newest first, and announce the work.
    Enqueue { id: String },
    /// Hold a worker job until it is due.
    Delay { id: String, due_millis: i64 },
    /// Stop holding a job that will not run.
    Undelay { id: String },
    /// Record new jobs' owners, and list each job in its owner's index and in the index of every job.
    Owners { jobs: Vec<OwnedJob> },
    /// Set fields of a document kept as fields (JSON fragments), then render it from the fields named
    /// in `order`, in that order.
    Document {
        document: String,
        fields_key: String,
        order: &'static [&'static str],
        fields: Vec<(&'static str, String)>,
    },
    /// Add a member to a sorted set ordered by text (all scores 0).
    AddByText { key: String, member: String },
    /// Add one to a numeric field of a document kept as fields, then render it like [`Op::Document`].
    Increment { document: String, fields_key: String, order: &'static [&'static str], field: &'static str },
    /// Add a member to a sorted set with a score.
    ZAdd { key: String, score: i64, member: String },
    /// Add a member to a sorted set with the score it has in `from` (nothing when it has none there).
    ZAddScoreOf { from: String, key: String, member: String },
    /// Remove a member from a sorted set.
    ZRem { key: String, member: String },
    /// Add a member to a set.
    SAdd { key: String, member: String },
    /// Remove a member from a set.
    SRem { key: String, member: String },
    /// Render `document` from `head` (a JSON object) and `field`, the sorted members of `set`.
    WithSet { document: String, head: String, set: String, field: &'static str },
    /// Combine players' entries (each player once, in the order given) into a board's under the game's
    /// operator.
    Board { board: String, operator: Operator, order: SortOrder, entries: Vec<(String, Entry)> },
    /// Render a board's top-100 document and keep its metadata for later refreshes.
    Render { board: Board, expires_at: Option<DateTime<Utc>> },
    /// Render again every board of a game, narrowed by period and region.
    Refresh { game: GameName, period: Option<Period>, region: Option<RegionName> },
}

/// A new job's owner and its member in the job indexes, for [`Op::Owners`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedJob {
    /// The job's id.
    pub id: String,
    /// The owner's user id.
    pub owner: String,
    /// The job's [`job_index_member`].
    pub member: String,
}

/// A board entry: a score and when it was achieved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The score; under `sum`, the exact total, which may lie beyond the ±2^53 a board shows (see
    /// [`crate::boards::StoredEntry::new`]). Scores are within ±2^53, so no count of them that a log
    /// can hold takes an `i128` total anywhere near overflowing.
    pub score: i128,
    /// `achievedAt` in microseconds since the epoch: the tie-breaker.
    pub achieved_micros: i64,
    /// `achievedAt` as documents show it.
    pub achieved_at: String,
}

/// An event the projector cannot understand. It stops rather than skip: the log is the truth.
#[derive(Debug, thiserror::Error)]
#[error("cannot read event {event_id}: {reason}")]
pub struct PlanError {
    /// The event's id.
    pub event_id: String,
    /// What did not fit.
    pub reason: String,
}

/// Plans the Redis operations of a batch, in order, given the games' settings so far (updated as the
/// batch configures games) and the time the batch is applied.
pub fn plan_batch(
    events: &[LoggedEvent],
    games: &mut GameBook,
    now: DateTime<Utc>,
) -> Result<Vec<Op>, PlanError> {
    let mut ops = Vec::new();
    let mut scores = ScoreFold::default();
    let mut after_renders = Vec::new();
    let mut finished_jobs = Vec::new();
    let mut owned_jobs = Vec::new();
    for event in events {
        match event.aggregate_type.as_str() {
            "game" => plan_game(event, decode(event)?, games, &mut ops),
            "score" => {
                let Recorded(score): SubmissionEvent = decode(event)?;
                let settings = games.get(&score.game).cloned().unwrap_or_default();
                let entry = Entry {
                    score: score.score.get().into(),
                    achieved_micros: score.achieved_at.timestamp_micros(),
                    achieved_at: timestamp(score.achieved_at),
                };
                for board in boards_of(&score, &settings, now) {
                    scores.add(board, &score.player, &entry, &settings);
                }
                finished_jobs.push(score_job(event, &score, now));
                owned_jobs.extend(owned_job(event));
            }
            "user" => plan_user(event, decode(event)?, now, &mut after_renders),
            "conversion" => {
                let conversion_event: domain::conversions::ConversionEvent = decode(event)?;
                if matches!(
                    conversion_event,
                    domain::conversions::ConversionEvent::ConversionRequested { .. }
                ) {
                    owned_jobs.extend(owned_job(event));
                }
                conversions::plan_conversion(event, conversion_event, &mut after_renders);
            }
            "job" => {
                let job_event: JobEvent = decode(event)?;
                if matches!(job_event, JobEvent::JobQueued { .. }) {
                    owned_jobs.extend(owned_job(event));
                }
                jobs::plan_job(event, job_event, &mut after_renders);
            }
            "meetup" => meetups::plan_meetup(event, decode(event)?, &mut after_renders),
            "meetup_member" => meetups::plan_membership(decode(event)?, &mut after_renders),
            "channel" => meetups::plan_channel(event, decode(event)?, &mut after_renders),
            "message" => meetups::plan_message(event, decode(event)?, &mut after_renders),
            "leaderboard_refresh" => {
                let Recorded(scope): RefreshEvent = decode(event)?;
                after_renders.push(Op::Refresh {
                    game: scope.game.clone(),
                    period: scope.period,
                    region: scope.region.clone(),
                });
                finished_jobs.push(refresh_job(event, &scope, now));
                owned_jobs.extend(owned_job(event));
            }
            _ => {}
        }
    }
    scores.into_ops(&mut ops);
    ops.extend(after_renders);
    if !finished_jobs.is_empty() {
        ops.push(Op::Jobs { documents: finished_jobs });
    }
    if !owned_jobs.is_empty() {
        ops.push(Op::Owners { jobs: owned_jobs });
    }
    jobs::drop_pushes_of_finished(&mut ops);
    meetups::render_each_channel_once(&mut ops);
    Ok(ops)
}

fn decode<E: serde::de::DeserializeOwned>(event: &LoggedEvent) -> Result<E, PlanError> {
    E::deserialize(&event.payload)
        .map_err(|error| PlanError { event_id: event.id(), reason: error.to_string() })
}

fn plan_game(event: &LoggedEvent, game_event: GameEvent, games: &mut GameBook, ops: &mut Vec<Op>) {
    let GameEvent::GameConfigured { settings } = game_event else { return };
    let Ok(game) = GameName::parse(&event.aggregate_id) else { return };
    ops.push(Op::HashSet {
        key: relative::GAMES.to_owned(),
        field: game.to_string(),
        value: serde_json::to_string(&settings).unwrap_or_default(),
    });
    games.insert(game, settings);
}

/// The boards a score counts on: each kept period's window that contains it and has not expired, for
/// the global board and the score's region.
fn boards_of(score: &NewScore, settings: &GameSettings, now: DateTime<Utc>) -> Vec<Board> {
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
        .filter(|board| board.window.expires_at().is_none_or(|expiry| expiry > now))
        .collect()
}

fn plan_user(event: &LoggedEvent, user_event: UserEvent, now: DateTime<Utc>, ops: &mut Vec<Op>) {
    let id = &event.aggregate_id;
    match user_event {
        UserEvent::UserRegistered { profile, .. } | UserEvent::UserProfileUpdated { profile } => {
            ops.push(Op::Set {
                key: relative::user(id),
                value: serde_json::to_string(&UserDocument::new(id, &profile)).unwrap_or_default(),
            })
        }
        UserEvent::UserSessionStarted(session) if session.expires_at > now => {
            let record =
                SessionRecord { user_id: id.clone(), scopes: session.scopes, expires_at: session.expires_at };
            ops.push(Op::SetUntil {
                key: relative::session(&session.id),
                value: serde_json::to_string(&record).unwrap_or_default(),
                until: session.expires_at,
            });
        }
        UserEvent::UserSessionStarted(_) => {}
        UserEvent::UserSessionRevoked { session_id } => {
            ops.push(Op::Revoke { key: relative::session(&session_id) })
        }
    }
}

fn job_id(event: &LoggedEvent) -> String {
    event.metadata_value("job_id").unwrap_or(&event.aggregate_id).to_owned()
}

fn score_job(event: &LoggedEvent, score: &NewScore, now: DateTime<Utc>) -> (String, String) {
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

fn refresh_job(event: &LoggedEvent, scope: &RefreshScope, now: DateTime<Utc>) -> (String, String) {
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

/// The job's owner, as the command's metadata names it, and its place in the job indexes.
fn owned_job(event: &LoggedEvent) -> Option<OwnedJob> {
    let owner = event.metadata_value("user_id")?.to_owned();
    let id = job_id(event);
    let member = job_index_member(event.recorded_at.timestamp_millis(), &id);
    Some(OwnedJob { id, owner, member })
}

/// Folds a batch's scores per board and player before they reach Redis: a backlog of a million
/// submissions to a few boards costs a few Redis updates per batch, not a million.
#[derive(Default)]
struct ScoreFold {
    /// The boards, in the order the batch first touched them.
    boards: Vec<BoardFold>,
    positions: FastMap<String, usize>,
}

/// One board's share of a batch: each player once, with their entries combined.
struct BoardFold {
    board: Board,
    id: String,
    operator: Operator,
    order: SortOrder,
    entries: Vec<(String, Entry)>,
    positions: FastMap<String, usize>,
}

impl ScoreFold {
    fn add(&mut self, board: Board, player: &PlayerName, entry: &Entry, settings: &GameSettings) {
        let id = board.id();
        let at = match self.positions.get(&id) {
            Some(&at) => at,
            None => {
                self.positions.insert(id.clone(), self.boards.len());
                self.boards.push(BoardFold {
                    board,
                    id,
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
    /// they first scored on it; then each board's render, once its entries are all in.
    fn into_ops(self, ops: &mut Vec<Op>) {
        let mut renders = Vec::with_capacity(self.boards.len());
        for fold in self.boards {
            let expires_at = fold.board.window.expires_at();
            renders.push(Op::Render { board: fold.board, expires_at });
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

/// Combines a player's kept entry with a newer one under the operator: within a batch, and between what
/// a board stores and what a batch brings ([`crate::board_write::resolve`]).
pub fn combine(kept: &Entry, new: Entry, operator: Operator, order: SortOrder) -> Entry {
    match operator {
        Operator::Best => {
            let better = match order {
                SortOrder::Desc => new.score > kept.score,
                SortOrder::Asc => new.score < kept.score,
            } || (new.score == kept.score && new.achieved_micros < kept.achieved_micros);
            if better { new } else { kept.clone() }
        }
        Operator::Latest => {
            if new.achieved_micros >= kept.achieved_micros {
                new
            } else {
                kept.clone()
            }
        }
        // The exact total, clamped to ±2^53 only where it is shown: an addition that saturated at every
        // step would not be associative, so a player's total would depend on where the projector's
        // batches happen to cut the log (and on the order of the scores). The exact sum does not.
        Operator::Sum => {
            let total = kept.score + new.score;
            let latest = if new.achieved_micros >= kept.achieved_micros { new } else { kept.clone() };
            Entry { score: total, ..latest }
        }
    }
}

mod encode;
pub use encode::encode_batch;

pub mod conversions;
pub mod jobs;
pub mod meetups;

#[cfg(test)]
mod tests;
