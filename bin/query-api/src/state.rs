//! What handlers share: Redis, the key layout, the clock, job update notifications.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use fred::prelude::*;
use http_kit::ApiError;
use http_kit::auth::{AuthState, SessionStatus, Tokens};
use read_model::Keys;
use redis_store::{CurrentGeneration, Resend, client, start};

use crate::cache::DocumentCache;
use crate::watch::JobUpdates;

/// Shared by every handler: one `Arc`, so that handing it to a request (axum clones the state for
/// each) costs one atomic increment, not a copy of the token keys' validation sets and the key prefix.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

/// What [`AppState`] holds.
pub struct Shared {
    /// Redis, where the documents live.
    pub redis: Client,
    /// Which generation of the documents to read, and the key layout.
    pub generation: CurrentGeneration,
    /// The time.
    pub clock: domain::Clock,
    /// Announcements of changed job documents, for long polls.
    pub job_updates: JobUpdates,
    /// Verifies session tokens.
    pub tokens: Tokens,
    /// Board documents kept in memory while Redis vouches for them.
    pub documents: DocumentCache,
    /// Where MP3s are stored.
    pub blobs: blobs::Blobs,
    /// The job kinds the workers run, by name: the queues the overview lists.
    pub job_kinds: Vec<String>,
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl Shared {
    /// The keys of the current generation of the documents.
    pub fn keys(&self) -> Keys {
        self.generation.keys()
    }
}

impl AppState {
    /// Connects to Redis in the background.
    pub fn connect(settings: &settings::Settings, clock: domain::Clock) -> anyhow::Result<Self> {
        let redis = client(&settings.redis, Resend::Allowed)?;
        start(&redis);
        let control = Keys::new(settings.redis.key_prefix.clone());
        let job_updates = JobUpdates::listen(&settings.redis, control.job_updates())?;
        let generation = CurrentGeneration::watch(redis.clone(), control);
        let tokens = Tokens::from_settings(&settings.auth)?;
        let documents = DocumentCache::track(&settings.redis, generation.clone())?;
        let blobs = blobs::Blobs::from_settings(&settings.blobs)?;
        let job_kinds =
            job_kinds::Registry::standard(settings).kinds().into_iter().map(str::to_owned).collect();
        Ok(Self(Arc::new(Shared {
            redis,
            generation,
            clock,
            job_updates,
            tokens,
            documents,
            blobs,
            job_kinds,
        })))
    }

    /// The answer to a read the projector has not (yet) produced a document for: 503 while the query
    /// side is rebuilt from the log (it may exist after all), otherwise `not_found`.
    pub async fn missing(&self, not_found: ApiError) -> ApiError {
        match redis_store::rebuilding::rebuilding(&self.redis, &self.keys()).await {
            Ok(false) => not_found,
            Ok(true) => ApiError::Unavailable {
                what: "the query side, being rebuilt from the event log,",
                retry_after: std::time::Duration::from_secs(2),
            },
            Err(error) => redis_failed(error),
        }
    }
}

/// The answer when Redis failed: 503 when it is away, 500 otherwise.
pub fn redis_failed(error: Error) -> ApiError {
    match error.kind() {
        ErrorKind::IO | ErrorKind::Timeout | ErrorKind::Canceled | ErrorKind::Backpressure => {
            tracing::warn!(%error, "redis unavailable");
            ApiError::unavailable("the document store")
        }
        _ => ApiError::internal(error),
    }
}

impl AuthState for AppState {
    fn tokens(&self) -> &Tokens {
        &self.tokens
    }

    /// Open or closed as the projected session records say; unknown while they are rebuilt, since a
    /// revocation may not have been replayed yet (the query side has no event log to ask instead).
    async fn session_status(&self, _user_id: &str, session_id: &str) -> Result<SessionStatus, ApiError> {
        use redis_store::sessions::{SessionLookup, look_up_session};
        match look_up_session(&self.redis, &self.generation, session_id).await {
            Ok(SessionLookup::Open) => Ok(SessionStatus::Open),
            Ok(SessionLookup::Closed) => Ok(SessionStatus::Closed),
            Ok(SessionLookup::Rebuilding) => Ok(SessionStatus::Unknown),
            Err(error) => Err(redis_failed(error)),
        }
    }
}

impl http_kit::operations::Readiness for AppState {
    fn check(&self) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + '_>> {
        Box::pin(async move {
            // Ready once the pointer to the current generation has been read.
            self.generation.refresh(&self.redis).await.map_err(|e| format!("redis: {e}"))
        })
    }
}
