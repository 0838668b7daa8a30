//! `projector rebuild`: rebuild the query side from the log, with a progress bar, while it keeps serving.
//!
//! It asks for a new generation of the documents; the running projectors start filling it beside the
//! current one, which keeps serving and being kept, and switch readers to it once it reaches the head of
//! the log. When no projector runs, this command does the work itself until then.

use std::time::Duration;

use anyhow::Context;
use eventlog::{Checkpoint, EventLogReader};
use fred::prelude::*;
use indicatif::{ProgressBar, ProgressStyle};
use read_model::Keys;
use redis_store::{Resend, client, generations, start};
use tokio_util::sync::CancellationToken;

/// Asks for a rebuild and shows its progress until the projection has caught up with the log.
pub async fn run(settings: settings::Settings, shutdown: CancellationToken) -> anyhow::Result<()> {
    let pool = eventlog::connect(&settings.database, "projector")?;
    let redis = client(&settings.redis, Resend::Allowed)?;
    start(&redis);
    // Not `wait_for_connect`, which can miss the connection it waits for (see `resume.rs`): the first
    // command waits for it, within the command timeout.
    let control = Keys::new(settings.redis.key_prefix.clone());
    redis_store::ProjectionStore::new(redis.clone(), control.clone(), 0)
        .load_library()
        .await
        .context("connecting to Redis")?;
    // A first generation being filled (Redis lost everything) is joined rather than started over.
    let replace = generations::current(&redis, &control).await?.is_some();
    let generation = generations::request(&redis, &control, replace).await?;
    let keys = control.generation(generation);
    println!("filling generation {generation} of the documents");

    let mut projector_settings = settings.clone();
    projector_settings.projector.health_addr = "127.0.0.1:0".to_owned();
    let projector = crate::Projector::build(projector_settings, domain::Clock::system()).await?;
    let own = shutdown.child_token();
    let helping = tokio::spawn(projector.run_until_stopped(own.clone()));

    let reader = EventLogReader::new(pool);
    let total = reader.lag(Checkpoint::START).await.context("counting the log")?;
    let bar = if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        ProgressBar::new(total as u64)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(ProgressStyle::with_template("{bar:40} {pos}/{len} events {per_sec} eta {eta}")?);
    let mut reported = std::time::Instant::now();
    loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        if shutdown.is_cancelled() {
            break;
        }
        let stored: Option<String> = redis.get(keys.checkpoint()).await?;
        if generations::current(&redis, &control).await? == Some(generation) {
            bar.set_position(total as u64);
            break;
        }
        if generations::being_built(&redis, &control).await? != Some(generation) {
            own.cancel();
            anyhow::bail!("generation {generation} was replaced by a newer rebuild before it finished");
        }
        let Some(checkpoint) = stored.and_then(|text| text.parse::<Checkpoint>().ok()) else { continue };
        let left = reader.estimated_lag(checkpoint).await?;
        bar.set_length((total.max(left)) as u64);
        bar.set_position((total - left).max(0) as u64);
        if bar.is_hidden() && reported.elapsed() >= Duration::from_secs(2) {
            println!("rebuilding: {left} events to go");
            reported = std::time::Instant::now();
        }
    }
    bar.finish();
    // The replaced generation is deleted after the readers' grace period; a projector running beside
    // this command would do it too, but there may be none.
    tokio::time::sleep(crate::generations::GRACE + Duration::from_secs(1)).await;
    own.cancel();
    helping.await.context("the helping projector")??;
    println!("rebuilt: {total} events projected");
    Ok(())
}
