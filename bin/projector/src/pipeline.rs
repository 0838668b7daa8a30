//! The projector's pipeline, stage by stage. The follower reads a batch and, while the batch before it
//! is handled, reads and plans the next one (`read`, `plan`, `prefetch`); here, a batch's boards are
//! read and its Function call prepared while the batch before it is applied (`read_boards`, `send`).
//! So a backlog keeps Redis, Postgres and this process busy at once.

use std::time::Instant;

use chrono::{DateTime, Utc};
use eventlog::{Checkpoint, Interrupt, LoggedEvent};
use read_model::board_write::Landing;
use read_model::{GameBook, Op, PlanError};
use redis_store::store::{FunctionArgs, PreparedBatch};
use redis_store::{ApplyError, ProjectionStore};

/// What planning keeps from batch to batch: the games' settings, and the clock.
pub(crate) struct Planner {
    pub games: GameBook,
    pub clock: domain::Clock,
}

/// A batch's operations, planned at `now`.
pub(crate) struct Planned {
    ops: Result<Vec<Op>, PlanError>,
    now: DateTime<Utc>,
}

/// A prepared batch waiting to be sent.
struct Ready {
    args: FunctionArgs,
    /// The checkpoint of its last event.
    last: Checkpoint,
    /// How many events it holds.
    events: usize,
}

/// Batches between planning and Redis, at most one of them in flight.
pub(crate) struct Pipeline {
    store: ProjectionStore,
    fence: i64,
    /// The batch prepared last, not sent yet; with what it writes to boards, which reads sent before
    /// it lands may not see.
    in_flight: Option<(Ready, Landing)>,
}

/// Stage `plan`: a batch's operations, on the CPU only.
pub(crate) fn plan(planner: &mut Planner, batch: &[LoggedEvent]) -> Planned {
    let now = planner.clock.now();
    Planned { ops: crate::planning::plan(batch, &mut planner.games, now), now }
}

impl Pipeline {
    /// An empty pipeline writing with `fence`.
    pub(crate) fn new(store: ProjectionStore, fence: i64) -> Self {
        Self { store, fence, in_flight: None }
    }

    /// Prepares `batch` (which follows `after`) while the batch in flight is sent; `batch` is then in
    /// flight. The checkpoint the sent batch moved to, if one was sent.
    pub(crate) async fn push(
        &mut self,
        after: Checkpoint,
        batch: &[LoggedEvent],
        planned: Planned,
    ) -> Result<Option<Checkpoint>, Interrupt<anyhow::Error>> {
        let ops = match planned.ops {
            Ok(ops) => ops,
            Err(error) => {
                tracing::error!(%error, "an event cannot be projected; stopped until it can");
                tokio::time::sleep(crate::projection::RETRY * 10).await;
                return Err(Interrupt::Resume);
            }
        };
        let last = batch.last().expect("a batch holds events").checkpoint;
        let (waiting, landing) = self.in_flight.take().unzip();
        // The reads go first: what the batch before writes is taken from its landing.
        let (prepared, sent) =
            tokio::join!(self.read_boards(Some(after), last, planned.now, ops, landing.as_ref()), async {
                match waiting {
                    Some(waiting) => self.send(waiting).await.map(Some),
                    None => Ok(None),
                }
            });
        let sent = sent?;
        let prepared = prepared.map_err(|error| {
            Interrupt::Failed(anyhow::Error::new(error).context("reading the boards a batch updates"))
        })?;
        let PreparedBatch { args, landing } = prepared;
        self.in_flight = Some((Ready { args, last, events: batch.len() }, landing));
        Ok(sent)
    }

    /// Sends the batch in flight, if any: the checkpoint it moved to.
    pub(crate) async fn flush(&mut self) -> Result<Option<Checkpoint>, Interrupt<anyhow::Error>> {
        match self.in_flight.take() {
            Some((ready, _)) => self.send(ready).await.map(Some),
            None => Ok(None),
        }
    }

    /// Stage `read_boards`: what the boards and jobs of `ops` store, then the Function call moving the
    /// checkpoint from `from` to `to`.
    async fn read_boards(
        &self,
        from: Option<Checkpoint>,
        to: Checkpoint,
        now: DateTime<Utc>,
        ops: Vec<Op>,
        landing: Option<&Landing>,
    ) -> Result<PreparedBatch, fred::error::Error> {
        let stored = self.store.stored(&ops, landing).await?;
        Ok(self.store.prepare(self.fence, from, to, now, ops, stored))
    }

    /// Stage `send`: applies a prepared batch; the checkpoint it moved to.
    async fn send(&self, batch: Ready) -> Result<Checkpoint, Interrupt<anyhow::Error>> {
        let started = Instant::now();
        self.store.send(batch.args).await.map_err(interrupted)?;
        metrics::counter!("projector_events_applied_total").increment(batch.events as u64);
        metrics::histogram!("projector_apply_seconds").record(started.elapsed().as_secs_f64());
        Ok(batch.last)
    }
}

/// What a failed apply means for following.
pub(crate) fn interrupted(error: ApplyError) -> Interrupt<anyhow::Error> {
    match error {
        ApplyError::Fenced => Interrupt::Deposed,
        ApplyError::CheckpointMoved => Interrupt::Resume,
        // Whether the batch applied is unknown: the stored checkpoint says.
        ApplyError::Redis(error) => Interrupt::Failed(anyhow::Error::new(error).context("applying a batch")),
    }
}
