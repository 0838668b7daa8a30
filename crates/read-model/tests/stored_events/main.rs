//! The log outlives the code. `events.json` holds one event of every type as the log records it today
//! (see `README.md` beside it); each must still load into its aggregate's event type and apply to the
//! aggregate, and plan into the query side's operations, and no event type may exist in the code
//! without an entry there. A change to an event's shape therefore needs an upcaster, not a rewrite of
//! old logs.

mod aggregates;
mod fixture;
mod kinds;
mod plans;
