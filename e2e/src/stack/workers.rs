//! Workers a test starts in-process beside its stack.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

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

impl Stack {
    /// Starts the worker binary (built by `cargo build --workspace`) on this stack, its heartbeat living
    /// 2 s, for a test to SIGKILL: a real process, so a kill leaves what a crash leaves.
    pub fn spawn_worker_binary(&self) -> tokio::process::Child {
        self.worker_binary().spawn().expect("start the worker binary (cargo build --workspace builds it)")
    }

    /// The command [`Stack::spawn_worker_binary`] runs, for a test to add to (its health address).
    pub fn worker_binary(&self) -> tokio::process::Command {
        let mut worker = tokio::process::Command::new(binary("worker"));
        worker
            .env("REPRISE_DATABASE__URL", self.database.url())
            .env("REPRISE_REDIS__KEY_PREFIX", &self.settings.redis.key_prefix)
            .env("REPRISE_WORKER__HEALTH_ADDR", "127.0.0.1:0")
            .env("REPRISE_WORKER__HEARTBEAT_TTL_SECONDS", "2")
            .env("REPRISE_WORKER__WINDOW_CLOSE_CHECK_MS", "0")
            .env("APP_CONFIG_PATH", "/nonexistent")
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .kill_on_drop(true);
        worker
    }
}

impl Stack {
    /// `projector rebuild` of this stack's log into its key prefix, for a test to run or spawn.
    pub fn projector_rebuild(&self) -> tokio::process::Command {
        let mut rebuild = tokio::process::Command::new(binary("projector"));
        rebuild
            .arg("rebuild")
            .env("REPRISE_DATABASE__URL", self.database.url())
            .env("REPRISE_REDIS__KEY_PREFIX", &self.settings.redis.key_prefix)
            .env("APP_CONFIG_PATH", "/nonexistent")
            .env("RUST_LOG", "warn")
            .kill_on_drop(true);
        rebuild
    }
}

/// The path of a workspace binary, built beside the test binary by `cargo build --workspace`.
pub fn binary(name: &str) -> std::path::PathBuf {
    let test_binary = std::env::current_exe().expect("the test binary's path");
    test_binary.parent().and_then(|deps| deps.parent()).expect("target/debug").join(name)
}

/// A webhook receiver whose first call hangs for 30 s (a run still going when its worker is killed)
/// and whose later calls answer at once: its URL, and how many calls it has had.
pub async fn webhook_slow_the_first_time() -> (String, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = calls.clone();
    let app = axum::Router::new().route(
        "/slow",
        axum::routing::post(move || {
            let counted = counted.clone();
            async move {
                if counted.fetch_add(1, Ordering::SeqCst) == 0 {
                    tokio::time::sleep(std::time::Duration::from_secs(30)).await;
                }
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind the receiver");
    let url = format!("http://{}/slow", listener.local_addr().expect("the receiver's address"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, calls)
}
