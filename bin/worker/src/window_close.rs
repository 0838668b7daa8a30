//! Callbacks when a window closes: every `worker.window_close_check_ms`, the worker looks for day,
//! week and month windows of games with `onWindowClose` that closed by its clock, and queues each
//! closed board's `webhook` job, owned by whoever set the callback.
//!
//! Every worker checks, and a restarted one checks again: each board's job has one id
//! ([`ClosedBoard::callback_job_id`]), so the log keeps the first `JobQueued` and refuses the others.
//! The job carries the board's top entries as read when it is queued, once the projector has caught
//! up with the log, so every attempt posts the same body and the log holds what was sent.

mod configurations;

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, SubsecRound, Utc};
use domain::jobs::{Job, JobCommand, JobRefusal};
use domain::names::RegionName;
use domain::scores::window_close::{ClosedBoard, Subscription};
use eventlog::{Checkpoint, CommandError, EventLogReader, EventStore, Metadata};
use fred::prelude::*;
use read_model::Keys;
use read_model::boards::{Board, timestamp};
use redis_store::boards::BoardReader;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// How long a check waits for the projector to reach the log's head before leaving the new closes
/// to the next check.
const CATCH_UP_WAIT: Duration = Duration::from_secs(5);

/// Finds closed windows owed a callback and queues their jobs.
pub struct WindowCloseChecker {
    pool: PgPool,
    jobs: EventStore<Job>,
    log: EventLogReader,
    redis: Client,
    /// The key prefix, whose current generation of the documents is read.
    control: Keys,
    clock: domain::Clock,
    /// Callback jobs known to be in the log, so their ids are not looked up again: only a shortcut,
    /// the log decides (a new checker starts empty and finds them there).
    queued: Mutex<HashSet<Uuid>>,
}

/// What one check did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct CheckReport {
    /// Callback jobs this check queued.
    pub queued: usize,
    /// Callback jobs owed but found queued already (by an earlier check, another worker, a restart).
    pub already_queued: usize,
    /// Callback jobs owed but left for a later check, because the projector had not caught up.
    pub postponed: usize,
}

impl WindowCloseChecker {
    /// A checker over the settings' event log and Redis (connected lazily), telling the time by `clock`.
    pub fn build(settings: &settings::Settings, clock: domain::Clock) -> anyhow::Result<Self> {
        let pool = eventlog::connect(&settings.database, "worker")?;
        let redis = redis_store::client(&settings.redis, redis_store::Resend::Allowed)?;
        redis_store::start(&redis);
        Ok(Self {
            jobs: EventStore::new(pool.clone()),
            log: EventLogReader::new(pool.clone()),
            pool,
            redis,
            control: Keys::new(settings.redis.key_prefix.clone()),
            clock,
            queued: Mutex::default(),
        })
    }

    /// Checks every `every` until `shutdown`; a failed check is logged and the next one tries again.
    pub async fn check_every(self, every: Duration, shutdown: CancellationToken) {
        loop {
            match self.check().await {
                Ok(report) if report == CheckReport::default() => {}
                Ok(report) => tracing::info!(?report, "window-close callbacks checked"),
                Err(error) => tracing::warn!(error = format!("{error:#}"), "window-close check failed"),
            }
            tokio::select! {
                () = tokio::time::sleep(every) => {}
                () = shutdown.cancelled() => return,
            }
        }
    }

    /// Queues the callback job of every closed board that is owed one and has none yet.
    pub async fn check(&self) -> anyhow::Result<CheckReport> {
        let now = self.clock.now().trunc_subsecs(6);
        let subscriptions = configurations::subscriptions(&self.pool).await?;
        // One generation of the documents for the whole check (none yet: nothing to read, try later).
        let Some(generation) = redis_store::generations::current(&self.redis, &self.control).await? else {
            return Ok(CheckReport::default());
        };
        let keys = self.control.generation(generation);
        let mut owed = Vec::new();
        for subscription in &subscriptions {
            for board in self.closed_boards(&keys, subscription, now).await? {
                owed.push((subscription, board.callback_job_id(), board));
            }
        }
        let mut report = CheckReport::default();
        let known = self.known_queued(owed.iter().map(|(_, id, _)| *id).collect()).await?;
        owed.retain(|(_, id, _)| !known.contains(id));
        report.already_queued = known.len();
        if owed.is_empty() {
            return Ok(report);
        }
        if !self.projector_caught_up(&keys).await? {
            report.postponed = owed.len();
            return Ok(report);
        }
        for (subscription, id, board) in owed {
            match self.queue((generation, &keys), subscription, id, &board, now).await? {
                true => report.queued += 1,
                false => report.already_queued += 1,
            }
        }
        Ok(report)
    }

