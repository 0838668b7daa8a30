//! The operations a plan is made of.

use chrono::{DateTime, Utc};
use domain::jobs::QueueSettings;
use domain::names::{GameName, RegionName};
use domain::scores::{Operator, Period, SortOrder};

use crate::boards::Board;
use crate::entry::Entry;

/// One Redis operation, with keys relative to the prefix.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// Store a string.
    Set {
        /// The key.
        key: String,
        /// The string stored.
        value: String,
    },
    /// Store a string that disappears at a given time, unless the key exists (a revoked session's
    /// tombstone must win over a late replay of its start).
    SetUntil {
        /// The key.
        key: String,
        /// The string stored.
        value: String,
        /// When the key expires.
        until: DateTime<Utc>,
    },
    /// Mark a session revoked, keeping its expiry (a week when it has none).
    Revoke {
        /// The session's key.
        key: String,
    },
    /// Remove a key.
    Del {
        /// The key removed.
        key: String,
    },
    /// Store one field of a hash.
    HashSet {
        /// The hash's key.
        key: String,
        /// The field set.
        field: String,
        /// The field's new value.
        value: String,
    },
    /// Store finished jobs' documents (id, JSON) and announce the changes on the job channel.
    Jobs {
        /// Each job's id and its document as JSON.
        documents: Vec<(String, String)>,
    },
    /// Set fields of a worker job (JSON fragments; `+history` appends an entry) on its stored document
    /// (see [`crate::job_write`]) and announce the change.
    JobFields {
        /// The job's id.
        id: String,
        /// Each field's name and its new value as JSON.
        fields: Vec<(&'static str, String)>,
        /// Whether the event created the job (its first one): nothing is stored for it yet.
        created: bool,
    },
    /// Push a worker job onto the ready queue of its priority, newest first, and announce the work.
    Enqueue {
        /// The job's id.
        id: String,
    },
    /// Hold a worker job until it is due.
    Delay {
        /// The job's id.
        id: String,
        /// When the job is due, in milliseconds since the Unix epoch.
        due_millis: i64,
    },
    /// Stop holding a job that will not run: out of the delayed jobs and its kind's ready queue.
    Undelay {
        /// The job's id.
        id: String,
    },
    /// Keep a kind's queue settings where workers' claims read them, and announce the work.
    QueueSettings {
        /// The kind.
        kind: String,
        /// Its settings now.
        settings: QueueSettings,
    },
    /// Record new jobs' owners, and list each job in its owner's index and in the index of every job.
    Owners {
        /// The new jobs.
        jobs: Vec<OwnedJob>,
    },
    /// Set fields of a document kept as fields (JSON fragments), then render it from the fields named
    /// in `order`, in that order.
    Document {
        /// The key of the rendered document.
        document: String,
        /// The key of the hash holding the document's fields.
        fields_key: String,
        /// The names of the fields the document shows, in order.
        order: &'static [&'static str],
        /// Each field's name and its new value as JSON.
        fields: Vec<(&'static str, String)>,
    },
    /// Add a member to a sorted set ordered by text (all scores 0).
    AddByText {
        /// The sorted set's key.
        key: String,
        /// The member added.
        member: String,
    },
    /// Add one to a numeric field of a document kept as fields, then render it like [`Op::Document`].
    Increment {
        /// The key of the rendered document.
        document: String,
        /// The key of the hash holding the document's fields.
        fields_key: String,
        /// The names of the fields the document shows, in order.
        order: &'static [&'static str],
        /// The field incremented.
        field: &'static str,
    },
    /// Add a member to a sorted set with a score.
    ZAdd {
        /// The sorted set's key.
        key: String,
        /// The member's score.
        score: i64,
        /// The member added.
        member: String,
    },
    /// Add a member to a sorted set with the score it has in `from` (nothing when it has none there).
    ZAddScoreOf {
        /// The key of the sorted set the score is read from.
        from: String,
        /// The key of the sorted set the member is added to.
        key: String,
        /// The member added.
        member: String,
    },
    /// Remove a member from a sorted set.
    ZRem {
        /// The sorted set's key.
        key: String,
        /// The member removed.
        member: String,
    },
    /// Add a member to a set.
    SAdd {
        /// The set's key.
        key: String,
        /// The member added.
        member: String,
    },
    /// Remove a member from a set.
    SRem {
        /// The set's key.
        key: String,
        /// The member removed.
        member: String,
    },
    /// Render `document` from `head` (a JSON object) and `field`, the sorted members of `set`.
    WithSet {
        /// The key of the rendered document.
        document: String,
        /// The key of the JSON object the document starts from.
        head: String,
        /// The key of the set whose members the document lists.
        set: String,
        /// The name of the field listing the set's members.
        field: &'static str,
    },
    /// Combine players' entries (each player once, in the order given) into a board's under the game's
    /// operator.
    Board {
        /// The board's id.
        board: String,
        /// How the game combines a player's scores.
        operator: Operator,
        /// Whether higher or lower scores rank first.
        order: SortOrder,
        /// Each player's id and the entry the batch brings them.
        entries: Vec<(String, Entry)>,
    },
    /// Render a board's top-100 document and keep its metadata for later refreshes.
    Render {
        /// The board.
        board: Board,
        /// When the board's keys expire, or `None` when they never do.
        expires_at: Option<DateTime<Utc>>,
    },
    /// List a board's window in the index of its game's, period's and region's kept windows, drop the
    /// windows no longer kept from the index, and keep the index at least as long as the board.
    ListWindow {
        /// The index's key.
        index: String,
        /// The window's key (its start date), the member listed.
        window: String,
        /// The window's start, in seconds since the Unix epoch: the member's score.
        start: i64,
        /// Windows starting before this (in seconds since the Unix epoch) are no longer kept.
        oldest_kept: i64,
        /// When the board's keys expire.
        kept_until: DateTime<Utc>,
    },
    /// Render again every board of a game, narrowed by period and region.
    Refresh {
        /// The game.
        game: GameName,
        /// Only the boards of this period, or `None` for every period.
        period: Option<Period>,
        /// Only the boards of this region, or `None` for every region.
        region: Option<RegionName>,
    },
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
