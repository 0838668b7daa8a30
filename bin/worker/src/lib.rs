//! The worker: takes jobs newest first from the Redis queue the projector keeps, runs each kind's
//! handler and records the outcome as a command on the job; on a cron cadence or continuously. On an
//! interval of its own it also queues the callbacks of windows that closed ([`window_close`]), and one
//! worker at a time follows the log to release the jobs waiting for others ([`dependencies`]).
//!
//! Its Redis connections keep each other unblocked: one for claims, one for heartbeats and the
//! cleaner, one subscribed to the projector's announcements of new work (the blocking wait), and one
//! for the window-close checks.

mod cadence;
mod cleaner;
pub mod dependencies;
mod run;
mod runs;
pub mod window_close;

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use fred::prelude::*;
use read_model::Keys;
use redis_store::queue::WorkQueue;
use redis_store::{Resend, client, start};
use runs::Runs;
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

pub use cadence::Cadence;
pub use dependencies::DependencyFollower;
pub use window_close::{CheckReport, WindowCloseChecker};

/// How long a worker waits for work before looking again without being told.
const IDLE_LOOK: Duration = Duration::from_secs(1);
/// Under load, when only a few slots are free, how long after the last claim the next one waits for
/// more to free up: claims, and the group commits of their runs' outcomes, then take jobs a chunk at
/// a time instead of one by one as each run ends. An idle worker claims at once.
const CLAIM_GATHER: Duration = Duration::from_millis(2);
/// How long a stopping worker lets its runs finish.
const STOP_GRACE: Duration = Duration::from_secs(30);

/// A worker, ready to run.
pub struct Worker {
    runner: Arc<run::Runner>,
    cleaner: cleaner::Cleaner,
    cadence: Cadence,
    batch_size: usize,
    concurrency: usize,
    heartbeat_every: Duration,
    work: Arc<Notify>,
    health: Option<TcpListener>,
    redis: Client,
    /// With how often it checks, when this worker looks for closed windows owed a callback.
    window_close: Option<(WindowCloseChecker, Duration)>,
    /// Leads or stands by to release waiting jobs.
    dependencies: Option<DependencyFollower>,
}

impl Worker {
    /// Connects (lazily) to Postgres and Redis, subscribes to work announcements and binds the health port.
    pub async fn build(settings: settings::Settings, clock: domain::Clock) -> anyhow::Result<Self> {
        let kinds = job_kinds::Registry::standard(&settings);
        Self::build_with_kinds(settings, clock, kinds).await
    }

    /// [`Worker::build`] with the kinds given instead of the standard ones.
    pub async fn build_with_kinds(
        settings: settings::Settings,
        clock: domain::Clock,
        kinds: job_kinds::Registry,
    ) -> anyhow::Result<Self> {
        let cadence = Cadence::parse(&settings.worker.schedule).map_err(anyhow::Error::msg)?;
        let health = TcpListener::bind(&settings.worker.health_addr)
            .await
            .with_context(|| format!("binding {}", settings.worker.health_addr))?;
        let pool = eventlog::connect(&settings.database, "worker")?;
        let keys = Keys::new(settings.redis.key_prefix.clone());
        let name = format!("{}-{}", std::process::id(), uuid::Uuid::now_v7().simple());
        let ttl = Duration::from_secs(settings.worker.heartbeat_ttl_seconds.max(1));
        let claims = client(&settings.redis, Resend::Allowed)?;
        let beats = client(&settings.redis, Resend::Allowed)?;
        start(&claims);
        start(&beats);
        let work = announcements(&settings.redis, keys.work_announcements())?;
        let runner = Arc::new(run::Runner {
            jobs: eventlog::CommandBatcher::start(
                eventlog::EventStore::new(pool.clone()),
                eventlog::BatchLimits::from_settings(&settings.database),
            ),
            kinds,
            queue: WorkQueue::new(claims.clone(), keys.clone(), name.clone(), ttl),
            clock: clock.clone(),
            record_start_after: Duration::from_millis(settings.worker.record_start_after_ms),
            retry_base: Duration::from_millis(settings.jobs.retry_base_ms),
            retry_cap: Duration::from_millis(settings.jobs.retry_cap_ms),
        });
        let window_close = match settings.worker.window_close_check_ms {
            0 => None,
            every => {
                Some((WindowCloseChecker::build(&settings, clock.clone())?, Duration::from_millis(every)))
            }
        };
        // A pool of its own, named apart in `pg_stat_activity`.
        let follower_pool = eventlog::connect(&settings.database, "worker-dependencies")?;
        let dependencies = Some(DependencyFollower::new(follower_pool, &settings.worker, clock.clone()));
        let cleaner = cleaner::Cleaner {
            queue: WorkQueue::new(beats, keys.clone(), name, ttl),
            jobs: eventlog::EventStore::new(pool),
            clock,
            control: keys,
            kinds: runner.kinds.kinds().into_iter().map(str::to_owned).collect(),
        };
        Ok(Self {
            runner,
            cleaner,
            cadence,
            batch_size: settings.worker.batch_size.max(1),
            concurrency: settings.worker.concurrency.max(1),
            heartbeat_every: ttl / 3,
            work,
            health: Some(health),
            redis: claims,
            window_close,
            dependencies,
        })
    }

