//! One run of one job: the handler in a task of its own (so a panic fails the job, not the worker),
//! its start recorded only when it takes a while, its outcome recorded as one command on the job.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use domain::jobs::WorkOrder;
use domain::jobs::{Backoff, Job, JobCommand, RunOutcome};
use eventlog::{CommandBatcher, CommandError, Metadata};
use job_kinds::{Failure, Outcome, Registry, RunContext};
use rand::Rng as _;
use redis_store::queue::WorkQueue;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How often a running job's progress is recorded, at most.
const PROGRESS_EVERY: Duration = Duration::from_secs(1);

/// What every run needs.
pub struct Runner {
    /// The jobs' aggregates; the outcomes of concurrent runs share an INSERT.
    pub jobs: CommandBatcher<Job>,
    /// The kinds this worker runs.
    pub kinds: Registry,
    /// This worker's queue handle.
    pub queue: WorkQueue,
    /// The time.
    pub clock: domain::Clock,
    /// Runs longer than this record their start.
    pub record_start_after: Duration,
    /// The first retry's delay.
    pub retry_base: Duration,
    /// The longest retry delay.
    pub retry_cap: Duration,
}

impl Runner {
    /// The time, to the microsecond the documents show.
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        chrono::SubsecRound::trunc_subsecs(self.clock.now(), 6)
    }

    /// Runs `order` and records how it ended; answers the job's id once that is recorded (or the job
    /// turns out not to be this worker's to run any more), for the job to leave the in-flight set.
    pub async fn run(self: Arc<Self>, order: WorkOrder) -> String {
        let started_at = self.now();
        let timer = std::time::Instant::now();
        let Some(outcome) = self.outcome(&order, started_at).await else {
            return order.id;
        };
        let ended = match outcome {
            RunOutcome::Succeeded(_) => "succeeded",
            RunOutcome::Failed { .. } => "failed",
            RunOutcome::Snoozed { .. } => "snoozed",
        };
        let finish = JobCommand::Finish {
            worker: self.queue.worker().to_owned(),
            started_at,
            at: self.now(),
            outcome,
        };
        self.record(&order.id, finish).await;
        let kind = order.kind.clone();
        metrics::histogram!("job_run_seconds", "kind" => kind.clone()).record(timer.elapsed().as_secs_f64());
        metrics::counter!("jobs_finished_total", "kind" => kind, "outcome" => ended).increment(1);
        order.id
    }

    /// Runs the handler; `None` when the job may not run here after all (cancelled meanwhile, taken
    /// over by another worker).
    async fn outcome(&self, order: &WorkOrder, started_at: DateTime<Utc>) -> Option<RunOutcome> {
        let Some(handler) = self.kinds.get(&order.kind) else {
            let failure = Failure::permanent(format!("this worker has no handler for kind {}", order.kind));
            return Some(self.failed(failure));
        };
        metrics::counter!("jobs_started_total", "kind" => order.kind.clone()).increment(1);
        let task_order = order.clone();
        let (context, mut progress) = RunContext::new();
        let mut task = tokio::spawn(async move { handler.run(&task_order, &context).await });
        let finished = tokio::select! {
            finished = &mut task => finished,
            () = tokio::time::sleep(self.record_start_after) => {
                let start = JobCommand::Start { worker: self.queue.worker().to_owned(), at: started_at };
                if !self.record(&order.id, start).await {
                    task.abort();
                    return None;
                }
                self.report_progress_until_done(&order.id, &mut task, &mut progress).await
            }
        };
        Some(match finished {
            Ok(Ok(Outcome::Succeeded(result))) => RunOutcome::Succeeded(result),
            Ok(Ok(Outcome::Snooze(delay))) => {
                let delay = chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::MAX);
                RunOutcome::Snoozed {
                    until: self.now().checked_add_signed(delay).unwrap_or(DateTime::<Utc>::MAX_UTC),
                }
            }
            Ok(Err(failure)) => self.failed(failure),
            Err(error) if error.is_panic() => {
                let message = panic_message(error.into_panic());
                self.failed(Failure::permanent(format!("the handler panicked: {message}")))
            }
            Err(_) => self.failed(Failure::retryable("the run was cancelled")),
        })
    }

    /// Waits for a run whose start is recorded, recording the progress its handler reports, the
    /// latest value at most once a second.
    async fn report_progress_until_done(
        &self,
        id: &str,
        task: &mut JoinHandle<Result<Outcome, Failure>>,
        progress: &mut watch::Receiver<Option<u8>>,
    ) -> Result<Result<Outcome, Failure>, tokio::task::JoinError> {
        loop {
            tokio::select! {
                finished = &mut *task => return finished,
                () = tokio::time::sleep(PROGRESS_EVERY) => {}
            }
            if !progress.has_changed().unwrap_or(false) {
                continue;
            }
            let Some(percent) = *progress.borrow_and_update() else { continue };
            let report = JobCommand::ReportProgress {
                worker: self.queue.worker().to_owned(),
                percent,
                at: self.now(),
            };
            self.record(id, report).await;
        }
    }

    fn failed(&self, failure: Failure) -> RunOutcome {
        let backoff =
            Backoff { base: self.retry_base, cap: self.retry_cap, jitter: rand::rng().random::<f64>() };
        RunOutcome::Failed { message: failure.message, retryable: failure.retryable, backoff }
    }

    /// Records a command on the job, trying again while the event log is away; `false` when the job
    /// refused it (it is not this worker's to run).
    async fn record(&self, id: &str, command: JobCommand) -> bool {
        let metadata = Metadata::from([("worker".to_owned(), self.queue.worker().to_owned())]);
        let mut pause = Duration::from_millis(100);
        loop {
            match self.jobs.execute(id, command.clone(), &metadata).await {
                Ok(()) => return true,
                Err(CommandError::Rejected(refusal)) => {
                    tracing::info!(job = id, %refusal, "the job is not this worker's to run");
                    return false;
                }
                Err(error) => {
                    tracing::warn!(job = id, %error, "could not record the job's progress; trying again");
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_secs(5));
                }
            }
        }
    }
}

fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".to_owned())
}
