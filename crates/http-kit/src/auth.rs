//! Tokens and the one extractor every service authenticates requests with.
//!
//! A token is a JWT signed with HS256 (the algorithm is pinned: `alg: none` or any other is refused)
//! carrying `sub` (user id), `sid` (session id), `scope`, `iat`, `exp` and `iss`. A valid signature is
//! not enough: the session must still be open, which one Redis lookup per request tells, so signing
//! out revokes a token at once for every service.

use std::future::Future;

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};

use crate::ApiError;

/// The scope that sees and does everything.
pub const ADMIN: &str = "admin";

/// The claims of a Reprise token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The user's id.
    pub sub: String,
    /// The session's id.
    pub sid: String,
    /// Space-separated scopes.
    pub scope: String,
    /// Issued at (seconds since the epoch).
    pub iat: i64,
    /// Expires at (seconds since the epoch).
    pub exp: i64,
    /// Issuer.
    pub iss: String,
}

/// Signs and verifies tokens.
#[derive(Clone)]
pub struct Tokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    ttl: Duration,
}

/// No signing secret was configured.
#[derive(Debug, thiserror::Error)]
#[error(
    "no token signing secret: set auth.jwt_secret (REPRISE_AUTH__JWT_SECRET or REPRISE_AUTH__JWT_SECRET_FILE)"
)]
pub struct MissingSecret;

impl Tokens {
    /// Tokens signed with the configured secret.
    pub fn from_settings(auth: &settings::AuthSettings) -> Result<Self, MissingSecret> {
        let secret = auth.jwt_secret.as_ref().ok_or(MissingSecret)?.expose_secret().as_bytes().to_vec();
        if secret.is_empty() {
            return Err(MissingSecret);
        }
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[auth.issuer.as_str()]);
        validation.set_required_spec_claims(&["exp", "iss", "sub"]);
        validation.leeway = 0;
        Ok(Self {
            encoding: EncodingKey::from_secret(&secret),
            decoding: DecodingKey::from_secret(&secret),
            validation,
            issuer: auth.issuer.clone(),
            ttl: Duration::seconds(auth.token_ttl_seconds),
        })
    }

    /// How long a new token lives.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// A token for a session that expires at `expires_at`.
    pub fn issue(
        &self,
        user_id: &str,
        session_id: &str,
        scopes: &[String],
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> String {
        let claims = Claims {
            sub: user_id.to_owned(),
            sid: session_id.to_owned(),
            scope: scopes.join(" "),
            iat: now.timestamp(),
            exp: expires_at.timestamp(),
            iss: self.issuer.clone(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).unwrap_or_default()
    }

    /// The claims of a token signed by us with HS256, unexpired; `None` for anything else.
    pub fn verify(&self, token: &str) -> Option<Claims> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation).ok().map(|data| data.claims)
    }
}

/// Whether a session is open, as the shared session store says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionStatus {
    /// Open.
    Open,
    /// Revoked, expired or never started.
    Closed,
    /// Cannot tell yet: the session store is being rebuilt from the log.
    Unknown,
}

/// What a service's state offers the extractor.
pub trait AuthState: Send + Sync {
    /// The token keys.
    fn tokens(&self) -> &Tokens;
    /// Looks up a session of a user.
    fn session_status(
        &self,
        user_id: &str,
        session_id: &str,
    ) -> impl Future<Output = Result<SessionStatus, ApiError>> + Send;
}

/// The caller of a request with a valid token of an open session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthenticatedUser {
    /// The user's id.
    pub user_id: String,
    /// The session's id.
    pub session_id: String,
    /// The session's scopes.
    pub scopes: Vec<String>,
}

impl AuthenticatedUser {
    /// Whether the caller may see and do everything.
    pub fn is_admin(&self) -> bool {
        self.scopes.iter().any(|scope| scope == ADMIN)
    }
}

