//! How each process listens and paces itself: HTTP, the projector, the worker, the relay, live.

use serde::{Deserialize, Serialize};

/// HTTP listeners and limits.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpSettings {
    /// Where command-api listens.
    pub command_addr: String,
    /// Where query-api listens.
    pub query_addr: String,
    /// The largest JSON body accepted, in bytes.
    pub json_body_limit: usize,
    /// How far `achievedAt` may lie ahead of the server's clock, in seconds, to forgive clock skew.
    pub clock_skew_seconds: i64,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            command_addr: "127.0.0.1:3010".to_owned(),
            query_addr: "127.0.0.1:3000".to_owned(),
            json_body_limit: 1024 * 1024,
            clock_skew_seconds: 5,
        }
    }
}

/// The projector.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProjectorSettings {
    /// Where its health and metrics endpoints listen.
    pub health_addr: String,
    /// The most events read and applied in one batch.
    pub batch_size: i64,
    /// The most events in one batch of a generation filled beside the one readers read (a rebuild):
    /// Redis runs each batch's Function alone, so smaller batches keep the readers' waits short.
    pub rebuild_batch_size: i64,
    /// How often the log is polled when no notification arrives, in milliseconds.
    pub poll_interval_ms: u64,
    /// `/readyz` fails while the oldest event the projector has not projected yet is older than this,
    /// in milliseconds: how stale the query side may be while its projector still counts as ready.
    pub ready_max_lag_ms: u64,
    /// After a partial batch, the next one is read no sooner than this many milliseconds after it:
    /// a steady stream is then taken a few milliseconds' worth at a time, not one commit at a time.
    /// The first event after a quiet spell is read at once.
    pub gather_ms: u64,
}

impl Default for ProjectorSettings {
    fn default() -> Self {
        Self {
            health_addr: "127.0.0.1:9101".to_owned(),
            batch_size: 10_000,
            rebuild_batch_size: 1_000,
            poll_interval_ms: 1_000,
            ready_max_lag_ms: 5_000,
            gather_ms: 5,
        }
    }
}

/// The worker that runs queued jobs.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WorkerSettings {
    /// A six-field cron expression with seconds (`*/10 * * * * *`); each tick drains up to
    /// `batch_size` jobs. Empty: consume continuously.
    pub schedule: String,
    /// The most jobs one tick runs.
    pub batch_size: usize,
    /// The most jobs run at once.
    pub concurrency: usize,
    /// A worker whose heartbeat is older than this is taken for dead and its jobs rescued, in seconds.
    pub heartbeat_ttl_seconds: u64,
    /// A run still going after this long records its start, so it shows `running`, in milliseconds;
    /// shorter runs record start and end in one event.
    pub record_start_after_ms: u64,
    /// How often it looks for day, week and month windows that closed and are owed an `onWindowClose`
    /// callback, in milliseconds; 0: never (another worker does).
    pub window_close_check_ms: u64,
    /// Where its health and metrics endpoints listen.
    pub health_addr: String,
    /// The most events the dependency follower (one leader among the workers) reads at once.
    pub dependencies_batch_size: i64,
    /// How often the dependency follower polls the log when no notification arrives, in milliseconds.
    pub dependencies_poll_interval_ms: u64,
    /// After a partial batch, the dependency follower reads the next no sooner than this many
    /// milliseconds after it, so a steady stream is taken a few milliseconds' worth at a time: each
    /// batch costs a read and a checkpoint commit, and a release waits at most this much longer.
    pub dependencies_gather_ms: u64,
}

impl Default for WorkerSettings {
    fn default() -> Self {
        Self {
            schedule: String::new(),
            batch_size: 100,
            concurrency: 512,
            heartbeat_ttl_seconds: 10,
            record_start_after_ms: 250,
            window_close_check_ms: 10_000,
            health_addr: "127.0.0.1:9105".to_owned(),
            dependencies_batch_size: 1_000,
            dependencies_poll_interval_ms: 1_000,
            dependencies_gather_ms: 50,
        }
    }
}

/// The relay, which publishes the event log to RabbitMQ.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RelaySettings {
    /// Where its health and metrics endpoints listen.
    pub health_addr: String,
    /// The most events published per batch.
    pub batch_size: i64,
    /// How often the log is polled when no notification arrives, in milliseconds.
    pub poll_interval_ms: u64,
    /// After a partial batch, the next one is read no sooner than this many milliseconds after it:
    /// a steady stream is then taken a few milliseconds' worth at a time, not one commit at a time.
    /// The first event after a quiet spell is read at once.
    pub gather_ms: u64,
    /// The routing keys it publishes, as AMQP topic patterns (`*` one word, `#` none or more; `["#"]`
    /// for every event); none: the patterns Reprise's own consumers bind (the converter's, the
    /// notifier's and live's). An event it does not publish still passes its checkpoint.
    pub publish: Option<Vec<String>>,
}

impl Default for RelaySettings {
    fn default() -> Self {
        Self {
            health_addr: "127.0.0.1:9102".to_owned(),
            batch_size: 1_000,
            poll_interval_ms: 1_000,
            gather_ms: 10,
            publish: None,
        }
    }
}

/// The `live` service: WebSockets that receive chat events as they happen.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LiveSettings {
    /// Where it listens for WebSockets (`/v1/ws`) and its operations routes.
    pub addr: String,
    /// How many pushes one socket may have waiting to be written before it is disconnected as too slow.
    pub socket_buffer: usize,
    /// How often each socket is pinged, in milliseconds; a socket that sends nothing back for two
    /// intervals is closed.
    pub ping_interval_ms: u64,
    /// How many channels' privacy and members are kept in memory (others are loaded again when needed).
    pub channel_cache_capacity: usize,
}

impl Default for LiveSettings {
    fn default() -> Self {
        Self {
            addr: "127.0.0.1:3020".to_owned(),
            socket_buffer: 256,
            ping_interval_ms: 20_000,
            channel_cache_capacity: 10_000,
        }
    }
}
