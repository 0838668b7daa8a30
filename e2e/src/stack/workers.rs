//! Workers a test starts in-process beside its stack.

use domain::Clock;
use tokio_util::sync::CancellationToken;

use super::Stack;

impl Stack {
    /// Starts a worker in-process with the standard kinds plus `extra`; it stops with the stack or
    /// when the returned token is cancelled.
    pub async fn start_worker(
        &self,
        extra: Vec<std::sync::Arc<dyn job_kinds::JobHandler>>,
    ) -> CancellationToken {
        self.start_worker_with(extra, Clock::default()).await
    }

    /// [`Stack::start_worker`] with a worker that tells the time by `clock` (to close windows early).
    pub async fn start_worker_with(
        &self,
        extra: Vec<std::sync::Arc<dyn job_kinds::JobHandler>>,
        clock: Clock,
    ) -> CancellationToken {
        let mut kinds = job_kinds::Registry::standard(&self.settings);
        for handler in extra {
            kinds = kinds.with_shared(handler);
        }
        let worker = worker::Worker::build_with_kinds(self.settings.clone(), clock, kinds)
            .await
            .expect("build worker");
        let stop = self.shutdown.child_token();
        tokio::spawn(worker.run_until_stopped(stop.clone()));
        stop
    }
}
