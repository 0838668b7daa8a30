//! The query-api binary: serves the `query_api` HTTP application, which answers reads from Redis,
//! until a shutdown signal.

use anyhow::Context;
use query_api::Application;

/// Most allocations live for one request or one event; mimalloc serves them with less CPU than glibc.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    telemetry::init_logs("query-api");
    let settings = settings::load().context("loading settings")?;
    let application = Application::build(settings, domain::Clock::system()).await?;
    tracing::info!(address = %application.address(), "query-api listening");
    application.run_until_stopped(http_kit::serve::shutdown_on_signals()).await
}
