//! The operations a plan is made of.

use chrono::{DateTime, Utc};
use domain::names::{GameName, RegionName};
use domain::scores::{Operator, Period, SortOrder};

use crate::boards::Board;
use crate::entry::Entry;

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
    /// The job's [`crate::keys::job_index_member`].
    pub member: String,
}
