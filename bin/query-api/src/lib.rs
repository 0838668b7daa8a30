//! query-api: answers reads from the documents the projector keeps in Redis. The hottest read, a
//! board's top 100, returns the stored bytes as they are.

mod cache;
pub mod openapi;
mod routes;
mod state;
mod watch;

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use utoipa_swagger_ui::SwaggerUi;

pub use state::AppState;

/// A query-api bound to its port, ready to serve.
pub struct Application {
    listener: TcpListener,
    router: axum::Router,
}

impl Application {
    /// Connects to Redis in the background and binds `settings.http.query_addr`; serves the contract
    /// ([`http_kit::CONTRACT`]) at `/openapi.json` and Swagger UI at `/docs`.
    pub async fn build(settings: settings::Settings, clock: domain::Clock) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(&settings.http.query_addr)
            .await
            .with_context(|| format!("binding {}", settings.http.query_addr))?;
        let state = AppState::connect(&settings, clock)?;
        let readiness: Arc<dyn http_kit::operations::Readiness> = Arc::new(state.clone());
        let contract =
            serde_json::from_str(http_kit::CONTRACT).context("reading the committed OpenAPI document")?;
        let docs: axum::Router =
            SwaggerUi::new("/docs").external_url_unchecked("/openapi.json", contract).into();
        let router = http_kit::middleware::around(
            routes::router(state).merge(docs).merge(http_kit::operations::routes(readiness)),
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
        http_kit::serve(self.listener, self.router, shutdown).await.context("serving query-api")
    }
}
