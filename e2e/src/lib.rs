//! Helpers for end-to-end tests: a whole stack of one's own (database, key prefix, services on free
//! ports), an nginx in front of it, and a fleet of the services' debug binaries under supervisord for
//! tests that kill processes.

pub mod documents;
mod fleet;
mod nginx;
mod stack;
pub mod traffic;

pub use fleet::{Fleet, FleetOptions, Proxies, SERVICES};
pub use nginx::Nginx;
pub use stack::{Stack, StackOptions, binary, webhook_slow_the_first_time};

/// The workspace's root directory.
pub fn workspace_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}
