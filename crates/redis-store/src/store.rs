//! The projector's side of Redis: the checkpoint, the fencing token and the atomic apply.
//!
//! The checkpoint is the log reader's: any type that writes itself as text and reads itself back
//! (`eventlog::Checkpoint`), which the Function compares as stored.

use std::fmt::Display;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use fred::prelude::*;
use read_model::Op;
use read_model::board_write::Landing;
use read_model::boards::timestamp;
use read_model::keys::{Keys, relative};

mod reads;

pub use reads::Stored;

/// The Redis Function library; loading it again with the same code changes nothing.
pub const LIBRARY: &str = include_str!("projection.lua");

/// The layout of the documents this code writes. Change it whenever the layout changes: a projector
/// finding another layout under its prefix rebuilds everything from the log instead of mixing the two.
/// 7: a `sum` entry keeps its exact total beyond ±2^53 (entries written by 6 saturated at every batch).
/// 8: one ready queue per job kind (a sorted set by priority and sequence, not a list per priority),
/// queue settings per kind, and per-kind counts of the jobs' statuses kept from the log.
/// 9: a worker job's field hash keeps only what the queue reads; its document is rendered from the
/// document stored (an earlier projector would render it from the hash).
pub const FORMAT: &str = "9";

/// Why a batch was not applied.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// Another projector holds a larger fencing token: this one must stop writing.
    #[error("another projector took over")]
    Fenced,
    /// The stored checkpoint is not the one the batch started from (a resent batch, a rebuild).
    #[error("the stored checkpoint moved on")]
    CheckpointMoved,
    /// Redis did not answer, or answered something else; whether the batch applied is unknown.
    #[error("redis failed: {0}")]
    Redis(#[from] Error),
}

/// What asking to make a generation the current one did.
#[derive(Debug, PartialEq, Eq)]
pub enum Switch {
    /// Readers now read it; the number of the generation it replaced, if there was one.
    Done {
        /// The replaced generation.
        replaced: Option<u64>,
    },
    /// Not yet: it is behind the current generation's checkpoint (which moves on too); ask again later.
    Behind,
    /// It is not (or no longer) the generation a rebuild asked for.
    NotAsked,
}

/// A batch ready to send: the Function's arguments, and what it writes to boards and jobs.
pub struct PreparedBatch {
    /// The arguments, for [`ProjectionStore::send`].
    pub args: FunctionArgs,
    /// What the batch writes to boards and jobs, for the next batch's reads made before this one lands.
    pub landing: Landing,
}

/// The Redis Function's arguments for one batch.
pub struct FunctionArgs(Vec<String>);

/// Reads and writes the projector's state in one generation of the documents in Redis.
#[derive(Clone)]
pub struct ProjectionStore {
    client: Client,
    control: Keys,
    generation: u64,
    keys: Keys,
}

impl ProjectionStore {
    /// Generation `generation` of the documents under `control`'s prefix, through a client that never
    /// resends.
    pub fn new(client: Client, control: Keys, generation: u64) -> Self {
        let keys = control.generation(generation);
        Self { client, control, generation, keys }
    }

    /// The generation's key layout.
    pub fn keys(&self) -> &Keys {
        &self.keys
    }

    /// The keys above every generation (which one is current, the job queue's workers).
    pub fn control(&self) -> &Keys {
        &self.control
    }

    /// The generation this store writes.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Makes this generation, built to the head of the log, the one readers read. Only this
    /// generation's leader (`fence`) may, only while it is the generation being built, and only once it
    /// is at or past the current one's checkpoint.
    pub async fn switch_to(&self, fence: i64) -> Result<Switch, ApplyError> {
        let args = vec![
            self.control.prefix().to_owned(),
            self.generation.to_string(),
            self.keys.prefix().to_owned(),
            fence.to_string(),
        ];
        let switched: Result<String, Error> =
            self.client.fcall("reprise_switch_generation_v7", Vec::<String>::new(), args).await;
        match switched {
            Ok(replaced) => Ok(Switch::Done { replaced: replaced.parse().ok() }),
            Err(error) if error.details().starts_with("BEHIND") => Ok(Switch::Behind),
            Err(error) if error.details().starts_with("MOVED_ON") => Ok(Switch::NotAsked),
            Err(error) if error.details().starts_with("FENCED") => Err(ApplyError::Fenced),
            Err(error) => Err(ApplyError::Redis(error)),
        }
    }

