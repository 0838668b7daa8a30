//! Which generations of the documents this process follows: the current one, which readers read, and
//! the one a rebuild fills beside it. Each has a follower of its own (its own advisory lock and fencing
//! token), so a rebuild never stops the current generation from being kept. A replaced generation is
//! still kept for a grace period, while readers that polled the pointer before the switch finish with
//! it, then stopped and deleted.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use eventlog::{FollowSettings, Follower};
use fred::prelude::*;
use read_model::Keys;
use read_model::keys::relative;
use redis_store::store::FORMAT;
use redis_store::{ProjectionStore, generations};
use sqlx::PgPool;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::Status;
use crate::projection::Projection;

/// How often the pointers are read.
const LOOK: Duration = Duration::from_millis(100);

/// How long a replaced generation is still kept: many times the readers' poll of the pointer.
pub(crate) const GRACE: Duration = Duration::from_secs(3);

/// What every generation's follower is made from.
pub(crate) struct Generations {
    pool: PgPool,
    redis: Client,
    control: Keys,
    following: FollowSettings,
    /// The batch size of a generation filled while another one serves readers.
    beside_readers: i64,
    clock: domain::Clock,
    status: Arc<Status>,
    running: HashMap<u64, Running>,
    /// Generations handed out that nobody follows, and when to delete them.
    orphans: HashMap<u64, Instant>,
}

/// A generation being followed.
struct Running {
    stop: CancellationToken,
    task: JoinHandle<()>,
    /// When it stops being followed, once it is neither current nor being built.
    retire_at: Option<Instant>,
}

impl Generations {
    /// Followers to come, over `pool`'s log and `redis`, under `control`'s prefix; a generation filled
    /// while another serves readers reads batches of at most `beside_readers` events.
    pub fn new(
        pool: PgPool,
        redis: Client,
        control: Keys,
        (following, beside_readers): (FollowSettings, i64),
        clock: domain::Clock,
        status: Arc<Status>,
    ) -> Self {
        Self {
            pool,
            redis,
            control,
            following,
            beside_readers,
            clock,
            status,
            running: HashMap::new(),
            orphans: HashMap::new(),
        }
    }

    /// Follows the generations that need it until `shutdown`, then stops every follower.
    pub async fn run(mut self, shutdown: CancellationToken) {
        while !shutdown.is_cancelled() {
            if let Err(error) = self.look(&shutdown).await {
                tracing::warn!(%error, "cannot read which generations to keep");
            }
            tokio::select! {
                () = shutdown.cancelled() => {}
                () = tokio::time::sleep(LOOK) => {}
            }
        }
        for (_, running) in self.running.drain() {
            running.stop.cancel();
            let _ = running.task.await;
        }
    }

    /// Starts following the generations that need it, and retires the others after the grace period.
    async fn look(&mut self, shutdown: &CancellationToken) -> Result<(), Error> {
        let (mut current, mut building) = self.pointers().await?;
        let mut current_layout = self.layout(current).await?;
        if building.is_none() && current_layout.needs_a_new_generation() {
            if current.is_none() {
                let cleared = generations::clear_unversioned(&self.redis, &self.control).await?;
                if cleared > 0 {
                    tracing::info!(cleared, "cleared documents projected before generations");
                }
            }
            let library = ProjectionStore::new(self.redis.clone(), self.control.clone(), 0);
            library.load_library().await?;
            let requested = generations::request(&self.redis, &self.control, false).await?;
            tracing::info!(generation = requested, ?current, "filling a new generation of the documents");
            (current, building) = self.pointers().await?;
            current_layout = self.layout(current).await?;
        }
        self.status.set_current(current);
        self.status.set_building(building);
        let mut wanted: Vec<u64> = current.filter(|_| current_layout.is_followed()).into_iter().collect();
        if self.layout(building).await?.is_followed() {
            wanted.extend(building);
        }
        for &generation in &wanted {
            if !self.running.contains_key(&generation) {
                let beside_readers = current.is_some_and(|current| current != generation);
                let running = self.follow(generation, beside_readers, shutdown);
                self.running.insert(generation, running);
            }
        }
        let now = Instant::now();
        let mut retired = Vec::new();
        for (&generation, running) in &mut self.running {
            if wanted.contains(&generation) {
                running.retire_at = None;
            } else if *running.retire_at.get_or_insert(now + GRACE) <= now {
                retired.push(generation);
            }
        }
        for generation in retired {
            let running = self.running.remove(&generation).expect("listed above");
            self.status.forget(generation);
            running.stop.cancel();
            tokio::spawn(retire(Some(running.task), self.store(generation)));
        }
        let live: Vec<u64> = current.into_iter().chain(building).collect();
        self.delete_orphans(&live, now).await
    }

