//! Sessions: `POST /v1/sessions` (sign in) and `DELETE /v1/sessions/mine` (sign out).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, SubsecRound, Utc};
use domain::identity::{Email, Session, User, UserCommand};
use eventlog::Metadata;
use http_kit::auth::AuthenticatedUser;
use http_kit::{ApiError, JsonBody};
use read_model::boards::timestamp;
use read_model::keys::relative;
use read_model::users::{REVOKED, SessionRecord, UserDocument};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::accepted::with_bearer;
use crate::claims::{Claim, holder};
use crate::failure::Failure;
use crate::passwords;
use crate::rate_limit::{SignInLimit, client_address};
use crate::state::IdentityState;

/// A sign-in.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SignIn {
    /// The account's e-mail.
    email: String,
    /// Its password.
    password: String,
}

/// A new session.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionCreated {
    /// The bearer token.
    token: String,
    /// When it stops being accepted.
    expires_at: String,
    /// Who signed in.
    user: UserDocument,
}

/// Signs in; the same 401 for an unknown e-mail and a wrong password.
#[utoipa::path(
    post, path = "/v1/sessions", tag = "identity",
    request_body = SignIn,
    responses(
        (status = 201, description = "Signed in; the token is also in `Authorization`", body = SessionCreated),
        (status = 401, description = "Invalid credentials", body = http_kit::problem::Problem),
        (status = 422, description = "`email` or `password` missing or not a string", body = http_kit::problem::Problem),
        (status = 429, description = "Too many failed sign-ins for this e-mail or client; see Retry-After", body = http_kit::problem::Problem),
    )
)]
pub async fn sign_in(
    State(state): State<IdentityState>,
    headers: HeaderMap,
    JsonBody(request): JsonBody<SignIn>,
) -> Result<Response, Failure> {
    let now = state.shared.clock.now().trunc_subsecs(6);
    let limit = SignInLimit::new(&state, &request.email, &client_address(&headers), now);
    limit.count_attempt().await?;
    let user = match Email::parse(&request.email) {
        Ok(email) => find_user(&state, &email).await?,
        Err(_) => None,
    };
    let stored_hash = user.as_ref().map(|(_, user)| user.password_hash().to_owned());
    let matches = passwords::verify(request.password, stored_hash).await;
    let (user_id, user) = match user {
        Some(found) if matches => found,
        _ => return Err(ApiError::Unauthorized("invalid credentials".to_owned()).into()),
    };
    limit.forgive().await;
    let profile = user.profile().ok_or_else(|| ApiError::Unauthorized("invalid credentials".to_owned()))?;
    let session = state.new_session(&profile.email, now);
    let metadata = Metadata::from([("user_id".to_owned(), user_id.clone())]);
    state.users.execute(&user_id, UserCommand::StartSession(session.clone()), &metadata).await?;
    let token = open_session(&state, &user_id, &session, now).await;
    let body = SessionCreated {
        token: token.clone(),
        expires_at: timestamp(session.expires_at),
        user: UserDocument::new(&user_id, profile),
    };
    Ok(with_bearer((StatusCode::CREATED, Json(body)).into_response(), &token))
}

/// Signs out: the caller's token is refused by every service from now on.
#[utoipa::path(
    delete, path = "/v1/sessions/mine", tag = "identity",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Signed out"),
        (status = 401, description = "No valid token", body = http_kit::problem::Problem),
    )
)]
pub async fn sign_out(
    State(state): State<IdentityState>,
    caller: AuthenticatedUser,
) -> Result<Response, Failure> {
    let metadata = Metadata::from([("user_id".to_owned(), caller.user_id.clone())]);
    let command = UserCommand::RevokeSession { session_id: caller.session_id.clone() };
    state.users.execute(&caller.user_id, command, &metadata).await?;
    // The projector marks it revoked too; marking it now makes the revocation immediate.
    let ttl = state.tokens.ttl().num_seconds().max(1).to_string();
    let record = vec![relative::session(&caller.session_id), REVOKED.to_owned(), "EX".to_owned(), ttl];
    if let Err(error) = state.shared.generation.write(&state.shared.redis, "SET", record).await {
        tracing::warn!(%error, "could not mark the session revoked; the projector will");
    }
    Ok(Json(serde_json::json!({ "sessionId": caller.session_id, "revoked": true })).into_response())
}

async fn find_user(state: &IdentityState, email: &Email) -> Result<Option<(String, User)>, Failure> {
    let user_id = holder(&state.shared.pool, Claim::Email, email.as_str()).await?;
    let Some(user_id) = user_id else { return Ok(None) };
    let user = state.users.load(&user_id).await?;
    Ok(user.profile().is_some().then_some((user_id, user)))
}

/// Writes the session's record at once (the projector writes the same from the log) and returns its token.
pub async fn open_session(
    state: &IdentityState,
    user_id: &str,
    session: &Session,
    now: DateTime<Utc>,
) -> String {
    let record = SessionRecord {
        user_id: user_id.to_owned(),
        scopes: session.scopes.clone(),
        expires_at: session.expires_at,
    };
    let record = vec![
        relative::session(&session.id),
        serde_json::to_string(&record).unwrap_or_default(),
        "EXAT".to_owned(),
        session.expires_at.timestamp().to_string(),
        "NX".to_owned(),
    ];
    if let Err(error) = state.shared.generation.write(&state.shared.redis, "SET", record).await {
        tracing::warn!(%error, "could not write the session record; the projector will");
    }
    state.tokens.issue(user_id, &session.id, &session.scopes, now, session.expires_at)
}
