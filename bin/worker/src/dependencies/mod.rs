//! The dependency follower: releases or cancels jobs waiting for other jobs, from the log.
//!
//! It follows the log in order, like the projector and the relay, as one leader among the workers
//! (the others stand by under the same advisory lock). A job queued with `dependsOn` is remembered
//! against each dependency that has not ended yet (one that has is reported to it at once); a job's
//! final event is reported to every job remembered against it. The jobs decide (the last success
//! releases, a failure or cancellation cancels) and ignore what they were told before, and the
//! follower's table moves with its checkpoint, so no release is lost or repeated across crashes.
//! The leader keeps in memory which jobs are waited for (read from that table when it takes the
//! lead), so the end of a job nothing waits for, most jobs, costs no query.

mod dependents;
mod plan;
mod releasing;

use std::time::Duration;

use backoff::Backoff;
use domain::jobs::Job;
use eventlog::{EventStore, FollowSettings, Follower, Whole};
use settings::WorkerSettings;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

pub use dependents::FOLLOWER;

/// The follower and its consumer, ready to run.
pub struct DependencyFollower {
    follower: Follower,
    releasing: releasing::Releasing,
}

impl DependencyFollower {
    /// A follower over `pool`'s log, reading as `worker` says, telling the time by `clock`.
    pub fn new(pool: PgPool, worker: &WorkerSettings, clock: domain::Clock) -> Self {
        let settings = FollowSettings {
            batch_size: worker.dependencies_batch_size.max(1),
            poll: Duration::from_millis(worker.dependencies_poll_interval_ms.max(1)),
            gather: Duration::from_millis(worker.dependencies_gather_ms),
            retry: Backoff::new(Duration::from_millis(200), Duration::from_secs(5)),
        };
        Self {
            // Of the log, only a queued job's dependencies are read: of every other event, which it
            // is is enough.
            follower: Follower::new(pool.clone(), FOLLOWER, settings).reading_whole(Whole {
                aggregate_types: Some(vec![<Job as cqrs_es::Aggregate>::TYPE.to_owned()]),
                event_types: Some(vec!["JobQueued".to_owned()]),
            }),
            releasing: releasing::Releasing {
                dependents: dependents::Dependents::new(pool.clone()),
                jobs: EventStore::new(pool),
                clock,
                awaited: Default::default(),
                fence: 0,
            },
        }
    }

    /// Leads, or stands by while another worker leads, until `shutdown`.
    pub async fn run(mut self, shutdown: CancellationToken) {
        // Its consumer has no link of its own to lose, so only a shutdown ends this.
        if let Err(error) = self.follower.run(&mut self.releasing, &shutdown).await {
            tracing::error!(error = format!("{error:#}"), "the dependency follower stopped");
        }
    }
}