    /// Deletes, after the grace period, every generation handed out that is neither current nor being
    /// built nor followed here: replaced or abandoned while no process that followed it lived on.
    async fn delete_orphans(&mut self, live: &[u64], now: Instant) -> Result<(), Error> {
        let all: Vec<u64> = self.redis.smembers(self.control.all_generations()).await?;
        let orphans: Vec<u64> = all
            .into_iter()
            .filter(|generation| !live.contains(generation) && !self.running.contains_key(generation))
            .collect();
        self.orphans.retain(|generation, _| orphans.contains(generation));
        for generation in orphans {
            if *self.orphans.entry(generation).or_insert(now + GRACE) <= now {
                self.orphans.remove(&generation);
                tokio::spawn(retire(None, self.store(generation)));
            }
        }
        Ok(())
    }

    /// The current generation and the one being built, as Redis says.
    async fn pointers(&self) -> Result<(Option<u64>, Option<u64>), Error> {
        let current = generations::current(&self.redis, &self.control).await?;
        let building = generations::being_built(&self.redis, &self.control).await?;
        Ok((current, building))
    }

    /// Whose layout generation `generation` holds.
    async fn layout(&self, generation: Option<u64>) -> Result<Layout, Error> {
        let Some(generation) = generation else { return Ok(Layout::NoGeneration) };
        let format: Option<String> =
            self.redis.get(self.control.generation(generation).full(relative::FORMAT)).await?;
        Ok(Layout::of(format.as_deref()))
    }

    fn store(&self, generation: u64) -> ProjectionStore {
        ProjectionStore::new(self.redis.clone(), self.control.clone(), generation)
    }

    /// Starts following `generation`, leading it when no other process does; in smaller batches while
    /// it is filled `beside_readers` of another.
    fn follow(&self, generation: u64, beside_readers: bool, shutdown: &CancellationToken) -> Running {
        let store = ProjectionStore::new(self.redis.clone(), self.control.clone(), generation);
        let mut projection =
            Projection::new(store, self.redis.clone(), self.clock.clone(), self.status.clone());
        let name = format!("projector:{}{generation}", relative::GENERATION_PREFIX);
        let mut following = self.following.clone();
        if beside_readers {
            following.batch_size = following.batch_size.min(self.beside_readers);
        }
        let mut follower = Follower::new(self.pool.clone(), &name, following);
        let stop = shutdown.child_token();
        let until = stop.clone();
        let task = tokio::spawn(async move {
            // The projection has no link of its own to lose: following ends only when stopped.
            if let Err(error) = follower.run(&mut projection, &until).await {
                tracing::error!(error = format!("{error:#}"), generation, "following a generation failed");
            }
        });
        tracing::info!(generation, "following a generation of the documents");
        Running { stop, task, retire_at: None }
    }
}

/// Whose layout a generation holds, by its layout key (`FORMAT`, a number that grows with each change).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    /// There is no such generation.
    NoGeneration,
    /// Nothing projected into it yet.
    Unwritten,
    /// This release's.
    Ours,
    /// An earlier release's: replaced by a generation of this one.
    Older,
    /// A later release's (this process is the old one in a rolling deploy): left to that release.
    Newer,
}

impl Layout {
    fn of(format: Option<&str>) -> Self {
        let ours: u32 = FORMAT.parse().expect("FORMAT is a number");
        match format.map(|format| format.parse::<u32>().unwrap_or(0)) {
            None => Self::Unwritten,
            Some(theirs) if theirs == ours => Self::Ours,
            Some(theirs) if theirs < ours => Self::Older,
            Some(_) => Self::Newer,
        }
    }

    fn needs_a_new_generation(self) -> bool {
        matches!(self, Self::NoGeneration | Self::Older)
    }

    fn is_followed(self) -> bool {
        matches!(self, Self::Unwritten | Self::Ours)
    }
}

/// Deletes a replaced (or abandoned) generation's documents, once its follower here (if any) stopped.
async fn retire(following: Option<JoinHandle<()>>, store: ProjectionStore) {
    if let Some(following) = following {
        let _ = following.await;
    }
    let generation = store.generation();
    match store.delete().await {
        Ok(deleted) => tracing::info!(generation, deleted, "deleted a replaced generation"),
        Err(error) => tracing::warn!(%error, generation, "cannot delete a replaced generation"),
    }
}
