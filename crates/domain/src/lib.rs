//! Reprise's domain: aggregates that decide with pure functions, and the value types they speak in.
//!
//! Nothing here performs I/O. Anything that needs the outside world (the clock, a fresh id) is decided by
//! the caller and passed in the command, so every rule is testable without a runtime.

pub mod clock;
pub mod conversions;
pub mod errors;
pub mod identity;
pub mod jobs;
pub mod meetups;
pub mod names;
pub mod scores;

pub use clock::Clock;
pub use errors::FieldError;
