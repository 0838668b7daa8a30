//! The query side's documents, built from the event log.
//!
//! [`plan`] turns a batch of events into Redis operations with pure functions; [`store`] applies a
//! batch together with the projector's checkpoint as one fenced compare-and-set (a Redis Function), so
//! every effect happens exactly once; [`keys`] and [`boards`] name what lives where, for writers and
//! readers alike; [`documents`] are the JSON shapes the query side serves.

pub mod board_write;
pub mod boards;
pub mod documents;
pub mod keys;
pub mod meetups;
pub mod plan;
pub mod queue;
pub mod redis;
pub mod store;
pub mod users;

pub use keys::Keys;
pub use plan::{GameBook, Op, PlanError, plan_batch};
pub use store::{ApplyError, ProjectionStore};
