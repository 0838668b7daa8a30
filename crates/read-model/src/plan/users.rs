//! Plans for users: their documents, and the session records the per-request token check reads.

use chrono::{DateTime, Utc};
use domain::identity::UserEvent;

use super::Op;
use crate::keys::relative;
use crate::log_entry::LogEntry;
use crate::users::{SessionRecord, UserDocument};

/// Plans one user event; a session that has already expired is not recorded.
pub(super) fn plan_user(event: &LogEntry<'_>, user_event: UserEvent, now: DateTime<Utc>, ops: &mut Vec<Op>) {
    let id = event.aggregate_id.as_ref();
    match user_event {
        UserEvent::UserRegistered { profile, .. } | UserEvent::UserProfileUpdated { profile } => {
            ops.push(Op::Set {
                key: relative::user(id),
                value: serde_json::to_string(&UserDocument::new(id, &profile)).unwrap_or_default(),
            })
        }
        UserEvent::UserSessionStarted(session) if session.expires_at > now => {
            let record = SessionRecord {
                user_id: id.to_owned(),
                scopes: session.scopes,
                expires_at: session.expires_at,
            };
            ops.push(Op::SetUntil {
                key: relative::session(&session.id),
                value: serde_json::to_string(&record).unwrap_or_default(),
                until: session.expires_at,
            });
        }
        UserEvent::UserSessionStarted(_) => {}
        UserEvent::UserSessionRevoked { session_id } => {
            ops.push(Op::Revoke { key: relative::session(&session_id) })
        }
    }
}
