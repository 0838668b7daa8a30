//! The event log against a real Postgres, each test in a database of its own.

mod common;
mod event_store;
mod follower;
mod group_commit;
mod ordered_reader;
mod pool;
