//! The job queue as workers see it: claiming, releasing, heartbeats and the in-flight lists a cleaner
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
    /// The jobs now in the worker's in-flight list, for it to run.
    pub orders: Vec<WorkOrder>,
    /// When the earliest delayed job is due, if any waits.
    pub next_due: Option<DateTime<Utc>>,
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

    /// This worker's name.
    pub fn worker(&self) -> &str {
        &self.worker
    }

    /// Loads (or replaces with the same code) the queue's Redis Function library.
    pub async fn load_library(&self) -> Result<(), Error> {
        self.client.function_load::<String, _>(true, LIBRARY).await.map(|_| ())
    }

    /// Moves up to `wanted` jobs into this worker's in-flight list and stamps its heartbeat.
    pub async fn claim(&self, wanted: usize, now: DateTime<Utc>) -> Result<Claim, Error> {
        let args = vec![
            self.keys.prefix().to_owned(),
            self.worker.clone(),
            now.timestamp_millis().to_string(),
            self.heartbeat_ttl.as_secs().max(1).to_string(),
            wanted.to_string(),
        ];
        let (orders, next_due): (Vec<String>, String) =
            self.client.fcall("reprise_claim_next_v2", Vec::<String>::new(), args).await?;
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
        let next_due = next_due.parse::<i64>().ok().and_then(DateTime::from_timestamp_millis);
        Ok(Claim { orders, next_due })
    }

    /// Removes a reported job from this worker's in-flight list.
    pub async fn release(&self, id: &str) -> Result<(), Error> {
        self.client.lrem::<i64, _, _>(self.keys.in_flight(&self.worker), 1, id).await.map(|_| ())
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

    /// The jobs in a worker's in-flight list.
    pub async fn in_flight_of(&self, worker: &str) -> Result<Vec<String>, Error> {
        self.client.lrange(self.keys.in_flight(worker), 0, -1).await
    }

    /// Removes a job from a silent worker's in-flight list once its rescue is recorded.
    pub async fn drop_from(&self, worker: &str, id: &str) -> Result<(), Error> {
        self.client.lrem::<i64, _, _>(self.keys.in_flight(worker), 1, id).await.map(|_| ())
    }

    /// Forgets a silent worker whose in-flight list is empty.
    pub async fn forget(&self, worker: &str) -> Result<(), Error> {
        let remaining: i64 = self.client.llen(self.keys.in_flight(worker)).await?;
        if remaining == 0 {
            self.client.srem::<i64, _, _>(self.keys.workers(), worker).await?;
        }
        Ok(())
    }

    /// How many jobs wait in each priority's ready queue, 9 first, and how many are delayed.
    pub async fn depths(&self) -> Result<(Vec<(u8, i64)>, i64), Error> {
        let generation = crate::generations::current(&self.client, &self.keys).await?;
        let queue = self.keys.generation(generation.unwrap_or_default());
        let mut depths = Vec::new();
        for priority in (0..=9).rev() {
            depths.push((priority, self.client.llen(queue.queue(priority)).await?));
        }
        let delayed: i64 = self.client.zcard(queue.delayed_jobs()).await?;
        Ok((depths, delayed))
    }
}
