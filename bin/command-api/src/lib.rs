//! command-api: validates requests, runs each command on its aggregate, and answers once the events
//! are committed to the log. It writes to Redis only what the projector would also write (a new job's
//! first document), so nothing depends on Redis surviving.

mod accepted;
mod claims;
mod consistency;
mod created;
mod failure;
mod fields;
pub mod openapi;
mod passwords;
mod rate_limit;
mod refusals;
mod routes;
mod state;

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use state::AppState;

/// A command-api bound to its port, ready to serve.
pub struct Application {
    listener: TcpListener,
    router: axum::Router,
}

impl Application {
    /// Connects to Postgres (lazily) and Redis, and binds `settings.http.command_addr` (port 0 for a free one).
    pub async fn build(settings: settings::Settings, clock: domain::Clock) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(&settings.http.command_addr)
            .await
            .with_context(|| format!("binding {}", settings.http.command_addr))?;
        let state = AppState::connect(&settings, clock)?;
        let readiness: Arc<dyn http_kit::operations::Readiness> = Arc::new(state.clone());
        let router = http_kit::middleware::around(
            routes::router(state).merge(http_kit::operations::routes(readiness)),
            settings.http.json_body_limit,
        );
        Ok(Self { listener, router })
    }

    /// The address it listens on.
    pub fn address(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    /// Serves until `shutdown` is cancelled.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        http_kit::serve(self.listener, self.router, shutdown).await.context("serving command-api")
    }
}
