//! What a follower drives: the part of a log reader that differs from one reader to the next (where
//! its checkpoint lives, what it does with a batch, which link of its own can fail).

use std::fmt::Display;
use std::future::Future;

use crate::{Checkpoint, Lag, LoggedEvent};

/// Why handling stopped short; the follower decides what comes next.
#[derive(Debug)]
pub enum Interrupt<E> {
    /// The stored checkpoint is not where this reader left it (or must be read again): resume from it
    /// at once.
    Resume,
    /// Something failed (the log, the consumer's store): pause, then resume from the stored
    /// checkpoint, still leading if the lock survived.
    Failed(E),
    /// A newer leader took over: stand by.
    Deposed,
    /// The consumer's own link is gone: [`Follower::run`](super::Follower::run) returns the error,
    /// keeping the lock, so the caller can reconnect and run again.
    Disconnected(E),
}

/// A reader of the log that a [`Follower`](super::Follower) leads. Batches are read and planned
/// ahead: while one batch is handled, the next is read and planned, so [`plan`](Self::plan) gets
/// state of its own ([`Planner`](Self::Planner)) rather than `self`.
pub trait Consumer {
    /// What planning carries from batch to batch, set up anew by each [`resume`](Self::resume).
    type Planner: Send;
    /// What a batch is turned into before it is handled.
    type Planned: Send;
    /// What can go wrong, reading the log included; logged with `{:#}`, so `anyhow::Error` shows its
    /// cause chain.
    type Error: Display + Send + From<sqlx::Error>;

    /// Now leading with `fencing_token`: the stored checkpoint to read on from, and a fresh planner.
    fn resume(
        &mut self,
        fencing_token: i64,
    ) -> impl Future<Output = Result<(Checkpoint, Self::Planner), Interrupt<Self::Error>>> + Send;

    /// Turns a batch into what [`handle`](Self::handle) needs, on the CPU only: it runs while the batch
    /// before is still being handled.
    fn plan(planner: &mut Self::Planner, batch: &[LoggedEvent]) -> Self::Planned;

    /// Handles `batch`, which follows `after`. It may keep the batch in flight until the next call or
    /// [`flush`](Self::flush). Returns the checkpoint up to which everything is now durably handled,
    /// when that moved.
    fn handle(
        &mut self,
        after: Checkpoint,
        batch: &[LoggedEvent],
        planned: Self::Planned,
    ) -> impl Future<Output = Result<Option<Checkpoint>, Interrupt<Self::Error>>> + Send;

    /// Finishes whatever [`handle`](Self::handle) kept in flight; the checkpoint that moved to, if any.
    fn flush(&mut self) -> impl Future<Output = Result<Option<Checkpoint>, Interrupt<Self::Error>>> + Send {
        async { Ok(None) }
    }

    /// Whether the consumer's own link (if any) is still up; asked while standing by and while idle,
    /// so a quiet log does not hide its failure for long.
    fn connected(&self) -> Result<(), Self::Error> {
        Ok(())
    }

    /// While the log is quiet: whether this reader may go on from `checkpoint` (for instance, nothing
    /// moved the stored checkpoint underneath it).
    fn check_idle(
        &mut self,
        checkpoint: Checkpoint,
    ) -> impl Future<Output = Result<(), Interrupt<Self::Error>>> + Send {
        let _ = checkpoint;
        async { Ok(()) }
    }

    /// The lag measured from `checkpoint`, the last one durably handled: how many events are left and
    /// how old the oldest of them is. Measured about once a second while leading, whether batches are
    /// handled, the log is quiet, or handling keeps failing (then its errors are only logged).
    fn measured_lag(
        &mut self,
        lag: Lag,
        checkpoint: Checkpoint,
    ) -> impl Future<Output = Result<(), Interrupt<Self::Error>>> + Send;

    /// Whether this process now leads (after a resume) or no longer does.
    fn set_leading(&self, leading: bool);
}
