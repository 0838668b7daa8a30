//! The command-api binary: serves the `command_api` HTTP application, which runs commands on their
//! aggregates, until a shutdown signal.

use anyhow::Context;
use command_api::Application;

/// Most allocations live for one request or one event; mimalloc serves them with less CPU than glibc.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// One thread: a request is a few awaits on Postgres and Redis, and 4,000 of them a second take less
/// than half a core, while handing tasks between threads cost a third of the process's CPU. Password
/// hashing runs on the blocking pool, off this thread.
#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    telemetry::init_logs("command-api");
    let settings = settings::load().context("loading settings")?;
    let application = Application::build(settings, domain::Clock::system()).await?;
    tracing::info!(address = %application.address(), "command-api listening");
    application.run_until_stopped(http_kit::serve::shutdown_on_signals()).await
}
