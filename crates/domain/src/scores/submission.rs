//! The `Score` aggregate: one per submitted score, so a game never becomes a hot aggregate.
//!
//! Its id is the submission's job id. A replay under the same idempotency key derives the same id and
//! meets the already accepted submission, which answers with the hash of the request it holds.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::ScoreValue;
use super::one_shot::{OneShot, OneShotRecord, Recorded};
use crate::names::{GameName, PlayerName, RegionName};

/// A validated score, ready to be accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewScore {
    /// The game the score was achieved in.
    pub game: GameName,
    /// Who achieved it.
    pub player: PlayerName,
    /// The score itself.
    pub score: ScoreValue,
    /// The region whose board it also counts on, if any.
    pub region: Option<RegionName>,
    /// When it was achieved (the time it was accepted when the client did not say).
    pub achieved_at: DateTime<Utc>,
    /// A hash of the request, to tell an idempotent replay from a different request.
    pub request_hash: String,
}

impl OneShotRecord for NewScore {
    const AGGREGATE_TYPE: &'static str = "score";
    const EVENT_TYPE: &'static str = "ScoreSubmitted";

    fn request_hash(&self) -> &str {
        &self.request_hash
    }
}

/// A score submission: accepts one score.
pub type ScoreSubmission = OneShot<NewScore>;

/// The score was accepted (`ScoreSubmitted`); the projector puts it on every board it belongs to.
pub type SubmissionEvent = Recorded<NewScore>;
