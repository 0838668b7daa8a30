//! What handlers share: the event stores, Redis for first job documents, the clock.

use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, RwLock};

use domain::names::GameName;
use domain::scores::{Game, LeaderboardRefresh, ScoreSubmission};
use eventlog::EventStore;
use fred::prelude::*;
use projections::Keys;
use projections::redis::{Resend, client, start};
use sqlx::PgPool;

/// Shared by every handler.
#[derive(Clone)]
pub struct AppState {
    /// The event log's pool, for existence checks.
    pub pool: PgPool,
    /// Games.
    pub games: EventStore<Game>,
    /// One aggregate per submitted score.
    pub submissions: EventStore<ScoreSubmission>,
    /// Leaderboard refresh requests.
    pub refreshes: EventStore<LeaderboardRefresh>,
    /// Redis, for the first document of a new job.
    pub redis: Client,
    /// The key layout.
    pub keys: Keys,
    /// The time.
    pub clock: http_kit::Clock,
    /// How far `achievedAt` may lie ahead of the clock.
    pub clock_skew: chrono::Duration,
    /// Games this process has seen accept a score: their ranking is frozen, so later scores need not
    /// touch the game's aggregate again (a set that only grows, so it cannot go stale).
    pub scoring_games: Arc<RwLock<HashSet<GameName>>>,
}

impl AppState {
    /// Connects to Postgres lazily and to Redis in the background.
    pub fn connect(settings: &settings::Settings, clock: http_kit::Clock) -> anyhow::Result<Self> {
        let pool = eventlog::connect(&settings.database)?;
        let redis = client(&settings.redis, Resend::Allowed)?;
        start(&redis);
        Ok(Self {
            games: EventStore::new(pool.clone()),
            submissions: EventStore::new(pool.clone()),
            refreshes: EventStore::new(pool.clone()),
            pool,
            redis,
            keys: Keys::new(settings.redis.key_prefix.clone()),
            clock,
            clock_skew: chrono::Duration::seconds(settings.http.clock_skew_seconds),
            scoring_games: Arc::default(),
        })
    }
}

impl http_kit::operations::Readiness for AppState {
    fn check(&self) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + '_>> {
        Box::pin(async move {
            sqlx::query("SELECT 1").execute(&self.pool).await.map_err(|e| format!("postgres: {e}"))?;
            Ok(())
        })
    }
}
