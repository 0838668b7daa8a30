//! The runs a worker has going, the outcomes being recorded, and the jobs whose outcomes are recorded:
//! those are given back to the queue (out of the in-flight list, their running slot freed) with the
//! next claim, in the same call.

use std::time::Duration;

use redis_store::queue::WorkQueue;
use tokio::task::JoinSet;

use crate::run::RunEnd;

/// Handlers running, outcomes being recorded (each ending with its job's id), and the ids of the jobs
/// done with.
#[derive(Default)]
pub struct Runs {
    going: JoinSet<RunEnd>,
    recording: JoinSet<String>,
    ended: Vec<String>,
}

impl Runs {
    /// Starts a run.
    pub fn spawn(&mut self, run: impl Future<Output = RunEnd> + Send + 'static) {
        self.going.spawn(run);
    }

    /// Takes in the handlers that ended and the outcomes recorded; the rest still count.
    pub fn reap(&mut self) {
        while let Some(ended) = self.going.try_join_next() {
            self.keep_run(ended);
        }
        while let Some(recorded) = self.recording.try_join_next() {
            self.keep_recorded(recorded);
        }
    }

    /// Waits for the next handler to end or outcome to be recorded; `None` when nothing is going.
    pub async fn next_ended(&mut self) -> Option<()> {
        tokio::select! {
            Some(ended) = self.going.join_next() => self.keep_run(ended),
            Some(recorded) = self.recording.join_next() => self.keep_recorded(recorded),
            else => return None,
        }
        Some(())
    }

    fn keep_run(&mut self, ended: Result<RunEnd, tokio::task::JoinError>) {
        match ended {
            Ok(RunEnd::Nothing(id)) => self.ended.push(id),
            Ok(RunEnd::Outcome(recording)) => {
                self.recording.spawn(recording);
            }
            // A run hands its handler to a task of its own, so this is a bug; the job stays in the
            // in-flight list until this worker stops and a cleaner rescues it.
            Err(error) => tracing::error!(%error, "a run ended without its job"),
        }
    }

    fn keep_recorded(&mut self, recorded: Result<String, tokio::task::JoinError>) {
        match recorded {
            Ok(id) => self.ended.push(id),
            Err(error) => tracing::error!(%error, "an outcome's recording ended without its job"),
        }
    }

    /// How many handlers are running (ended ones not yet taken in included).
    pub fn len(&self) -> usize {
        self.going.len()
    }

    /// How many outcomes are being recorded.
    pub fn recording(&self) -> usize {
        self.recording.len()
    }

    /// Whether no handler runs and no outcome is being recorded.
    pub fn is_empty(&self) -> bool {
        self.going.is_empty() && self.recording.is_empty()
    }

    /// The jobs done with, to give back with the next claim.
    pub fn ended(&self) -> &[String] {
        &self.ended
    }

    /// Forgets the jobs given back.
    pub fn given_back(&mut self) {
        self.ended.clear();
    }

    /// Waits up to `grace` for the runs going and their outcomes, then gives back every job done with,
    /// trying a few times: a slot left taken counts against a concurrency cap until this worker's
    /// in-flight list is rescued by another worker's cleaner.
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
