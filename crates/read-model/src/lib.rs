//! The query side's read model, without I/O.
//!
//! [`plan`] turns a batch of [`LogEntry`]s into Redis operations with pure functions; [`board_write`]
//! decides what a batch writes to a board given what the board stores; [`keys`] and [`boards`] name what
//! lives where, for writers and readers alike; [`standings`] reads the players a board read names and
//! works out a player's percentile; [`documents`], [`meetups`] and [`users`] are the JSON shapes the
//! query side serves. The `redis-store` crate applies the plans and reads the documents.

pub mod board_write;
pub mod boards;
pub mod documents;
pub mod entry;
pub mod job_write;
pub mod keys;
pub mod log_entry;
pub mod meetups;
pub mod plan;
pub mod standings;
pub mod users;

pub use keys::Keys;
pub use log_entry::LogEntry;
pub use plan::{GameBook, Op, Plan, PlanError, UnknownEvent, plan_batch};
