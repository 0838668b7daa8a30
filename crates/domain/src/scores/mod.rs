//! Scores and leaderboards: games with their ranking rules, one aggregate per submitted score, and
//! refresh requests.

pub mod game;
pub mod periods;
pub mod refresh;
pub mod score;
pub mod submission;

pub use game::{Game, GameCommand, GameError, GameEvent, GameSettings, Operator, SortOrder};
pub use periods::{Period, Window};
pub use refresh::{LeaderboardRefresh, RefreshCommand, RefreshEvent, RefreshScope};
pub use score::ScoreValue;
pub use submission::{NewScore, ScoreSubmission, SubmissionCommand, SubmissionEvent};

/// A request that was accepted once already: a replay under the same idempotency key meets it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("this request was already accepted")]
pub struct AlreadyAccepted {
    /// The hash of the request that was accepted, to tell a replay from a different request.
    pub request_hash: String,
}

#[cfg(test)]
mod stored_events_tests;
