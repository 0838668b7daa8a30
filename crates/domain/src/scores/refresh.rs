//! The `LeaderboardRefresh` aggregate: a request to regenerate a game's cached board documents.
//!
//! The projector carries it out when it reads the request from the log, like any other event.

use serde::{Deserialize, Serialize};

use super::Period;
use super::one_shot::{OneShot, OneShotRecord, Recorded};
use crate::names::{GameName, RegionName};

/// What to regenerate: a game's boards, narrowed by period and region when given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefreshScope {
    /// The game whose boards are regenerated.
    pub game: GameName,
    /// Only boards of this period, if given.
    pub period: Option<Period>,
    /// Only boards of this region, if given.
    pub region: Option<RegionName>,
    /// A hash of the request, to tell an idempotent replay from a different request.
    pub request_hash: String,
}

impl OneShotRecord for RefreshScope {
    const AGGREGATE_TYPE: &'static str = "leaderboard_refresh";
    const EVENT_TYPE: &'static str = "LeaderboardRefreshRequested";

    fn request_hash(&self) -> &str {
        &self.request_hash
    }
}

/// A refresh request: asks once for the boards in scope to be regenerated.
pub type LeaderboardRefresh = OneShot<RefreshScope>;

/// The refresh was asked for (`LeaderboardRefreshRequested`).
pub type RefreshEvent = Recorded<RefreshScope>;
