//! One lead: from the stored checkpoint on, batch after batch, until something interrupts it.
//!
//! A backlog keeps Postgres, the consumer and this process busy at once: while the consumer handles
//! a full batch, the next one is read and planned. A partial batch is handled alone, and the next
//! read waits a moment for more commits to gather.

use std::time::{Duration, Instant};

use backoff::{Backoff, pause_unless_stopped};
use tokio_util::sync::CancellationToken;

use super::{Consumer, Follower, Interrupt, still_leads};
use crate::{Checkpoint, EventLogReader, Leader, LoggedEvent, Wakeups};

/// How often the lag is measured while catching up.
const LAG_EVERY: Duration = Duration::from_secs(1);

/// After a notification whose events are not readable yet (an older open transaction holds them
/// back), no further notification may come for them: short pauses, from the first to the last.
const HELD_BACK_FIRST: Duration = Duration::from_millis(2);
const HELD_BACK_LAST: Duration = Duration::from_millis(500);

/// A batch read from the log, and planned; never empty.
struct Batch<P> {
    events: Vec<LoggedEvent>,
    planned: P,
}

/// A lead in progress.
pub(super) struct Lead<'a, C: Consumer> {
    follower: &'a mut Follower,
    leader: &'a mut Leader,
    consumer: &'a mut C,
    shutdown: &'a CancellationToken,
    /// Where the next read starts: after the last batch handed to the consumer.
    read: Checkpoint,
    /// Up to where the consumer has durably handled the log.
    handled: Checkpoint,
    wakeups: Wakeups,
    /// Set while pausing after a notification whose events were not readable yet.
    held_back: Option<Backoff>,
    lag_measured: Option<Instant>,
}

impl<'a, C: Consumer> Lead<'a, C> {
    pub(super) fn new(
        follower: &'a mut Follower,
        leader: &'a mut Leader,
        consumer: &'a mut C,
        shutdown: &'a CancellationToken,
    ) -> Self {
        let wakeups = Wakeups::new(follower.pool.clone(), follower.settings.poll);
        let (read, handled) = (Checkpoint::START, Checkpoint::START);
        Self {
            follower,
            leader,
            consumer,
            shutdown,
            read,
            handled,
            wakeups,
            held_back: None,
            lag_measured: None,
        }
    }

    /// Resumes, then reads and hands over batches: the interrupt that ended it, `None` at shutdown.
    pub(super) async fn run(mut self) -> Option<Interrupt<C::Error>> {
        self.follow().await.err()
    }

    /// `Ok` at shutdown.
    async fn follow(&mut self) -> Result<(), Interrupt<C::Error>> {
        let (checkpoint, mut planner) = self.consumer.resume(self.leader.fencing_token).await?;
        (self.read, self.handled) = (checkpoint, checkpoint);
        self.follower.handled = Some(checkpoint);
        self.consumer.set_leading(true);
        tracing::info!(%checkpoint, "following the log from the stored checkpoint");
        let mut prefetched = None;
        while !self.shutdown.is_cancelled() {
            let cycle = Instant::now();
            let batch = match prefetched.take() {
                Some(batch) => Some(batch),
                None => self.read_and_plan(&mut planner).await?,
            };
            match batch {
                Some(batch) => prefetched = self.handle(batch, &mut planner, cycle).await?,
                None => self.idle().await?,
            }
        }
        Ok(())
    }

    /// The batch after the last one read, planned; `None` when nothing is readable yet.
    async fn read_and_plan(
        &mut self,
        planner: &mut C::Planner,
    ) -> Result<Option<Batch<C::Planned>>, Interrupt<C::Error>> {
        let size = self.follower.settings.batch_size;
        let events = self.follower.reader.next_batch(self.read, size).await;
        let events = events.map_err(|error| Interrupt::Failed(error.into()))?;
        Ok(plan::<C>(events, planner))
    }

