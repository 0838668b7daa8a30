//! The `Queue` aggregate: the controls of one job kind's queue (its id is the kind's name). An admin
//! pauses or resumes it and caps how many of its runs go at once and how many start per second; every
//! change is an event, and workers honour the settings the projector keeps from them.
//!
//! A change names only what it changes (`None` keeps the setting); the event records the complete
//! settings in force from then on, so the projection needs no earlier state to apply it.

use std::convert::Infallible;

use chrono::{DateTime, Utc};
use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};

/// The most runs of one kind a queue may allow at once.
pub const MAX_CONCURRENCY: u32 = 10_000;

/// How many runs of a kind may go at once across every worker: 1–10,000.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct Concurrency(u32);

impl Concurrency {
    /// A cap from a whole number, or why it is not one.
    pub fn new(runs: i64) -> Result<Self, String> {
        match u32::try_from(runs) {
            Ok(runs) if (1..=MAX_CONCURRENCY).contains(&runs) => Ok(Self(runs)),
            _ => Err(format!("must be a whole number from 1 to {MAX_CONCURRENCY}, or null for no limit")),
        }
    }

    /// The number of runs.
    pub fn get(self) -> u32 {
        self.0
    }
}

impl TryFrom<u32> for Concurrency {
    type Error = String;

    fn try_from(runs: u32) -> Result<Self, String> {
        Self::new(i64::from(runs))
    }
}

impl From<Concurrency> for u32 {
    fn from(cap: Concurrency) -> u32 {
        cap.0
    }
}

/// How many runs of a kind may start per second across every worker: a finite number above zero.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "f64", into = "f64")]
pub struct StartRate(f64);

impl StartRate {
    /// The most starts per second allowed: one a microsecond is beyond what any worker fleet reaches.
    pub const MAX: f64 = 1_000_000.0;

    /// A rate, or why it is not one.
    pub fn new(per_second: f64) -> Result<Self, String> {
        if per_second.is_finite() && per_second > 0.0 && per_second <= Self::MAX {
            Ok(Self(per_second))
        } else {
            Err("must be a number above 0 (starts per second, at most 1000000), or null for no limit".into())
        }
    }

    /// Starts per second.
    pub fn get(self) -> f64 {
        self.0
    }
}

impl TryFrom<f64> for StartRate {
    type Error = String;

    fn try_from(per_second: f64) -> Result<Self, String> {
        Self::new(per_second)
    }
}

impl From<StartRate> for f64 {
    fn from(rate: StartRate) -> f64 {
        rate.0
    }
}

/// A queue's settings: the defaults (running, no limits) until an admin changes them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueSettings {
    /// No new run of the kind starts while paused; runs already going finish.
    pub paused: bool,
    /// At most this many runs of the kind at once, or no limit.
    pub concurrency: Option<Concurrency>,
    /// At most this many starts of the kind per second, or no limit.
    pub rate_per_second: Option<StartRate>,
}

/// What a change asks for: each setting named is replaced (`Some(None)` removes a limit), each left
/// out (`None`) stays as it is.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct QueueChange {
    /// Pause (`true`) or resume (`false`).
    pub paused: Option<bool>,
    /// A new concurrency cap, or none.
    pub concurrency: Option<Option<Concurrency>>,
    /// A new start rate, or none.
    pub rate_per_second: Option<Option<StartRate>>,
}

impl QueueChange {
    /// `settings` with this change made.
    pub fn applied_to(self, settings: QueueSettings) -> QueueSettings {
        QueueSettings {
            paused: self.paused.unwrap_or(settings.paused),
            concurrency: self.concurrency.unwrap_or(settings.concurrency),
            rate_per_second: self.rate_per_second.unwrap_or(settings.rate_per_second),
        }
    }
}

/// What can be asked of a queue.
#[derive(Debug, Clone, PartialEq)]
pub enum QueueCommand {
    /// Change some of the queue's settings.
    Configure {
        /// What changes.
        change: QueueChange,
        /// When it was asked.
        at: DateTime<Utc>,
    },
}

/// What happened to a queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum QueueEvent {
    /// The queue's settings are now these.
    #[serde(rename_all = "camelCase")]
    QueueConfigured {
        /// The complete settings in force from now on.
        settings: QueueSettings,
        /// When they were changed.
        configured_at: DateTime<Utc>,
    },
}

impl DomainEvent for QueueEvent {
    fn event_type(&self) -> String {
        match self {
            QueueEvent::QueueConfigured { .. } => "QueueConfigured",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        "1".to_owned()
    }
}

/// A queue's state as its events left it.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct Queue {
    settings: QueueSettings,
}

impl Queue {
    /// The settings in force (the defaults for a queue never configured).
    pub fn settings(&self) -> QueueSettings {
        self.settings
    }
}

/// Decides what a command does to a queue: a change that changes nothing records nothing.
pub fn decide(queue: &Queue, command: QueueCommand) -> Vec<QueueEvent> {
    match command {
        QueueCommand::Configure { change, at } => {
            let settings = change.applied_to(queue.settings);
            if settings == queue.settings {
                return vec![];
            }
            vec![QueueEvent::QueueConfigured { settings, configured_at: at }]
        }
    }
}

impl Aggregate for Queue {
    const TYPE: &'static str = "queue";
    type Command = QueueCommand;
    type Event = QueueEvent;
    type Error = Infallible;
    type Services = ();

    async fn handle(
        &mut self,
        command: QueueCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), Infallible> {
        for event in decide(self, command) {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: QueueEvent) {
        match event {
            QueueEvent::QueueConfigured { settings, .. } => self.settings = settings,
        }
    }
}

#[cfg(test)]
mod tests;
