//! Synchronous creates and changes (meetups, channels, messages): ids minted with the same durable
//! idempotency as jobs.

use axum::http::HeaderMap;
use http_kit::ApiError;
use serde::Serialize;

use crate::accepted::NewJob;

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
