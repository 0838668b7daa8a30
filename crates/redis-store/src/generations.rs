//! Generations of the documents: every projected key lives under `{prefix}gen{n}:`, and one control
//! key names the generation readers read. A rebuild fills the next generation from the log while the
//! current one keeps serving (and keeps being updated); once the new one reaches the head of the log, one
//! fenced step makes it current (`ProjectionStore::switch_to`), and the old one is deleted a little later,
//! after every reader has moved on.
//!
//! Readers follow the pointer through a [`CurrentGeneration`], which polls it. Reads that must see a
//! write (read-your-writes) take the pointer in the same round trip ([`CurrentGeneration::mget`]), and
//! what services write ahead of the projector is written where Redis resolves the pointer
//! ([`CurrentGeneration::write`]); other reads may read the replaced generation for up to a poll
//! interval after a switch, which is why the projector keeps that one up to date for a grace period
//! before deleting it.

use std::sync::{Arc, RwLock, Weak};
use std::time::Duration;

use fred::bytes::Bytes;
use fred::prelude::*;
use fred::types::Value;
use read_model::Keys;
use read_model::keys::relative;

/// How often readers read the pointer.
pub const POLL: Duration = Duration::from_millis(100);

/// The number no generation has: readers read under it (finding nothing) until a first one is complete.
const NONE: u64 = 0;

/// The generation readers read, if one is complete.
pub async fn current(client: &Client, control: &Keys) -> Result<Option<u64>, Error> {
    let stored: Option<String> = client.get(control.current_generation()).await?;
    Ok(stored.and_then(|text| text.parse().ok()))
}

/// The generation being built, while a rebuild runs.
pub async fn being_built(client: &Client, control: &Keys) -> Result<Option<u64>, Error> {
    let stored: Option<String> = client.get(control.next_generation()).await?;
    Ok(stored.and_then(|text| text.parse().ok()))
}

/// Asks for a rebuild: the number of the generation to fill, the one being built already unless
/// `replace` asks for a new one. Needs the projection's Function library loaded.
pub async fn request(client: &Client, control: &Keys, replace: bool) -> Result<u64, Error> {
    let args = vec![control.prefix().to_owned(), if replace { "1" } else { "0" }.to_owned()];
    let number: String = client.fcall("reprise_request_generation_v7", Vec::<String>::new(), args).await?;
    number.parse().map_err(|_| Error::new(ErrorKind::Parse, format!("generation {number:?}")))
}

/// Deletes what a release before generations projected straight under the control prefix (found by its
/// checkpoint there): every key under the prefix except generations, their pointers, the workers' keys
/// and command-api's counters. Returns how many keys went.
pub async fn clear_unversioned(client: &Client, control: &Keys) -> Result<u64, Error> {
    let checkpoint: i64 = client.exists(control.checkpoint()).await?;
    if checkpoint == 0 {
        return Ok(0);
    }
    // Kept: the generations and their pointers, the workers' keys and claim marks, command-api's
    // counters; and the checkpoint until the end, so that a clear cut short is done again.
    let kept = [relative::GENERATION_PREFIX, "worker", "claimed:", "ratelimit:", relative::CHECKPOINT]
        .map(|relative| control.full(relative));
    let cleared =
        delete_under(client, control.prefix(), |key| !kept.iter().any(|kept| key.starts_with(kept))).await?;
    client.unlink::<u64, _>(control.checkpoint()).await.map(|last| cleared + last)
}

/// Deletes every key under `control`'s prefix: every generation, the pointers and the workers' keys (a
/// deployment or a test torn down).
pub async fn delete_everything(client: &Client, control: &Keys) -> Result<u64, Error> {
    delete_under(client, control.prefix(), |_| true).await
}

/// Deletes every key under `prefix` that `doomed` picks, in pages.
pub(crate) async fn delete_under(
    client: &Client,
    prefix: &str,
    doomed: impl Fn(&str) -> bool,
) -> Result<u64, Error> {
    use futures::StreamExt as _;
    let mut pages = client.scan_buffered(format!("{}*", escape_glob(prefix)), Some(1000), None);
    let mut batch = Vec::new();
    let mut deleted = 0;
    while let Some(key) = pages.next().await {
        let key = key?;
        if key.as_str().is_some_and(&doomed) {
            batch.push(key);
        }
        if batch.len() >= 500 {
            deleted += client.unlink::<u64, _>(std::mem::take(&mut batch)).await?;
        }
    }
    if !batch.is_empty() {
        deleted += client.unlink::<u64, _>(batch).await?;
    }
    Ok(deleted)
}

fn escape_glob(prefix: &str) -> String {
    prefix.chars().fold(String::new(), |mut out, c| {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            out.push('\\');
        }
        out.push(c);
        out
    })
}

