//! command-api's routes, one module per resource.

mod channel_lookup;
mod channel_names;
pub mod channels;
pub mod conversions;
pub mod games;
pub mod job_batch;
mod job_dependencies;
mod job_request;
pub mod jobs;
pub mod meetups;
pub mod messages;
pub mod queues;
pub mod refresh;
pub mod scores;
pub mod sessions;
mod unique_batch;
mod unique_jobs;
pub mod users;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware::from_fn_with_state;
use axum::routing::{delete, patch, post, put};
use http_kit::ApiError;
use http_kit::drain::drain_unread_body;

use crate::AppState;

/// Every command route.
pub fn router(state: AppState) -> Router {
    let batch_body_limit = state.jobs.max_batch_body_bytes;
    Router::new()
        .route("/v1/users", post(users::sign_up))
        .route("/v1/users/me", patch(users::update_me))
        .route("/v1/sessions", post(sessions::sign_in))
        .route("/v1/sessions/mine", delete(sessions::sign_out))
        .route("/v1/games/{game}", put(games::configure))
        .route("/v1/scores", post(scores::submit))
        .route("/v1/jobs", post(jobs::queue))
        // A full batch of 1,000 jobs needs more than the JSON body limit.
        .route("/v1/jobs/batch", post(job_batch::queue_batch).layer(DefaultBodyLimit::max(batch_body_limit)))
        // Uploads stream to the blob store under their own limit, not the JSON body limit; one
        // refused early has the rest of its body read and discarded after the answer.
        .route(
            "/v1/conversions",
            post(conversions::upload)
                .layer(DefaultBodyLimit::disable())
                .layer(from_fn_with_state(conversions::UNREAD_BODY_DRAIN, drain_unread_body)),
        )
        .route("/v1/jobs/{id}", delete(jobs::cancel))
        .route("/v1/queues/{kind}", put(queues::configure))
        .route("/v1/leaderboards/{game}/refresh", post(refresh::request))
        .route("/v1/events", post(meetups::create))
        .route("/v1/events/join", post(meetups::join))
        .route("/v1/channels", post(channels::create))
        .route("/v1/channels/{id}", post(messages::post).patch(channels::update).delete(channels::delete))
        .route("/v1/channels/{id}/members", post(channels::add_member).delete(channels::remove_member))
        .route("/v1/messages/{id}", patch(messages::edit).delete(messages::delete))
        .fallback(|| async { ApiError::NotFound("no such route".to_owned()) })
        .with_state(state)
}
