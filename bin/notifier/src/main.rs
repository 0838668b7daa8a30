//! The notifier binary: runs the `notifier` library, which e-mails each conversion's owner its
//! outcome, until a shutdown signal.

use anyhow::Context;
use clap::Parser;

/// E-mails the owner of a conversion when it succeeds or fails.
#[derive(Parser)]
#[command(version, about)]
struct Cli {}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    Cli::parse();
    telemetry::init_logs("notifier");
    let settings = settings::load().context("loading settings")?;
    let shutdown = http_kit::serve::shutdown_on_signals();
    notifier::Notifier::build(settings).await?.run_until_stopped(shutdown).await
}
