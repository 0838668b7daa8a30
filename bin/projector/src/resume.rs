//! Taking over the projection: claim the fencing token in Redis, then resume from the stored
//! checkpoint, or start a rebuild from the beginning of the log when there is none (Redis restarted
//! empty, a rebuild was asked for) or the documents have an older layout.

use eventlog::{Checkpoint, Interrupt};
use fred::prelude::*;
use read_model::keys::relative;
use read_model::{GameBook, Op};
use redis_store::ApplyError;
use redis_store::store::FORMAT;

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

    /// The stored checkpoint, or, when Redis has none of this layout, a fresh start from the
    /// beginning of the log.
    pub(crate) async fn stored_checkpoint(&self) -> Result<Checkpoint, Interrupt<anyhow::Error>> {
        let stored = async { Ok::<_, Error>((self.store.checkpoint().await?, self.store.format().await?)) };
        match stored.await.map_err(|error| failed(error, "cannot read the checkpoint"))? {
            (Some(checkpoint), Some(format)) if format == FORMAT => Ok(checkpoint),
            (checkpoint, format) => {
                if checkpoint.is_some() {
                    tracing::info!(
                        ?format,
                        "the documents have an older layout: rebuilding them from the log"
                    );
                } else {
                    tracing::info!("no checkpoint in Redis: rebuilding from the start of the log");
                }
                self.start_rebuild(checkpoint.is_some() || format.is_some()).await?;
                Ok(Checkpoint::START)
            }
        }
    }

    /// Marks the projection as rebuilding from the start, clearing what an earlier one left first.
    async fn start_rebuild(&self, projected_before: bool) -> Result<(), Interrupt<anyhow::Error>> {
        metrics::counter!("projector_rebuilds_total").increment(1);
        self.status.set_rebuilding(true);
        // Neither a checkpoint nor a layout key: nothing was ever projected under this prefix (a clear
        // deletes the layout key last), so nothing to clear, and no scan of a keyspace that others may
        // fill. A checkpoint without a layout key is an old layout: cleared.
        if projected_before {
            let cleared =
                self.store.clear().await.map_err(|error| failed(error, "clearing the old documents"))?;
            tracing::info!(cleared, "cleared the old documents");
        }
        let mark = vec![
            Op::Set { key: relative::REBUILDING.to_owned(), value: "1".to_owned() },
            Op::Set { key: relative::FORMAT.to_owned(), value: FORMAT.to_owned() },
        ];
        let marked = self.store.apply(self.fence, None, Checkpoint::START, self.clock.now(), mark).await;
        marked.map_err(interrupted)
    }

    /// At the head of the log: a rebuild in progress is finished.
    pub(crate) async fn finish_rebuild(&self, checkpoint: Checkpoint) -> Result<(), ApplyError> {
        let rebuilding: i64 = self.redis.exists(self.store.keys().rebuilding()).await?;
        if rebuilding == 1 {
            let done = vec![Op::Del { key: relative::REBUILDING.to_owned() }];
            self.store.apply(self.fence, Some(checkpoint), checkpoint, self.clock.now(), done).await?;
            tracing::info!("rebuild finished");
        }
        self.status.set_rebuilding(false);
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