    /// Where `/healthz`, `/readyz` and `/metrics` listen.
    pub fn health_address(&self) -> SocketAddr {
        self.health.as_ref().and_then(|listener| listener.local_addr().ok()).expect("a bound listener")
    }

    /// This worker's name, as in-flight sets and job histories show it.
    pub fn name(&self) -> String {
        self.runner.queue.worker().to_owned()
    }

    /// Runs jobs until `shutdown` is cancelled; runs in progress finish first (for a bounded time).
    pub async fn run_until_stopped(mut self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let listener = self.health.take().context("the worker ran once already")?;
        let readiness: Arc<dyn http_kit::operations::Readiness> = Arc::new(RedisReady(self.redis.clone()));
        let router = http_kit::middleware::around(http_kit::operations::routes(readiness), 1024);
        let health = tokio::spawn(http_kit::serve(listener, router, shutdown.clone()));
        // It needs Postgres only, so it runs whether or not Redis answers.
        let following = self.dependencies.take().map(|follower| tokio::spawn(follower.run(shutdown.clone())));
        while let Err(error) = redis_store::connected(&self.redis, Duration::from_secs(5)).await {
            tracing::warn!(%error, "waiting for Redis");
            if shutdown.is_cancelled() {
                return Ok(());
            }
        }
        self.runner.queue.load_library().await.context("loading the queue's Redis Function")?;
        tracing::info!(worker = %self.runner.queue.worker(), cadence = ?self.cadence, "worker started");
        let beating =
            tokio::spawn(self.cleaner.clone().beat_and_clean(self.heartbeat_every, shutdown.clone()));
        let checking = self
            .window_close
            .take()
            .map(|(checker, every)| tokio::spawn(checker.check_every(every, shutdown.clone())));
        let mut runs = Runs::default();
        match &self.cadence {
            Cadence::Continuous => self.consume(&mut runs, usize::MAX, &shutdown).await,
            Cadence::Ticks(_) => self.on_ticks(&mut runs, &shutdown).await,
        }
        runs.finish(&self.runner.queue, STOP_GRACE).await;
        beating.abort();
        if let Some(checking) = checking {
            checking.abort();
        }
        if let Some(following) = following {
            // It lets its lock go at the shutdown, so a standby takes over at once.
            let _ = following.await;
        }
        health.await.context("health server")?.context("serving health")
    }