/// The generation a reader reads: the pointer as last polled. Cloned handles share it; the poll stops
/// when the last handle is dropped.
#[derive(Clone)]
pub struct CurrentGeneration {
    inner: Arc<Watched>,
}

struct Watched {
    control: Keys,
    /// The number and its keys, taken together.
    current: RwLock<(u64, Keys)>,
    changes: tokio::sync::watch::Sender<u64>,
}

impl CurrentGeneration {
    /// Follows the pointer under `control`'s prefix through `client`, polling it every [`POLL`].
    pub fn watch(client: Client, control: Keys) -> Self {
        let (changes, _) = tokio::sync::watch::channel(NONE);
        let current = RwLock::new((NONE, control.generation(NONE)));
        let inner = Arc::new(Watched { control, current, changes });
        tokio::spawn(poll(client, Arc::downgrade(&inner)));
        Self { inner }
    }

    /// The keys of the generation to read (of none, where nothing is found, until one is complete).
    pub fn keys(&self) -> Keys {
        self.inner.current().1
    }

    /// The keys above every generation.
    pub fn control(&self) -> &Keys {
        &self.inner.control
    }

    /// Reads the pointer now, rather than at the next poll.
    pub async fn refresh(&self, client: &Client) -> Result<(), Error> {
        let number = current(client, &self.inner.control).await?.unwrap_or(NONE);
        self.inner.set(number);
        Ok(())
    }

    /// Reads the keys `keys_of` names in the current generation, and the pointer with them, in one
    /// `MGET`: when the pointer has moved since the last poll, follows it at once and reads again. So
    /// a read that must see a write (read-your-writes) never reads a generation a switch replaced.
    pub async fn mget(
        &self,
        client: &Client,
        keys_of: impl Fn(&Keys) -> Vec<String>,
    ) -> Result<Vec<Option<Bytes>>, Error> {
        let (mut number, mut keys) = self.inner.current();
        for _ in 0..3 {
            let mut names = vec![self.inner.control.current_generation()];
            names.extend(keys_of(&keys));
            let mut values: Vec<Option<Bytes>> = client.mget(names).await?;
            let pointer = values.remove(0);
            let pointer = pointer
                .as_deref()
                .and_then(|text| std::str::from_utf8(text).ok()?.parse().ok())
                .unwrap_or(NONE);
            if pointer == number {
                return Ok(values);
            }
            self.inner.set(pointer);
            (number, keys) = (pointer, self.inner.control.generation(pointer));
        }
        Err(Error::new(ErrorKind::Unknown, "the current generation changed three times in a row"))
    }

    /// The one key `key_of` names in the current generation, read as [`Self::mget`] reads.
    pub async fn get(
        &self,
        client: &Client,
        key_of: impl Fn(&Keys) -> String,
    ) -> Result<Option<Bytes>, Error> {
        Ok(self.mget(client, |keys| vec![key_of(keys)]).await?.into_iter().next().flatten())
    }

    /// Writes what the projector will also write (a session's record, a job's first document) in the
    /// generation current when Redis runs the write, resolved there: `SET relative value [options]`,
    /// `MSETNX relative value …` (all or none) or `SETNX relative value …` (each pair unless its key
    /// is there). Nothing is written while no generation is complete.
    pub async fn write(&self, client: &Client, command: &str, arguments: Vec<String>) -> Result<(), Error> {
        let mut args = vec![self.inner.control.prefix().to_owned(), command.to_owned()];
        args.extend(arguments);
        client
            .fcall::<Value, _, _, _>("reprise_write_current_v7", Vec::<String>::new(), args)
            .await
            .map(|_| ())
    }

    /// Tells of every change of generation, by its number.
    pub fn changes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.inner.changes.subscribe()
    }
}

impl Watched {
    fn current(&self) -> (u64, Keys) {
        self.current.read().expect("never poisoned: nothing panics holding it").clone()
    }

    fn set(&self, number: u64) {
        let mut current = self.current.write().expect("never poisoned: nothing panics holding it");
        if current.0 != number {
            *current = (number, self.control.generation(number));
            drop(current);
            self.changes.send_replace(number);
            tracing::info!(generation = number, "reading a new generation of the documents");
        }
    }
}

async fn poll(client: Client, watched: Weak<Watched>) {
    loop {
        let Some(watched) = watched.upgrade() else { return };
        match current(&client, &watched.control).await {
            Ok(number) => watched.set(number.unwrap_or(NONE)),
            Err(error) => tracing::debug!(%error, "cannot read the current generation"),
        }
        drop(watched);
        tokio::time::sleep(POLL).await;
    }
}
