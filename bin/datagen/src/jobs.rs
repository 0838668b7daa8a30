//! The jobs of submitted scores: the recent ones, for the mix's polls, and watchers that follow a
//! sample of them until they succeed, to measure the time from 202 to `succeeded`.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Semaphore, mpsc};
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::Instant;

use crate::client::Api;
use crate::stats::{Ending, SharedStats};

/// How long a watcher follows one job, from its 202, before calling it timed out.
pub const JOB_DEADLINE: Duration = Duration::from_secs(30);
/// The `Prefer: wait=N` of a watcher's polls.
const LONG_POLL_SECONDS: u32 = 5;
/// The pause before polling again after an answer that is not a job (an error, a 429, …).
const RETRY_PAUSE: Duration = Duration::from_millis(500);

/// The most recently accepted job ids, for the mix's job polls.
#[derive(Debug)]
pub struct RecentJobs {
    ids: Mutex<VecDeque<String>>,
    capacity: usize,
}

impl RecentJobs {
    /// Keeps the last `capacity` ids.
    pub fn new(capacity: usize) -> Self {
        RecentJobs { ids: Mutex::new(VecDeque::with_capacity(capacity)), capacity: capacity.max(1) }
    }

    /// Remembers a newly accepted job.
    pub fn push(&self, id: String) {
        let mut ids = self.ids.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if ids.len() == self.capacity {
            ids.pop_front();
        }
        ids.push_back(id);
    }

    /// The known job at `pick` modulo how many are known; none before the first 202.
    pub fn pick(&self, pick: u64) -> Option<String> {
        let ids = self.ids.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let len = u64::try_from(ids.len()).ok().filter(|len| *len > 0)?;
        ids.get(usize::try_from(pick % len).ok()?).cloned()
    }
}

/// A job that was just accepted.
struct Accepted {
    id: String,
    at: Instant,
}

/// Hands accepted jobs to the watchers; cheap to clone into every request task.
#[derive(Clone)]
pub struct JobSender {
    sender: Option<mpsc::Sender<Accepted>>,
    stats: SharedStats,
}

impl JobSender {
    /// Counts a job accepted at `at` and offers it to the watchers; when every one is busy, the job
    /// is left unwatched (the watched ones are then a sample).
    pub fn offer(&self, id: String, at: Instant) {
        self.stats.lock().jobs.accepted += 1;
        if let Some(sender) = &self.sender {
            // A full queue is the expected way to sample: nothing to report.
            let _ = sender.try_send(Accepted { id, at });
        }
    }
}

/// The background task that follows jobs, at most `watchers` at once.
pub struct JobWatch {
    task: Option<JoinHandle<()>>,
    stats: SharedStats,
}

impl JobWatch {
    /// Starts `watchers` watchers (none when 0); jobs come in through the returned sender.
    pub fn start(api: Api, stats: SharedStats, watchers: usize) -> (Self, JobSender) {
        if watchers == 0 {
            return (JobWatch { task: None, stats: stats.clone() }, JobSender { sender: None, stats });
        }
        let (sender, receiver) = mpsc::channel(watchers);
        let task = tokio::spawn(watch_all(api, stats.clone(), receiver, watchers));
        (JobWatch { task: Some(task), stats: stats.clone() }, JobSender { sender: Some(sender), stats })
    }

    /// Waits, at most `within`, for the jobs being followed once every sender is gone; the ones
    /// still not final then count as timed out, and the ones never followed as unwatched.
    pub async fn finish(self, within: Duration) {
        if let Some(mut task) = self.task
            && tokio::time::timeout(within, &mut task).await.is_err()
        {
            task.abort();
        }
        let mut stats = self.stats.lock();
        let jobs = &mut stats.jobs;
        jobs.timed_out = jobs.watched.saturating_sub(jobs.succeeded + jobs.failed);
        jobs.unwatched = jobs.accepted.saturating_sub(jobs.watched);
    }
}

async fn watch_all(api: Api, stats: SharedStats, mut receiver: mpsc::Receiver<Accepted>, watchers: usize) {
    let slots = Arc::new(Semaphore::new(watchers));
    let mut following = JoinSet::new();
    while let Some(job) = receiver.recv().await {
        let Ok(slot) = slots.clone().acquire_owned().await else { break };
        let (api, stats) = (api.clone(), stats.clone());
        following.spawn(async move {
            follow(&api, &stats, job).await;
            drop(slot);
        });
        while following.try_join_next().is_some() {}
    }
    while following.join_next().await.is_some() {}
}

/// Long-polls one job until it is final or its deadline passes.
async fn follow(api: &Api, stats: &SharedStats, job: Accepted) {
    stats.lock().jobs.watched += 1;
    let deadline = job.at + JOB_DEADLINE;
    loop {
        let (ending, status) = api.poll_job(&job.id, Some(LONG_POLL_SECONDS)).await;
        match status.as_deref() {
            Some("succeeded") => {
                let waited = job.at.elapsed();
                let mut stats = stats.lock();
                stats.jobs.succeeded += 1;
                stats.jobs.to_succeeded_us.saturating_record(crate::stats::micros(waited));
                return;
            }
            Some("failed" | "cancelled") => {
                stats.lock().jobs.failed += 1;
                return;
            }
            _ => {}
        }
        if Instant::now() >= deadline {
            // Counted as timed out by `finish`.
            return;
        }
        if ending != Ending::Status(200) {
            tokio::time::sleep(RETRY_PAUSE).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn there_is_no_job_to_poll_before_the_first_is_accepted() {
        assert_eq!(RecentJobs::new(4).pick(7), None);
    }

    #[test]
    fn only_the_most_recent_jobs_are_kept_and_picked() {
        let jobs = RecentJobs::new(2);
        for id in ["a", "b", "c"] {
            jobs.push(id.into());
        }
        assert_eq!(jobs.pick(0).as_deref(), Some("b"));
        assert_eq!(jobs.pick(1).as_deref(), Some("c"));
        assert_eq!(jobs.pick(2).as_deref(), Some("b"));
    }
}
