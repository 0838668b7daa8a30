//! Session lookups for the per-request token check, on the command and query sides and in live.

use fred::prelude::*;
use read_model::Keys;
use read_model::users::REVOKED;

/// What the session store says of a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionLookup {
    /// Its record is there: open.
    Open,
    /// No record, and the store is complete: revoked, expired or never started.
    Closed,
    /// No record, but the store is being rebuilt from the log: it may be open.
    Rebuilding,
}

/// Looks a session up in one round trip. While the query side is rebuilt from the log a record is not
/// trusted either way: its revocation may not have been replayed yet.
pub async fn look_up_session(redis: &Client, keys: &Keys, session_id: &str) -> Result<SessionLookup, Error> {
    let (record, checkpoint, rebuilding): (Option<String>, Option<String>, Option<String>) =
        redis.mget(vec![keys.session(session_id), keys.checkpoint(), keys.rebuilding()]).await?;
    Ok(match (record.as_deref(), checkpoint.is_none() || rebuilding.is_some()) {
        (Some(REVOKED), _) => SessionLookup::Closed,
        (_, true) => SessionLookup::Rebuilding,
        (Some(_), false) => SessionLookup::Open,
        (None, false) => SessionLookup::Closed,
    })
}
