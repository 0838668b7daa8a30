//! Users and sessions as the query side and the per-request token check see them.

use chrono::{DateTime, Utc};
use domain::identity::Profile;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::boards::timestamp;

/// A user, as `GET /v1/users/{id}` answers it (`email` only for oneself).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserDocument {
    /// The user's id.
    pub id: String,
    /// The unique user name.
    pub user_name: String,
    /// First name (may be empty).
    pub first_name: String,
    /// Last name (may be empty).
    pub last_name: String,
    /// A Gravatar URL from the e-mail's MD5.
    pub photo_url: String,
    /// When the user registered.
    pub created_at: String,
    /// The e-mail, shown to the user only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

impl UserDocument {
    /// The document of user `id` with `profile`, e-mail included (strip it for others).
    pub fn new(id: &str, profile: &Profile) -> Self {
        use md5::{Digest, Md5};
        let hash = Md5::digest(profile.email.as_str().as_bytes());
        let hex: String = hash.iter().map(|byte| format!("{byte:02x}")).collect();
        Self {
            id: id.to_owned(),
            user_name: profile.user_name.to_string(),
            first_name: profile.first_name.clone(),
            last_name: profile.last_name.clone(),
            photo_url: format!("https://www.gravatar.com/avatar/{hex}?d=identicon"),
            created_at: timestamp(profile.created_at),
            email: Some(profile.email.to_string()),
        }
    }

    /// The same user, as someone else sees them.
    pub fn public(mut self) -> Self {
        self.email = None;
        self
    }
}

/// An open session, as the token check reads it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionRecord {
    /// Whose session.
    pub user_id: String,
    /// Its scopes.
    pub scopes: Vec<String>,
    /// When it expires.
    pub expires_at: DateTime<Utc>,
}

/// The value a revoked session's key holds until it would have expired: a later replay of the
/// session's start (a projector behind the command side) must not open it again.
pub const REVOKED: &str = "revoked";
