//! Group commit: commands that many tasks issue at about the same time, on distinct aggregates of one
//! type, decided together and appended in one INSERT, so that one statement, one commit and one wakeup
//! of the log's readers serve them all.
//!
//! A [`CommandBatcher`] collects the commands of its callers. Whenever one of its few commits is free it
//! takes every command waiting, up to a batch: alone under a light load (no added latency), dozens at
//! once under a heavy one. A batch that meets a concurrent change (the unique key of a sequence refuses
//! the INSERT) runs each of its commands again alone, the ordinary way, so the outcome of every command
//! is what [`EventStore::execute`] or [`EventStore::create`] would have given it.

use std::collections::HashMap;
use std::sync::Arc;

use cqrs_es::Aggregate;
use tokio::sync::{Semaphore, mpsc, oneshot};

use crate::store::{CommandError, EventStore, Metadata, append, decide, is_unreachable};

/// What a command expects of its aggregate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// The id was just minted: decided against an empty aggregate without loading anything
    /// ([`EventStore::create`]).
    New,
    /// The aggregate is loaded first ([`EventStore::execute`]).
    Existing,
}

/// One command of a batch.
pub struct Batched<A: Aggregate> {
    /// The aggregate's id.
    pub id: String,
    /// The command.
    pub command: A::Command,
    /// The metadata of its events.
    pub metadata: Metadata,
    /// Whether to load the aggregate first.
    pub expect: Expect,
}

/// The outcome of one command.
pub type Outcome<A> = Result<(), CommandError<<A as Aggregate>::Error>>;

impl<A> EventStore<A>
where
    A: Aggregate<Services = ()>,
    A::Command: Clone,
{
    /// Runs `commands`, on distinct aggregates, and appends all their events in one INSERT; the
    /// outcomes come in the order of the commands. A command on an id that occurs earlier in the batch
    /// runs alone after it.
    pub async fn execute_together(&self, commands: Vec<Batched<A>>) -> Vec<Outcome<A>> {
        let mut seen = std::collections::HashSet::new();
        let (together, later): (Vec<_>, Vec<_>) =
            commands.into_iter().enumerate().partition(|(_, batched)| seen.insert(batched.id.clone()));
        let mut outcomes: Vec<Option<Outcome<A>>> = (0..together.len() + later.len()).map(|_| None).collect();
        let together_outcomes = self.decide_and_append(together.iter().map(|(_, b)| b).collect()).await;
        for ((index, _), outcome) in together.iter().zip(together_outcomes) {
            outcomes[*index] = Some(outcome);
        }
        for (index, batched) in &later {
            outcomes[*index] = Some(self.alone(batched).await);
        }
        outcomes.into_iter().map(|outcome| outcome.unwrap_or(Err(CommandError::Conflict))).collect()
    }

    async fn decide_and_append(&self, commands: Vec<&Batched<A>>) -> Vec<Outcome<A>> {
        let existing: Vec<&str> =
            commands.iter().filter(|b| b.expect == Expect::Existing).map(|b| b.id.as_str()).collect();
        let mut loaded = match self.load_many(&existing).await {
            Ok(loaded) => loaded,
            Err(error) => {
                let failure = SharedFailure::new(error);
                return commands.iter().map(|_| Err(failure.outcome())).collect();
            }
        };
        let mut outcomes = Vec::with_capacity(commands.len());
        let mut decided = Vec::new();
        for batched in &commands {
            let (aggregate, version) = loaded.remove(&batched.id).unwrap_or_default();
            match decide(aggregate, version, &batched.id, batched.command.clone(), &batched.metadata).await {
                Ok(new) => {
                    decided.push(new);
                    outcomes.push(Ok(()));
                }
                Err(refusal) => outcomes.push(Err(refusal)),
            }
        }
        match append(&self.pool, &decided).await {
            Ok(true) => outcomes,
            Ok(false) => {
                // Another command appended to one of them first: each decides again on what is stored.
                let mut again = Vec::with_capacity(commands.len());
                for batched in commands {
                    again.push(self.alone(batched).await);
                }
                again
            }
            Err(error) => {
                let failure = SharedFailure::new(error);
                outcomes.into_iter().map(|outcome| outcome.and_then(|()| Err(failure.outcome()))).collect()
            }
        }
    }

    async fn alone(&self, batched: &Batched<A>) -> Outcome<A> {
        let command = batched.command.clone();
        match batched.expect {
            Expect::New => self.create(&batched.id, command, &batched.metadata).await,
            Expect::Existing => self.execute(&batched.id, command, &batched.metadata).await,
        }
    }

    /// The current state and version of each aggregate in `ids` that has events, in one query.
    pub async fn load_many(&self, ids: &[&str]) -> Result<HashMap<String, (A, i64)>, sqlx::Error> {
        let mut aggregates: HashMap<String, (A, i64)> = HashMap::new();
        if ids.is_empty() {
            return Ok(aggregates);
        }
        // The payload as text, read straight into the event: no JSON tree in between.
        let rows: Vec<(String, i64, String)> = sqlx::query_as(
            "SELECT aggregate_id, sequence, payload::text FROM events \
             WHERE aggregate_type = $1 AND aggregate_id = ANY($2) ORDER BY aggregate_id, sequence",
        )
        .bind(A::TYPE)
        .bind(ids)
        .fetch_all(&self.pool)
        .await?;
        for (id, sequence, payload) in rows {
            let event: A::Event =
                serde_json::from_str(&payload).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
            let (aggregate, version) = aggregates.entry(id).or_default();
            aggregate.apply(event);
            *version = sequence;
        }
        Ok(aggregates)
    }
}

