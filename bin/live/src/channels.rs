//! What `live` knows of channels: each one's privacy and members, kept in memory and brought up to date
//! by the channel events that pass through its queue.
//!
//! A channel not in memory is loaded from the event log as it was at the event being handled: its
//! events up to that event in log order (`(transaction_id, position)`, the order the relay publishes
//! in), not the channel as it is now, which may already hold changes still waiting in the queue (a
//! member added later must not receive the messages posted before). Every later channel event then
//! arrives through the queue and is applied in order. Events missed while disconnected from RabbitMQ
//! cannot be applied, so the views are forgotten on every new connection.

use std::collections::HashMap;

use anyhow::Context;
use cqrs_es::Aggregate as _;
use domain::meetups::{Channel, ChannelEvent};

/// Channels by id, at most `capacity` of them (an evicted one is loaded again when needed).
#[derive(Debug)]
pub struct ChannelViews {
    channels: HashMap<String, Channel>,
    capacity: usize,
}

impl ChannelViews {
    /// No channels yet, room for `capacity` (at least one).
    pub fn new(capacity: usize) -> Self {
        Self { channels: HashMap::new(), capacity: capacity.max(1) }
    }

    /// The channel `id`, if it is in memory.
    pub fn get(&self, id: &str) -> Option<&Channel> {
        self.channels.get(id)
    }

    /// Applies `event` to channel `id` if it is in memory; `false` when it is not and must be loaded.
    /// A creation is not applied over a channel that exists (a late duplicate would reset its members).
    pub fn apply(&mut self, id: &str, event: &ChannelEvent) -> bool {
        let Some(channel) = self.channels.get_mut(id) else { return false };
        let recreation = matches!(event, ChannelEvent::ChannelCreated { .. }) && channel.info().is_some();
        if !recreation {
            channel.apply(event.clone());
        }
        true
    }

    /// Keeps `channel` as the view of `id`, evicting another channel when full.
    pub fn insert(&mut self, id: &str, channel: Channel) {
        if self.channels.len() >= self.capacity && !self.channels.contains_key(id) {
            let evicted = self.channels.keys().next().cloned();
            if let Some(evicted) = evicted {
                self.channels.remove(&evicted);
            }
        }
        self.channels.insert(id.to_owned(), channel);
    }

    /// Forgets channel `id` (it could not be brought up to date).
    pub fn forget(&mut self, id: &str) {
        self.channels.remove(id);
    }

    /// Forgets every channel (after a reconnection, events may have been missed).
    pub fn forget_all(&mut self) {
        self.channels.clear();
    }

    /// How many channels are in memory.
    pub fn len(&self) -> usize {
        self.channels.len()
    }

    /// Whether no channel is in memory.
    pub fn is_empty(&self) -> bool {
        self.channels.is_empty()
    }
}

/// An event of the log, by its aggregate and sequence: the point a channel is loaded as of.
#[derive(Debug, Clone, Copy)]
pub struct LogPoint<'a> {
    /// The event's aggregate type (`channel`, `message`).
    pub aggregate_type: &'a str,
    /// The event's aggregate id.
    pub aggregate_id: &'a str,
    /// The event's sequence within its aggregate.
    pub sequence: i64,
}

/// A channel's events up to an event of the log, in their own order. The log is read in
/// `(transaction_id, position)` order as the relay reads it (see DESIGN.md); no upcasters exist yet.
const EVENTS_AS_OF: &str = "
    SELECT channel.payload FROM events channel
    WHERE channel.aggregate_type = $1 AND channel.aggregate_id = $2
      AND (channel.transaction_id, channel.position) <= (
        SELECT point.transaction_id, point.position FROM events point
        WHERE point.aggregate_type = $3 AND point.aggregate_id = $4 AND point.sequence = $5)
    ORDER BY channel.sequence";

/// Loads channels from the event log.
#[derive(Clone)]
pub struct ChannelLoader {
    pool: sqlx::PgPool,
}

impl ChannelLoader {
    /// Loads from the `events` table of `pool`.
    pub fn new(pool: sqlx::PgPool) -> Self {
        Self { pool }
    }

    /// Channel `id` as it was when the log reached `point` (that event included): a default, unknown
    /// channel when it had no events then.
    pub async fn load_as_of(&self, id: &str, point: LogPoint<'_>) -> anyhow::Result<Channel> {
        let payloads: Vec<serde_json::Value> = sqlx::query_scalar(EVENTS_AS_OF)
            .bind(Channel::TYPE)
            .bind(id)
            .bind(point.aggregate_type)
            .bind(point.aggregate_id)
            .bind(point.sequence)
            .fetch_all(&self.pool)
            .await
            .with_context(|| format!("reading the events of channel {id}"))?;
        let mut channel = Channel::default();
        for payload in payloads {
            let event: ChannelEvent = serde_json::from_value(payload)
                .with_context(|| format!("reading an event of channel {id}"))?;
            channel.apply(event);
        }
        Ok(channel)
    }
}

#[cfg(test)]
mod tests {
    use chrono::DateTime;
    use domain::meetups::{ChannelInfo, ChannelName};

    use super::*;

    fn created(members: &[&str]) -> ChannelEvent {
        let channel = ChannelInfo {
            name: ChannelName::parse("synths").unwrap(),
            description: String::new(),
            private: true,
            creator: "ada".into(),
            created_at: DateTime::UNIX_EPOCH,
            meetup_id: None,
            request_hash: "h".into(),
        };
        ChannelEvent::ChannelCreated { channel, members: members.iter().map(|m| (*m).to_owned()).collect() }
    }

    fn loaded(events: &[ChannelEvent]) -> Channel {
        let mut channel = Channel::default();
        events.iter().cloned().for_each(|event| channel.apply(event));
        channel
    }

    fn members(views: &ChannelViews, id: &str) -> Vec<String> {
        views.get(id).unwrap().members().map(str::to_owned).collect()
    }

    #[test]
    fn a_channel_not_in_memory_asks_to_be_loaded() {
        let mut views = ChannelViews::new(10);
        assert!(!views.apply("c1", &created(&["ada"])));
        assert!(views.get("c1").is_none());
    }

    #[test]
    fn events_after_a_load_keep_the_view_current() {
        let mut views = ChannelViews::new(10);
        views.insert("c1", loaded(&[created(&["ada"])]));
        let added =
            ChannelEvent::ChannelMemberAdded { user_id: "bob".into(), added_at: DateTime::UNIX_EPOCH };
        assert!(views.apply("c1", &added));
        assert_eq!(members(&views, "c1"), ["ada", "bob"]);
    }

    #[test]
    fn a_creation_delivered_again_does_not_reset_the_members() {
        let mut views = ChannelViews::new(10);
        let added =
            ChannelEvent::ChannelMemberAdded { user_id: "bob".into(), added_at: DateTime::UNIX_EPOCH };
        views.insert("c1", loaded(&[created(&["ada"]), added]));
        views.apply("c1", &created(&["ada"]));
        assert_eq!(members(&views, "c1"), ["ada", "bob"]);
    }

    #[test]
    fn a_full_cache_evicts_another_channel_to_make_room() {
        let mut views = ChannelViews::new(2);
        for id in ["c1", "c2", "c3"] {
            views.insert(id, loaded(&[created(&["ada"])]));
        }
        assert_eq!(views.len(), 2);
        assert!(views.get("c3").is_some());
        views.forget_all();
        assert!(views.is_empty());
    }
}
