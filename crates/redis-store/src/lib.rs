//! The read model in Redis.
//!
//! [`store`] applies a batch's plan (from `read_model::plan`) together with the projector's checkpoint
//! as one fenced compare-and-set, a Redis Function (`projection.lua`) whose arguments [`encode`] writes,
//! so every effect happens exactly once; [`queue`] is the job queue as workers see it (`queue.lua`);
//! [`boards`], [`sessions`] and [`rebuilding`] are the reads the services share, in the generation of the
//! documents that [`generations`] says is current; [`connection`] and
//! [`subscription`] build clients from settings.

pub mod boards;
pub mod connection;
pub mod encode;
pub mod generations;
pub mod queue;
pub mod queue_overview;
pub mod rebuilding;
pub mod sessions;
pub mod store;
pub mod subscription;

pub use boards::BoardReader;
pub use connection::{Resend, client, connected, start};
pub use generations::CurrentGeneration;
pub use store::{ApplyError, ProjectionStore, Switch};
pub use subscription::{Announcement, subscribe};
