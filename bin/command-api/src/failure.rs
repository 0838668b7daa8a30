//! The errors of command handlers, converted with `?`: what an aggregate refused, what the event log
//! or Postgres could not do, invalid fields, and every [`ApiError`].

use std::convert::Infallible;

use axum::response::{IntoResponse, Response};
use domain::FieldError;
use eventlog::CommandError;
use http_kit::ApiError;
use http_kit::problem::cause_chain;

/// Why a request was not carried out: the [`ApiError`] it is answered with.
///
/// A newtype only because the orphan rule keeps conversions from the event log's errors into
/// `ApiError` out of this crate, and `http-kit` knows nothing of the event log.
#[derive(Debug)]
pub struct Failure(pub ApiError);

/// How an aggregate's refusal of a command is answered.
pub trait Refusal: std::error::Error {
    /// The answer: unless an aggregate says otherwise, a 409 that says why its state forbids it.
    fn answer(&self) -> ApiError {
        ApiError::Conflict(self.to_string())
    }
}

impl<E: Refusal> From<CommandError<E>> for Failure {
    fn from(error: CommandError<E>) -> Self {
        Self(match error {
            CommandError::Rejected(refusal) => refusal.answer(),
            CommandError::Conflict => ApiError::Conflict("the resource kept changing; try again".to_owned()),
            CommandError::Unavailable(cause) => {
                tracing::warn!(cause = %cause_chain(cause.as_ref()), "event log unavailable");
                ApiError::unavailable("the event log")
            }
            CommandError::Failed(cause) => ApiError::Internal(cause),
        })
    }
}

impl From<sqlx::Error> for Failure {
    /// A query on the event log's database that failed: 503 when Postgres is unreachable, else 500.
    fn from(error: sqlx::Error) -> Self {
        CommandError::<Infallible>::from(error).into()
    }
}

impl From<ApiError> for Failure {
    fn from(error: ApiError) -> Self {
        Self(error)
    }
}

impl From<Vec<FieldError>> for Failure {
    fn from(fields: Vec<FieldError>) -> Self {
        Self(fields.into())
    }
}

impl From<Failure> for ApiError {
    fn from(failure: Failure) -> Self {
        failure.0
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        self.0.into_response()
    }
}

#[cfg(test)]
#[path = "failure_tests.rs"]
mod tests;
