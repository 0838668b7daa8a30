//! The states of the contexts beside identity: scores, jobs, conversions, meetups.

use std::collections::HashSet;
use std::sync::{Arc, RwLock};

use domain::conversions::Conversion;
use domain::identity::User;
use domain::jobs::{Job, Queue};
use domain::meetups::{Channel, Meetup, Membership, Message};
use domain::names::GameName;
use domain::scores::{Game, LeaderboardRefresh, ScoreSubmission};
use eventlog::{CommandBatcher, EventStore};

use super::Shared;

/// What games, score submissions and refresh requests use.
#[derive(Clone)]
pub struct ScoresState {
    /// Games.
    pub games: EventStore<Game>,
    /// One aggregate per submitted score; concurrent submissions share an INSERT.
    pub submissions: CommandBatcher<ScoreSubmission>,
    /// Leaderboard refresh requests.
    pub refreshes: EventStore<LeaderboardRefresh>,
    /// How far `achievedAt` may lie ahead of the clock.
    pub clock_skew: chrono::Duration,
    /// The webhook kind, whose allow-list decides which `onWindowClose` URLs may be called.
    pub webhook: job_kinds::Webhook,
    /// Games this process has seen accept a score: their ranking is frozen, so later scores need not
    /// touch the game's aggregate again (a set that only grows, so it cannot go stale).
    pub scoring_games: Arc<RwLock<HashSet<GameName>>>,
    /// What every context uses.
    pub shared: Shared,
}

/// What queueing and cancelling jobs use.
#[derive(Clone)]
pub struct JobsState {
    /// Jobs queued for the worker.
    pub jobs: EventStore<Job>,
    /// New jobs; concurrent ones share an INSERT.
    pub new_jobs: CommandBatcher<Job>,
    /// The kinds of job the worker runs.
    pub job_kinds: Arc<job_kinds::Registry>,
    /// The kinds' queue controls.
    pub queues: EventStore<Queue>,
    /// The longest job message accepted, in characters.
    pub max_job_message_chars: usize,
    /// The largest body of a batch of jobs, in bytes.
    pub max_batch_body_bytes: usize,
    /// What every context uses.
    pub shared: Shared,
}

/// What video uploads use.
#[derive(Clone)]
pub struct ConversionsState {
    /// Video conversions.
    pub conversions: EventStore<Conversion>,
    /// Users, for the e-mail the MP3's notice goes to.
    pub users: EventStore<User>,
    /// Where uploads are stored.
    pub blobs: blobs::Blobs,
    /// The largest video accepted, in bytes.
    pub max_upload_bytes: u64,
    /// What every context uses.
    pub shared: Shared,
}

/// What meetups, channels and messages use.
#[derive(Clone)]
pub struct MeetupsState {
    /// Meetup events.
    pub meetups: EventStore<Meetup>,
    /// Who joined which meetup.
    pub memberships: EventStore<Membership>,
    /// Chat channels.
    pub channels: EventStore<Channel>,
    /// Chat messages.
    pub messages: EventStore<Message>,
    /// Chat messages one user may post per minute.
    pub messages_per_minute: u32,
    /// What every context uses.
    pub shared: Shared,
}
