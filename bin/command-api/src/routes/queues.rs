//! `PUT /v1/queues/{kind}`: pause or resume a kind's queue and cap its runs (the `admin` scope's).

use axum::Json;
use axum::extract::{Path, State};
use chrono::SubsecRound;
use domain::errors::FieldErrors;
use domain::jobs::{Concurrency, QueueChange, QueueCommand, QueueSettings, StartRate};
use eventlog::Metadata;
use http_kit::auth::AuthenticatedUser;
use http_kit::{ApiError, JsonBody};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

use super::games::whole_number;
use crate::consistency::wait_until_projected;
use crate::failure::Failure;
use crate::state::JobsState;

/// A change to a queue: each field sent replaces the setting (null removes a limit); each left out
/// stays as it is.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct QueueRequest {
    /// `true` pauses the kind (no new run starts on any worker; runs going on finish), `false` resumes it.
    #[schema(value_type = Option<bool>, nullable = false)]
    paused: Option<bool>,
    /// At most this many runs of the kind at once across every worker: 1–10,000; null for no limit.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<u32>, minimum = 1, maximum = 10000, nullable = true, example = 3)]
    concurrency: Option<Option<serde_json::Number>>,
    /// At most this many starts of the kind per second across every worker: above 0 (fractions
    /// allowed, e.g. 0.5 for one start every two seconds), at most 1,000,000; null for no limit.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<f64>, exclusive_minimum = 0, maximum = 1000000, nullable = true, example = 20)]
    rate_per_second: Option<Option<serde_json::Number>>,
}

/// A field that is present, null or not: `Some(None)` for null, so that null and absent differ.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(fields: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(fields).map(Some)
}

/// A queue's settings, as answered.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct QueueResponse {
    /// The job kind whose queue this is.
    kind: String,
    /// Whether new runs are held back.
    paused: bool,
    /// The most runs at once, or null for no limit.
    #[schema(minimum = 1, maximum = 10000)]
    concurrency: Option<u32>,
    /// The most starts per second, or null for no limit.
    #[schema(exclusive_minimum = 0)]
    rate_per_second: Option<f64>,
}

impl QueueResponse {
    /// The answer for `kind`'s `settings`.
    pub fn new(kind: &str, settings: QueueSettings) -> Self {
        Self {
            kind: kind.to_owned(),
            paused: settings.paused,
            concurrency: settings.concurrency.map(Concurrency::get),
            rate_per_second: settings.rate_per_second.map(StartRate::get),
        }
    }
}

/// Changes a kind's queue; the answer is its settings now, in force on every worker.
#[utoipa::path(
    put, path = "/v1/queues/{kind}", tag = "jobs",
    params(("kind" = String, Path, description = "A job kind the workers run (`message`, `webhook`)",
        pattern = "^[A-Za-z0-9_.-]{1,64}$")),
    request_body = QueueRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The queue's settings now", body = QueueResponse),
        (status = 400, description = "Malformed JSON", body = http_kit::problem::Problem),
        (status = 401, description = "No valid token", body = http_kit::problem::Problem),
        (status = 403, description = "Only the `admin` scope may change queues", body = http_kit::problem::Problem),
        (status = 404, description = "No such job kind", body = http_kit::problem::Problem),
        (status = 413, description = "Body too large", body = http_kit::problem::Problem),
        (status = 415, description = "Not JSON", body = http_kit::problem::Problem),
        (status = 422, description = "Invalid fields, each named", body = http_kit::problem::Problem),
        (status = 503, description = "The event log is unavailable", body = http_kit::problem::Problem),
    )
)]
pub async fn configure(
    State(state): State<JobsState>,
    caller: AuthenticatedUser,
    Path(kind): Path<String>,
    JsonBody(request): JsonBody<QueueRequest>,
) -> Result<Json<QueueResponse>, Failure> {
    if !caller.is_admin() {
        return Err(ApiError::Forbidden("only the admin scope may change queues".to_owned()).into());
    }
    if state.job_kinds.get(&kind).is_none() {
        return Err(ApiError::NotFound(format!("no job kind {kind:?}")).into());
    }
    let change = parse(request)?;
    let command = QueueCommand::Configure { change, at: state.shared.clock.now().trunc_subsecs(6) };
    let metadata = Metadata::from([("user_id".to_owned(), caller.user_id)]);
    state.queues.execute(&kind, command, &metadata).await?;
    let queue = state.queues.load(&kind).await?;
    // Workers read the settings the projector keeps: answer once they are in force (at most a second).
    wait_until_projected(&state.shared, <domain::jobs::Queue as cqrs_es::Aggregate>::TYPE, &kind).await;
    Ok(Json(QueueResponse::new(&kind, queue.settings())))
}

fn parse(request: QueueRequest) -> Result<QueueChange, Vec<domain::FieldError>> {
    let mut errors = FieldErrors::default();
    let concurrency = request.concurrency.map(|cap| {
        cap.map(|runs| errors.check("concurrency", Concurrency::new(whole_number(&runs).unwrap_or(-1))))
    });
    let rate_per_second = request.rate_per_second.map(|rate| {
        rate.map(|per_second| {
            errors.check("ratePerSecond", StartRate::new(per_second.as_f64().unwrap_or(0.0)))
        })
    });
    errors.finish()?;
    Ok(QueueChange {
        paused: request.paused,
        concurrency: concurrency.map(Option::flatten),
        rate_per_second: rate_per_second.map(Option::flatten),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(body: serde_json::Value) -> Result<QueueChange, Vec<domain::FieldError>> {
        parse(serde_json::from_value(body).unwrap())
    }

    #[test]
    fn absent_settings_stay_and_null_limits_are_removed() {
        let change = change(serde_json::json!({ "paused": true, "ratePerSecond": null })).unwrap();
        assert_eq!(
            change,
            QueueChange { paused: Some(true), concurrency: None, rate_per_second: Some(None) }
        );
    }

    #[test]
    fn limits_out_of_range_are_refused_naming_the_field() {
        for (body, field) in [
            (serde_json::json!({ "concurrency": 0 }), "concurrency"),
            (serde_json::json!({ "concurrency": 10001 }), "concurrency"),
            (serde_json::json!({ "concurrency": 2.5 }), "concurrency"),
            (serde_json::json!({ "ratePerSecond": 0 }), "ratePerSecond"),
            (serde_json::json!({ "ratePerSecond": -3 }), "ratePerSecond"),
        ] {
            let errors = change(body.clone()).unwrap_err();
            assert_eq!(errors[0].field, field, "{body}");
        }
    }

    #[test]
    fn a_fractional_rate_and_a_whole_concurrency_written_with_a_fraction_are_taken() {
        let change = change(serde_json::json!({ "concurrency": 3.0, "ratePerSecond": 0.5 })).unwrap();
        assert_eq!(change.concurrency, Some(Some(Concurrency::new(3).unwrap())));
        assert_eq!(change.rate_per_second, Some(Some(StartRate::new(0.5).unwrap())));
    }
}
