//! redis-store against a real Redis, each test under a key prefix of its own; and the board writes it
//! sends checked against a naive model, through an in-memory twin of the Function.

mod board_properties;
mod board_reads;
mod common;
mod generations;
mod job_fixture;
mod job_queue;
mod meetups;
mod queue_controls;
mod redis_function;
mod subscription;
mod windows;
