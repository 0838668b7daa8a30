//! Scores and leaderboards: games with their ranking rules, one aggregate per submitted score,
//! refresh requests (both [`one_shot`] aggregates), and the callbacks owed when a window closes
//! ([`window_close`]).

pub mod game;
pub mod one_shot;
pub mod periods;
pub mod refresh;
pub mod score;
pub mod settings;
pub mod submission;
pub mod window_callback;
pub mod window_close;

pub use game::{Game, GameCommand, GameError, GameEvent};
pub use one_shot::{OneShot, OneShotRecord, Record, Recorded};
pub use periods::{Period, Window};
pub use refresh::{LeaderboardRefresh, RefreshEvent, RefreshScope};
pub use score::ScoreValue;
pub use settings::{GameSettings, KeptWindows, Operator, SortOrder};
pub use submission::{NewScore, ScoreSubmission, SubmissionEvent};
pub use window_callback::{CallbackTop, CallbackUrl, OnWindowClose};

/// A request that was accepted once already: a replay under the same idempotency key meets it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("this request was already accepted")]
pub struct AlreadyAccepted {
    /// The hash of the request that was accepted, to tell a replay from a different request.
    pub request_hash: String,
}

#[cfg(test)]
mod stored_events_tests;
