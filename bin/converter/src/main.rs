//! The converter binary: runs the `converter` library, which turns uploaded videos into MP3s with
//! ffmpeg, until a shutdown signal.

use anyhow::Context;
use clap::Parser;

/// Turns uploaded videos into MP3s with ffmpeg.
#[derive(Parser)]
#[command(version, about)]
struct Cli {}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    Cli::parse();
    telemetry::init_logs("converter");
    let settings = settings::load().context("loading settings")?;
    let shutdown = http_kit::serve::shutdown_on_signals();
    converter::Converter::build(settings, domain::Clock::system()).await?.run_until_stopped(shutdown).await
}
