//! The following loop: lead, then read, plan and apply batches until deposed or stopped.

use std::sync::Arc;
use std::time::{Duration, Instant};

use eventlog::{Checkpoint, EventLogReader, Leader, Leadership, Wakeups};
use fred::prelude::*;
use read_model::board_write::Landing;
use read_model::keys::relative;
use read_model::{GameBook, Op, PlanError};
use redis_store::store::{FORMAT, FunctionArgs};
use redis_store::{ApplyError, ProjectionStore};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use crate::Status;

/// How long to wait before trying again after Redis or Postgres failed.
const RETRY: Duration = Duration::from_millis(500);

/// How often the lag is measured while catching up.
const LAG_EVERY: Duration = Duration::from_secs(1);

pub(crate) struct Follower {
    pub reader: EventLogReader,
    pub leadership: Leadership,
    pub store: ProjectionStore,
    pub redis: Client,
    pub pool: PgPool,
    pub clock: domain::Clock,
    pub status: Arc<Status>,
    pub batch_size: i64,
    pub poll: Duration,
    /// After a partial batch, the next one starts no sooner than this after it (`projector.gather_ms`).
    pub gather: Duration,
}

/// A batch's operations, planned at `now`.
struct Planned {
    ops: Result<Vec<Op>, PlanError>,
    now: chrono::DateTime<chrono::Utc>,
}

impl Planned {
    fn of(batch: &[eventlog::LoggedEvent], games: &mut GameBook, clock: &domain::Clock) -> Self {
        let now = clock.now();
        Self { ops: crate::planning::plan(batch, games, now), now }
    }
}

/// A prepared batch waiting to be sent.
struct Ready {
    args: FunctionArgs,
    /// The checkpoint of its last event.
    last: Checkpoint,
    /// How many events it holds.
    events: usize,
}

/// Why following stopped.
enum Stop {
    Shutdown,
    Deposed,
    Restart,
}

impl Follower {
    /// Leads and follows until `shutdown`; after losing leadership, waits to lead again.
    pub async fn run(&self, shutdown: CancellationToken) {
        loop {
            let leader = tokio::select! {
                leader = self.leadership.acquire(RETRY) => leader,
                _ = shutdown.cancelled() => return,
            };
            tracing::info!(fencing_token = leader.fencing_token, "leading the projection");
            let stop = self.lead(leader, &shutdown).await;
            self.status.set_leading(false);
            match stop {
                Stop::Shutdown => return,
                Stop::Deposed => tracing::warn!("another projector took over; standing by"),
                Stop::Restart => tracing::info!("restarting from the stored checkpoint"),
            }
        }
    }