    /// Queues `board`'s callback job as job `id`, with its top entries now (read from `generation`, still
    /// current once they are read); `false` when the log holds
    /// that job already (another checker was first).
    async fn queue(
        &self,
        (generation, keys): (u64, &Keys),
        subscription: &Subscription,
        id: Uuid,
        board: &ClosedBoard,
        now: DateTime<Utc>,
    ) -> anyhow::Result<bool> {
        let entries = self.top_entries(keys, board, subscription.callback.top.get(), now).await?;
        // A switch meanwhile may have deleted what was read: the next check reads the new generation.
        if redis_store::generations::current(&self.redis, &self.control).await? != Some(generation) {
            anyhow::bail!("the documents moved to another generation while the standings were read");
        }
        let spec = board.callback_job(subscription, entries);
        let metadata = Metadata::from([
            ("job_id".to_owned(), id.to_string()),
            ("user_id".to_owned(), spec.owner.clone()),
        ]);
        let queued =
            match self.jobs.create(&id.to_string(), JobCommand::Queue { spec, at: now }, &metadata).await {
                Ok(()) => true,
                Err(CommandError::Rejected(JobRefusal::AlreadyQueued { .. })) => false,
                Err(error) => return Err(error).context("queueing a window-close callback"),
            };
        self.remember(id);
        Ok(queued)
    }

    /// The boards of `subscription`'s closed windows: each window's global board, and each region's
    /// board that holds a score.
    async fn closed_boards(
        &self,
        keys: &Keys,
        subscription: &Subscription,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Vec<ClosedBoard>> {
        let game = &subscription.game;
        let regions: Vec<String> = self.redis.smembers(keys.game_regions(game.as_str())).await?;
        let regions: Vec<RegionName> =
            regions.iter().filter_map(|region| RegionName::parse(region).ok()).collect();
        let mut boards = Vec::new();
        let mut regional = Vec::new();
        for (period, window) in subscription.closed_windows(now) {
            let board = |region| ClosedBoard { game: game.clone(), period, window, region };
            boards.push(board(None));
            regional.extend(regions.iter().map(|region| board(Some(region.clone()))));
        }
        let ids: Vec<String> = regional.iter().map(|closed| board_of(closed).id()).collect();
        let totals = BoardReader::new(&self.redis, keys).totals(&ids).await?;
        boards
            .extend(regional.into_iter().zip(totals).filter(|(_, total)| *total > 0).map(|(board, _)| board));
        Ok(boards)
    }

    /// Which of `ids` (every id owed now) are callback jobs the log already holds. Only those stay
    /// remembered: a window no longer kept is owed nothing, so what is remembered stays small.
    async fn known_queued(&self, ids: Vec<Uuid>) -> anyhow::Result<HashSet<Uuid>> {
        let (mut known, unknown): (HashSet<Uuid>, Vec<String>) = {
            let remembered = self.queued.lock().map_err(|_| anyhow::anyhow!("a check panicked"))?;
            let known = ids.iter().filter(|id| remembered.contains(id)).copied().collect();
            (known, ids.iter().filter(|id| !remembered.contains(id)).map(Uuid::to_string).collect())
        };
        for id in configurations::existing_jobs(&self.pool, &unknown).await? {
            known.extend(id.parse::<Uuid>());
        }
        if let Ok(mut remembered) = self.queued.lock() {
            remembered.clone_from(&known);
        }
        Ok(known)
    }

    fn remember(&self, id: Uuid) {
        if let Ok(mut queued) = self.queued.lock() {
            queued.insert(id);
        }
    }

    /// Whether the projector has passed every event committed so far, waiting a little for it: the
    /// boards then hold every score accepted before the windows closed.
    async fn projector_caught_up(&self, keys: &Keys) -> anyhow::Result<bool> {
        let head = self.log.head().await.context("reading the head of the log")?;
        let deadline = tokio::time::Instant::now() + CATCH_UP_WAIT;
        loop {
            let stored: Option<String> = self.redis.get(keys.checkpoint()).await?;
            if stored
                .and_then(|checkpoint| checkpoint.parse::<Checkpoint>().ok())
                .is_some_and(|at| at >= head)
            {
                return Ok(true);
            }
            if tokio::time::Instant::now() >= deadline {
                return Ok(false);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The top `top` entries of a closed board, as its documents list them.
    async fn top_entries(
        &self,
        keys: &Keys,
        closed: &ClosedBoard,
        top: u16,
        now: DateTime<Utc>,
    ) -> anyhow::Result<serde_json::Value> {
        let page = BoardReader::new(&self.redis, keys)
            .page(&board_of(closed), &timestamp(now), 0, usize::from(top))
            .await
            .context("reading a closed board's top entries")?;
        let mut document: serde_json::Value =
            serde_json::from_slice(&page).context("a closed board's page is not JSON")?;
        Ok(document["entries"].take())
    }
}

/// The read model's board of a closed board.
fn board_of(closed: &ClosedBoard) -> Board {
    Board::of_window(&closed.game, closed.period, closed.window, closed.region.as_ref())
}
