//! The projector as a reader of the log: a [`Consumer`] that the event log's follower leads, one per
//! generation of the documents. Its checkpoint lives in Redis beside the generation's documents and
//! moves with them in one fenced Function call, so every batch applies exactly once.

use std::sync::Arc;
use std::time::Duration;

use eventlog::{Checkpoint, Consumer, Interrupt, Lag, LoggedEvent};
use fred::prelude::Client;
use redis_store::ProjectionStore;

use crate::Status;
use crate::pipeline::{self, Pipeline, Planned, Planner, interrupted};

/// How long to wait before trying again after Redis or Postgres failed.
pub(crate) const RETRY: Duration = Duration::from_millis(500);

/// Keeps one generation of the Redis documents.
pub(crate) struct Projection {
    pub(crate) store: ProjectionStore,
    pub(crate) redis: Client,
    pub(crate) clock: domain::Clock,
    pub(crate) status: Arc<Status>,
    /// The fencing token of the current lead.
    pub(crate) fence: i64,
    pipeline: Pipeline,
}

impl Projection {
    /// A projection into `store`'s generation, not leading yet.
    pub(crate) fn new(
        store: ProjectionStore,
        redis: Client,
        clock: domain::Clock,
        status: Arc<Status>,
    ) -> Self {
        let pipeline = Pipeline::new(store.clone(), 0);
        Self { store, redis, clock, status, fence: 0, pipeline }
    }
}

impl Consumer for Projection {
    type Planner = Planner;
    type Planned = Planned;
    type Error = anyhow::Error;

    async fn resume(
        &mut self,
        fencing_token: i64,
    ) -> Result<(Checkpoint, Planner), Interrupt<anyhow::Error>> {
        self.fence = fencing_token;
        self.pipeline = Pipeline::new(self.store.clone(), fencing_token);
        self.claim_fence().await?;
        let checkpoint = self.stored_checkpoint().await?;
        let games = self.game_book().await.map_err(|error| {
            Interrupt::Failed(anyhow::Error::new(error).context("reading the games' settings"))
        })?;
        Ok((checkpoint, Planner { games, clock: self.clock.clone() }))
    }

    fn plan(planner: &mut Planner, batch: &[LoggedEvent]) -> Planned {
        pipeline::plan(planner, batch)
    }

    async fn handle(
        &mut self,
        after: Checkpoint,
        batch: &[LoggedEvent],
        planned: Planned,
    ) -> Result<Option<Checkpoint>, Interrupt<anyhow::Error>> {
        self.pipeline.push(after, batch, planned).await
    }

    async fn flush(&mut self) -> Result<Option<Checkpoint>, Interrupt<anyhow::Error>> {
        self.pipeline.flush().await
    }

    /// A checkpoint moved by someone else (Redis lost it, another leader) is noticed here.
    async fn check_idle(&mut self, checkpoint: Checkpoint) -> Result<(), Interrupt<anyhow::Error>> {
        match self.store.checkpoint::<Checkpoint>().await {
            Ok(Some(stored)) if stored == checkpoint => Ok(()),
            _ => Err(Interrupt::Resume),
        }
    }

    /// At the head of the log, a generation being built is finished and becomes the current one.
    async fn measured_lag(
        &mut self,
        lag: Lag,
        checkpoint: Checkpoint,
    ) -> Result<(), Interrupt<anyhow::Error>> {
        self.status.set_lag(self.store.generation(), lag);
        if lag.events == 0 {
            self.finish_rebuild(checkpoint).await.map_err(interrupted)?;
        }
        Ok(())
    }

    fn set_leading(&self, leading: bool) {
        self.status.set_leading(self.store.generation(), leading);
    }
}
