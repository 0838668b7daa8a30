//! Running commands on aggregates stored in the log, with the retries and error classes callers need.

use std::collections::HashMap;
use std::sync::Arc;

use cqrs_es::event_sink::EventSink;
use cqrs_es::persist::PersistedEventStore;
use cqrs_es::{Aggregate, AggregateError, CqrsFramework, DomainEvent};
use postgres_es::PostgresEventRepository;
use serde_json::value::RawValue;
use sqlx::PgPool;

/// How often a command is retried when another command on the same aggregate committed first.
const CONFLICT_ATTEMPTS: usize = 5;

/// The metadata copied onto every event of a command: `job_id`, `request_id`, `user_id`, `idempotency_key`.
pub type Metadata = HashMap<String, String>;

/// Commands on one aggregate type, appended to the log.
pub struct EventStore<A: Aggregate> {
    framework: Arc<CqrsFramework<A, PersistedEventStore<PostgresEventRepository, A>>>,
    pub(crate) pool: PgPool,
}

impl<A: Aggregate> Clone for EventStore<A> {
    fn clone(&self) -> Self {
        Self { framework: self.framework.clone(), pool: self.pool.clone() }
    }
}

/// Why a command did not commit: the one error of every command and append on the log.
#[derive(Debug, thiserror::Error)]
pub enum CommandError<E: std::error::Error> {
    /// The aggregate refused the command.
    #[error(transparent)]
    Rejected(E),
    /// Other commands kept committing first, past every retry.
    #[error("the aggregate kept changing underneath the command")]
    Conflict,
    /// Postgres could not be reached in time.
    #[error("the event log is unavailable: {0}")]
    Unavailable(Box<dyn std::error::Error + Send + Sync>),
    /// Anything else; a bug or a corrupt log.
    #[error("the event log failed: {0}")]
    Failed(Box<dyn std::error::Error + Send + Sync>),
}

impl<E: std::error::Error> From<sqlx::Error> for CommandError<E> {
    /// Unavailable when Postgres could not be reached, failed otherwise.
    fn from(error: sqlx::Error) -> Self {
        if is_unreachable(&error) {
            Self::Unavailable(Box::new(error))
        } else {
            Self::Failed(Box::new(error))
        }
    }
}

impl<A> EventStore<A>
where
    A: Aggregate<Services = ()>,
    A::Command: Clone,
{
    /// Commands on `A`, stored in the pool's `events` table.
    pub fn new(pool: PgPool) -> Self {
        let store = PersistedEventStore::new_event_store(PostgresEventRepository::new(pool.clone()));
        Self { framework: Arc::new(CqrsFramework::new(store, vec![], ())), pool }
    }

    /// Runs `command` on aggregate `id` and commits its events with `metadata`; when another command on
    /// the same aggregate commits first, loads the new state and decides again, a few times.
    pub async fn execute(
        &self,
        id: &str,
        command: A::Command,
        metadata: &Metadata,
    ) -> Result<(), CommandError<A::Error>> {
        for _ in 1..CONFLICT_ATTEMPTS {
            match self.framework.execute_with_metadata(id, command.clone(), metadata.clone()).await {
                Err(AggregateError::AggregateConflict) => continue,
                other => return other.map_err(classify),
            }
        }
        self.framework.execute_with_metadata(id, command, metadata.clone()).await.map_err(classify)
    }
}