    async fn on_ticks(&self, runs: &mut Runs, shutdown: &CancellationToken) {
        while let Some(tick) = self.cadence.next_tick(self.runner.clock.now()) {
            let wait = (tick - self.runner.clock.now()).to_std().unwrap_or_default();
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = shutdown.cancelled() => return,
            }
            self.consume(runs, self.batch_size, shutdown).await;
        }
    }

    /// How many free slots make a claim worth it at once: a quarter of them. Fewer wait for more to free
    /// up, at most [`CLAIM_GATHER`] after the last claim.
    fn claim_chunk(&self) -> usize {
        (self.concurrency / 4).max(1)
    }

    /// Takes and runs jobs, at most `concurrency` at once, until `budget` jobs were taken (a tick's
    /// batch) or, continuously, until shutdown. A finite budget ends early when the queue is empty.
    async fn consume(&self, runs: &mut Runs, budget: usize, shutdown: &CancellationToken) {
        let mut taken = 0;
        let mut last_claim: Option<Instant> = None;
        while taken < budget && !shutdown.is_cancelled() {
            runs.reap();
            let free = self.concurrency.saturating_sub(runs.len()).min(budget - taken);
            let mut look_again_at = None;
            let mut gathering = Duration::MAX;
            let since_claim = last_claim.map_or(Duration::MAX, |at| at.elapsed());
            let gathered = free >= self.claim_chunk() || runs.is_empty() || since_claim >= CLAIM_GATHER;
            if free > 0 && !gathered {
                gathering = CLAIM_GATHER.saturating_sub(since_claim);
            } else if free > 0 {
                last_claim = Some(Instant::now());
                let now = self.runner.clock.now();
                match self.runner.queue.release_and_claim(runs.ended(), free, now).await {
                    Ok(claim) => {
                        runs.given_back();
                        let got = claim.orders.len();
                        taken += got;
                        look_again_at = claim.look_again_at;
                        for order in claim.orders {
                            runs.spawn(self.runner.clone().run(order));
                        }
                        if got == free {
                            continue; // there may be more: claim again as soon as a slot is free
                        }
                        if got == 0 && budget != usize::MAX && runs.is_empty() {
                            break; // the tick drained the queue
                        }
                    }
                    Err(error) => tracing::warn!(%error, "cannot claim jobs; trying again shortly"),
                }
            }
            // A delayed job due, or the next start a kind's rate allows.
            let look_again = look_again_at
                .map(|due| (due - self.runner.clock.now()).to_std().unwrap_or_default())
                .unwrap_or(IDLE_LOOK)
                .min(IDLE_LOOK)
                .min(gathering);
            tokio::select! {
                () = self.work.notified(), if runs.len() < self.concurrency => {}
                Some(()) = runs.next_ended(), if !runs.is_empty() => {}
                () = tokio::time::sleep(look_again) => {}
                () = shutdown.cancelled() => {}
            }
        }
        if budget != usize::MAX {
            while runs.next_ended().await.is_some() {}
            runs.give_back(&self.runner.queue).await;
        }
    }
}

/// Subscribes to the projector's announcements on a connection of their own; each one (or the news
/// that some were lost) lets a waiting claim loop look again (a permit is kept when nobody waits, so
/// none is lost).
fn announcements(settings: &settings::RedisSettings, channel: String) -> anyhow::Result<Arc<Notify>> {
    let mut announced = redis_store::subscribe(settings, channel)?.subscribe();
    let work = Arc::new(Notify::new());
    let notify = work.clone();
    tokio::spawn(async move {
        use tokio::sync::broadcast::error::RecvError;
        loop {
            match announced.recv().await {
                Ok(_) | Err(RecvError::Lagged(_)) => notify.notify_one(),
                Err(RecvError::Closed) => return,
            }
        }
    });
    Ok(work)
}

/// Ready when Redis answers.
struct RedisReady(Client);

impl http_kit::operations::Readiness for RedisReady {
    fn check(&self) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + '_>> {
        Box::pin(
            async move { self.0.ping::<String>(None).await.map(|_| ()).map_err(|e| format!("redis: {e}")) },
        )
    }
}
