//! The relaying loop: keep a link to RabbitMQ, lead (or stand by), then publish batch after batch and
//! advance the checkpoint. Every failure ends in the same place: drop what failed, pause, and resume
//! from the stored checkpoint.

use std::sync::Arc;
use std::time::{Duration, Instant};

use eventlog::{Checkpoint, EventLogReader, Leader, Leadership, Wakeups};
use messaging::{Envelope, Topology};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use crate::Status;
use crate::checkpoints::Checkpoints;
use crate::link::Link;

/// How often a standby asks for the lock.
const STAND_BY: Duration = Duration::from_millis(500);

/// How long the broker may take to confirm a whole batch.
const CONFIRM_TIMEOUT: Duration = Duration::from_secs(30);

/// How often the lag is measured while catching up.
const LAG_EVERY: Duration = Duration::from_secs(1);

/// How long the lock's connection may take to answer before the lock counts as lost: a silent
/// network partition would otherwise hang the relay until TCP gives up.
const LEADS_TIMEOUT: Duration = Duration::from_secs(5);

pub(crate) struct Follower {
    pub reader: EventLogReader,
    pub leadership: Leadership,
    pub checkpoints: Checkpoints,
    pub topology: Topology,
    pub rabbitmq: settings::RabbitSettings,
    pub pool: PgPool,
    pub status: Arc<Status>,
    pub batch_size: i64,
    pub poll: Duration,
    /// After a partial batch, the next one starts no sooner than this after it (`relay.gather_ms`).
    pub gather: Duration,
}

/// Why relaying stopped.
enum Stop {
    Shutdown,
    /// The link to RabbitMQ failed: reconnect, then resume from the stored checkpoint.
    Broker(anyhow::Error),
    /// Postgres failed: resume from the stored checkpoint, still leading if the lock survived.
    Database(anyhow::Error),
    /// Leadership is lost: stand by.
    Deposed,
}

impl Follower {
    /// Relays until `shutdown`, reconnecting to RabbitMQ after every failure.
    pub async fn run(&self, shutdown: CancellationToken) {
        let mut leader = None;
        let mut reconnect = Backoff::new(Duration::from_millis(200), Duration::from_secs(5));
        while !shutdown.is_cancelled() {
            let opened = tokio::select! {
                opened = Link::open(&self.rabbitmq, &self.topology) => opened,
                _ = shutdown.cancelled() => break,
            };
            let error = match opened {
                Ok(link) => {
                    self.status.set_connected(true);
                    tracing::info!("connected to RabbitMQ");
                    let published = self.status.published();
                    let stop = self.with_link(&link, &mut leader, &shutdown).await;
                    self.status.set_connected(false);
                    link.close().await;
                    if self.status.published() > published {
                        reconnect.reset();
                    }
                    match stop {
                        Stop::Broker(error) => error,
                        _ => break,
                    }
                }
                Err(error) => error,
            };
            let pause = reconnect.next();
            tracing::warn!(error = format!("{error:#}"), ?pause, "RabbitMQ is unavailable; reconnecting");
            pause_unless_stopped(pause, &shutdown).await;
        }
        self.status.set_leading(false);
    }

    /// Leads or stands by on `link` until it fails or `shutdown`; returns only those two stops.
    async fn with_link(
        &self,
        link: &Link,
        leader: &mut Option<Leader>,
        shutdown: &CancellationToken,
    ) -> Stop {
        let mut database = Backoff::new(Duration::from_millis(200), Duration::from_secs(5));
        loop {
            let current = match leader {
                Some(current) => current,
                None => match self.stand_by(link, shutdown).await {
                    Ok(elected) => {
                        tracing::info!(fencing_token = elected.fencing_token, "leading the relay");
                        leader.insert(elected)
                    }
                    Err(stop) => return stop,
                },
            };
            self.status.set_leading(true);
            let published = self.status.published();
            match self.lead(link, current, shutdown).await {
                Stop::Deposed => {
                    tracing::warn!("lost the relay's leadership; standing by");
                    *leader = None;
                    self.status.set_leading(false);
                }
                Stop::Database(error) => {
                    if self.status.published() > published {
                        database.reset();
                    }
                    let pause = database.next();
                    tracing::warn!(error = format!("{error:#}"), ?pause, "Postgres failed; resuming");
                    if !still_leads(current).await {
                        *leader = None;
                        self.status.set_leading(false);
                    }
                    if !pause_unless_stopped(pause, shutdown).await {
                        return Stop::Shutdown;
                    }
                }
                stop => return stop,
            }
        }
    }

    /// Waits for the lock while the link stays up.
    async fn stand_by(&self, link: &Link, shutdown: &CancellationToken) -> Result<Leader, Stop> {
        loop {
            match self.leadership.try_acquire().await {
                Ok(Some(leader)) => return Ok(leader),
                Ok(None) => tracing::debug!("another relay leads; standing by"),
                Err(error) => tracing::warn!(%error, "cannot reach Postgres to lead"),
            }
            if !link.is_connected() {
                return Err(Stop::Broker(anyhow::anyhow!("the connection to RabbitMQ closed")));
            }
            if !pause_unless_stopped(STAND_BY, shutdown).await {
                return Err(Stop::Shutdown);
            }
        }
    }

