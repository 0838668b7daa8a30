//! Synchronous creates and changes (meetups, channels, messages): ids minted with the same durable
//! idempotency as jobs, and the HTTP answer to each refusal.

use axum::http::HeaderMap;
use eventlog::CommandError;
use http_kit::ApiError;
use serde::Serialize;

use crate::accepted::{NewJob, command_failed};

/// The identity of a resource created by `route`: a UUIDv5 of the caller's `Idempotency-Key`, or a
/// fresh UUIDv7; the request's hash; the event metadata. No job tracks it: the create answers 201.
pub fn mint(
    headers: &HeaderMap,
    user: &str,
    route: &str,
    request: &impl Serialize,
) -> Result<NewJob, ApiError> {
    let mut new = NewJob::mint(headers, user, route, request)?;
    new.metadata.remove("job_id");
    Ok(new)
}

/// The answer to a command that did not commit: `answer` maps the aggregate's refusals (a 403, a 404),
/// the rest is as for every command.
pub fn refused<E: std::error::Error>(
    error: CommandError<E>,
    answer: impl FnOnce(&E) -> ApiError,
) -> ApiError {
    match error {
        CommandError::Rejected(refusal) => answer(&refusal),
        other => command_failed(other),
    }
}