/// One database failure as the outcome of every command of a batch: each outcome holds the same
/// cause, whole, so its chain still reaches the log.
struct SharedFailure {
    unreachable: bool,
    cause: Arc<sqlx::Error>,
}

impl SharedFailure {
    fn new(error: sqlx::Error) -> Self {
        Self { unreachable: is_unreachable(&error), cause: Arc::new(error) }
    }

    fn outcome<E: std::error::Error>(&self) -> CommandError<E> {
        let cause = Box::new(self.cause.clone());
        if self.unreachable { CommandError::Unavailable(cause) } else { CommandError::Failed(cause) }
    }
}

/// How a [`CommandBatcher`] groups commands.
#[derive(Debug, Clone, Copy)]
pub struct BatchLimits {
    /// The most commands in one INSERT.
    pub max_batch: usize,
    /// The most INSERTs in flight at once; a command waits only while all of them are busy.
    pub max_in_flight: usize,
}

impl BatchLimits {
    /// Batches of up to `settings.commit_group_max` commands, at most `settings.commits_in_flight`
    /// INSERTs at once.
    pub fn from_settings(settings: &settings::DatabaseSettings) -> Self {
        Self { max_batch: settings.commit_group_max.max(1), max_in_flight: settings.commits_in_flight.max(1) }
    }
}

struct Pending<A: Aggregate> {
    batched: Batched<A>,
    reply: oneshot::Sender<Outcome<A>>,
}

/// Collects commands from any number of tasks and commits them in groups (see the module's text).
pub struct CommandBatcher<A: Aggregate> {
    sender: mpsc::UnboundedSender<Pending<A>>,
}

impl<A: Aggregate> Clone for CommandBatcher<A> {
    fn clone(&self) -> Self {
        Self { sender: self.sender.clone() }
    }
}

impl<A> CommandBatcher<A>
where
    A: Aggregate<Services = ()> + 'static,
    A::Command: Clone + Send + Sync,
    A::Error: Send,
{
    /// Starts the batcher's task on the current runtime; it ends when the last clone is dropped.
    pub fn start(store: EventStore<A>, limits: BatchLimits) -> Self {
        let (sender, receiver) = mpsc::unbounded_channel();
        tokio::spawn(commit_in_groups(store, receiver, limits));
        Self { sender }
    }

    /// [`EventStore::execute`], committed with whatever else is waiting.
    pub async fn execute(&self, id: &str, command: A::Command, metadata: &Metadata) -> Outcome<A> {
        self.submit(id, command, metadata, Expect::Existing).await
    }

    /// [`EventStore::create`], committed with whatever else is waiting.
    pub async fn create(&self, id: &str, command: A::Command, metadata: &Metadata) -> Outcome<A> {
        self.submit(id, command, metadata, Expect::New).await
    }

    async fn submit(&self, id: &str, command: A::Command, metadata: &Metadata, expect: Expect) -> Outcome<A> {
        let (reply, answer) = oneshot::channel();
        let batched = Batched { id: id.to_owned(), command, metadata: metadata.clone(), expect };
        if self.sender.send(Pending { batched, reply }).is_err() {
            return Err(CommandError::Failed("the command batcher has stopped".into()));
        }
        answer.await.unwrap_or_else(|_| Err(CommandError::Failed("the command batcher has stopped".into())))
    }
}

async fn commit_in_groups<A>(
    store: EventStore<A>,
    mut receiver: mpsc::UnboundedReceiver<Pending<A>>,
    limits: BatchLimits,
) where
    A: Aggregate<Services = ()> + 'static,
    A::Command: Clone + Send + Sync,
    A::Error: Send,
{
    let commits = Arc::new(Semaphore::new(limits.max_in_flight.max(1)));
    let max_batch = limits.max_batch.max(1);
    loop {
        let Ok(permit) = commits.clone().acquire_owned().await else { return };
        let Some(first) = receiver.recv().await else { return };
        let mut group = vec![first];
        while group.len() < max_batch {
            match receiver.try_recv() {
                Ok(pending) => group.push(pending),
                Err(_) => break,
            }
        }
        let store = store.clone();
        tokio::spawn(async move {
            let (commands, replies): (Vec<_>, Vec<_>) =
                group.into_iter().map(|pending| (pending.batched, pending.reply)).unzip();
            // Their ratio is the mean group size.
            metrics::counter!("eventlog_group_commits_total", "aggregate" => A::TYPE).increment(1);
            metrics::counter!("eventlog_group_commands_total", "aggregate" => A::TYPE)
                .increment(commands.len() as u64);
            let outcomes = store.execute_together(commands).await;
            for (reply, outcome) in replies.into_iter().zip(outcomes) {
                // A caller that gave up waiting does not change what was committed.
                let _ = reply.send(outcome);
            }
            drop(permit);
        });
    }
}
