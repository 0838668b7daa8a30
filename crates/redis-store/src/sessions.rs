//! Session lookups for the per-request token check, on the command and query sides and in live.

use fred::prelude::*;
use read_model::users::REVOKED;

use crate::CurrentGeneration;

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

/// Looks a session up in the current generation, in one round trip. While the query side is rebuilt
/// from the log a record is not trusted either way: its revocation may not have been replayed yet.
pub async fn look_up_session(
    redis: &Client,
    generation: &CurrentGeneration,
    session_id: &str,
) -> Result<SessionLookup, Error> {
    let values = generation
        .mget(redis, |keys| vec![keys.session(session_id), keys.checkpoint(), keys.rebuilding()])
        .await?;
    let [record, checkpoint, rebuilding] = <[_; 3]>::try_from(values).unwrap_or_default();
    Ok(match (record.as_deref(), checkpoint.is_none() || rebuilding.is_some()) {
        (Some(revoked), _) if revoked == REVOKED.as_bytes() => SessionLookup::Closed,
        (_, true) => SessionLookup::Rebuilding,
        (Some(_), false) => SessionLookup::Open,
        (None, false) => SessionLookup::Closed,
    })
}
