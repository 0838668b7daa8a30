//! Board documents kept in query-api's memory and invalidated by Redis the moment the projector
//! rewrites them (server-assisted client-side caching, `CLIENT TRACKING … BCAST PREFIX`).
//!
//! Never stale: a document is cached only if no invalidation arrived between reading it and storing it,
//! and nothing is served from memory while the tracking connection is down (invalidations could be
//! lost then), after which the cache starts empty.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use fred::prelude::*;
use fred::types::RespVersion;
use fred::types::config::UnresponsiveConfig;
use secrecy::ExposeSecret;
use std::time::Duration;

use crate::routes::conditional::Tagged;

/// The most documents kept; past it the cache starts over (boards are few, this is a safety net).
const MAX_ENTRIES: usize = 10_000;

/// Cached board documents.
#[derive(Clone, Default)]
pub struct DocumentCache {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    documents: RwLock<HashMap<String, Tagged>>,
    invalidations: AtomicU64,
    tracking: AtomicBool,
}

/// A read in progress: remembers how many invalidations had arrived when it started.
pub struct Ticket(u64);

impl DocumentCache {
    /// Tracks the board documents of the current generation on a RESP3 connection of its own; when
    /// the generation changes, starts over tracking the new one's.
    pub fn track(
        settings: &settings::RedisSettings,
        generation: redis_store::CurrentGeneration,
    ) -> anyhow::Result<Self> {
        let cache = Self::default();
        let mut config = Config::from_url(settings.url.expose_secret())?;
        config.version = RespVersion::RESP3;
        // A silent partition would hide lost invalidations: ping every half second and give up on a
        // connection that leaves a ping unanswered for a second, which stops serving from memory.
        let client = Builder::from_config(config)
            .with_connection_config(|connection| {
                connection.unresponsive = UnresponsiveConfig {
                    max_timeout: Some(Duration::from_secs(1)),
                    interval: Duration::from_millis(250),
                };
            })
            .set_policy(ReconnectPolicy::new_exponential(0, 50, 2_000, 2))
            .build()?;
        let on_invalidation = cache.clone();
        client.on_invalidation(move |invalidation| {
            on_invalidation.invalidate(invalidation.keys.iter().filter_map(|key| key.as_str()));
            Ok(())
        });
        let on_error = cache.clone();
        client.on_error(move |_| {
            on_error.stop_serving();
            async { Ok(()) }
        });
        let mut reconnects = client.reconnect_rx();
        let mut changes = generation.changes();
        let (tracker, resume) = (client.clone(), cache.clone());
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    reconnected = reconnects.recv() => if reconnected.is_err() { return },
                    changed = changes.changed() => {
                        if changed.is_err() {
                            return;
                        }
                        // Documents of the replaced generation are never read again: track the new one's.
                    }
                }
                resume.stop_serving();
                // Whatever this connection tracks goes first: the first connection and the first
                // generation arrive in either order, and tracking one prefix twice is refused.
                let _ = tracker.stop_tracking().await;
                let prefix = generation.keys().full("lbdoc:");
                let started = tracker.start_tracking(vec![prefix], true, false, false, false).await;
                match started {
                    Ok(()) => {
                        // A read that began before tracking started may hold a copy written before
                        // it: no invalidation would ever name it, so such reads must not be kept.
                        resume.inner.invalidations.fetch_add(1, Ordering::SeqCst);
                        resume.inner.tracking.store(true, Ordering::SeqCst);
                    }
                    Err(error) => tracing::warn!(%error, "cannot track board documents; serving from Redis"),
                }
            }
        });
        redis_store::start(&client);
        tokio::spawn(async move {
            let _ = client.enable_heartbeat(Duration::from_millis(500), false).await;
        });
        Ok(cache)
    }

    /// The cached document under `key`, if tracking vouches for it.
    pub fn get(&self, key: &str) -> Option<Tagged> {
        if !self.inner.tracking.load(Ordering::SeqCst) {
            return None;
        }
        self.inner.documents.read().ok()?.get(key).cloned()
    }

    /// Starts a read from Redis.
    pub fn ticket(&self) -> Ticket {
        Ticket(self.inner.invalidations.load(Ordering::SeqCst))
    }

    /// Keeps what a read returned, unless an invalidation arrived since its ticket.
    pub fn keep(&self, ticket: Ticket, key: String, document: Tagged) {
        if !self.inner.tracking.load(Ordering::SeqCst) {
            return;
        }
        let Ok(mut documents) = self.inner.documents.write() else { return };
        if self.inner.invalidations.load(Ordering::SeqCst) != ticket.0 {
            return;
        }
        if documents.len() >= MAX_ENTRIES {
            documents.clear();
        }
        documents.insert(key, document);
    }

    /// Drops the invalidated keys; an invalidation naming no key (a flush) drops everything.
    fn invalidate<'a>(&self, keys: impl Iterator<Item = &'a str>) {
        let Ok(mut documents) = self.inner.documents.write() else { return };
        self.inner.invalidations.fetch_add(1, Ordering::SeqCst);
        let mut named_any = false;
        for key in keys {
            named_any = true;
            documents.remove(key);
        }
        if !named_any {
            documents.clear();
        }
    }

    fn stop_serving(&self) {
        self.inner.tracking.store(false, Ordering::SeqCst);
        self.inner.invalidations.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut documents) = self.inner.documents.write() {
            documents.clear();
        }
    }
}
