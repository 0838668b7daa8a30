//! Errors as `application/problem+json` (RFC 9457). Client errors say what to fix; server errors say
//! nothing of the internals and are logged once with their cause.

use std::time::Duration;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::FieldError;
use serde::Serialize;
use utoipa::ToSchema;

/// The media type of problem documents.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// Everything a handler can answer instead of success.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the body is not well-formed, or a required part is missing.
    #[error("{0}")]
    BadRequest(String),
    /// 401: no valid credentials.
    #[error("{0}")]
    Unauthorized(String),
    /// 403: authenticated but not allowed.
    #[error("{0}")]
    Forbidden(String),
    /// 404: nothing there (or nothing the caller may know of).
    #[error("{0}")]
    NotFound(String),
    /// 405: the path has no such method; the `Allow` header names the ones it has.
    #[error("this path answers only {}", .0.iter().map(|m| m.as_str()).collect::<Vec<_>>().join(", "))]
    MethodNotAllowed(Vec<axum::http::Method>),
    /// 409: the request contradicts the resource's state.
    #[error("{0}")]
    Conflict(String),
    /// 413: the body is larger than the limit.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// 415: the body is not of a type this route takes.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// 416: the `Range` lies outside the resource.
    #[error("{0}")]
    RangeNotSatisfiable(String),
    /// 422: well-formed but invalid; the fields say why.
    #[error("the request is invalid")]
    Invalid(Vec<FieldError>),
    /// 422 with a sentence rather than fields (an idempotency key reused for another request).
    #[error("{0}")]
    Unprocessable(String),
    /// 429: too many requests; try again after the given time.
    #[error("too many requests")]
    TooManyRequests(Duration),
    /// 503: a dependency is down; try again after the given time.
    #[error("{what} is unavailable")]
    Unavailable {
        /// Which dependency, in words safe to show.
        what: &'static str,
        /// When to try again.
        retry_after: Duration,
    },
    /// 500: a bug or an unexpected failure. Its cause is logged with the whole chain where the
    /// answer is made, once, and never shown.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl ApiError {
    /// A 422 for one field.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::Invalid(vec![FieldError::new(field, message)])
    }

    /// A 503 for `what`, to be retried after a second.
    pub fn unavailable(what: &'static str) -> Self {
        Self::Unavailable { what, retry_after: Duration::from_secs(1) }
    }

    /// A 500 whose cause is logged, with its chain, when it is answered, and never sent.
    pub fn internal(cause: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::Internal(cause.into())
    }

    /// The HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::RangeNotSatisfiable(_) => StatusCode::RANGE_NOT_SATISFIABLE,
            Self::Invalid(_) | Self::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<Vec<FieldError>> for ApiError {
    /// A 422 naming the invalid fields.
    fn from(fields: Vec<FieldError>) -> Self {
        Self::Invalid(fields)
    }
}

/// An error and each of its causes, outermost first, joined by `: ` — the line a log needs to tell
/// one failure from another.
pub fn cause_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut chain = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        chain.push_str(": ");
        chain.push_str(&cause.to_string());
        source = cause.source();
    }
    chain
}

/// A problem document.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    /// A short summary of the kind of problem.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What went wrong this time.
    pub detail: String,
    /// The invalid fields, for 422.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldErrorSchema>>,
    /// The request's id, as in the `X-Request-Id` header.
    #[serde(rename = "requestId", skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// One invalid field.
#[derive(Debug, Serialize, ToSchema)]
pub struct FieldErrorSchema {
    /// The field, in the request's spelling.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let detail = match &self {
            Self::Internal(cause) => {
                tracing::error!(cause = %cause_chain(cause.as_ref()), "request failed");
                "something went wrong on our side; the request id identifies it in our logs".to_owned()
            }
            Self::Unavailable { what, .. } => format!("{what} is unavailable; try again shortly"),
            Self::TooManyRequests(_) => "too many requests; slow down and try again".to_owned(),
            other => other.to_string(),
        };
        let errors = match self {
            Self::Invalid(ref fields) => Some(
                fields
                    .iter()
                    .map(|f| FieldErrorSchema { field: f.field.clone(), message: f.message.clone() })
                    .collect(),
            ),
            _ => None,
        };
        let problem = Problem {
            kind: format!("/problems/{}", status.as_u16()),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail,
            errors,
            request_id: None,
        };
        let mut response = (status, serde_json::to_vec(&problem).unwrap_or_default()).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if let Self::Unavailable { retry_after, .. } | Self::TooManyRequests(retry_after) = self {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(retry_after.as_secs().max(1)));
        }
        if let Self::MethodNotAllowed(allowed) = &self {
            let allowed = allowed.iter().map(|m| m.as_str()).collect::<Vec<_>>().join(", ");
            if let Ok(value) = HeaderValue::from_str(&allowed) {
                headers.insert(header::ALLOW, value);
            }
        }
        response
    }
}

#[cfg(test)]
#[path = "problem_tests.rs"]
mod tests;
