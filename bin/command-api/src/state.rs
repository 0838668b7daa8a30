//! What handlers share, split by context: a handler extracts the state of its own context
//! (`State<JobsState>`, `State<MeetupsState>`, …) and sees only that; [`AppState`] composes them and
//! hands each out through axum's `FromRef`.

mod contexts;
mod identity;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use axum::extract::FromRef;
use eventlog::{BatchLimits, CommandBatcher, EventStore};
use fred::prelude::*;
use http_kit::ApiError;
use http_kit::auth::{AuthState, SessionStatus, Tokens};
use read_model::Keys;
use redis_store::{CurrentGeneration, Resend, client, start};
use sqlx::PgPool;

pub use contexts::{ConversionsState, JobsState, MeetupsState, ScoresState};
pub use identity::IdentityState;

/// What every context uses: the event log's pool (existence checks, claims, read-your-writes), Redis
/// (a new job's first document, the projector's checkpoint), the key layout and the clock.
#[derive(Clone)]
pub struct Shared {
    /// The event log's pool.
    pub pool: PgPool,
    /// Redis, for what the projector would also write and for its checkpoint.
    pub redis: Client,
    /// Which generation of the documents to read and write, and the key layout.
    pub generation: CurrentGeneration,
    /// The time.
    pub clock: domain::Clock,
}

/// Every context's state; each handler takes the one it needs. One `Arc`: axum clones the state for
/// every request, which then costs an atomic increment instead of a copy of every context's settings
/// (the token validation's sets, the job kinds' map, …); the handler's own context is cloned from it.
#[derive(Clone)]
pub struct AppState(Arc<Contexts>);

/// What [`AppState`] holds.
pub struct Contexts {
    /// What every context uses.
    pub shared: Shared,
    /// Users and sessions.
    pub identity: IdentityState,
    /// Games, scores and refreshes.
    pub scores: ScoresState,
    /// Jobs for the worker.
    pub jobs: JobsState,
    /// Video uploads.
    pub conversions: ConversionsState,
    /// Meetups, channels and messages.
    pub meetups: MeetupsState,
}

impl AppState {
    /// Connects to Postgres lazily and to Redis in the background.
    pub fn connect(settings: &settings::Settings, clock: domain::Clock) -> anyhow::Result<Self> {
        let pool = eventlog::connect(&settings.database, "command-api")?;
        let group_commit = BatchLimits::from_settings(&settings.database);
        let redis = client(&settings.redis, Resend::Allowed)?;
        start(&redis);
        let control = Keys::new(settings.redis.key_prefix.clone());
        let generation = CurrentGeneration::watch(redis.clone(), control);
        let shared = Shared { pool: pool.clone(), redis, generation, clock };
        let users = EventStore::new(pool.clone());
        Ok(Self(Arc::new(Contexts {
            identity: IdentityState {
                users: users.clone(),
                tokens: Tokens::from_settings(&settings.auth)?,
                admins: Arc::new(
                    settings.auth.admins.iter().map(|email| email.trim().to_lowercase()).collect(),
                ),
                sign_in_failures_per_minute: settings.auth.sign_in_failures_per_minute,
                shared: shared.clone(),
            },
            scores: ScoresState {
                games: EventStore::new(pool.clone()),
                submissions: CommandBatcher::start(EventStore::new(pool.clone()), group_commit),
                refreshes: EventStore::new(pool.clone()),
                clock_skew: chrono::Duration::seconds(settings.http.clock_skew_seconds),
                webhook: job_kinds::Webhook::new(settings),
                scoring_games: Arc::default(),
                shared: shared.clone(),
            },
            jobs: JobsState {
                jobs: EventStore::new(pool.clone()),
                new_jobs: CommandBatcher::start(EventStore::new(pool.clone()), group_commit),
                job_kinds: Arc::new(job_kinds::Registry::standard(settings)),
                queues: EventStore::new(pool.clone()),
                max_job_message_chars: settings.jobs.max_message_chars,
                max_batch_body_bytes: settings.jobs.max_batch_body_bytes,
                shared: shared.clone(),
            },
            conversions: ConversionsState {
                conversions: EventStore::new(pool.clone()),
                users,
                blobs: blobs::Blobs::from_settings(&settings.blobs)?,
                max_upload_bytes: settings.conversions.max_upload_bytes,
                shared: shared.clone(),
            },
            meetups: MeetupsState {
                meetups: EventStore::new(pool.clone()),
                memberships: EventStore::new(pool.clone()),
                channels: EventStore::new(pool.clone()),
                messages: EventStore::new(pool),
                messages_per_minute: settings.meetups.messages_per_minute,
                shared: shared.clone(),
            },
            shared,
        })))
    }
}

impl std::ops::Deref for AppState {
    type Target = Contexts;

    fn deref(&self) -> &Contexts {
        &self.0
    }
}

/// Each context's state is handed to its handlers from the one [`AppState`].
macro_rules! context_of_app_state {
    ($($context:ty => $field:ident),* $(,)?) => {
        $(impl FromRef<AppState> for $context {
            fn from_ref(state: &AppState) -> Self {
                state.$field.clone()
            }
        })*
    };
}

context_of_app_state!(
    Shared => shared,
    IdentityState => identity,
    ScoresState => scores,
    JobsState => jobs,
    ConversionsState => conversions,
    MeetupsState => meetups,
);

impl AuthState for AppState {
    fn tokens(&self) -> &Tokens {
        &self.identity.tokens
    }

    async fn session_status(&self, user_id: &str, session_id: &str) -> Result<SessionStatus, ApiError> {
        Ok(self.identity.session_status(user_id, session_id).await?)
    }
}

impl http_kit::operations::Readiness for AppState {
    fn check(&self) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + '_>> {
        Box::pin(async move {
            sqlx::query("SELECT 1").execute(&self.shared.pool).await.map_err(|e| format!("postgres: {e}"))?;
            Ok(())
        })
    }
}
