//! Reprise end to end: real Postgres, Redis and nginx; every test with a stack of its own.

mod browser;
mod chaos;
mod closed_windows;
mod contract;
mod conversions;
mod early_refusal;
mod edge;
mod fleet;
mod idempotency;
mod identity;
mod job_batch;
mod jobs;
mod leaderboard_players;
mod leaderboards;
mod live;
mod meetups;
mod nginx;
mod outages;
mod periods;
mod projector_crash;
mod purity;
mod secrets_in_logs;
mod unique_jobs;
mod upstreams;
mod validation;