    /// Loads (or replaces with the same code) the Redis Function library.
    pub async fn load_library(&self) -> Result<(), Error> {
        self.client.function_load::<String, _>(true, LIBRARY).await.map(|_| ())
    }

    /// The stored checkpoint; `None` when Redis lost it (or never had it) and the projection must be
    /// rebuilt from the start of the log.
    pub async fn checkpoint<C: FromStr>(&self) -> Result<Option<C>, Error> {
        let stored: Option<String> = self.client.get(self.keys.checkpoint()).await?;
        Ok(stored.and_then(|text| text.parse().ok()))
    }

    /// The layout version stored under the prefix, if any.
    pub async fn format(&self) -> Result<Option<String>, Error> {
        self.client.get(self.keys.full(relative::FORMAT)).await
    }

    /// Makes `token` the fencing token; `false` when a larger one is already stored.
    pub async fn claim_fence(&self, token: i64) -> Result<bool, Error> {
        let args = vec![self.keys.prefix().to_owned(), token.to_string()];
        let claimed: i64 = self.client.fcall("reprise_claim_fence_v7", Vec::<String>::new(), args).await?;
        Ok(claimed == 1)
    }

    /// Applies `ops` and moves the checkpoint from `from` (`None`: no checkpoint stored) to `to`, all at
    /// once, provided `fence` is still the stored fencing token: [`Self::stored`], then
    /// [`Self::prepare`] and [`Self::send`].
    pub async fn apply<C: Display>(
        &self,
        fence: i64,
        from: Option<C>,
        to: C,
        now: DateTime<Utc>,
        ops: Vec<Op>,
    ) -> Result<(), ApplyError> {
        let stored = self.stored(&ops, None).await?;
        self.send(self.prepare(fence, from, to, now, ops, stored).args).await
    }

    /// The Function's arguments for `ops`, given what their boards and jobs store, and what the batch
    /// writes to boards and jobs.
    pub fn prepare<C: Display>(
        &self,
        fence: i64,
        from: Option<C>,
        to: C,
        now: DateTime<Utc>,
        ops: Vec<Op>,
        stored: Stored,
    ) -> PreparedBatch {
        // Board updates and job documents reserve their own room; ten arguments cover the others.
        let mut args = Vec::with_capacity(7 + ops.len() * 10);
        args.extend([
            self.keys.prefix().to_owned(),
            self.control.prefix().to_owned(),
            self.generation.to_string(),
            fence.to_string(),
            from.map(|c| c.to_string()).unwrap_or_default(),
            to.to_string(),
            timestamp(now),
        ]);
        let mut landing = Landing::default();
        crate::encode::encode_batch(ops, stored, &mut args, &mut landing);
        PreparedBatch { args: FunctionArgs(args), landing }
    }

    /// Applies a prepared batch, all of it or nothing.
    pub async fn send(&self, args: FunctionArgs) -> Result<(), ApplyError> {
        let applied: Result<String, Error> =
            self.client.fcall("reprise_apply_v7", Vec::<String>::new(), args.0).await;
        match applied {
            Ok(_) => Ok(()),
            Err(error) if error.details().starts_with("FENCED") => Err(ApplyError::Fenced),
            Err(error) if error.details().starts_with("MOVED_ON") => Err(ApplyError::CheckpointMoved),
            Err(error) => Err(ApplyError::Redis(error)),
        }
    }

    /// Deletes every key of this generation, before filling it again from the start of the log.
    pub async fn clear(&self) -> Result<u64, Error> {
        crate::generations::delete_under(&self.client, self.keys.prefix(), |_| true).await
    }

    /// Deletes every key of this generation, once readers no longer read it (or it was abandoned), then
    /// its name from the generations handed out.
    pub async fn delete(&self) -> Result<u64, Error> {
        let deleted = crate::generations::delete_under(&self.client, self.keys.prefix(), |_| true).await?;
        self.client.srem::<i64, _, _>(self.control.all_generations(), self.generation).await?;
        Ok(deleted)
    }
}
