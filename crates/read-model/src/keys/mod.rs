//! Every Redis key Reprise uses, under one configurable prefix.

pub mod relative;

/// Key names under a prefix (shared, not copied, by every clone: handlers' states hold one).
#[derive(Debug, Clone)]
pub struct Keys {
    prefix: std::sync::Arc<str>,
}

impl Keys {
    /// Keys under `prefix` (e.g. `reprise:`).
    pub fn new(prefix: impl Into<String>) -> Self {
        Self { prefix: prefix.into().into() }
    }

    /// The prefix itself.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The keys of generation `number` of the documents: every projected key (documents, indexes, the
    /// job queue, the projector's checkpoint and fencing token) lives under `{prefix}gen{number}:`, so
    /// that a rebuild fills a new generation while readers keep reading the current one.
    pub fn generation(&self, number: u64) -> Keys {
        Self::new(format!("{}{}{number}:", self.prefix, relative::GENERATION_PREFIX))
    }

    /// The number of the generation readers read (absent: none is complete yet).
    pub fn current_generation(&self) -> String {
        self.full(relative::CURRENT_GENERATION)
    }

    /// The number of the generation being built, while a rebuild runs.
    pub fn next_generation(&self) -> String {
        self.full(relative::NEXT_GENERATION)
    }

    /// Every generation handed out and not deleted yet.
    pub fn all_generations(&self) -> String {
        self.full(relative::ALL_GENERATIONS)
    }

    /// Prepends the prefix to a key named relative to it (what plans use).
    pub fn full(&self, relative: &str) -> String {
        format!("{}{relative}", self.prefix)
    }

    /// The projector's checkpoint, `"{transaction_id}:{position}"`.
    pub fn checkpoint(&self) -> String {
        self.full(relative::CHECKPOINT)
    }

    /// Present while the projector rebuilds from the start of the log.
    pub fn rebuilding(&self) -> String {
        self.full(relative::REBUILDING)
    }

    /// A job's document.
    pub fn job(&self, id: &str) -> String {
        self.full(&relative::job(id))
    }

    /// A job's owner.
    pub fn job_owner(&self, id: &str) -> String {
        self.full(&relative::job_owner(id))
    }

    /// The channel on which a job's id is published whenever its document changes.
    pub fn job_updates(&self) -> String {
        self.full(relative::JOB_UPDATES)
    }

    /// A worker job's fields (JSON fragments by field name, plus its `spec`), rendered into its document.
    pub fn job_fields(&self, id: &str) -> String {
        self.full(&relative::job_fields(id))
    }

    /// The ready queue of one kind: a sorted set of job ids scored `priority * 2^48 + sequence`, so the
    /// highest score is the next to run (priority 9 first, newest first within a priority).
    pub fn ready_queue(&self, kind: &str) -> String {
        self.full(&format!("queue:ready:{kind}"))
    }

    /// The kinds that have a ready queue or settings: a set of names.
    pub fn queue_kinds(&self) -> String {
        self.full("queue:kinds")
    }

    /// A kind's queue settings as the claim reads them: a hash of `paused` (`1` or `0`), `concurrency`
    /// and `rate` (empty for no limit).
    pub fn queue_settings(&self, kind: &str) -> String {
        self.full(&format!("queue:settings:{kind}"))
    }

    /// How many jobs of each kind are in each status: a hash by `kind|status`, of every job's
    /// (`owner` = `None`) or of one owner's.
    pub fn queue_counts(&self, owner: Option<&str>) -> String {
        match owner {
            None => self.full("queue:counts:all"),
            Some(owner) => self.full(&format!("queue:counts:of:{owner}")),
        }
    }

    /// A kind's queued jobs, scored by when they became queued (milliseconds).
    pub fn queued_since(&self, kind: &str) -> String {
        self.full(&format!("queue:queued:{kind}"))
    }

    /// A kind's runs finished in each of the last 60 seconds: slot `second % 60` → `second:count`.
    pub fn finished_runs(&self, kind: &str) -> String {
        self.full(&format!("queue:finished:{kind}"))
    }

    /// The jobs of a kind running now on any worker (control prefix): a set of ids.
    pub fn running(&self, kind: &str) -> String {
        self.full(&format!("running:{kind}"))
    }

    /// Jobs waiting for their time (scheduled, retrying): a sorted set by due time in milliseconds.
    pub fn delayed_jobs(&self) -> String {
        self.full(relative::DELAYED)
    }

    /// The channel on which the projector announces new work for waiting workers.
    pub fn work_announcements(&self) -> String {
        self.full(relative::WORK)
    }

    /// Every worker that ever claimed a job and has not been cleaned up.
    pub fn workers(&self) -> String {
        self.full("workers")
    }