    /// Hands `batch` to the consumer while reading and planning the next one when this one is full:
    /// the next batch, if one was read.
    async fn handle(
        &mut self,
        batch: Batch<C::Planned>,
        planner: &mut C::Planner,
        cycle: Instant,
    ) -> Result<Option<Batch<C::Planned>>, Interrupt<C::Error>> {
        self.held_back = None;
        self.measure_lag_if_due(false).await?;
        let Batch { events, planned } = batch;
        let last = events.last().expect("a batch holds events").checkpoint;
        let size = self.follower.settings.batch_size;
        let full = events.len() as i64 == size;
        let (after, reader) = (self.read, &self.follower.reader);
        let (handled, next) = tokio::join!(self.consumer.handle(after, &events, planned), async {
            if full { prefetch::<C>(reader, last, size, planner).await } else { None }
        });
        self.read = last;
        self.handled_up_to(handled?);
        if next.is_none() {
            let flushed = self.consumer.flush().await?;
            self.handled_up_to(flushed);
        }
        if !full {
            let rest = self.follower.settings.gather.saturating_sub(cycle.elapsed());
            pause_unless_stopped(rest, self.shutdown).await;
        }
        Ok(next)
    }

    /// Nothing to read: waits for a notification (or the poll), after checking that this process
    /// still leads and that the consumer may go on, so a quiet log does not hide either failure.
    async fn idle(&mut self) -> Result<(), Interrupt<C::Error>> {
        let flushed = self.consumer.flush().await?;
        self.handled_up_to(flushed);
        self.measure_lag_if_due(true).await?;
        if let Some(held_back) = &mut self.held_back {
            let pause = held_back.advance();
            if pause >= HELD_BACK_LAST {
                self.held_back = None;
            }
            pause_unless_stopped(pause, self.shutdown).await;
            return Ok(());
        }
        if !still_leads(self.leader).await {
            return Err(Interrupt::Deposed);
        }
        self.consumer.connected().map_err(Interrupt::Disconnected)?;
        self.consumer.check_idle(self.handled).await?;
        tokio::select! {
            notified = self.wakeups.wait() => if notified {
                self.held_back = Some(Backoff::new(HELD_BACK_FIRST, HELD_BACK_LAST));
            },
            () = self.shutdown.cancelled() => {}
        }
        Ok(())
    }

    /// Measures the lag from the checkpoint durably handled, when a second has passed since it was last
    /// measured or the log is quiet.
    async fn measure_lag_if_due(&mut self, quiet: bool) -> Result<(), Interrupt<C::Error>> {
        if !quiet && self.lag_measured.is_some_and(|measured| measured.elapsed() < LAG_EVERY) {
            return Ok(());
        }
        match self.follower.reader.measure_lag(self.handled).await {
            Ok(lag) => self.consumer.measured_lag(lag, self.handled).await?,
            Err(error) => tracing::debug!(%error, "cannot measure the lag"),
        }
        self.lag_measured = Some(Instant::now());
        Ok(())
    }

    /// The consumer has durably handled the log up to `checkpoint`, if given: progress, so the next
    /// failure waits the first pause again.
    fn handled_up_to(&mut self, checkpoint: Option<Checkpoint>) {
        if let Some(checkpoint) = checkpoint {
            self.handled = checkpoint;
            self.follower.handled = Some(checkpoint);
            self.follower.settings.retry.reset();
        }
    }
}

/// The batch after `after`, planned; `None` when it is empty or cannot be read (the next cycle reads
/// it again).
async fn prefetch<C: Consumer>(
    reader: &EventLogReader,
    after: Checkpoint,
    size: i64,
    planner: &mut C::Planner,
) -> Option<Batch<C::Planned>> {
    plan::<C>(reader.next_batch(after, size).await.ok()?, planner)
}

/// `events` planned, unless there are none.
fn plan<C: Consumer>(events: Vec<LoggedEvent>, planner: &mut C::Planner) -> Option<Batch<C::Planned>> {
    if events.is_empty() {
        return None;
    }
    let planned = C::plan(planner, &events);
    Some(Batch { events, planned })
}
