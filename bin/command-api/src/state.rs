//! What handlers share: the event stores, Redis for first job documents, the clock.

use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};
use domain::conversions::Conversion;
use domain::identity::{Email, Session, User};
use domain::jobs::Job;
use domain::meetups::{Channel, Meetup, Membership, Message};
use domain::names::GameName;
use domain::scores::{Game, LeaderboardRefresh, ScoreSubmission};
use eventlog::{BatchLimits, CommandBatcher, EventStore};
use fred::prelude::*;
use http_kit::ApiError;
use http_kit::auth::{AuthState, SessionStatus, Tokens};
use read_model::Keys;
use redis_store::{Resend, client, start};
use sqlx::PgPool;

/// Shared by every handler.
#[derive(Clone)]
pub struct AppState {
    /// The event log's pool, for existence checks.
    pub pool: PgPool,
    /// Games.
    pub games: EventStore<Game>,
    /// One aggregate per submitted score; concurrent submissions share an INSERT.
    pub submissions: CommandBatcher<ScoreSubmission>,
    /// Leaderboard refresh requests.
    pub refreshes: EventStore<LeaderboardRefresh>,
    /// Users.
    pub users: EventStore<User>,
    /// Jobs queued for the worker.
    pub jobs: EventStore<Job>,
    /// New jobs; concurrent ones share an INSERT.
    pub new_jobs: CommandBatcher<Job>,
    /// The kinds of job the worker runs.
    pub job_kinds: job_kinds::Registry,
    /// The longest job message accepted, in bytes.
    pub max_job_message_bytes: usize,
    /// Video conversions.
    pub conversions: EventStore<Conversion>,
    /// Meetup events.
    pub meetups: EventStore<Meetup>,
    /// Who joined which meetup.
    pub memberships: EventStore<Membership>,
    /// Chat channels.
    pub channels: EventStore<Channel>,
    /// Chat messages.
    pub messages: EventStore<Message>,
    /// Where uploads are stored.
    pub blobs: blobs::Blobs,
    /// The largest video accepted, in bytes.
    pub max_upload_bytes: u64,
    /// Signs session tokens.
    pub tokens: Tokens,
    /// E-mails whose sessions get the `admin` scope.
    pub admins: Arc<Vec<String>>,
    /// Failed sign-ins allowed per e-mail and per address per minute.
    pub sign_in_failures_per_minute: u32,
    /// Chat messages one user may post per minute.
    pub messages_per_minute: u32,
    /// Redis, for the first document of a new job.
    pub redis: Client,
    /// The key layout.
    pub keys: Keys,
    /// The time.
    pub clock: domain::Clock,
    /// How far `achievedAt` may lie ahead of the clock.
    pub clock_skew: chrono::Duration,
    /// Games this process has seen accept a score: their ranking is frozen, so later scores need not
    /// touch the game's aggregate again (a set that only grows, so it cannot go stale).
    pub scoring_games: Arc<RwLock<HashSet<GameName>>>,
}

impl AppState {
    /// Connects to Postgres lazily and to Redis in the background.
    pub fn connect(settings: &settings::Settings, clock: domain::Clock) -> anyhow::Result<Self> {
        let pool = eventlog::connect(&settings.database, "command-api")?;
        let group_commit = BatchLimits::from_settings(&settings.database);
        let redis = client(&settings.redis, Resend::Allowed)?;
        start(&redis);
        Ok(Self {
            games: EventStore::new(pool.clone()),
            submissions: CommandBatcher::start(EventStore::new(pool.clone()), group_commit),
            refreshes: EventStore::new(pool.clone()),
            users: EventStore::new(pool.clone()),
            jobs: EventStore::new(pool.clone()),
            new_jobs: CommandBatcher::start(EventStore::new(pool.clone()), group_commit),
            job_kinds: job_kinds::Registry::standard(settings),
            max_job_message_bytes: settings.jobs.max_message_bytes,
            conversions: EventStore::new(pool.clone()),
            meetups: EventStore::new(pool.clone()),
            memberships: EventStore::new(pool.clone()),
            channels: EventStore::new(pool.clone()),
            messages: EventStore::new(pool.clone()),
            blobs: blobs::Blobs::from_settings(&settings.blobs)?,
            max_upload_bytes: settings.conversions.max_upload_bytes,
            tokens: Tokens::from_settings(&settings.auth)?,
            admins: Arc::new(settings.auth.admins.iter().map(|email| email.trim().to_lowercase()).collect()),
            sign_in_failures_per_minute: settings.auth.sign_in_failures_per_minute,
            messages_per_minute: settings.meetups.messages_per_minute,
            pool,
            redis,
            keys: Keys::new(settings.redis.key_prefix.clone()),
            clock,
            clock_skew: chrono::Duration::seconds(settings.http.clock_skew_seconds),
            scoring_games: Arc::default(),
        })
    }
}

impl AppState {
    /// A new session for the user with `email`, expiring after the token lifetime.
    pub fn new_session(&self, email: &Email, now: DateTime<Utc>) -> Session {
        let scopes = if self.admins.iter().any(|admin| admin == email.as_str()) {
            vec![http_kit::auth::ADMIN.to_owned()]
        } else {
            vec![]
        };
        Session { id: uuid::Uuid::now_v7().to_string(), expires_at: now + self.tokens.ttl(), scopes }
    }
}

impl AuthState for AppState {
    fn tokens(&self) -> &Tokens {
        &self.tokens
    }

    /// Open or closed as the projected session records say; while they are rebuilt, as the user's
    /// aggregate in the event log says, so writes go on during a rebuild and a revocation still holds.
    async fn session_status(&self, user_id: &str, session_id: &str) -> Result<SessionStatus, ApiError> {
        use redis_store::sessions::{SessionLookup, look_up_session};
        match look_up_session(&self.redis, &self.keys, session_id).await {
            Ok(SessionLookup::Open) => Ok(SessionStatus::Open),
            Ok(SessionLookup::Closed) => Ok(SessionStatus::Closed),
            Ok(SessionLookup::Rebuilding) => {
                let user = self.users.load(user_id).await.map_err(crate::accepted::command_failed)?;
                Ok(if user.has_session(session_id) { SessionStatus::Open } else { SessionStatus::Closed })
            }
            Err(error) => {
                tracing::warn!(%error, "session store unavailable");
                Err(ApiError::unavailable("the session store"))
            }
        }
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
