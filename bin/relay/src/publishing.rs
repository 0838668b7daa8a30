//! What the relay does with the log: publish each batch, wait for the broker's confirms, and only
//! then advance its checkpoint in Postgres (fenced, so a deposed relay cannot move it).

use std::time::Duration;

use eventlog::{Checkpoint, Consumer, Interrupt, Lag, LoggedEvent, Subscription};
use messaging::{Envelope, Published, routing_key};

use crate::Status;
use crate::link::Link;

/// How long the broker may take to confirm a whole batch.
const CONFIRM_TIMEOUT: Duration = Duration::from_secs(30);

/// Publishing over one link to RabbitMQ.
pub(crate) struct Publishing<'a> {
    link: &'a Link,
    published: &'a Published,
    checkpoints: &'a Subscription,
    status: &'a Status,
    /// The fencing token of the current lead.
    fence: i64,
}

impl<'a> Publishing<'a> {
    pub(crate) fn new(
        link: &'a Link,
        published: &'a Published,
        checkpoints: &'a Subscription,
        status: &'a Status,
    ) -> Self {
        Self { link, published, checkpoints, status, fence: 0 }
    }
}

impl Consumer for Publishing<'_> {
    type Planner = Published;
    type Planned = Vec<Envelope>;
    type Error = anyhow::Error;

    async fn resume(
        &mut self,
        fencing_token: i64,
    ) -> Result<(Checkpoint, Published), Interrupt<anyhow::Error>> {
        self.fence = fencing_token;
        let loaded = self.checkpoints.load().await;
        let checkpoint = loaded.map_err(|error| failed(error, "reading the checkpoint"))?;
        Ok((checkpoint, self.published.clone()))
    }

    /// The envelopes of the batch's events that `published` includes.
    fn plan(published: &mut Published, batch: &[LoggedEvent]) -> Vec<Envelope> {
        batch
            .iter()
            .filter(|event| published.includes(&routing_key(&event.aggregate_type, &event.event_type)))
            .inspect(|event| {
                // Its payload was read: an aggregate type not in snake case would fail this.
                debug_assert!(!event.payload.is_null(), "{} was published without its payload", event.id());
            })
            .map(Envelope::from)
            .collect()
    }

    async fn handle(
        &mut self,
        _after: Checkpoint,
        batch: &[LoggedEvent],
        envelopes: Vec<Envelope>,
    ) -> Result<Option<Checkpoint>, Interrupt<anyhow::Error>> {
        let last = batch.last().expect("a batch holds events").checkpoint;
        if envelopes.is_empty() {
            return self.advance(batch.len(), 0, last).await;
        }
        match tokio::time::timeout(CONFIRM_TIMEOUT, self.link.publisher.publish_all(&envelopes)).await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => return Err(Interrupt::Disconnected(error.into())),
            Err(_elapsed) => {
                let error = anyhow::anyhow!("no confirms within {CONFIRM_TIMEOUT:?}");
                return Err(Interrupt::Disconnected(error));
            }
        }
        self.advance(batch.len(), envelopes.len(), last).await
    }

    fn connected(&self) -> Result<(), anyhow::Error> {
        if self.link.is_connected() {
            Ok(())
        } else {
            Err(anyhow::anyhow!("the connection to RabbitMQ closed"))
        }
    }

    async fn measured_lag(
        &mut self,
        lag: Lag,
        _checkpoint: Checkpoint,
    ) -> Result<(), Interrupt<anyhow::Error>> {
        self.status.set_lag(lag);
        Ok(())
    }

    fn set_leading(&self, leading: bool) {
        self.status.set_leading(leading);
    }
}

impl Publishing<'_> {
    /// Moves the checkpoint past a batch of `events`, `published` of which the broker confirmed.
    async fn advance(
        &mut self,
        events: usize,
        published: usize,
        last: Checkpoint,
    ) -> Result<Option<Checkpoint>, Interrupt<anyhow::Error>> {
        // Counted before the checkpoint moves: whoever sees the checkpoint past them sees them counted
        // (a batch published again after a failed advance is counted again, as it was published again).
        self.status.add_published(published);
        self.status.add_passed_over(events - published);
        match self.checkpoints.advance(self.fence, last).await {
            Ok(true) => {}
            Ok(false) => return Err(Interrupt::Deposed),
            Err(error) => return Err(failed(error, "advancing the checkpoint")),
        }
        tracing::debug!(checkpoint = %last, events, published, "relayed a batch");
        Ok(Some(last))
    }
}

/// Postgres failed `doing` something: resume from the stored checkpoint after a pause.
fn failed(error: sqlx::Error, doing: &'static str) -> Interrupt<anyhow::Error> {
    Interrupt::Failed(anyhow::Error::new(error).context(doing))
}
