//! Taking over a generation's projection: claim its fencing token in Redis, then resume from its stored
//! checkpoint, or fill it from the beginning of the log when it has none (a new generation, or one that
//! Redis lost); at the head of the log, a generation being built becomes the current one.

use eventlog::{Checkpoint, Interrupt};
use fred::prelude::*;
use read_model::keys::relative;
use read_model::{GameBook, Op};
use redis_store::store::FORMAT;
use redis_store::{ApplyError, Switch};

use crate::pipeline::interrupted;
use crate::projection::Projection;

impl Projection {
    /// Makes this lead's fencing token the one Redis accepts writes from.
    pub(crate) async fn claim_fence(&self) -> Result<(), Interrupt<anyhow::Error>> {
        // No `wait_for_connect` first: fred 10 reads the client's state, then subscribes to the next
        // connection's announcement, so a connection made in between is never announced and the wait
        // never ends (the restarted projector that stalled in the crash test). The commands wait for
        // the connection themselves, within the command timeout, and a timeout is retried.
        let claimed = async {
            self.store.load_library().await?;
            self.store.claim_fence(self.fence).await
        };
        match claimed.await {
            Ok(true) => Ok(()),
            Ok(false) => Err(Interrupt::Deposed),
            Err(error) => Err(failed(error, "cannot reach Redis to start projecting")),
        }
    }

    /// The stored checkpoint, or, when the generation holds none of this layout, a fresh start from the
    /// beginning of the log.
    pub(crate) async fn stored_checkpoint(&self) -> Result<Checkpoint, Interrupt<anyhow::Error>> {
        let stored = async { Ok::<_, Error>((self.store.checkpoint().await?, self.store.format().await?)) };
        match stored.await.map_err(|error| failed(error, "cannot read the checkpoint"))? {
            (Some(checkpoint), Some(format)) if format == FORMAT => Ok(checkpoint),
            // Another release's layout, written after this process chose to follow the generation: not
            // this process's to clear. It stops leading it (and the supervisor no longer follows it).
            (_, Some(format)) if format != FORMAT => Err(Interrupt::Deposed),
            (checkpoint, format) => {
                let generation = self.store.generation();
                tracing::info!(generation, "filling a generation of the documents from the start of the log");
                self.start_rebuild(checkpoint.is_some() || format.is_some()).await?;
                Ok(Checkpoint::START)
            }
        }
    }

    /// Marks the generation as being filled from the start, clearing what it held first.
    async fn start_rebuild(&self, projected_before: bool) -> Result<(), Interrupt<anyhow::Error>> {
        metrics::counter!("projector_rebuilds_total").increment(1);
        // Neither a checkpoint nor a layout key: nothing was ever projected into this generation, so
        // nothing to clear. Either one alone (Redis lost part of it): cleared and filled again.
        if projected_before {
            let cleared =
                self.store.clear().await.map_err(|error| failed(error, "clearing the generation"))?;
            tracing::info!(cleared, "cleared the generation's documents");
            self.claim_fence().await?;
        }
        let mark = vec![
            Op::Set { key: relative::REBUILDING.to_owned(), value: "1".to_owned() },
            Op::Set { key: relative::FORMAT.to_owned(), value: FORMAT.to_owned() },
        ];
        let marked = self.store.apply(self.fence, None, Checkpoint::START, self.clock.now(), mark).await;
        marked.map_err(interrupted)
    }

    /// At the head of the log: a generation being filled is complete, and becomes the current one if it
    /// is the one a rebuild asked for (the current generation, or one replaced, stays as it is).
    pub(crate) async fn finish_rebuild(&self, checkpoint: Checkpoint) -> Result<(), ApplyError> {
        let rebuilding: i64 = self.redis.exists(self.store.keys().rebuilding()).await?;
        if rebuilding == 1 {
            let done = vec![Op::Del { key: relative::REBUILDING.to_owned() }];
            self.store.apply(self.fence, Some(checkpoint), checkpoint, self.clock.now(), done).await?;
            tracing::info!(generation = self.store.generation(), "generation filled to the head of the log");
        }
        let building = redis_store::generations::being_built(&self.redis, self.store.control()).await?;
        if building == Some(self.store.generation()) {
            match self.store.switch_to(self.fence).await? {
                Switch::Done { replaced } => {
                    let generation = self.store.generation();
                    tracing::info!(generation, ?replaced, "readers now read this generation");
                }
                // The current generation applied a batch this one has not yet: at the next measurement.
                Switch::Behind => tracing::debug!("not yet at the current generation's checkpoint"),
                Switch::NotAsked => {}
            }
        }
        Ok(())
    }

    /// The games' settings as the projection stored them, for planning the scores that follow.
    pub(crate) async fn game_book(&self) -> Result<GameBook, Error> {
        let stored: std::collections::HashMap<String, String> =
            self.redis.hgetall(self.store.keys().games()).await?;
        Ok(stored
            .into_iter()
            .filter_map(|(game, json)| {
                Some((domain::names::GameName::parse(&game).ok()?, serde_json::from_str(&json).ok()?))
            })
            .collect())
    }
}

/// Redis failed while `doing` something: resume from the stored checkpoint after a pause.
fn failed(error: Error, doing: &'static str) -> Interrupt<anyhow::Error> {
    Interrupt::Failed(anyhow::Error::new(error).context(doing))
}