impl<A> EventStore<A>
where
    A: Aggregate<Services = ()>,
    A::Command: Clone,
{
    /// The current state of aggregate `id` (the default state when it has no events).
    pub async fn load(&self, id: &str) -> Result<A, CommandError<A::Error>>
    where
        A: Clone,
    {
        use cqrs_es::{AggregateContext as _, EventStore as _};
        let store =
            PersistedEventStore::<_, A>::new_event_store(PostgresEventRepository::new(self.pool.clone()));
        let mut context = store.load_aggregate(id).await.map_err(classify)?;
        Ok(context.aggregate().clone())
    }

    /// Runs `command` on aggregate `id` that is expected to be new (its id was just minted): the events
    /// are decided against an empty aggregate and appended in one INSERT, without loading anything
    /// first. When `id` exists after all (an idempotent replay, a racing duplicate), the unique key
    /// refuses the INSERT and the command runs the ordinary way, on the loaded aggregate.
    pub async fn create(
        &self,
        id: &str,
        command: A::Command,
        metadata: &Metadata,
    ) -> Result<(), CommandError<A::Error>> {
        let new = self.decide_new(id, command.clone(), metadata).await?;
        match append(&self.pool, &[new]).await? {
            true => Ok(()),
            false => self.execute(id, command, metadata).await,
        }
    }

    /// The events `command` gives a new, empty aggregate `id`, ready for [`append_new`].
    pub async fn decide_new(
        &self,
        id: &str,
        command: A::Command,
        metadata: &Metadata,
    ) -> Result<NewAggregate, CommandError<A::Error>> {
        decide(A::default(), 0, id, command, metadata).await
    }
}

/// The events `command` gives `aggregate` (at `version`), serialized for the `events` table.
pub(crate) async fn decide<A: Aggregate<Services = ()>>(
    mut aggregate: A,
    version: i64,
    id: &str,
    command: A::Command,
    metadata: &Metadata,
) -> Result<NewAggregate, CommandError<A::Error>> {
    let sink = EventSink::default();
    aggregate.handle(command, &(), &sink).await.map_err(CommandError::Rejected)?;
    let failed = |error: serde_json::Error| CommandError::Failed(Box::new(error));
    let mut events = Vec::new();
    for event in sink.collect().await {
        events.push((
            event.event_type(),
            event.event_version(),
            serde_json::value::to_raw_value(&event).map_err(failed)?,
        ));
    }
    let metadata = serde_json::value::to_raw_value(metadata).map_err(failed)?;
    Ok(NewAggregate { aggregate_type: A::TYPE, id: id.to_owned(), after: version, events, metadata })
}

/// An aggregate's next events, decided and not yet appended: a new aggregate's first ones, for
/// [`append_new`].
#[derive(Debug, Clone)]
pub struct NewAggregate {
    aggregate_type: &'static str,
    id: String,
    /// The version the events follow: 0 for a new aggregate.
    after: i64,
    /// Each event's type, version and payload, serialized once: written to the INSERT as they are.
    events: Vec<(String, String, Box<RawValue>)>,
    metadata: Box<RawValue>,
}

/// Appends the first events of new aggregates (of any types) in one INSERT, so they exist together or
/// not at all; `Ok(false)` when one of them exists already (a replay or a racing duplicate), and then
/// none was appended. Their commands were decided already, so nothing is refused here.
pub async fn append_new(
    pool: &PgPool,
    aggregates: &[NewAggregate],
) -> Result<bool, CommandError<std::convert::Infallible>> {
    Ok(append(pool, aggregates).await?)
}

/// [`append_new`] inside the caller's transaction, so the events commit together with whatever else
/// it writes (a unique claim) or not at all. On `Ok(false)` Postgres has aborted the transaction: roll
/// it back.
pub async fn append_new_in(
    connection: &mut sqlx::PgConnection,
    aggregates: &[NewAggregate],
) -> Result<bool, CommandError<std::convert::Infallible>> {
    Ok(append(connection, aggregates).await?)
}

