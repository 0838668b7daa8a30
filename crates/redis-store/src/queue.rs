//! The job queue as workers see it: claiming, releasing, heartbeats and the in-flight sets a cleaner
//! returns from workers that stopped answering. The projector alone puts jobs in the queue
//! (`read_model::plan::jobs`); workers take them out through the `claim_next` Redis Function.

use std::time::Duration;

use chrono::{DateTime, Utc};
use domain::jobs::WorkOrder;
use fred::prelude::*;
use read_model::Keys;

/// The Redis Function library of the queue.
pub const LIBRARY: &str = include_str!("queue.lua");

/// What one claim returned.
#[derive(Debug, Default)]
pub struct Claim {
    /// The jobs now in the worker's in-flight set, for it to run.
    pub orders: Vec<WorkOrder>,
    /// When to look again without being told: the earliest delayed job's due time, or the next start
    /// a kind's rate allows while jobs of it wait, whichever comes first.
    pub look_again_at: Option<DateTime<Utc>>,
}

/// One worker's handle on the queue.
#[derive(Clone)]
pub struct WorkQueue {
    client: Client,
    keys: Keys,
    worker: String,
    heartbeat_ttl: Duration,
}

impl WorkQueue {
    /// The queue of the current generation under `keys`' (the control) prefix for worker `worker`, whose
    /// heartbeat lives `heartbeat_ttl`.
    pub fn new(client: Client, keys: Keys, worker: impl Into<String>, heartbeat_ttl: Duration) -> Self {
        Self { client, keys, worker: worker.into(), heartbeat_ttl }
    }

    /// The Redis client claims go through.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// This worker's name.
    pub fn worker(&self) -> &str {
        &self.worker
    }

    /// Loads (or replaces with the same code) the queue's Redis Function library.
    pub async fn load_library(&self) -> Result<(), Error> {
        self.client.function_load::<String, _>(true, LIBRARY).await.map(|_| ())
    }

    /// Moves up to `wanted` jobs into this worker's in-flight set and stamps its heartbeat.
    pub async fn claim(&self, wanted: usize, now: DateTime<Utc>) -> Result<Claim, Error> {
        self.release_and_claim(&[], wanted, now).await
    }

    /// [`WorkQueue::release`]s every job of `finished`, then [`WorkQueue::claim`]s, in one call: a
    /// worker gives back what it ran with the claim that takes the next jobs.
    pub async fn release_and_claim(
        &self,
        finished: &[String],
        wanted: usize,
        now: DateTime<Utc>,
    ) -> Result<Claim, Error> {
        let mut args = vec![
            self.keys.prefix().to_owned(),
            self.worker.clone(),
            now.timestamp_millis().to_string(),
            self.heartbeat_ttl.as_secs().max(1).to_string(),
            wanted.to_string(),
        ];
        args.extend_from_slice(finished);
        let (orders, look_again_at): (Vec<String>, String) =
            self.client.fcall("reprise_claim_next_v6", Vec::<String>::new(), args).await?;
        let orders = orders
            .iter()
            .filter_map(|order| match serde_json::from_str(order) {
                Ok(order) => Some(order),
                Err(error) => {
                    tracing::error!(%error, order, "a queued job's work order cannot be read");
                    None
                }
            })
            .collect();
        let look_again_at = look_again_at.parse::<i64>().ok().and_then(DateTime::from_timestamp_millis);
        Ok(Claim { orders, look_again_at })
    }

    /// Removes a reported job from this worker's in-flight set and frees its kind's running slot.
    pub async fn release(&self, id: &str) -> Result<(), Error> {
        self.release_from(&self.worker, &[id.to_owned()]).await
    }

    /// [`WorkQueue::release`] of every job of `ids`, in one call.
    pub async fn release_all(&self, ids: &[String]) -> Result<(), Error> {
        self.release_from(&self.worker, ids).await
    }

    async fn release_from(&self, worker: &str, ids: &[String]) -> Result<(), Error> {
        if ids.is_empty() {
            return Ok(());
        }
        let mut args = vec![self.keys.prefix().to_owned(), worker.to_owned()];
        args.extend_from_slice(ids);
        self.client.fcall::<i64, _, _, _>("reprise_release_v6", Vec::<String>::new(), args).await.map(|_| ())
    }

    /// Stamps this worker's heartbeat.
    pub async fn beat(&self, now: DateTime<Utc>) -> Result<(), Error> {
        let ttl = self.heartbeat_ttl.as_secs().max(1) as i64;
        let _: () = self
            .client
            .set(
                self.keys.heartbeat(&self.worker),
                now.timestamp_millis(),
                Some(Expiration::EX(ttl)),
                None,
                false,
            )
            .await?;
        self.client.sadd::<i64, _, _>(self.keys.workers(), self.worker.clone()).await.map(|_| ())
    }

    /// Workers other than this one whose heartbeat has expired.
    pub async fn silent_workers(&self) -> Result<Vec<String>, Error> {
        let workers: Vec<String> = self.client.smembers(self.keys.workers()).await?;
        let mut silent = Vec::new();
        for worker in workers.into_iter().filter(|worker| *worker != self.worker) {
            let alive: i64 = self.client.exists(self.keys.heartbeat(&worker)).await?;
            if alive == 0 {
                silent.push(worker);
            }
        }
        Ok(silent)
    }

    /// The jobs in a worker's in-flight set (and in the list a worker from before the set kept).
    pub async fn in_flight_of(&self, worker: &str) -> Result<Vec<String>, Error> {
        let mut ids: Vec<String> = self.client.smembers(self.keys.in_flight(worker)).await?;
        let legacy: Vec<String> = self.client.lrange(self.keys.legacy_in_flight(worker), 0, -1).await?;
        ids.extend(legacy);
        Ok(ids)
    }

    /// Removes a job from a silent worker's in-flight set, and frees its running slot, once its rescue
    /// is recorded: a worker killed while running jobs keeps no slot of a capped kind.
    pub async fn drop_from(&self, worker: &str, id: &str) -> Result<(), Error> {
        self.client.lrem::<i64, _, _>(self.keys.legacy_in_flight(worker), 1, id).await?;
        self.release_from(worker, &[id.to_owned()]).await
    }

    /// Forgets a silent worker whose in-flight set (and legacy list) is empty.
    pub async fn forget(&self, worker: &str) -> Result<(), Error> {
        let held: i64 = self.client.scard(self.keys.in_flight(worker)).await?;
        let legacy: i64 = self.client.llen(self.keys.legacy_in_flight(worker)).await?;
        let remaining = held + legacy;
        if remaining == 0 {
            self.client.srem::<i64, _, _>(self.keys.workers(), worker).await?;
        }
        Ok(())
    }

    /// How many jobs of each kind run now, across every worker (the slots a concurrency cap counts).
    pub async fn running(&self, kind: &str) -> Result<i64, Error> {
        self.client.scard(self.keys.running(kind)).await
    }
}
