//! The relay binary: runs the `relay` library, which publishes the event log to RabbitMQ, until a
//! shutdown signal.

use anyhow::Context;

/// Most allocations live for one request or one event; mimalloc serves them with less CPU than glibc.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    telemetry::init_logs("relay");
    let settings = settings::load().context("loading settings")?;
    let shutdown = http_kit::serve::shutdown_on_signals();
    relay::Relay::build(settings).await?.run_until_stopped(shutdown).await
}