    async fn lead(&self, mut leader: Leader, shutdown: &CancellationToken) -> Stop {
        let fence = leader.fencing_token;
        let claimed = async {
            self.redis.wait_for_connect().await?;
            self.store.load_library().await?;
            self.store.claim_fence(fence).await
        };
        match claimed.await {
            Ok(true) => {}
            Ok(false) => return Stop::Deposed,
            Err(error) => {
                tracing::warn!(%error, "cannot reach Redis to start projecting");
                tokio::time::sleep(RETRY).await;
                return Stop::Restart;
            }
        }
        self.status.set_leading(true);
        let mut checkpoint = match self.resume(fence).await {
            Ok(checkpoint) => checkpoint,
            Err(stop) => return stop,
        };
        let mut games = match self.game_book().await {
            Ok(games) => games,
            Err(_) => return Stop::Restart,
        };
        let mut wakeups = Wakeups::new(self.pool.clone(), self.poll);
        let mut backoff = Backoff::default();
        let mut lag_measured = Instant::now() - LAG_EVERY;
        let mut prefetched = None;
        // A backlog's batch, prepared while the one before it was applied, and sent together with the
        // reads of the batch after it; with what it writes to boards, which those reads may not see.
        let mut ready: Option<(Ready, Landing)> = None;
        loop {
            if shutdown.is_cancelled() {
                return Stop::Shutdown;
            }
            let cycle = Instant::now();
            // Where the next batch starts: after the batch waiting to be sent, if any.
            let from = ready.as_ref().map_or(checkpoint, |(ready, _)| ready.last);
            let (read, planned) = match prefetched.take() {
                Some((batch, planned)) => (Ok(batch), Some(planned)),
                None => (self.reader.next_batch(from, self.batch_size).await, None),
            };
            let batch = match read {
                Ok(batch) => batch,
                Err(error) => {
                    tracing::warn!(%error, "cannot read the event log");
                    tokio::time::sleep(RETRY).await;
                    continue;
                }
            };
            if batch.is_empty()
                && let Some((waiting, _)) = ready.take()
            {
                match self.send(waiting).await {
                    Ok(last) => checkpoint = last,
                    Err(stop) => return stop,
                }
                continue;
            }
            if lag_measured.elapsed() >= LAG_EVERY || batch.is_empty() {
                if let Ok(lag) = self.reader.estimated_lag(checkpoint).await {
                    self.status.set_lag(lag);
                    if lag == 0 && self.finish_rebuild(fence, checkpoint).await.is_err() {
                        return Stop::Restart;
                    }
                }
                lag_measured = Instant::now();
            }
            let Some(last) = batch.last().map(|event| event.checkpoint) else {
                if !self.idle(&mut leader, &mut wakeups, &mut backoff, checkpoint, shutdown).await {
                    return Stop::Restart;
                }
                continue;
            };
            backoff.reset();
            let Planned { ops, now } =
                planned.unwrap_or_else(|| Planned::of(&batch, &mut games, &self.clock));
            let ops = match ops {
                Ok(ops) => ops,
                Err(error) => {
                    tracing::error!(%error, "an event cannot be projected; stopped until it can");
                    tokio::time::sleep(RETRY * 10).await;
                    return Stop::Restart;
                }
            };
            // A backlog keeps Redis, Postgres and this process busy at once: while Redis applies the
            // batch before this one, this batch's boards are read (the reads go first, and what the
            // batch before writes is taken from it) and its writes decided, and Postgres reads the next
            // batch, which is planned. (A failed apply ends the lead, and with it the game book the next
            // plan may have changed.)
            let full = batch.len() as i64 == self.batch_size;
            let games = &mut games;
            let (waiting, landing) = ready.take().unzip();
            let (prepared, sent, next) = tokio::join!(
                async {
                    let states = self.store.board_states(&ops, landing.as_ref()).await?;
                    Ok::<_, Error>(self.store.prepare(fence, Some(from), last, now, ops, states))
                },
                async { Some(self.send(waiting?).await) },
                async {
                    if !full {
                        return None;
                    }
                    let next = self.reader.next_batch(last, self.batch_size).await.ok()?;
                    let planned = Planned::of(&next, games, &self.clock);
                    Some((next, planned))
                }
            );
            match sent {
                Some(Ok(sent_last)) => checkpoint = sent_last,
                Some(Err(stop)) => return stop,
                None => {}
            }
            let prepared = match prepared {
                Ok(prepared) => prepared,
                Err(error) => {
                    tracing::warn!(%error, "cannot read the boards a batch updates");
                    tokio::time::sleep(RETRY).await;
                    return Stop::Restart;
                }
            };
            prefetched = next.filter(|(next, _)| !next.is_empty());
            let this = Ready { args: prepared.args, last, events: batch.len() };
            if prefetched.is_some() {
                ready = Some((this, prepared.landing));
                continue;
            }
            match self.send(this).await {
                Ok(sent_last) => checkpoint = sent_last,
                Err(stop) => return stop,
            }
            if !full {
                // Steady traffic: let the next few milliseconds' commits gather into one batch.
                let rest = self.gather.saturating_sub(cycle.elapsed());
                tokio::select! {
                    () = tokio::time::sleep(rest) => {}
                    () = shutdown.cancelled() => {}
                }
            }
        }
    }

    /// Applies a prepared batch; the checkpoint it moved to, or why following must stop.
    async fn send(&self, ready: Ready) -> Result<Checkpoint, Stop> {
        let started = Instant::now();
        match self.store.send(ready.args).await {
            Ok(()) => {
                metrics::counter!("projector_events_applied_total").increment(ready.events as u64);
                metrics::histogram!("projector_apply_seconds").record(started.elapsed().as_secs_f64());
                Ok(ready.last)
            }
            Err(ApplyError::Fenced) => Err(Stop::Deposed),
            Err(ApplyError::CheckpointMoved) => Err(Stop::Restart),
            Err(ApplyError::Redis(error)) => {
                // Whether the batch applied is unknown: the stored checkpoint says.
                tracing::warn!(%error, "applying a batch failed; re-reading the checkpoint");
                tokio::time::sleep(RETRY).await;
                Err(Stop::Restart)
            }
        }
    }

