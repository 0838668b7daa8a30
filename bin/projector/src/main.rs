//! The projector binary: runs the `projector` library, which keeps the query side's Redis documents
//! from the event log, until a shutdown signal; `migrate` and `rebuild` run once and exit.

use anyhow::Context;
use clap::{Parser, Subcommand};

/// A batch is planned as hundreds of thousands of short-lived strings; glibc's allocator spent about
/// half the projector's time on them, mimalloc a fraction of that.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Keeps the query side's Redis documents from the event log.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Tail the log and project it (the default).
    Run,
    /// Apply the migrations in `sql/` the database has not seen yet, then exit.
    Migrate,
    /// Rebuild every document from the start of the log, showing progress until caught up.
    Rebuild,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    telemetry::init_logs("projector");
    let settings = settings::load().context("loading settings")?;
    let shutdown = http_kit::serve::shutdown_on_signals();
    match cli.command.unwrap_or(Command::Run) {
        Command::Run => {
            projector::Projector::build(settings, domain::Clock::system())
                .await?
                .run_until_stopped(shutdown)
                .await
        }
        Command::Migrate => {
            let pool = eventlog::connect(&settings.database, "projector")?;
            eventlog::migrate(&pool).await.context("applying migrations")?;
            tracing::info!("migrations applied");
            Ok(())
        }
        Command::Rebuild => projector::rebuild::run(settings, shutdown).await,
    }
}
