//! The worker binary: runs the `worker` library, which takes queued jobs from Redis, runs them and
//! rescues those of workers that stopped answering, until a shutdown signal.

use anyhow::Context;
use clap::Parser;

/// Runs queued jobs newest first, and rescues the jobs of workers that stopped answering.
#[derive(Parser)]
#[command(version, about)]
struct Cli {}

/// Most allocations live for one request or one event; mimalloc serves them with less CPU than glibc.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    Cli::parse();
    telemetry::init_logs("worker");
    let settings = settings::load().context("loading settings")?;
    let shutdown = http_kit::serve::shutdown_on_signals();
    worker::Worker::build(settings, domain::Clock::system()).await?.run_until_stopped(shutdown).await
}