    /// The stored checkpoint, or, when Redis has none, a fresh start from the beginning of the log.
    async fn resume(&self, fence: i64) -> Result<Checkpoint, Stop> {
        let stored = async { Ok::<_, Error>((self.store.checkpoint().await?, self.store.format().await?)) };
        match stored.await {
            Ok((Some(checkpoint), Some(format))) if format == FORMAT => Ok(checkpoint),
            Ok((checkpoint, format)) => {
                if checkpoint.is_some() {
                    tracing::info!(
                        ?format,
                        "the documents have an older layout: rebuilding them from the log"
                    );
                } else {
                    tracing::info!("no checkpoint in Redis: rebuilding from the start of the log");
                }
                metrics::counter!("projector_rebuilds_total").increment(1);
                self.status.set_rebuilding(true);
                // Neither a checkpoint nor a layout key: nothing was ever projected under this prefix (a
                // clear deletes the layout key last), so nothing to clear, and no scan of a keyspace
                // that others may fill. A checkpoint without a layout key is an old layout: cleared.
                if checkpoint.is_some() || format.is_some() {
                    let cleared = self.store.clear().await.map_err(|_| Stop::Restart)?;
                    tracing::info!(cleared, "cleared the old documents");
                }
                let mark = vec![
                    Op::Set { key: relative::REBUILDING.to_owned(), value: "1".to_owned() },
                    Op::Set { key: relative::FORMAT.to_owned(), value: FORMAT.to_owned() },
                ];
                match self.store.apply(fence, None, Checkpoint::START, self.clock.now(), mark).await {
                    Ok(()) => Ok(Checkpoint::START),
                    Err(ApplyError::Fenced) => Err(Stop::Deposed),
                    Err(_) => Err(Stop::Restart),
                }
            }
            Err(error) => {
                tracing::warn!(%error, "cannot read the checkpoint");
                tokio::time::sleep(RETRY).await;
                Err(Stop::Restart)
            }
        }
    }

    async fn finish_rebuild(&self, fence: i64, checkpoint: Checkpoint) -> Result<(), ApplyError> {
        let rebuilding: i64 = self.redis.exists(self.store.keys().rebuilding()).await?;
        if rebuilding == 1 {
            let done = vec![Op::Del { key: relative::REBUILDING.to_owned() }];
            self.store.apply(fence, Some(checkpoint), checkpoint, self.clock.now(), done).await?;
            tracing::info!("rebuild finished");
        }
        self.status.set_rebuilding(false);
        Ok(())
    }

    async fn game_book(&self) -> Result<GameBook, Error> {
        let stored: std::collections::HashMap<String, String> =
            self.redis.hgetall(self.store.keys().games()).await?;
        Ok(stored
            .into_iter()
            .filter_map(|(game, json)| {
                Some((domain::names::GameName::parse(&game).ok()?, serde_json::from_str(&json).ok()?))
            })
            .collect())
    }

    /// Waits for new events. Returns `false` when the projection must restart: leadership lost, or the
    /// stored checkpoint changed underneath (a rebuild was asked for).
    async fn idle(
        &self,
        leader: &mut Leader,
        wakeups: &mut Wakeups,
        backoff: &mut Backoff,
        checkpoint: Checkpoint,
        shutdown: &CancellationToken,
    ) -> bool {
        if let Some(pause) = backoff.next() {
            // A notification arrived but its transaction is still held back by an older open one.
            tokio::time::sleep(pause).await;
            return true;
        }
        if !leader.still_leads().await {
            return false;
        }
        if !matches!(self.store.checkpoint::<Checkpoint>().await, Ok(Some(stored)) if stored == checkpoint) {
            return false;
        }
        tokio::select! {
            notified = wakeups.wait() => if notified { backoff.start() },
            _ = shutdown.cancelled() => {}
        }
        true
    }
}

/// Short pauses after a notification whose events are not readable yet, since no further
/// notification may come for them.
#[derive(Default)]
struct Backoff {
    next: Option<Duration>,
}

impl Backoff {
    const FIRST: Duration = Duration::from_millis(2);
    const LAST: Duration = Duration::from_millis(500);

    fn start(&mut self) {
        self.next = Some(Self::FIRST);
    }

    fn reset(&mut self) {
        self.next = None;
    }

    fn next(&mut self) -> Option<Duration> {
        let pause = self.next?;
        self.next = (pause < Self::LAST).then(|| pause * 2);
        Some(pause)
    }
}
