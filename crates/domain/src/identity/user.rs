//! The `User` aggregate: registration, profile, password and sessions.
//!
//! Sessions are events too: the projector puts them into Redis for the per-request check, so an emptied
//! Redis is rebuilt from the log and logs nobody out. Hashing passwords and minting ids and times are
//! the caller's; the aggregate only decides.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};

use super::Email;

/// A user name: 1–255 characters, no white space.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct UserName(String);

impl UserName {
    /// Accepts 1–255 characters without white space.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let length = raw.chars().count();
        if length == 0 || length > 255 || raw.chars().any(char::is_whitespace) {
            return Err("must be 1–255 characters without spaces".to_owned());
        }
        Ok(Self(raw.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for UserName {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, String> {
        Self::parse(&raw)
    }
}

impl From<UserName> for String {
    fn from(name: UserName) -> String {
        name.0
    }
}

impl fmt::Display for UserName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The parts of a user others may see, plus the e-mail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    /// The user's normalized e-mail.
    pub email: Email,
    /// The unique user name.
    pub user_name: UserName,
    /// First name, possibly empty.
    pub first_name: String,
    /// Last name, possibly empty.
    pub last_name: String,
    /// When the user registered.
    pub created_at: DateTime<Utc>,
}

/// A signed-in session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Session {
    /// The session's id, the token's `sid`.
    pub id: String,
    /// When its token stops being accepted.
    pub expires_at: DateTime<Utc>,
    /// What it may do beyond a user's own things (`admin`).
    pub scopes: Vec<String>,
}

/// What can be asked of a user.
#[derive(Debug, Clone, PartialEq)]
pub enum UserCommand {
    /// Create the user (its e-mail and name already claimed) with a first session.
    Register {
        /// The new user's profile.
        profile: Profile,
        /// The password, as the caller hashed it.
        password_hash: String,
        /// The first session.
        session: Session,
    },
    /// Change the names shown.
    UpdateProfile {
        /// The new first name, if it changes.
        first_name: Option<String>,
        /// The new last name, if it changes.
        last_name: Option<String>,
    },
    /// Start a session (the password was checked by the caller).
    StartSession(Session),
    /// End a session.
    RevokeSession {
        /// The session to end.
        session_id: String,
    },
}

/// What happened to a user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum UserEvent {
    /// The user exists.
    UserRegistered {
        /// The user's profile.
        profile: Profile,
        /// The password, hashed.
        password_hash: String,
    },
    /// The names shown changed; the event carries the whole profile as it now is.
    UserProfileUpdated {
        /// The whole profile as it now is.
        profile: Profile,
    },
    /// A session started.
    UserSessionStarted(Session),
    /// A session ended.
    UserSessionRevoked {
        /// The session that ended.
        session_id: String,
    },
}

impl DomainEvent for UserEvent {
    fn event_type(&self) -> String {
        match self {
            UserEvent::UserRegistered { .. } => "UserRegistered",
            UserEvent::UserProfileUpdated { .. } => "UserProfileUpdated",
            UserEvent::UserSessionStarted(_) => "UserSessionStarted",
            UserEvent::UserSessionRevoked { .. } => "UserSessionRevoked",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        "1".to_owned()
    }
}

/// Why a user refused a command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UserError {
    /// Registering a user that exists.
    #[error("the user already exists")]
    AlreadyRegistered,
    /// Anything but registering a user that does not exist.
    #[error("no such user")]
    Unknown,
}

/// A user's state.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    profile: Option<Profile>,
    password_hash: String,
    sessions: BTreeMap<String, Session>,
}

impl User {
    /// The profile, or `None` for a user that does not exist.
    pub fn profile(&self) -> Option<&Profile> {
        self.profile.as_ref()
    }

    /// The stored password hash (PHC string), empty for a user that does not exist.
    pub fn password_hash(&self) -> &str {
        &self.password_hash
    }

    /// Whether a session is open.
    pub fn has_session(&self, id: &str) -> bool {
        self.sessions.contains_key(id)
    }
}

/// Decides what a command does to a user.
pub fn decide(user: &User, command: UserCommand) -> Result<Vec<UserEvent>, UserError> {
    match (command, &user.profile) {
        (UserCommand::Register { profile, password_hash, session }, None) => Ok(vec![
            UserEvent::UserRegistered { profile, password_hash },
            UserEvent::UserSessionStarted(session),
        ]),
        (UserCommand::Register { .. }, Some(_)) => Err(UserError::AlreadyRegistered),
        (_, None) => Err(UserError::Unknown),
        (UserCommand::UpdateProfile { first_name, last_name }, Some(profile)) => {
            let updated = Profile {
                first_name: first_name.unwrap_or_else(|| profile.first_name.clone()),
                last_name: last_name.unwrap_or_else(|| profile.last_name.clone()),
                ..profile.clone()
            };
            if &updated == profile {
                return Ok(vec![]);
            }
            Ok(vec![UserEvent::UserProfileUpdated { profile: updated }])
        }
        (UserCommand::StartSession(session), Some(_)) => Ok(vec![UserEvent::UserSessionStarted(session)]),
        (UserCommand::RevokeSession { session_id }, Some(_)) => {
            Ok(if user.sessions.contains_key(&session_id) {
                vec![UserEvent::UserSessionRevoked { session_id }]
            } else {
                vec![]
            })
        }
    }
}

impl Aggregate for User {
    const TYPE: &'static str = "user";
    type Command = UserCommand;
    type Event = UserEvent;
    type Error = UserError;
    type Services = ();

    async fn handle(
        &mut self,
        command: UserCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), UserError> {
        for event in decide(self, command)? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: UserEvent) {
        match event {
            UserEvent::UserRegistered { profile, password_hash } => {
                self.profile = Some(profile);
                self.password_hash = password_hash;
            }
            UserEvent::UserProfileUpdated { profile } => self.profile = Some(profile),
            UserEvent::UserSessionStarted(session) => {
                self.sessions.insert(session.id.clone(), session);
            }
            UserEvent::UserSessionRevoked { session_id } => {
                self.sessions.remove(&session_id);
            }
        }
    }
}

#[cfg(test)]
mod tests;
