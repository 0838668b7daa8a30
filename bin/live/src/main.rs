//! The live binary: serves the `live` WebSocket application, which pushes chat events to the users
//! allowed to see them, until a shutdown signal.

use anyhow::Context;
use clap::Parser;

/// Pushes chat events to the WebSockets of the users allowed to see them.
#[derive(Parser)]
#[command(version, about)]
struct Cli {}

/// Most allocations live for one request or one event; mimalloc serves them with less CPU than glibc.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    Cli::parse();
    telemetry::init_logs("live");
    let settings = settings::load().context("loading settings")?;
    let shutdown = http_kit::serve::shutdown_on_signals();
    let live = live::Live::build(settings).await?;
    tracing::info!(address = %live.address(), "listening");
    live.run_until_stopped(shutdown).await
}