    /// A worker's in-flight set: the ids of the jobs it has claimed and not yet reported.
    pub fn in_flight(&self, worker: &str) -> String {
        self.full(&format!("worker:{worker}:jobs"))
    }

    /// The in-flight list of a worker from before the set (queue Functions up to `_v5`), read only
    /// to rescue such a worker's jobs after an upgrade.
    pub fn legacy_in_flight(&self, worker: &str) -> String {
        self.full(&format!("worker:{worker}:inflight"))
    }

    /// A worker's heartbeat, which expires when the worker stops answering.
    pub fn heartbeat(&self, worker: &str) -> String {
        self.full(&format!("worker:{worker}:heartbeat"))
    }

    /// The index of a user's jobs: a sorted set of [`job_index_member`]s, ordered by time.
    pub fn jobs_of(&self, owner: &str) -> String {
        self.full(&relative::jobs_of(owner))
    }

    /// The index of every job, for the `admin` scope.
    pub fn all_jobs(&self) -> String {
        self.full(relative::ALL_JOBS)
    }

    /// A conversion's document.
    pub fn conversion(&self, id: &str) -> String {
        self.full(&relative::conversion(id))
    }

    /// A conversion's fields, including the hidden `owner` and `mp3` (`{ key, bytes, sha256 }`).
    pub fn conversion_fields(&self, id: &str) -> String {
        self.full(&relative::conversion_fields(id))
    }

    /// The index of a user's conversions, like [`Keys::jobs_of`].
    pub fn conversions_of(&self, owner: &str) -> String {
        self.full(&relative::conversions_of(owner))
    }

    /// A session's record (`{ userId, scopes, expiresAt }`), present while the session is open.
    pub fn session(&self, id: &str) -> String {
        self.full(&relative::session(id))
    }

    /// A user's document.
    pub fn user(&self, id: &str) -> String {
        self.full(&relative::user(id))
    }

    /// The hash of every game's settings, by game name.
    pub fn games(&self) -> String {
        self.full(relative::GAMES)
    }

    /// A board's ranking: a sorted set whose members sort in rank order.
    pub fn board_ranking(&self, board: &str) -> String {
        self.full(&format!("lb:{board}"))
    }

    /// A board's entries: player → `score|achievedMicros|achievedAt`.
    pub fn board_entries(&self, board: &str) -> String {
        self.full(&format!("lbe:{board}"))
    }

    /// A board's rendered top-100 document, served as stored.
    pub fn board_document(&self, board: &str) -> String {
        self.full(&format!("lbdoc:{board}"))
    }

    /// The index of a game's kept windows of one period and region (named by
    /// `boards::windows_index_id`): window keys scored by their start in seconds.
    pub fn board_windows(&self, index: &str) -> String {
        self.full(&relative::board_windows(index))
    }

    /// The regions that have a board of `game` (see [`relative::game_regions`]).
    pub fn game_regions(&self, game: &str) -> String {
        self.full(&relative::game_regions(game))
    }

    /// A meetup's document.
    pub fn meetup(&self, id: &str) -> String {
        self.full(&relative::meetup(id))
    }

    /// Every meetup: a sorted set of ids scored by creation time in milliseconds.
    pub fn all_meetups(&self) -> String {
        self.full(relative::ALL_MEETUPS)
    }

    /// The meetups a user joined: ids scored by the time they joined, in milliseconds.
    pub fn meetups_of(&self, user: &str) -> String {
        self.full(&relative::meetups_of(user))
    }

    /// A channel's document, members included.
    pub fn channel(&self, id: &str) -> String {
        self.full(&relative::channel(id))
    }

    /// A channel's members: a set of user ids.
    pub fn channel_members(&self, id: &str) -> String {
        self.full(&relative::channel_members(id))
    }

    /// Public channels: ids scored by creation time in milliseconds.
    pub fn public_channels(&self) -> String {
        self.full(relative::PUBLIC_CHANNELS)
    }

    /// The channels a user belongs to, public or private, scored like [`Keys::public_channels`].
    pub fn channels_of(&self, user: &str) -> String {
        self.full(&relative::channels_of(user))
    }

    /// A channel's messages: ids scored by posting time in microseconds.
    pub fn channel_messages(&self, id: &str) -> String {
        self.full(&relative::channel_messages(id))
    }

    /// A message's document.
    pub fn message(&self, id: &str) -> String {
        self.full(&relative::message(id))
    }
}

/// A job's member in the job indexes: its creation time in milliseconds, zero-padded so that text order
/// is time order, then its id. Members share one score, so pages are taken by text (`ZRANGE BYLEX`) and
/// a cursor is simply the last member a page showed.
pub fn job_index_member(created_millis: i64, id: &str) -> String {
    format!("{:015}:{id}", created_millis.max(0))
}
