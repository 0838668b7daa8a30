//! Handling one delivery: read the event, bring the channel's view up to date, decide the pushes, hand
//! them to the sockets.

use domain::meetups::{Channel, ChannelEvent, MessageEvent};
use messaging::Envelope;

use crate::channels::{ChannelLoader, ChannelViews, LogPoint};
use crate::events::ChatEvent;
use crate::recent::RecentIds;
use crate::registry::Registry;
use crate::routing;

/// How many event ids are remembered to drop a delivery RabbitMQ makes twice.
const EVENTS_REMEMBERED: usize = 10_000;

/// Turns events into pushes, one at a time and in queue order.
pub struct Dispatcher {
    views: ChannelViews,
    loader: ChannelLoader,
    registry: Registry,
    seen: RecentIds,
}

impl Dispatcher {
    /// Keeps up to `capacity` channels in memory, loads others with `loader`, pushes to `registry`.
    pub fn new(loader: ChannelLoader, registry: Registry, capacity: usize) -> Self {
        Self { views: ChannelViews::new(capacity), loader, registry, seen: RecentIds::new(EVENTS_REMEMBERED) }
    }

    /// Forgets every channel: called on each new connection, since events may have been missed.
    pub fn forget_channels(&mut self) {
        self.views.forget_all();
    }

    /// Handles one envelope. Nothing here fails the delivery: a push is best-effort, so what cannot be
    /// pushed is logged and dropped.
    pub async fn handle(&mut self, envelope: &Envelope) {
        if !self.seen.insert(&envelope.id) {
            tracing::debug!(event_id = envelope.id, "dropping an event delivered twice");
            return;
        }
        let at = LogPoint {
            aggregate_type: &envelope.aggregate_type,
            aggregate_id: &envelope.aggregate_id,
            sequence: envelope.sequence,
        };
        match ChatEvent::read(envelope) {
            Ok(ChatEvent::Channel { channel_id, event }) => self.on_channel(&channel_id, &event, at).await,
            Ok(ChatEvent::Message { message_id, event }) => self.on_message(&message_id, &event, at).await,
            Ok(ChatEvent::SessionRevoked { user_id, session_id }) => {
                let closed = self.registry.end_session(&user_id, &session_id);
                tracing::info!(user_id, closed, "closed the sockets of a revoked session");
            }
            Ok(ChatEvent::Ignored) => {}
            Err(error) => {
                let error = format!("{:#}", anyhow::Error::new(error));
                tracing::warn!(error, "skipping an unreadable event");
            }
        }
    }

    async fn on_channel(&mut self, channel_id: &str, event: &ChannelEvent, at: LogPoint<'_>) {
        // A channel not in memory is loaded as of this very event, which it then holds already.
        if !self.views.apply(channel_id, event) {
            self.load(channel_id, at).await;
        }
        let pushes = routing::channel_pushes(channel_id, event, self.views.get(channel_id));
        self.deliver(pushes);
    }

    async fn on_message(&mut self, message_id: &str, event: &MessageEvent, at: LogPoint<'_>) {
        let channel_id = routing::channel_of(event);
        if self.views.get(channel_id).is_none() {
            self.load(channel_id, at).await;
        }
        let pushes = routing::message_pushes(message_id, event, self.views.get(channel_id));
        self.deliver(pushes);
    }

    /// Loads channel `id` as of `at` into memory; when that fails it stays out, and only what events
    /// say themselves is pushed (messages go to nobody).
    async fn load(&mut self, id: &str, at: LogPoint<'_>) {
        match self.loader.load_as_of(id, at).await {
            Ok(channel) => self.insert(id, channel),
            Err(error) => {
                tracing::warn!(error = format!("{error:#}"), channel_id = id, "could not load a channel");
                self.views.forget(id);
            }
        }
    }

    fn insert(&mut self, id: &str, channel: Channel) {
        self.views.insert(id, channel);
        metrics::gauge!("live_channels_cached").set(self.views.len() as f64);
    }

    fn deliver(&self, pushes: Vec<routing::Push>) {
        for push in pushes {
            self.registry.deliver(&push);
        }
    }
}