impl<S: AuthState> FromRequestParts<S> for AuthenticatedUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let token = bearer_token(&parts.headers).ok_or_else(|| unauthorized("a bearer token is required"))?;
        let claims =
            state.tokens().verify(token).ok_or_else(|| unauthorized("the token is invalid or expired"))?;
        match state.session_status(&claims.sub, &claims.sid).await? {
            SessionStatus::Open => Ok(Self {
                user_id: claims.sub,
                session_id: claims.sid,
                scopes: claims.scope.split_whitespace().map(str::to_owned).collect(),
            }),
            SessionStatus::Closed => Err(unauthorized("the session has ended; sign in again")),
            SessionStatus::Unknown => Err(ApiError::Unavailable {
                what: "the session store, being rebuilt from the event log,",
                retry_after: std::time::Duration::from_secs(2),
            }),
        }
    }
}

/// The token of an `Authorization: Bearer <token>` header (the scheme in any case), if there is one.
pub fn bearer_token(headers: &axum::http::HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim()).filter(|token| !token.is_empty())
}

fn unauthorized(detail: &str) -> ApiError {
    ApiError::Unauthorized(detail.to_owned())
}

#[cfg(test)]
mod tests {
    use axum::http::{HeaderMap, HeaderValue};

    use super::*;

    #[test]
    fn a_bearer_token_is_read_from_the_authorization_header_in_any_case() {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("bearer abc.def"));
        assert_eq!(bearer_token(&headers), Some("abc.def"));
    }

    #[test]
    fn another_scheme_or_an_empty_token_is_no_token() {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic abc"));
        assert_eq!(bearer_token(&headers), None);
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer  "));
        assert_eq!(bearer_token(&headers), None);
    }

    fn tokens(secret: &str) -> Tokens {
        let auth =
            settings::AuthSettings { jwt_secret: Some(secret.to_owned().into()), ..Default::default() };
        Tokens::from_settings(&auth).unwrap()
    }

    fn now() -> DateTime<Utc> {
        Utc::now()
    }

    #[test]
    fn a_token_we_issued_verifies_with_its_claims() {
        let keys = tokens("s3cret");
        let token = keys.issue("u1", "s1", &["admin".into()], now(), now() + Duration::hours(1));
        let claims = keys.verify(&token).unwrap();
        assert_eq!((claims.sub.as_str(), claims.sid.as_str(), claims.scope.as_str()), ("u1", "s1", "admin"));
    }

    #[test]
    fn a_token_signed_with_another_secret_is_refused() {
        let token = tokens("other").issue("u1", "s1", &[], now(), now() + Duration::hours(1));
        assert!(tokens("s3cret").verify(&token).is_none());
    }

    #[test]
    fn an_expired_token_is_refused() {
        let keys = tokens("s3cret");
        let token = keys.issue("u1", "s1", &[], now() - Duration::hours(2), now() - Duration::seconds(1));
        assert!(keys.verify(&token).is_none());
    }

    #[test]
    fn an_unsigned_alg_none_token_is_refused() {
        use base64::Engine as _;
        let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let header = engine.encode(r#"{"alg":"none","typ":"JWT"}"#);
        let exp = (now() + Duration::hours(1)).timestamp();
        let body = engine.encode(format!(
            r#"{{"sub":"u1","sid":"s1","scope":"admin","iat":0,"exp":{exp},"iss":"reprise"}}"#
        ));
        assert!(tokens("s3cret").verify(&format!("{header}.{body}.")).is_none());
    }

    #[test]
    fn a_tampered_token_is_refused() {
        let keys = tokens("s3cret");
        let token = keys.issue("u1", "s1", &[], now(), now() + Duration::hours(1));
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        parts[1] = parts[1].chars().rev().collect();
        assert!(keys.verify(&parts.join(".")).is_none());
    }

    #[test]
    fn no_secret_means_no_tokens() {
        assert!(Tokens::from_settings(&settings::AuthSettings::default()).is_err());
    }
}
