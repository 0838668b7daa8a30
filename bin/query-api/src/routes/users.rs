//! `GET /v1/users/me` and `GET /v1/users/{id}`.

use axum::Json;
use axum::extract::{Path, State};
use fred::prelude::*;
use http_kit::ApiError;
use http_kit::auth::AuthenticatedUser;
use read_model::users::UserDocument;

use crate::AppState;
use crate::state::redis_failed;

/// The caller, e-mail included.
#[utoipa::path(
    get, path = "/v1/users/me", tag = "identity",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller", body = UserDocument),
        (status = 401, description = "No valid token", body = http_kit::problem::Problem),
    )
)]
pub async fn me(
    State(state): State<AppState>,
    caller: AuthenticatedUser,
) -> Result<Json<UserDocument>, ApiError> {
    load(&state, &caller.user_id).await.map(Json)
}

/// A user; the e-mail only when it is the caller.
#[utoipa::path(
    get, path = "/v1/users/{id}", tag = "identity",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The user's id")),
    responses(
        (status = 200, description = "The user", body = UserDocument),
        (status = 401, description = "No valid token", body = http_kit::problem::Problem),
        (status = 404, description = "No such user", body = http_kit::problem::Problem),
    )
)]
pub async fn user(
    State(state): State<AppState>,
    caller: AuthenticatedUser,
    Path(id): Path<String>,
) -> Result<Json<UserDocument>, ApiError> {
    let user = load(&state, &id).await?;
    Ok(Json(if id == caller.user_id { user } else { user.public() }))
}

async fn load(state: &AppState, id: &str) -> Result<UserDocument, ApiError> {
    let stored: Option<String> = state.redis.get(state.keys().user(id)).await.map_err(redis_failed)?;
    match stored {
        Some(json) => serde_json::from_str(&json).map_err(ApiError::internal),
        None => Err(state.missing(ApiError::NotFound(format!("no user has the id {id}"))).await),
    }
}
