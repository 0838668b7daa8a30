//! JSON request bodies with the errors API.md promises: 415 not JSON, 413 too large, 400 malformed,
//! 422 a field of the wrong type (named).

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header;
use serde::de::DeserializeOwned;

use crate::ApiError;

/// A JSON body deserialized into `T`.
#[derive(Debug, Clone)]
pub struct JsonBody<T>(pub T);

impl<S, T> FromRequest<S> for JsonBody<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        if !is_json(&request) {
            return Err(ApiError::UnsupportedMediaType(
                "the body must be JSON, sent with Content-Type: application/json".to_owned(),
            ));
        }
        let bytes = Bytes::from_request(request, state).await.map_err(|rejection| {
            if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge("the body is larger than this route accepts".to_owned())
            } else {
                ApiError::BadRequest("the body could not be read".to_owned())
            }
        })?;
        parse(&bytes).map(JsonBody)
    }
}

/// Parses JSON bytes: 400 when they are not JSON at all, 422 naming the field that has the wrong shape.
/// Every body is an object: serde would also read a struct from an array of its fields, in order,
/// which no document describes.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|error| ApiError::BadRequest(format!("the body is not well-formed JSON: {error}")))?;
    if !value.is_object() {
        return Err(ApiError::invalid("body", "must be a JSON object"));
    }
    serde_path_to_error::deserialize(value).map_err(|error| {
        let field = match error.path().to_string() {
            path if path == "." => "body".to_owned(),
            path => path,
        };
        ApiError::invalid(&field, error.into_inner().to_string())
    })
}

fn is_json(request: &Request) -> bool {
    let Some(content_type) = request.headers().get(header::CONTENT_TYPE) else { return false };
    let Ok(content_type) = content_type.to_str() else { return false };
    let essence = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}
