//! Accounts: `POST /v1/users` (sign up) and `PATCH /v1/users/me`.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::SubsecRound;
use domain::errors::FieldErrors;
use domain::identity::{Email, Profile, User, UserCommand, UserName};
use eventlog::Metadata;
use http_kit::auth::AuthenticatedUser;
use http_kit::{ApiError, JsonBody};
use read_model::users::UserDocument;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::sessions::open_session;
use crate::accepted::with_bearer;
use crate::claims::{Claim, claim_all};
use crate::consistency::wait_until_projected;
use crate::failure::Failure;
use crate::state::IdentityState;
use crate::{fields, passwords};

/// The longest first or last name accepted.
const MAX_NAME_CHARS: usize = 255;

/// A sign-up.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SignUp {
    /// An e-mail address, at most 254 characters: one `@`, a dot inside the domain, no white space
    /// but around it (compared trimmed and lower-cased); unique.
    #[schema(
        required = true,
        nullable = false,
        max_length = 254,
        example = "ada@example.com",
        pattern = r"^[\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*[^@\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+@[^@.\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^@\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*\.[^@\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*[^@.\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$"
    )]
    email: Option<String>,
    /// 8–1024 characters.
    #[schema(
        required = true,
        nullable = false,
        min_length = 8,
        max_length = 1024,
        example = "correct horse"
    )]
    password: Option<String>,
    /// The same password again.
    #[schema(required = true, nullable = false, example = "correct horse")]
    password_conf: Option<String>,
    /// 1–255 characters without white space; unique.
    #[schema(
        required = true,
        nullable = false,
        min_length = 1,
        max_length = 255,
        example = "ada",
        pattern = r"^[^\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$"
    )]
    user_name: Option<String>,
    /// Up to 255 characters (trimmed).
    #[schema(max_length = 255)]
    first_name: Option<String>,
    /// Up to 255 characters (trimmed).
    #[schema(max_length = 255)]
    last_name: Option<String>,
}

/// Creates an account and a first session; answers with the user and the session's token in
/// `Authorization`.
#[utoipa::path(
    post, path = "/v1/users", tag = "identity",
    request_body = SignUp,
    responses(
        (status = 201, description = "The new user; `Authorization: Bearer …` carries a session token", body = UserDocument),
        (status = 409, description = "E-mail or user name taken", body = http_kit::problem::Problem),
        (status = 422, description = "Invalid fields (also `passwordConf` not equal to `password`)", body = http_kit::problem::Problem),
    )
)]
pub async fn sign_up(
    State(state): State<IdentityState>,
    JsonBody(request): JsonBody<SignUp>,
) -> Result<Response, Failure> {
    let now = state.shared.clock.now().trunc_subsecs(6);
    let (email, user_name, password, first_name, last_name) = parse(request)?;
    let user_id = Uuid::now_v7().to_string();
    claim_all(
        &state.shared.pool,
        &user_id,
        &[(Claim::Email, email.as_str()), (Claim::UserName, user_name.as_str())],
    )
    .await?;
    let password_hash = passwords::hash(password).await?;
    let profile = Profile { email, user_name, first_name, last_name, created_at: now };
    let session = state.new_session(&profile.email, now);
    let command = UserCommand::Register { profile: profile.clone(), password_hash, session: session.clone() };
    let metadata = Metadata::from([("user_id".to_owned(), user_id.clone())]);
    state.users.create(&user_id, command, &metadata).await?;
    let token = open_session(&state, &user_id, &session, now).await;
    wait_until_projected(&state.shared, "user", &user_id).await;
    let mut response = with_bearer(
        (StatusCode::CREATED, Json(UserDocument::new(&user_id, &profile))).into_response(),
        &token,
    );
    if let Ok(location) = HeaderValue::from_str(&format!("/v1/users/{user_id}")) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// Names to change; absent ones stay.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProfileChange {
    /// A new first name: up to 255 characters (trimmed).
    #[schema(max_length = 255)]
    first_name: Option<String>,
    /// A new last name: up to 255 characters (trimmed).
    #[schema(max_length = 255)]
    last_name: Option<String>,
}

/// Changes the caller's names.
#[utoipa::path(
    patch, path = "/v1/users/me", tag = "identity",
    request_body = ProfileChange,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The user now", body = UserDocument),
        (status = 401, description = "No valid token", body = http_kit::problem::Problem),
        (status = 422, description = "Invalid fields", body = http_kit::problem::Problem),
    )
)]
pub async fn update_me(
    State(state): State<IdentityState>,
    caller: AuthenticatedUser,
    JsonBody(change): JsonBody<ProfileChange>,
) -> Result<Json<UserDocument>, Failure> {
    let mut errors = FieldErrors::default();
    let first_name = change.first_name.map(|name| errors.check("firstName", name_of(name))).unwrap_or(None);
    let last_name = change.last_name.map(|name| errors.check("lastName", name_of(name))).unwrap_or(None);
    errors.finish()?;
    let metadata = Metadata::from([("user_id".to_owned(), caller.user_id.clone())]);
    let command = UserCommand::UpdateProfile { first_name, last_name };
    state.users.execute(&caller.user_id, command, &metadata).await?;
    let user: User = state.users.load(&caller.user_id).await?;
    let profile = user.profile().ok_or_else(|| ApiError::NotFound("no such user".to_owned()))?;
    wait_until_projected(&state.shared, "user", &caller.user_id).await;
    Ok(Json(UserDocument::new(&caller.user_id, profile)))
}

type SignUpParts = (Email, UserName, String, String, String);

fn parse(request: SignUp) -> Result<SignUpParts, Vec<domain::FieldError>> {
    let mut errors = FieldErrors::default();
    let required = |value: Option<String>| value.ok_or_else(|| "is required".to_owned());
    let email = errors.check("email", required(request.email).and_then(|e| fields::email(&e)));
    let user_name = errors.check("userName", required(request.user_name).and_then(|n| UserName::parse(&n)));
    let password = errors.check(
        "password",
        required(request.password).and_then(|password| match password.chars().count() {
            n if n < passwords::MIN_LENGTH => {
                Err(format!("must be at least {} characters", passwords::MIN_LENGTH))
            }
            n if n > passwords::MAX_LENGTH => {
                Err(format!("must be at most {} characters", passwords::MAX_LENGTH))
            }
            _ => Ok(password),
        }),
    );
    if let Some(password) = &password
        && request.password_conf.as_ref() != Some(password)
    {
        errors.push("passwordConf", "must equal password");
    }
    let first_name = errors.check("firstName", name_of(request.first_name.unwrap_or_default()));
    let last_name = errors.check("lastName", name_of(request.last_name.unwrap_or_default()));
    errors.finish()?;
    match (email, user_name, password, first_name, last_name) {
        (Some(email), Some(user_name), Some(password), Some(first), Some(last)) => {
            Ok((email, user_name, password, first, last))
        }
        _ => Err(vec![]),
    }
}

fn name_of(name: String) -> Result<String, String> {
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(format!("must be at most {MAX_NAME_CHARS} characters"));
    }
    Ok(name.trim().to_owned())
}
