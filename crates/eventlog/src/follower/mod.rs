//! One way to follow the log, for every single-active reader (the projector, the relay): stand by
//! until elected, resume from the reader's own checkpoint, read batches in order without skipping,
//! measure the lag, sleep while the log is quiet, back off after failures, and hand every batch to a
//! [`Consumer`], which keeps its checkpoint where its exactly-once design needs it.

mod consumer;
mod lead;

use std::time::Duration;

use backoff::{Backoff, pause_unless_stopped};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use crate::{Checkpoint, EventLogReader, Leader, Leadership, Whole};

pub use consumer::{Consumer, Interrupt};

/// How often a standby asks for the lock.
const STAND_BY: Duration = Duration::from_millis(500);

/// How long the lock's connection may take to answer before the lock counts as lost: a silent
/// network partition would otherwise hang the reader until TCP gives up.
const LEADS_TIMEOUT: Duration = Duration::from_secs(5);

/// How a follower paces itself.
#[derive(Debug, Clone)]
pub struct FollowSettings {
    /// The most events read at once.
    pub batch_size: i64,
    /// How long a quiet log is waited on before reading again without a notification.
    pub poll: Duration,
    /// After a partial batch, the next one starts no sooner than this after it, so the next few
    /// milliseconds' commits gather into one batch.
    pub gather: Duration,
    /// The pauses after a failure, before resuming from the stored checkpoint; reset by progress.
    pub retry: Backoff,
}

/// Leads a [`Consumer`] through the log, or stands by while another process does.
pub struct Follower {
    name: String,
    pool: PgPool,
    reader: EventLogReader,
    leadership: Leadership,
    settings: FollowSettings,
    /// Kept across [`run`](Self::run)s, so a consumer that reconnects its own link keeps the lead.
    leader: Option<Leader>,
    /// Up to where the consumer has durably handled the log while this process leads: the lag is
    /// measured from it even while handling fails.
    handled: Option<Checkpoint>,
}

/// How following ended, inside the follower.
enum Exit<E> {
    Shutdown,
    Disconnected(E),
}

impl Follower {
    /// A follower for readers named `name` (their advisory lock and fencing token) over `pool`'s log.
    pub fn new(pool: PgPool, name: &str, settings: FollowSettings) -> Self {
        Self {
            name: name.to_owned(),
            reader: EventLogReader::new(pool.clone()),
            leadership: Leadership::new(pool.clone(), name),
            pool,
            settings,
            leader: None,
            handled: None,
        }
    }

    /// Reads only the events `whole` names with their payload and metadata
    /// ([`EventLogReader::reading_whole`]); the consumer still sees, and checkpoints past, every event.
    pub fn reading_whole(mut self, whole: Whole) -> Self {
        self.reader = self.reader.reading_whole(whole);
        self
    }

    /// Leads `consumer` (standing by while another process leads) until `shutdown`, when it lets the
    /// lock go, or until the consumer's own link fails: then the error, and the lock is kept for the
    /// next run.
    pub async fn run<C: Consumer>(
        &mut self,
        consumer: &mut C,
        shutdown: &CancellationToken,
    ) -> Result<(), C::Error> {
        match self.follow(consumer, shutdown).await {
            Exit::Disconnected(error) => Err(error),
            Exit::Shutdown => {
                (self.leader, self.handled) = (None, None);
                consumer.set_leading(false);
                Ok(())
            }
        }
    }

    async fn follow<C: Consumer>(
        &mut self,
        consumer: &mut C,
        shutdown: &CancellationToken,
    ) -> Exit<C::Error> {
        loop {
            let mut leader = match self.leader.take() {
                Some(leader) => leader,
                None => match self.stand_by(consumer, shutdown).await {
                    Ok(leader) => leader,
                    Err(exit) => return exit,
                },
            };
            let Some(interrupt) = lead::Lead::new(self, &mut leader, consumer, shutdown).run().await else {
                return Exit::Shutdown;
            };
            if let Err(exit) = self.recover(interrupt, leader, consumer, shutdown).await {
                return exit;
            }
        }
    }

    /// Waits for the lock while the consumer's link stays up.
    async fn stand_by<C: Consumer>(
        &self,
        consumer: &C,
        shutdown: &CancellationToken,
    ) -> Result<Leader, Exit<C::Error>> {
        loop {
            match self.leadership.try_acquire().await {
                Ok(Some(leader)) => {
                    tracing::info!(fencing_token = leader.fencing_token, "leading the {}", self.name);
                    return Ok(leader);
                }
                Ok(None) => tracing::debug!("another {} leads; standing by", self.name),
                Err(error) => tracing::warn!(%error, "cannot reach Postgres to lead"),
            }
            consumer.connected().map_err(Exit::Disconnected)?;
            pause_unless_stopped(STAND_BY, shutdown).await.ok_or(Exit::Shutdown)?;
        }
    }

    /// After an interrupted lead: keeps the lock while it holds (and the consumer can use it), pausing
    /// first after a failure.
    async fn recover<C: Consumer>(
        &mut self,
        interrupt: Interrupt<C::Error>,
        leader: Leader,
        consumer: &mut C,
        shutdown: &CancellationToken,
    ) -> Result<(), Exit<C::Error>> {
        match interrupt {
            Interrupt::Deposed => tracing::warn!("another {} took over; standing by", self.name),
            Interrupt::Disconnected(error) => {
                self.leader = Some(leader);
                return Err(Exit::Disconnected(error));
            }
            Interrupt::Resume => {
                tracing::info!("resuming from the stored checkpoint");
                self.keep_if_still_leading(leader).await;
            }
            Interrupt::Failed(error) => {
                let pause = self.settings.retry.advance();
                let error = format!("{error:#}");
                tracing::warn!(
                    error,
                    ?pause,
                    "following the log failed; resuming from the stored checkpoint"
                );
                self.keep_if_still_leading(leader).await;
                if self.leader.is_some() {
                    self.measure_lag(consumer).await;
                }
                pause_unless_stopped(pause, shutdown).await.ok_or(Exit::Shutdown)?;
            }
        }
        if self.leader.is_none() {
            self.handled = None;
            consumer.set_leading(false);
        }
        Ok(())
    }

    /// Measures the lag from the last checkpoint handled while handling fails: the log goes on growing
    /// and its oldest unhandled event ageing, so a stalled consumer must show as behind, not as it last
    /// was. Errors are only logged; the failure itself is being dealt with.
    async fn measure_lag<C: Consumer>(&self, consumer: &mut C) {
        let Some(handled) = self.handled else { return };
        match self.reader.measure_lag(handled).await {
            Ok(lag) => {
                if let Err(Interrupt::Failed(error) | Interrupt::Disconnected(error)) =
                    consumer.measured_lag(lag, handled).await
                {
                    tracing::debug!(error = format!("{error:#}"), "cannot report the lag");
                }
            }
            Err(error) => tracing::debug!(%error, "cannot measure the lag"),
        }
    }

    async fn keep_if_still_leading(&mut self, mut leader: Leader) {
        if still_leads(&mut leader).await {
            self.leader = Some(leader);
        }
    }
}

/// Whether `leader`'s lock connection still answers, within a bound.
async fn still_leads(leader: &mut Leader) -> bool {
    tokio::time::timeout(LEADS_TIMEOUT, leader.still_leads()).await.unwrap_or(false)
}
