//! Heartbeats and the cleaner, on a connection of their own so a busy claim connection never delays
//! them: this worker's heartbeat is stamped every third of its lifetime, and jobs in the in-flight set
//! of a worker whose heartbeat expired are rescued — recorded on the job, which the projector then
//! queues again — and dropped from that set.

use std::time::Duration;

use chrono::SubsecRound;
use domain::jobs::{Job, JobCommand, JobStatus};
use eventlog::{CommandError, EventStore, Metadata};
use redis_store::queue::WorkQueue;
use redis_store::queue_overview::read_queues;
use tokio_util::sync::CancellationToken;

/// Keeps this worker's heartbeat and rescues the jobs of silent workers.
#[derive(Clone)]
pub struct Cleaner {
    /// The queue, on the heartbeat connection.
    pub queue: WorkQueue,
    /// The jobs' aggregates.
    pub jobs: EventStore<Job>,
    /// The time.
    pub clock: domain::Clock,
    /// The control keys, above every generation.
    pub control: read_model::Keys,
    /// The kinds this worker runs, whose queues it reports.
    pub kinds: Vec<String>,
}

impl Cleaner {
    /// Beats and cleans until `shutdown`.
    pub async fn beat_and_clean(self, every: Duration, shutdown: CancellationToken) {
        let mut ticks = tokio::time::interval(every.max(Duration::from_millis(100)));
        loop {
            tokio::select! {
                _ = ticks.tick() => {}
                () = shutdown.cancelled() => return,
            }
            if let Err(error) = self.queue.beat(self.clock.now()).await {
                tracing::warn!(%error, "cannot stamp the heartbeat");
                continue;
            }
            match self.queue.silent_workers().await {
                Ok(silent) => {
                    for worker in silent {
                        self.rescue_from(&worker).await;
                    }
                }
                Err(error) => tracing::warn!(%error, "cannot look for silent workers"),
            }
            self.report_queues().await;
        }
    }

    /// Rescues every job in `worker`'s in-flight set; the job decides whether a rescue applies (it
    /// refuses for a job that finished or that another worker runs), so two cleaners racing, or a
    /// cleaner crashing halfway, rescue nothing twice.
    async fn rescue_from(&self, worker: &str) {
        let Ok(ids) = self.queue.in_flight_of(worker).await else { return };
        for id in ids {
            let metadata = Metadata::from([("worker".to_owned(), self.queue.worker().to_owned())]);
            let rescue =
                JobCommand::Rescue { worker: worker.to_owned(), at: self.clock.now().trunc_subsecs(6) };
            match self.jobs.execute(&id, rescue, &metadata).await {
                Ok(()) | Err(CommandError::Rejected(_)) => {
                    tracing::info!(job = %id, from = worker, "rescued a job from a silent worker");
                    metrics::counter!("jobs_rescued_total").increment(1);
                    if let Err(error) = self.queue.drop_from(worker, &id).await {
                        tracing::warn!(%error, job = %id, "cannot drop a rescued job from the in-flight set");
                    }
                }
                Err(error) => {
                    tracing::warn!(%error, job = %id, "cannot record a rescue; trying at the next round");
                    return;
                }
            }
        }
        if let Err(error) = self.queue.forget(worker).await {
            tracing::warn!(%error, worker, "cannot forget a silent worker");
        }
    }

    /// Each kind's queue as gauges: jobs by status (every owner's), the oldest queued job's age, the
    /// pause and the limits, and the running slots taken across every worker.
    async fn report_queues(&self) {
        let Ok(generation) = redis_store::generations::current(self.queue.client(), &self.control).await
        else {
            return;
        };
        let keys = self.control.generation(generation.unwrap_or_default());
        let now = self.clock.now();
        let Ok(queues) = read_queues(self.queue.client(), &keys, &self.kinds, None, now).await else {
            return;
        };
        for queue in queues {
            let kind = queue.kind.clone();
            for status in JobStatus::ALL.map(JobStatus::as_str) {
                let count = queue.counts.get(status).copied().unwrap_or_default();
                metrics::gauge!("job_queue_jobs", "kind" => kind.clone(), "status" => status)
                    .set(count as f64);
            }
            let age =
                queue.oldest_queued_at.map_or(0.0, |at| (now - at).num_milliseconds().max(0) as f64 / 1e3);
            metrics::gauge!("job_queue_oldest_queued_age_seconds", "kind" => kind.clone()).set(age);
            metrics::gauge!("job_queue_paused", "kind" => kind.clone())
                .set(f64::from(u8::from(queue.paused)));
            let cap = queue.concurrency.map_or(0.0, f64::from);
            metrics::gauge!("job_queue_concurrency_limit", "kind" => kind.clone()).set(cap);
            let rate = queue.rate_per_second.unwrap_or_default();
            metrics::gauge!("job_queue_rate_limit_per_second", "kind" => kind.clone()).set(rate);
            if let Ok(running) = self.queue.running(&kind).await {
                metrics::gauge!("job_queue_running_slots", "kind" => kind).set(running as f64);
            }
        }
    }
}