    /// Publishes batches from the stored checkpoint on, each confirmed before the checkpoint moves.
    async fn lead(&self, link: &Link, leader: &mut Leader, shutdown: &CancellationToken) -> Stop {
        let fence = leader.fencing_token;
        let mut checkpoint = match self.checkpoints.load().await {
            Ok(checkpoint) => checkpoint,
            Err(error) => return Stop::Database(anyhow::Error::new(error).context("reading the checkpoint")),
        };
        tracing::info!(%checkpoint, "publishing from the stored checkpoint");
        let mut wakeups = Wakeups::new(self.pool.clone(), self.poll);
        let mut held_back = Backoff::new(Duration::from_millis(2), Duration::from_millis(500));
        let mut waiting = false;
        let mut lag_measured = Instant::now() - LAG_EVERY;
        loop {
            if shutdown.is_cancelled() {
                return Stop::Shutdown;
            }
            let cycle = Instant::now();
            let batch = match self.reader.next_batch(checkpoint, self.batch_size).await {
                Ok(batch) => batch,
                Err(error) => return Stop::Database(anyhow::Error::new(error).context("reading the log")),
            };
            if lag_measured.elapsed() >= LAG_EVERY || batch.is_empty() {
                self.measure_lag(checkpoint).await;
                lag_measured = Instant::now();
            }
            let Some(last) = batch.last().map(|event| event.checkpoint) else {
                if waiting {
                    // A notification came, but its transaction is still held back by an older open one,
                    // and no further notification may come for it.
                    let pause = held_back.next();
                    waiting = pause < held_back.last;
                    tokio::time::sleep(pause).await;
                    continue;
                }
                match self.idle(link, leader, &mut wakeups, shutdown).await {
                    Ok(notified) => {
                        waiting = notified;
                        held_back.reset();
                    }
                    Err(stop) => return stop,
                }
                continue;
            };
            waiting = false;
            let envelopes: Vec<Envelope> = batch.iter().map(Envelope::from).collect();
            match tokio::time::timeout(CONFIRM_TIMEOUT, link.publisher.publish_all(&envelopes)).await {
                Ok(Ok(())) => {}
                Ok(Err(error)) => return Stop::Broker(error.into()),
                Err(_elapsed) => {
                    return Stop::Broker(anyhow::anyhow!("no confirms within {CONFIRM_TIMEOUT:?}"));
                }
            }
            match self.checkpoints.advance(fence, last).await {
                Ok(true) => {}
                Ok(false) => return Stop::Deposed,
                Err(error) => {
                    return Stop::Database(anyhow::Error::new(error).context("advancing the checkpoint"));
                }
            }
            checkpoint = last;
            self.status.add_published(batch.len());
            tracing::debug!(%checkpoint, events = batch.len(), "published a batch");
            if (batch.len() as i64) < self.batch_size {
                // Steady traffic: let the next few milliseconds' commits gather into one batch.
                pause_unless_stopped(self.gather.saturating_sub(cycle.elapsed()), shutdown).await;
            }
        }
    }

    /// Waits for new events; `Ok(true)` when a notification woke it. Checks first that this process
    /// still leads and that the link is up, so a quiet log does not hide either failure for long.
    async fn idle(
        &self,
        link: &Link,
        leader: &mut Leader,
        wakeups: &mut Wakeups,
        shutdown: &CancellationToken,
    ) -> Result<bool, Stop> {
        if !still_leads(leader).await {
            return Err(Stop::Deposed);
        }
        if !link.is_connected() {
            return Err(Stop::Broker(anyhow::anyhow!("the connection to RabbitMQ closed")));
        }
        tokio::select! {
            notified = wakeups.wait() => Ok(notified),
            _ = shutdown.cancelled() => Ok(false),
        }
    }

    async fn measure_lag(&self, checkpoint: Checkpoint) {
        match self.reader.estimated_lag(checkpoint).await {
            Ok(lag) => self.status.set_lag(lag),
            Err(error) => tracing::debug!(%error, "cannot measure the lag"),
        }
    }
}

/// Whether `leader`'s lock connection still answers, within a bound.
async fn still_leads(leader: &mut Leader) -> bool {
    tokio::time::timeout(LEADS_TIMEOUT, leader.still_leads()).await.unwrap_or(false)
}

/// Sleeps for `pause`; `false` when `shutdown` came first.
async fn pause_unless_stopped(pause: Duration, shutdown: &CancellationToken) -> bool {
    tokio::select! {
        _ = tokio::time::sleep(pause) => true,
        _ = shutdown.cancelled() => false,
    }
}

/// Doubling pauses between `first` and `last`.
struct Backoff {
    first: Duration,
    last: Duration,
    next: Duration,
}

impl Backoff {
    fn new(first: Duration, last: Duration) -> Self {
        Self { first, last, next: first }
    }

    fn next(&mut self) -> Duration {
        let pause = self.next;
        self.next = (pause * 2).min(self.last);
        pause
    }

    fn reset(&mut self) {
        self.next = self.first;
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::Backoff;

    #[test]
    fn a_backoff_doubles_up_to_its_ceiling_and_starts_over_when_reset() {
        let mut backoff = Backoff::new(Duration::from_millis(200), Duration::from_secs(1));
        let pauses: Vec<u64> = (0..5).map(|_| backoff.next().as_millis() as u64).collect();
        assert_eq!(pauses, [200, 400, 800, 1000, 1000]);
        backoff.reset();
        assert_eq!(backoff.next(), Duration::from_millis(200));
    }
}
