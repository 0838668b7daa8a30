//! What the dependency follower does with each batch of the log: find whom to tell what, tell them
//! (commands on the waiting jobs, which change nothing when told twice), and only then remember the
//! jobs still waiting and move its checkpoint, in one transaction. A crash anywhere in between tells
//! the same jobs again from the stored checkpoint: at least once, so exactly once in effect.

use std::collections::HashSet;

use chrono::SubsecRound;
use domain::jobs::{Job, JobCommand, JobRefusal};
use eventlog::batch::{Batched, Expect};
use eventlog::{Checkpoint, CommandError, Consumer, EventStore, Interrupt, Lag, LoggedEvent, Metadata};

use super::dependents::{Dependents, Recorded};
use super::plan::{BatchPlan, Tell};

/// The most commands appended in one INSERT.
const TELLS_PER_INSERT: usize = 500;

/// The follower's consumer.
pub(crate) struct Releasing {
    pub(crate) dependents: Dependents,
    pub(crate) jobs: EventStore<Job>,
    /// The dependencies that remembered jobs wait for, as `job_dependents` holds them: read when the
    /// lead begins, then kept by this follower, the table's one writer. Only the jobs among them
    /// that end need a query (most jobs have no dependents).
    pub(crate) awaited: HashSet<String>,
    pub(crate) clock: domain::Clock,
    /// The fencing token of the current lead.
    pub(crate) fence: i64,
}

impl Consumer for Releasing {
    type Planner = ();
    type Planned = BatchPlan;
    type Error = anyhow::Error;

    async fn resume(&mut self, fencing_token: i64) -> Result<(Checkpoint, ()), Interrupt<anyhow::Error>> {
        self.fence = fencing_token;
        let checkpoint =
            self.dependents.checkpoint().await.map_err(|e| failed(e, "reading the checkpoint"))?;
        self.awaited =
            self.dependents.awaited().await.map_err(|e| failed(e, "reading the awaited dependencies"))?;
        Ok((checkpoint, ()))
    }

    fn plan((): &mut (), batch: &[LoggedEvent]) -> BatchPlan {
        BatchPlan::of(batch)
    }

    async fn handle(
        &mut self,
        _after: Checkpoint,
        batch: &[LoggedEvent],
        plan: BatchPlan,
    ) -> Result<Option<Checkpoint>, Interrupt<anyhow::Error>> {
        let last = batch.last().expect("a batch holds events").checkpoint;
        let handling = if plan.is_empty() {
            Default::default()
        } else {
            let ended_before = self.dependents.endings(&plan.dependencies()).await;
            let ended_before = ended_before.map_err(|e| failed(e, "reading how dependencies ended"))?;
            let awaited: Vec<String> =
                plan.ended().into_iter().filter(|id| self.awaited.contains(id)).collect();
            let remembered = self.dependents.waiting_for(&awaited).await;
            let remembered = remembered.map_err(|e| failed(e, "reading the waiting jobs"))?;
            let handling = plan.decide(&ended_before, &remembered);
            self.tell(&handling.tells).await.map_err(Interrupt::Failed)?;
            handling
        };
        match self.dependents.record(&handling, self.fence, last).await {
            Ok(Recorded::Moved) => {
                self.awaited.extend(handling.remember.into_iter().map(|(dependency, _)| dependency));
                for dependency in &handling.forget {
                    self.awaited.remove(dependency);
                }
                Ok(Some(last))
            }
            Ok(Recorded::Deposed) => Err(Interrupt::Deposed),
            Err(error) => Err(failed(error, "recording the waiting jobs and the checkpoint")),
        }
    }

    async fn measured_lag(
        &mut self,
        lag: Lag,
        _checkpoint: Checkpoint,
    ) -> Result<(), Interrupt<anyhow::Error>> {
        metrics::gauge!("dependencies_lag_events").set(lag.events as f64);
        metrics::gauge!("dependencies_lag_seconds").set(lag.seconds);
        Ok(())
    }

    fn set_leading(&self, leading: bool) {
        metrics::gauge!("dependencies_leading").set(if leading { 1.0 } else { 0.0 });
    }
}

impl Releasing {
    /// Tells every waiting job how its dependency ended, a few hundred per INSERT. A job that does not
    /// exist refuses (nothing to tell); anything else failing fails the batch, to be told again.
    async fn tell(&self, tells: &[Tell]) -> anyhow::Result<()> {
        let at = self.clock.now().trunc_subsecs(6);
        for chunk in tells.chunks(TELLS_PER_INSERT) {
            let commands = chunk
                .iter()
                .map(|tell| Batched {
                    id: tell.dependent.clone(),
                    command: JobCommand::DependencyEnded {
                        dependency: tell.dependency.clone(),
                        outcome: tell.outcome,
                        at,
                    },
                    metadata: Metadata::from([
                        ("job_id".to_owned(), tell.dependent.clone()),
                        ("dependency".to_owned(), tell.dependency.clone()),
                    ]),
                    expect: Expect::Existing,
                })
                .collect();
            for (tell, outcome) in chunk.iter().zip(self.jobs.execute_together(commands).await) {
                match outcome {
                    Ok(()) => {}
                    Err(CommandError::Rejected(JobRefusal::Unknown)) => {
                        tracing::warn!(job = %tell.dependent, "a job waiting for {} does not exist", tell.dependency);
                    }
                    Err(error) => {
                        return Err(anyhow::Error::new(error).context(format!(
                            "telling job {} how {} ended",
                            tell.dependent, tell.dependency
                        )));
                    }
                }
            }
            metrics::counter!("dependencies_told_total").increment(chunk.len() as u64);
        }
        Ok(())
    }
}

/// Postgres failed `doing` something: resume from the stored checkpoint after a pause.
fn failed(error: sqlx::Error, doing: &'static str) -> Interrupt<anyhow::Error> {
    Interrupt::Failed(anyhow::Error::new(error).context(doing))
}
