//! query-api's routes, one module per resource.

mod board_query;
pub mod channels;
pub mod conditional;
pub mod conversions;
pub mod job_list;
pub mod jobs;
pub mod leaderboards;
pub mod meetups;
pub mod queues;
pub mod timeline;
pub mod users;
pub mod windows;

use axum::Router;
use axum::routing::get;
use http_kit::ApiError;

use crate::AppState;

/// Every read route.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/v1/leaderboards/{game}", get(leaderboards::board))
        .route("/v1/leaderboards/{game}/players/{player}", get(leaderboards::standing))
        .route("/v1/leaderboards/{game}/windows", get(windows::windows))
        .route("/v1/jobs", get(job_list::jobs))
        .route("/v1/conversions", get(conversions::conversions))
        .route("/v1/conversions/{id}", get(conversions::conversion))
        .route("/v1/conversions/{id}/mp3", get(conversions::mp3))
        .route("/v1/jobs/{id}", get(jobs::job))
        .route("/v1/queues", get(queues::queues))
        .route("/v1/events", get(meetups::meetups))
        .route("/v1/events/join", get(meetups::joined))
        .route("/v1/channels", get(channels::channels))
        .route("/v1/channels/{id}", get(channels::messages))
        .route("/v1/users/me", get(users::me))
        .route("/v1/users/{id}", get(users::user))
        .fallback(|| async { ApiError::NotFound("no such route".to_owned()) })
        .with_state(state)
}

/// A JSON answer made of bytes that are already JSON.
pub fn stored_json(bytes: impl Into<axum::body::Body>) -> axum::response::Response {
    axum::response::Response::builder()
        .header(axum::http::header::CONTENT_TYPE, "application/json")
        .body(bytes.into())
        .unwrap_or_default()
}
