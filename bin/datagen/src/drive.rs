//! The open loop: every planned request is spawned at its scheduled time, whatever the server is
//! doing, and its latency runs from that time, so a slow server cannot hide its slowness by slowing
//! the sender down (no coordinated omission).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::time::Instant;

use crate::client::Api;
use crate::jobs::{JOB_DEADLINE, JobSender, JobWatch, RecentJobs};
use crate::plan::{Plan, Request};
use crate::progress::Progress;
use crate::stats::{LATE, SharedStats};

/// How many accepted job ids the mix's polls choose from.
const RECENT_JOBS: usize = 10_000;
/// How long to keep following jobs after an interrupted run.
const INTERRUPTED_GRACE: Duration = Duration::from_secs(2);

/// The knobs of the loop that are not part of the plan.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Most requests in flight at once.
    pub max_in_flight: u32,
    /// Most jobs followed at once.
    pub job_watchers: usize,
    /// Time limit of one request.
    pub timeout: Duration,
}

/// What a finished run leaves.
#[derive(Debug)]
pub struct Finished {
    /// Time from the first scheduled instant to the last send (or the interruption).
    pub sending: Duration,
    /// Whether Ctrl-C cut the schedule short.
    pub interrupted: bool,
}

/// Shared by every request task.
struct Shared {
    api: Api,
    stats: SharedStats,
    recent: RecentJobs,
    jobs: JobSender,
}

/// Sends the plan, waits (bounded) for what is in flight and for the followed jobs, and returns.
pub async fn run(api: Api, plan: Plan, duration: Duration, limits: &Limits, stats: SharedStats) -> Finished {
    let (watch, jobs) = JobWatch::start(api.clone(), stats.clone(), limits.job_watchers);
    let shared = Arc::new(Shared { api, stats: stats.clone(), recent: RecentJobs::new(RECENT_JOBS), jobs });
    let in_flight = Arc::new(Semaphore::new(limits.max_in_flight as usize));
    let mut stop = ctrl_c_flag();
    let start = Instant::now();
    let progress = Progress::start(stats.clone(), start, duration);

    let mut interrupted = false;
    for planned in plan {
        let due = start + planned.at;
        if due > Instant::now() {
            tokio::select! {
                () = tokio::time::sleep_until(due) => {}
                _ = stop.changed() => {}
            }
        }
        if *stop.borrow() {
            interrupted = true;
            break;
        }
        let kind = planned.request.kind();
        stats.lock().kind(kind).planned += 1;
        match in_flight.clone().try_acquire_owned() {
            Ok(permit) => drop(tokio::spawn(send(shared.clone(), planned.request, due, permit))),
            Err(_) => stats.lock().kind(kind).dropped += 1,
        }
    }
    // A schedule that ran over (the sender itself overloaded) counts its real length.
    let sending = if interrupted { start.elapsed() } else { start.elapsed().max(duration) };
    drop(shared);

    // Every request ends within its timeout; the margin covers reading a late body.
    let drain = if interrupted { INTERRUPTED_GRACE } else { limits.timeout * 2 };
    if tokio::time::timeout(drain, in_flight.acquire_many(limits.max_in_flight)).await.is_err() {
        eprintln!("datagen: some requests were still in flight after {drain:?}; they are left out");
    }
    watch.finish(if interrupted { INTERRUPTED_GRACE } else { JOB_DEADLINE + limits.timeout }).await;
    progress.finish();
    Finished { sending, interrupted }
}

/// Sends one request and records how it ended.
async fn send(shared: Arc<Shared>, request: Request, due: Instant, permit: OwnedSemaphorePermit) {
    let kind = request.kind();
    let job = match &request {
        Request::JobPoll { pick } => match shared.recent.pick(*pick) {
            Some(id) => Some(id),
            None => {
                shared.stats.lock().kind(kind).skipped += 1;
                return;
            }
        },
        _ => None,
    };
    {
        let mut stats = shared.stats.lock();
        let counts = stats.kind(kind);
        counts.sent += 1;
        counts.late += u64::from(Instant::now().saturating_duration_since(due) > LATE);
    }
    let (ending, accepted) = match (&request, job) {
        (Request::Leaderboard(read), _) => (shared.api.read_leaderboard(read).await, None),
        (Request::Score(score), _) => shared.api.submit_score(score).await,
        (Request::JobPoll { .. }, Some(id)) => (shared.api.poll_job(&id, None).await.0, None),
        (Request::JobPoll { .. }, None) => unreachable!("a poll without a job was skipped above"),
    };
    let answered = Instant::now();
    shared.stats.lock().record(kind, ending, answered - due);
    drop(permit);
    if let Some(id) = accepted {
        shared.recent.push(id.clone());
        shared.jobs.offer(id, answered);
    }
}

/// A flag that turns true at the first Ctrl-C.
fn ctrl_c_flag() -> watch::Receiver<bool> {
    let (sender, receiver) = watch::channel(false);
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            let _ = sender.send(true);
        } else {
            // Without a Ctrl-C handler the flag just never turns; the sender must stay alive so
            // the scheduler does not see a change on every request.
            std::future::pending::<()>().await;
        }
    });
    receiver
}
