//! The event log: Postgres's `events` table, the only source of truth.
//!
//! Commands append to it through cqrs-es and postgres-es ([`store`]); the projector and the relay read
//! it in commit order without ever skipping a committed event ([`reader`]); single-active readers elect
//! themselves with an advisory lock and a fencing token ([`leadership`]) and follow the log through one
//! [`Follower`], each with its own [`Consumer`] ([`follower`]), those that keep their checkpoint in
//! Postgres as a [`Subscription`] ([`subscriptions`]). Commands that arrive together can be committed
//! together ([`batch`]).

pub mod batch;
pub mod follower;
pub mod leadership;
pub mod pool;
pub mod reader;
pub mod store;
pub mod subscriptions;

pub use batch::{BatchLimits, CommandBatcher};
pub use follower::{Consumer, FollowSettings, Follower, Interrupt};
pub use leadership::{Leader, Leadership};
pub use pool::{connect, migrate};
pub use reader::{Checkpoint, EventLogReader, Lag, LoggedEvent, Wakeups, Whole};
pub use store::{
    CommandError, EventStore, Metadata, NewAggregate, aggregate_exists, append_new, append_new_in,
    is_unreachable,
};
pub use subscriptions::Subscription;
