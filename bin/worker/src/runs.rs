//! The runs a worker has going, and the jobs whose runs ended: those are given back to the queue
//! (out of the in-flight set, their running slot freed) with the next claim, in the same call.

use std::time::Duration;

use redis_store::queue::WorkQueue;
use tokio::task::JoinSet;

/// Runs going, each ending with its job's id, and the ids of those that ended.
#[derive(Default)]
pub struct Runs {
    going: JoinSet<String>,
    ended: Vec<String>,
}

impl Runs {
    /// Starts a run that ends with the id of the job it ran.
    pub fn spawn(&mut self, run: impl Future<Output = String> + Send + 'static) {
        self.going.spawn(run);
    }

    /// Takes in the runs that have ended; the rest still count.
    pub fn reap(&mut self) {
        while let Some(ended) = self.going.try_join_next() {
            self.keep(ended);
        }
    }

    /// Waits for the next run to end; `None` when none is going.
    pub async fn next_ended(&mut self) -> Option<()> {
        let ended = self.going.join_next().await?;
        self.keep(ended);
        Some(())
    }

    fn keep(&mut self, ended: Result<String, tokio::task::JoinError>) {
        match ended {
            Ok(id) => self.ended.push(id),
            // A run hands its handler to a task of its own, so this is a bug; the job stays in the
            // in-flight set until this worker stops and a cleaner rescues it.
            Err(error) => tracing::error!(%error, "a run ended without its job"),
        }
    }

    /// How many runs are going (ended ones not yet taken in included).
    pub fn len(&self) -> usize {
        self.going.len()
    }

    /// Whether no run is going.
    pub fn is_empty(&self) -> bool {
        self.going.is_empty()
    }

    /// The jobs whose runs ended, to give back with the next claim.
    pub fn ended(&self) -> &[String] {
        &self.ended
    }

    /// Forgets the jobs given back.
    pub fn given_back(&mut self) {
        self.ended.clear();
    }

    /// Waits up to `grace` for the runs going, then gives back every ended job, trying a few times: a
    /// slot left taken counts against a concurrency cap until this worker's in-flight set is
    /// rescued by another worker's cleaner.
    pub async fn finish(&mut self, queue: &WorkQueue, grace: Duration) {
        let finishing = async { while self.next_ended().await.is_some() {} };
        if tokio::time::timeout(grace, finishing).await.is_err() {
            tracing::warn!("runs still going at shutdown are left for the cleaner of another worker");
        }
        self.give_back(queue).await;
    }

    /// Gives back every ended job without claiming, trying a few times.
    pub async fn give_back(&mut self, queue: &WorkQueue) {
        let mut pause = Duration::from_millis(50);
        for attempt in 1..=5 {
            match queue.release_all(&self.ended).await {
                Ok(()) => return self.given_back(),
                Err(error) if attempt == 5 => {
                    tracing::warn!(%error, jobs = self.ended.len(), "could not give back the jobs run")
                }
                Err(_) => {
                    tokio::time::sleep(pause).await;
                    pause *= 2;
                }
            }
        }
    }
}