/// Appends decided events in one INSERT, all or none; `Ok(false)` when another command appended to one
/// of the aggregates first (its next sequence is taken), and then none was appended.
///
/// The rows go as seven arrays, one per column, unnested in order: one statement text whatever the
/// number of rows, so Postgres parses and plans it once per connection, where a `VALUES` list of seven
/// parameters a row was a new statement for every size (and a plan over up to 7,000 parameters). The
/// JSON goes as text, which Postgres only checks for `json` columns.
pub(crate) async fn append<'e>(
    executor: impl sqlx::PgExecutor<'e>,
    aggregates: &[NewAggregate],
) -> Result<bool, sqlx::Error> {
    let rows = aggregates.iter().map(|new| new.events.len()).sum();
    if rows == 0 {
        return Ok(true);
    }
    let mut columns = Columns::with_capacity(rows);
    for new in aggregates {
        for (index, (event_type, version, payload)) in new.events.iter().enumerate() {
            columns.aggregate_types.push(new.aggregate_type);
            columns.aggregate_ids.push(&new.id);
            columns.sequences.push(new.after + index as i64 + 1);
            columns.event_types.push(event_type);
            columns.event_versions.push(version);
            columns.payloads.push(payload.get());
            columns.metadata.push(new.metadata.get());
        }
    }
    let inserted = sqlx::query(
        "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
         SELECT aggregate_type, aggregate_id, sequence, event_type, event_version, payload::json, metadata::json
         FROM UNNEST($1::text[], $2::text[], $3::int8[], $4::text[], $5::text[], $6::text[], $7::text[])
              WITH ORDINALITY
              AS appended (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata, n)
         ORDER BY n",
    )
    .bind(&columns.aggregate_types)
    .bind(&columns.aggregate_ids)
    .bind(&columns.sequences)
    .bind(&columns.event_types)
    .bind(&columns.event_versions)
    .bind(&columns.payloads)
    .bind(&columns.metadata)
    .execute(executor)
    .await;
    match inserted {
        Ok(_) => Ok(true),
        Err(sqlx::Error::Database(error)) if error.code().as_deref() == Some("23505") => Ok(false),
        Err(error) => Err(error),
    }
}

/// The rows of an INSERT, column by column; positions are given in the order of the rows.
struct Columns<'a> {
    aggregate_types: Vec<&'a str>,
    aggregate_ids: Vec<&'a str>,
    sequences: Vec<i64>,
    event_types: Vec<&'a str>,
    event_versions: Vec<&'a str>,
    payloads: Vec<&'a str>,
    metadata: Vec<&'a str>,
}

impl Columns<'_> {
    fn with_capacity(rows: usize) -> Self {
        Self {
            aggregate_types: Vec::with_capacity(rows),
            aggregate_ids: Vec::with_capacity(rows),
            sequences: Vec::with_capacity(rows),
            event_types: Vec::with_capacity(rows),
            event_versions: Vec::with_capacity(rows),
            payloads: Vec::with_capacity(rows),
            metadata: Vec::with_capacity(rows),
        }
    }
}

fn classify<E: std::error::Error>(error: AggregateError<E>) -> CommandError<E> {
    match error {
        AggregateError::UserError(rejection) => CommandError::Rejected(rejection),
        AggregateError::AggregateConflict => CommandError::Conflict,
        AggregateError::DatabaseConnectionError(cause) => CommandError::Unavailable(cause),
        AggregateError::UnexpectedError(cause) if is_unreachable(cause.as_ref()) => {
            CommandError::Unavailable(cause)
        }
        AggregateError::UnexpectedError(cause) | AggregateError::DeserializationError(cause) => {
            CommandError::Failed(cause)
        }
    }
}

/// Whether an error means Postgres could not be reached (rather than that it refused something).
pub fn is_unreachable(error: &(dyn std::error::Error + 'static)) -> bool {
    match error.downcast_ref::<sqlx::Error>() {
        Some(
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) | sqlx::Error::Tls(_),
        ) => true,
        Some(sqlx::Error::Database(db)) => {
            // Class 57 is "operator intervention" (shutdown, too many connections); 08 is connection loss.
            db.code().is_some_and(|code| code.starts_with("57") || code.starts_with("08"))
        }
        _ => false,
    }
}

/// Whether aggregate `id` of type `A` has any event: a cheap existence check that loads nothing.
pub async fn aggregate_exists<A: Aggregate>(pool: &PgPool, id: &str) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM events WHERE aggregate_type = $1 AND aggregate_id = $2)")
        .bind(A::TYPE)
        .bind(id)
        .fetch_one(pool)
        .await
}
